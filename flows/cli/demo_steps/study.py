"""Demo step: a small blind study of the demo run with one demo annotator, and the command
and link that open the annotation app."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.cli.commands.demo import DemoContext

ORDER = 10  # before the report step, which reads the study id from context.results
DEMO_ANNOTATOR = "demo-annotator"
DEMO_GOLD_ITEMS = 2


def run(context: DemoContext) -> None:
    from db.queries.study import StudyError
    from db.queries.study_create import CreatedStudy
    from db.settings import DEMO_ADMIN_PASSWORD
    from flows.study import AnnotatorLink, create_study_with_links

    def create(gold: int) -> tuple[CreatedStudy, list[AnnotatorLink]]:
        return create_study_with_links(
            engine=context.engine,
            base_url=context.settings.study_base_url,
            run_id=context.run_id,
            methods=["handsoff", "instruct-pix2pix"],
            annotators=[DEMO_ANNOTATOR],
            gold=gold,
        )

    try:
        created, links = create(DEMO_GOLD_ITEMS)
    except StudyError as exc:
        if "gold" not in str(exc):
            raise
        created, links = create(0)  # a dataset without enough ground-truth targets
    link = links[0].link
    study_id = created.study_id
    context.results["study_id"] = study_id
    context.results["study_link"] = link
    command = "HANDSOFF_ENVIRONMENT=demo handsoff app"
    context.next_commands.append(f"{command}    # then open {link}")
    context.next_commands.append(
        f"admin page: {context.settings.study_base_url}/admin (demo password {DEMO_ADMIN_PASSWORD})"
    )
    if not context.as_json:
        context.console.print(
            f"study [bold]{created.name}[/] (id {study_id}): "
            f"{created.items} items + {created.gold_items} gold for {DEMO_ANNOTATOR}"
        )
        context.console.print(f"annotator link: {link}", soft_wrap=True)
