"""`handsoff study create | add-annotator | list | revoke` and `handsoff app`."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import console, emit_json, fail, get_settings

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups
    from flows.study import AnnotatorLink

LINKS_ONCE = (
    "Each link is shown this once: the database keeps only a hash of its token. "
    "Send each annotator their own link."
)


def split_names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def print_links(links: list[AnnotatorLink]) -> None:
    for link in links:
        console.print(
            f"  [bold]{link.name}[/] ({link.assigned} items): {link.link}", soft_wrap=True
        )
    if links:
        console.print(f"[yellow]{LINKS_ONCE}[/]")


def register(groups: CommandGroups) -> None:
    study = groups.study

    @study.command("create")
    def create_command(
        run: Annotated[int, typer.Option("--run", help="Evaluation run id.")],
        methods: Annotated[
            str,
            typer.Option(
                "--methods",
                help="Two of the run's methods, comma-separated: a method name, a config-hash "
                "prefix or method@hash-prefix (e.g. handsoff,instruct-pix2pix).",
            ),
        ],
        items: Annotated[
            int | None, typer.Option("--items", min=1, help="Regular items (default: all).")
        ] = None,
        overlap: Annotated[int, typer.Option("--overlap", min=1, help="Annotators per item.")] = 1,
        annotators: Annotated[
            str, typer.Option("--annotators", help="Annotator names, comma-separated.")
        ] = "",
        gold: Annotated[int, typer.Option("--gold", min=0, help="Gold (known-answer) items.")] = 0,
        seed: Annotated[int, typer.Option("--seed", help="Seed of choice and orders.")] = 0,
        name: Annotated[str | None, typer.Option("--name", help="Study name.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Create a blind study of two methods of a run, with personal links for annotators."""
        from db.queries.study import StudyError
        from flows.cli.database import open_database
        from flows.study import create_study_with_links

        settings = get_settings()
        engine = open_database(settings)
        try:
            created, links = create_study_with_links(
                engine=engine,
                base_url=settings.study_base_url,
                run_id=run,
                methods=split_names(methods),
                name=name,
                items=items,
                overlap=overlap,
                annotators=split_names(annotators),
                gold=gold,
                seed=seed,
            )
        except StudyError as exc:
            fail(str(exc))
        if as_json:
            emit_json(
                {
                    **dataclasses.asdict(created),
                    "annotators": [dataclasses.asdict(link) for link in links],
                }
            )
            return
        console.print(
            f"study [bold]{created.name}[/] (id {created.study_id}): {' vs '.join(created.methods)}"
            f", {created.items} items + {created.gold_items} gold, overlap {created.overlap}"
        )
        if not links:
            console.print(
                f"no annotators yet: `handsoff study add-annotator --study {created.study_id} "
                "--name NAME`"
            )
        print_links(links)

    @study.command("add-annotator")
    def add_annotator_command(
        study_ref: Annotated[str, typer.Option("--study", help="Study id or name.")],
        name: Annotated[str, typer.Option("--name", help="The annotator's name.")],
        items: Annotated[
            int | None,
            typer.Option(
                "--items",
                min=0,
                help="Regular items to assign (default: the items still below the overlap, "
                "else an average load).",
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Add an annotator to a study and print their personal link."""
        from db.queries.study import StudyError
        from flows.cli.database import open_database
        from flows.study import add_annotator_with_link

        settings = get_settings()
        engine = open_database(settings)
        try:
            link = add_annotator_with_link(
                engine=engine,
                base_url=settings.study_base_url,
                study=study_ref,
                name=name,
                items=items,
            )
        except StudyError as exc:
            fail(str(exc))
        if as_json:
            emit_json(dataclasses.asdict(link))
            return
        print_links([link])

    @study.command("list")
    def list_command(
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """List studies with their items, annotators and judgments."""
        from rich.table import Table

        from db.engine import session_scope
        from db.queries.study_admin import list_studies
        from flows.cli.database import open_database

        engine = open_database(get_settings())
        with session_scope(engine) as session:
            studies = list_studies(session=session)
        if as_json:
            emit_json([dataclasses.asdict(study) for study in studies])
            return
        if not studies:
            console.print("no study yet: `handsoff study create --run ID --methods A,B`")
            return
        table = Table("id", "name", "run", "methods", "items", "gold", "annotators", "judgments")
        for study in studies:
            table.add_row(
                str(study.id),
                study.name,
                str(study.run_id),
                " vs ".join(study.methods),
                str(study.items),
                str(study.gold_items),
                str(study.annotators),
                str(study.judgments),
            )
        console.print(table)

    @study.command("revoke")
    def revoke_command(
        study_ref: Annotated[str, typer.Option("--study", help="Study id or name.")],
        name: Annotated[str, typer.Option("--name", help="The annotator's name.")],
    ) -> None:
        """Withdraw an annotator's link (their answers stay)."""
        from db.engine import session_scope
        from db.queries.study import StudyError
        from db.queries.study_annotators import revoke_annotator
        from flows.cli.database import open_database

        engine = open_database(get_settings())
        try:
            with session_scope(engine) as session:
                revoked = revoke_annotator(session=session, study=study_ref, name=name)
        except StudyError as exc:
            fail(str(exc))
        console.print(f"{name}: link revoked" if revoked else f"{name}: link was already revoked")

    @groups.root.command("app")
    def app_command(
        host: Annotated[str | None, typer.Option("--host", help="Default: settings.")] = None,
        port: Annotated[int | None, typer.Option("--port", help="Default: settings.")] = None,
    ) -> None:
        """Serve the annotation app (Streamlit) on the configured host and port."""
        import os

        from flows.cli.database import open_database
        from flows.study import app_command as streamlit_command

        settings = get_settings()
        open_database(settings)  # the schema must be at head before annotators arrive
        if (admin_problem := settings.admin_password_problem()) is not None:
            console.print(
                f"[yellow]the admin page stays disabled: {admin_problem} (set one of 12 or "
                "more characters, or HANDSOFF_ENVIRONMENT=demo for the demo)[/]"
            )
        argv = streamlit_command(host=host or settings.app_host, port=port or settings.app_port)
        console.print(
            f"annotation app on http://{host or settings.app_host}:{port or settings.app_port} "
            f"(links: {settings.study_base_url}/?token=..., admin: {settings.study_base_url}/admin)"
        )
        os.execv(argv[0], argv)  # Streamlit takes over this process (signals, exit code)
