"""`handsoff study guidelines | reissue-link | close`: changing a study after creation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import console, emit_json, fail, get_settings, literal

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups

STUDY_ARGUMENT = typer.Argument(help="Study id or name.")


def register(groups: CommandGroups) -> None:
    study = groups.study

    @study.command("guidelines")
    def guidelines_command(
        study_ref: Annotated[str, STUDY_ARGUMENT],
        file: Annotated[
            Path | None,
            typer.Option(
                "--file", help="Markdown file of the new guidelines (UTF-8, 1 MiB at most)."
            ),
        ] = None,
        clear: Annotated[bool, typer.Option("--clear", help="Remove the guidelines.")] = False,
    ) -> None:
        """Set or clear a study's guidelines (annotators see them on their next page)."""
        from db.engine import session_scope
        from db.queries.study import StudyError
        from db.queries.study_guidelines import set_guidelines
        from flows.cli.database import open_database
        from flows.study import read_guidelines

        if (file is None) == (not clear):
            fail("give either --file FILE or --clear")
        try:  # before the database is opened: a bad file writes nothing
            text = None if file is None else read_guidelines(file)
        except StudyError as exc:
            fail(str(exc))
        engine = open_database(get_settings())
        try:
            with session_scope(engine) as session:
                name = set_guidelines(session=session, study=study_ref, text=text)
        except StudyError as exc:
            fail(str(exc))
        if text is None:
            console.print(f"study {literal(name)}: guidelines cleared")
        else:
            console.print(
                f"study {literal(name)}: guidelines set from {literal(file)} "
                f"({len(text.encode('utf-8'))} bytes)"
            )

    @study.command("reissue-link")
    def reissue_link_command(
        study_ref: Annotated[str, STUDY_ARGUMENT],
        name: Annotated[str, typer.Argument(help="The annotator's name.")],
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Give an annotator a new personal link; the old one stops working (answers stay)."""
        import dataclasses

        from db.queries.study import StudyError
        from flows.cli.commands.study import links_base, print_links
        from flows.cli.database import open_database
        from flows.study import reissue_link

        settings = get_settings()
        engine = open_database(settings)
        try:
            link = reissue_link(
                engine=engine, base_url=links_base(settings), study=study_ref, name=name
            )
        except StudyError as exc:
            fail(str(exc))
        if as_json:
            emit_json(dataclasses.asdict(link))
            return
        print_links([link])
        console.print(f"the old link of {literal(link.name)} no longer works")

    @study.command("close")
    def close_command(study_ref: Annotated[str, STUDY_ARGUMENT]) -> None:
        """Stop accepting answers: every link shows the closed page; answers stay."""
        from db.engine import session_scope
        from db.queries.study import StudyError
        from db.queries.study_annotators import close_study
        from flows.cli.database import open_database

        engine = open_database(get_settings())
        try:
            with session_scope(engine) as session:
                closed = close_study(session=session, study=study_ref)
        except StudyError as exc:
            fail(str(exc))
        shown = literal(study_ref)
        console.print(f"study {shown}: closed" if closed else f"study {shown}: was already closed")
