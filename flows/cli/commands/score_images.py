"""`handsoff score-images EDIT.png --source SRC.png --target TGT.png ...`: one-off metric checks.

Every metric is reported; those the given files do not allow (no target, no mask, no
caption) are listed as not applicable with the reason, never as 0.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.cli.common import console, emit_json, fail, get_settings, literal

if TYPE_CHECKING:
    from PIL import Image

    from flows.cli.app import CommandGroups
    from handsoff_core.metrics import MetricModels

METRIC_ROLES = ("clip_metric", "dino", "sentence_embedder")


class CaptionKindOption(StrEnum):
    GLOBAL = "global"
    LOCAL = "local"


def _read_image(path: Path, *, what: str) -> tuple[Image.Image, list[str]]:
    from handsoff_core.errors import ImageRejected
    from handsoff_core.images import decode_image

    try:
        decoded = decode_image(path.read_bytes(), what=f"{what} {path}")
    except OSError as error:
        fail(f"{what} {path}: cannot read ({error})")
    except ImageRejected as error:
        fail(str(error))
    return decoded.image, [f"{what}: {note}" for note in decoded.notes]


def _read_mask(path: Path, *, size: tuple[int, int] | None) -> tuple[Image.Image, list[str]]:
    from handsoff_core.errors import ImageRejected, MaskRejected
    from handsoff_core.images import decode_mask

    try:
        decoded = decode_mask(path.read_bytes(), what=f"mask {path}", expected_size=size)
    except OSError as error:
        fail(f"mask {path}: cannot read ({error})")
    except (ImageRejected, MaskRejected) as error:
        fail(str(error))
    return decoded.image, [f"mask: {note}" for note in decoded.notes]


def load_metric_models(
    profile_name: str | None, device: str | None
) -> tuple[MetricModels, str | None, str]:
    """(models, the profile's output note, profile name); only the metric roles' tiny models
    are built, not the whole profile's (the diffusion and language models are not needed)."""
    from handsoff_core.device import resolve_device
    from handsoff_core.errors import ConfigError
    from handsoff_core.metrics import MetricModels
    from handsoff_core.models.profiles import get_profile, parse_profile
    from handsoff_core.models.tiny.build import TINY_PREFIX, build_tiny_model

    settings = get_settings()
    assert settings.models_dir is not None
    name = profile_name or settings.profile
    try:
        parsed = parse_profile(name, profiles_file=settings.profiles_file)
        for role in METRIC_ROLES:
            reference = parsed.model(role)
            if reference.startswith(TINY_PREFIX):
                build_tiny_model(reference[len(TINY_PREFIX) :], settings.models_dir)
        resolved = get_profile(
            name, profiles_file=settings.profiles_file, models_dir=settings.models_dir, build=False
        )
        models = MetricModels.from_profile(
            resolved, device=resolve_device(device or settings.device)
        )
    except ConfigError as error:
        fail(str(error))
    return models, resolved.output_note, resolved.name


def register(groups: CommandGroups) -> None:
    @groups.root.command("score-images")
    def score_images(
        edit: Annotated[Path, typer.Argument(help="The edited image.")],
        source: Annotated[
            Path | None, typer.Option("--source", help="Input image (preservation metrics).")
        ] = None,
        target: Annotated[
            Path | None,
            typer.Option("--target", help="Ground-truth output (L1, L2, CLIP-I, DINO)."),
        ] = None,
        mask: Annotated[
            Path | None,
            typer.Option("--mask", help="Edit mask, edited region white (or transparent)."),
        ] = None,
        caption: Annotated[
            str | None, typer.Option("--caption", help="Gold output caption (CLIP-T).")
        ] = None,
        caption_kind: Annotated[
            CaptionKindOption,
            typer.Option(
                "--caption-kind", help="Whether --caption is a global or local description."
            ),
        ] = CaptionKindOption.GLOBAL,
        generated_caption: Annotated[
            list[str] | None,
            typer.Option(
                "--generated-caption",
                help="The method's after-edit caption (repeatable): caption quality vs a "
                "global --caption.",
            ),
        ] = None,
        profile: Annotated[
            str | None, typer.Option("--profile", help="Model profile (default: settings).")
        ] = None,
        device: Annotated[str | None, typer.Option("--device", help="auto, cpu, cuda...")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Score one edit with every metric (MagicBrush's five, preservation, caption quality)."""
        from handsoff_core.errors import HandsoffError
        from handsoff_core.metrics import EditToScore, score_edit

        notes: list[str] = []
        edit_image, edit_notes = _read_image(edit, what="edit")
        source_image = target_image = mask_image = None
        if source is not None:
            source_image, more = _read_image(source, what="source")
            edit_notes += more
        if target is not None:
            target_image, more = _read_image(target, what="target")
            edit_notes += more
        if mask is not None:
            size = source_image.size if source_image is not None else None
            mask_image, more = _read_mask(mask, size=size)
            edit_notes += more
        notes += edit_notes
        models, profile_note, profile_name = load_metric_models(profile, device)
        if profile_note:
            notes.append(profile_note)
        is_local = caption_kind is CaptionKindOption.LOCAL
        item = EditToScore(
            item_id=str(edit),
            edit=edit_image,
            source=source_image,
            target=target_image,
            mask=mask_image,
            global_caption=None if is_local else caption,
            local_caption=caption if is_local else None,
            generated_captions=list(generated_caption or []),
        )
        try:
            values = score_edit(item, models)
        except HandsoffError as error:  # ItemError (the files) or ModelUnavailable
            fail(str(error))
        payload: dict[str, Any] = {
            "edit": str(edit),
            "profile": profile_name,
            "device": str(models.device),
            "notes": notes,
            "values": [
                {
                    "metric": value.metric,
                    "version": value.version,
                    "caption_kind": value.caption_kind,
                    "value": value.value,
                    "not_applicable": value.not_applicable,
                }
                for value in values
            ],
        }
        if as_json:
            emit_json(payload)
            return
        from rich.table import Table

        table = Table("metric", "caption", "value", "version / reason")
        for row in payload["values"]:
            shown = "n/a" if row["value"] is None else f"{row['value']:.4f}"
            table.add_row(
                literal(row["metric"]),
                literal(row["caption_kind"]),
                shown,
                literal(row["not_applicable"] or row["version"]),
            )
        console.print(table)
        for note in notes:
            console.print(f"[yellow]note:[/] {literal(note)}")
