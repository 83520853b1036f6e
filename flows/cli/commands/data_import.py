"""`handsoff data import` and `handsoff data list`."""

from __future__ import annotations

import dataclasses
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import console, emit_json, fail, get_settings
from handsoff_core.data.bounds import DEFAULT_MAX_FILE_BYTES

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups

# Exit status when the import finished but rejected some items: scripts can tell
# "all imported" (0) from "imported, with rejections" (3) from "could not import" (1).
EXIT_SOME_REJECTED = 3


def literal(text: object) -> str:
    """`text` as the terminal should show it: rich markup escaped, and control characters,
    lone surrogates and other invisible code points written as escapes (so "a[/]b" prints as
    itself and a name holding a newline or "\\x1b" cannot rewrite the screen)."""
    from rich.markup import escape

    shown = "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char) in ("Cc", "Cs", "Cf", "Co", "Cn") or char == "\\"
        else char
        for char in str(text)
    )
    return escape(shown)


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
        max_file_mb: Annotated[
            float,
            typer.Option(
                "--max-file-mb", help="Largest file read, in MiB (checked before reading)."
            ),
        ] = DEFAULT_MAX_FILE_BYTES / 2**20,
        allow_symlinks: Annotated[
            bool, typer.Option("--allow-symlinks", help="Follow symlinks inside the dataset.")
        ] = False,
        allow_outside_paths: Annotated[
            bool,
            typer.Option(
                "--allow-outside-paths",
                help="Let JSONL lines name absolute paths or files outside the JSONL's folder.",
            ),
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable summary.")] = False,
    ) -> None:
        """Import a dataset; bad items are rejected by id and reason, the rest imports."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        from flows.cli.database import open_database
        from flows.importing import check_dataset_name, import_dataset_path
        from handsoff_core.data import ReadLimits, count_records
        from handsoff_core.errors import HandsoffError

        if format not in ("auto", "magicbrush", "hub", "jsonl"):
            fail(f"unknown format {literal(repr(format))}: use auto, magicbrush, hub or jsonl")
        if not path.exists():
            fail(f"{literal(path)}: no such file or folder")
        if not 0 < max_file_mb <= 2**20:
            fail(f"--max-file-mb must be above 0 and at most {2**20}, got {max_file_mb}")
        limits = ReadLimits(
            max_file_bytes=int(max_file_mb * 2**20),
            allow_symlinks=allow_symlinks,
            allow_outside=allow_outside_paths,
        )
        try:
            check_dataset_name(name)
        except HandsoffError as exc:
            fail(f"{literal(repr(name))}: {literal(exc)}")
        settings = get_settings()
        try:
            total = count_records(
                path,
                format,  # type: ignore[arg-type]
                zip_password=zip_password,
                limits=limits,
            )
        except HandsoffError as exc:
            fail(f"{literal(path)}: {literal(exc)}")
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
                    limits=limits,
                    on_record=lambda: progress.advance(task),
                )
            except HandsoffError as exc:
                fail(f"{literal(path)}: {literal(exc)}")
        if as_json:
            emit_json(summary.as_dict())
        else:
            verb = "created" if summary.dataset_created else "updated"
            console.print(
                f"dataset [bold]{literal(name)}[/] {verb}: {summary.imported} imported, "
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
                console.print(
                    f"  [red]rejected[/] {literal(rejected.external_id)}: "
                    f"{literal(rejected.reason)}"
                )
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
                literal(item.name),
                literal(item.source_format),
                str(item.samples),
                str(item.sessions),
                str(item.multi_turn_sessions),
                literal(item.source_path or ""),
            )
        console.print(table)
