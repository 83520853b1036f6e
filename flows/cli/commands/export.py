"""`handsoff export images`: a run's edited images as files other tools read."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import console, emit_json, fail, get_settings, literal, row_id

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups


def register(groups: CommandGroups) -> None:
    export = typer.Typer(help="Exports of a run for other tools.", no_args_is_help=True)
    groups.root.add_typer(export, name="export")

    @export.command("images")
    def export_images_command(
        out: Annotated[Path, typer.Argument(help="A new or empty folder to write into.")],
        run: Annotated[int, typer.Option("--run", parser=row_id, help="Run id (required).")],
        layout: Annotated[
            str,
            typer.Option(
                "--layout",
                help="magicbrush (folders MagicBrush's evaluation/image_eval.py reads, per "
                "config) or folder (one image per sample and config).",
            ),
        ] = "magicbrush",
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Write every edit's image with an index.csv (sample, config, sha256, path,
        captions, metrics)."""
        from db.queries.runs import RunNotFound
        from flows.cli.database import open_database
        from flows.exporting import ExportError, export_images

        engine = open_database(get_settings())
        try:
            result = export_images(
                engine=engine,
                run_id=run,
                layout=layout,
                out=out,
                on_config=(lambda _label: None)
                if as_json
                else (lambda label: console.print(f"writing {literal(label)}…")),
            )
        except (ExportError, RunNotFound) as exc:
            fail(str(exc))
        if as_json:
            emit_json(result.as_dict())
            return
        console.print(f"{result.files} files for {result.edits} edits under {literal(str(out))}")
        console.print(f"index: {literal(str(out / 'index.csv'))}")
        for label, sessions in result.left_out.items():
            if sessions:
                console.print(
                    f"{literal(label)}: {sessions} session(s) left out of the MagicBrush "
                    "folders (a failed or missing turn, or no gold target); see index.csv"
                )
