"""`handsoff data import` and `handsoff data list`."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import console, emit_json, fail, get_settings

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups

# Exit status when the import finished but rejected some items: scripts can tell
# "all imported" (0) from "imported, with rejections" (3) from "could not import" (1).
EXIT_SOME_REJECTED = 3


def register(groups: CommandGroups) -> None:
    data = groups.data

    @data.command("import")
    def import_command(
        path: Annotated[Path, typer.Argument(help="Dataset folder, .zip, parquet or .jsonl.")],
        name: Annotated[str, typer.Option("--name", help="Dataset name in the database.")],
        format: Annotated[
            str, typer.Option("--format", help="auto, magicbrush, hub or jsonl.")
        ] = "auto",
        zip_password: Annotated[
            str | None,
            typer.Option(
                "--zip-password",
                envvar="HANDSOFF_ZIP_PASSWORD",
                help="Password of an encrypted MagicBrush zip (unzipping first is faster).",
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable summary.")] = False,
    ) -> None:
        """Import a dataset; bad items are rejected by id and reason, the rest imports."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        from flows.cli.database import open_database
        from flows.dataset_import import import_dataset_path
        from handsoff_core.data import count_records
        from handsoff_core.errors import HandsoffError

        if format not in ("auto", "magicbrush", "hub", "jsonl"):
            fail(f"unknown format {format!r}: use auto, magicbrush, hub or jsonl")
        if not path.exists():
            fail(f"{path}: no such file or folder")
        settings = get_settings()
        try:
            total = count_records(path, format, zip_password=zip_password)  # type: ignore[arg-type]
        except HandsoffError as exc:
            fail(f"{path}: {exc}")
        engine = open_database(settings)
        with Progress(
            TextColumn("importing"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
            disable=as_json,
        ) as progress:
            task = progress.add_task("import", total=total)
            try:
                summary = import_dataset_path(
                    engine=engine,
                    path=path,
                    name=name,
                    format=format,
                    zip_password=zip_password,
                    max_pixels=settings.max_image_pixels,
                    max_instruction_chars=settings.max_instruction_chars,
                    on_record=lambda: progress.advance(task),
                )
            except HandsoffError as exc:
                fail(f"{path}: {exc}")
        if as_json:
            emit_json(summary.as_dict())
        else:
            verb = "created" if summary.dataset_created else "updated"
            console.print(
                f"dataset [bold]{name}[/] {verb}: {summary.imported} imported, "
                f"{summary.skipped} already present, {summary.rejected_count} rejected"
                + (
                    f", {summary.converted} converted (see import notes)"
                    if summary.converted
                    else ""
                )
            )
            if summary.imported == 0 and summary.skipped and not summary.rejected:
                console.print("nothing new: every sample was imported before")
            for rejected in summary.rejected:
                console.print(f"  [red]rejected[/] {rejected.external_id}: {rejected.reason}")
        if summary.rejected:
            raise typer.Exit(EXIT_SOME_REJECTED)

    @data.command("list")
    def list_command(
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """List imported datasets with their sample and session counts."""
        from rich.table import Table

        from db.engine import session_scope
        from db.queries.datasets import list_datasets
        from flows.cli.database import open_database

        engine = open_database(get_settings())
        with session_scope(engine) as session:
            datasets = list_datasets(session=session)
        if as_json:
            emit_json([dataclasses.asdict(item) for item in datasets])
            return
        if not datasets:
            console.print("no datasets yet: `handsoff data import PATH --name NAME`")
            return
        table = Table("name", "format", "samples", "sessions", "multi-turn", "source")
        for item in datasets:
            table.add_row(
                item.name,
                item.source_format,
                str(item.samples),
                str(item.sessions),
                str(item.multi_turn_sessions),
                item.source_path or "",
            )
        console.print(table)
