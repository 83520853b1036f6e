"""`handsoff study create | add-annotator | list | revoke` and `handsoff app`
(`study_changes` has the commands that change a study later)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import console, emit_json, fail, get_settings, literal

if TYPE_CHECKING:
    from db.settings import Settings
    from flows.cli.app import CommandGroups
    from flows.study import AnnotatorLink

LINKS_ONCE = (
    "Each link is shown this once: the database keeps only a hash of its token. "
    "Send each annotator their own link."
)


def split_names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


SEED_HELP = (
    "Reproducible choice, orders and sides, for tests and worked examples: the study is then "
    "predictable to whoever knows the seed. Default: a secret drawn for this study and kept "
    "only in the database."
)


def links_base(settings: Settings) -> str:
    """The base of personal links: HANDSOFF_APP_BASE_URL, else the configured host and port."""
    from flows.study import served_base_url

    return served_base_url(
        app_base_url=settings.app_base_url, host=settings.app_host, port=settings.app_port
    )


def print_links(links: list[AnnotatorLink]) -> None:
    for link in links:
        console.print(
            f"  [bold]{literal(link.name)}[/] ({link.assigned} items): {literal(link.link)}",
            soft_wrap=True,
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
        seed: Annotated[int | None, typer.Option("--seed", help=SEED_HELP)] = None,
        name: Annotated[str | None, typer.Option("--name", help="Study name.")] = None,
        guidelines: Annotated[
            Path | None,
            typer.Option(
                "--guidelines",
                help="Markdown file of guidelines shown before the first item (UTF-8, 1 MiB "
                "at most).",
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Create a blind study of two methods of a run, with personal links for annotators."""
        from db.queries.study import StudyError
        from flows.cli.database import open_database
        from flows.study import create_study_with_links, read_guidelines

        try:  # before the database is opened: a bad file writes nothing
            text = None if guidelines is None else read_guidelines(guidelines)
        except StudyError as exc:
            fail(str(exc))
        settings = get_settings()
        engine = open_database(settings)
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        bar = Progress(
            "encoding each item's images for display",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        task = bar.add_task("images", total=None)

        def encoded(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            with bar:
                created, links = create_study_with_links(
                    engine=engine,
                    base_url=links_base(settings),
                    run_id=run,
                    methods=split_names(methods),
                    name=name,
                    items=items,
                    overlap=overlap,
                    annotators=split_names(annotators),
                    gold=gold,
                    seed=seed,
                    guidelines=text,
                    progress=encoded,
                )
        except StudyError as exc:
            fail(str(exc))
        # The links first: their tokens exist nowhere else, so nothing may fail before them.
        if as_json:
            emit_json(
                {
                    **dataclasses.asdict(created),
                    "annotators": [dataclasses.asdict(link) for link in links],
                }
            )
            return
        print_links(links)
        console.print(
            f"study [bold]{literal(created.name)}[/] (id {created.study_id}): "
            f"{literal(' vs '.join(created.methods))}, {created.items} items + "
            f"{created.gold_items} gold, overlap {created.overlap}"
        )
        if created.seed is not None:
            console.print(
                f"[yellow]seeded with --seed {created.seed}: orders and sides are predictable "
                "to whoever knows the seed[/]"
            )
        if not links:
            console.print(
                f"no annotators yet: `handsoff study add-annotator --study {created.study_id} "
                "--name NAME`"
            )

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
                base_url=links_base(settings),
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
                literal(study.name),
                str(study.run_id),
                literal(" vs ".join(study.methods)),
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
        shown = literal(name)
        console.print(f"{shown}: link revoked" if revoked else f"{shown}: link was already revoked")

    @groups.root.command("app")
    def app_command(
        host: Annotated[str | None, typer.Option("--host", help="Default: settings.")] = None,
        port: Annotated[int | None, typer.Option("--port", help="Default: settings.")] = None,
    ) -> None:
        """Serve the annotation app (Streamlit) on the configured host and port."""
        import os

        from flows.cli.database import open_database
        from flows.study import app_command as streamlit_command
        from flows.study import served_base_url

        settings = get_settings()
        open_database(settings)  # the schema must be at head before annotators arrive
        if (admin_problem := settings.admin_password_problem()) is not None:
            console.print(
                f"[yellow]the admin page stays disabled: {admin_problem} (set one of 12 or "
                "more characters, or HANDSOFF_ENVIRONMENT=demo for the demo)[/]"
            )
        host, port = host or settings.app_host, port or settings.app_port
        argv = streamlit_command(host=host, port=port)
        # The address served, unless a public one (a reverse proxy) is configured.
        base = literal(served_base_url(app_base_url=settings.app_base_url, host=host, port=port))
        console.print(
            f"annotation app on {literal(served_base_url(app_base_url=None, host=host, port=port))}"
            f" (links: {base}/?token=..., admin: {base}/admin)"
        )
        if settings.app_base_url is None and host in ("0.0.0.0", "::"):
            console.print(
                "[yellow]listening on every interface: set HANDSOFF_APP_BASE_URL to the address "
                "annotators reach before creating links[/]"
            )
        os.execv(argv[0], argv)  # Streamlit takes over this process (signals, exit code)
