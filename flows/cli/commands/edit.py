"""`handsoff edit IMAGE "INSTRUCTION" --method handsoff --profile tiny --out OUT.png`.

Edits one image with any registered method and writes the result; `--json` prints the
captions, the raw LLM text, per-stage timings, notes and the configuration (canonical JSON
and hash) on stdout. `--set name=value` overrides any method parameter (values are JSON, or
plain strings), e.g. `--set num_edit_steps=20 --set attention=reference`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.cli.common import console, emit_json, fail, get_settings, literal, parse_assignment

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """["weight=1.25", "attention=reference"] -> {"weight": 1.25, "attention": "reference"}."""
    return dict(parse_assignment(pair, option="--set", expected="name=value") for pair in pairs)


def load_method(
    method: str,
    overrides: dict[str, Any],
    profile: str | None,
    device: str | None,
    dtype: str | None,
) -> tuple[Any, Any, Any]:
    """(method, config, LoadedModels) for the CLI; configuration errors end the command."""
    from handsoff_core.cache import MemoryStageCache
    from handsoff_core.device import resolve_device, resolve_dtype
    from handsoff_core.errors import ConfigError
    from handsoff_core.methods.registry import build_method, default_config
    from handsoff_core.models.loading import LoadedModels
    from handsoff_core.models.profiles import get_profile

    settings = get_settings()
    assert settings.models_dir is not None
    try:
        config = default_config(method, **overrides)
        resolved = get_profile(
            profile or settings.profile,
            profiles_file=settings.profiles_file,
            models_dir=settings.models_dir,
        )
        torch_device = resolve_device(device or settings.device)
        torch_dtype = resolve_dtype(dtype, torch_device)
    except ConfigError as error:
        fail(str(error))
    models = LoadedModels(resolved, device=torch_device, dtype=torch_dtype)
    try:
        instance = build_method(
            config, models, device=torch_device, dtype=torch_dtype, cache=MemoryStageCache()
        )
    except ConfigError as error:
        fail(str(error))
    return instance, config, models


def register(groups: CommandGroups) -> None:
    @groups.root.command("edit")
    def edit(
        image: Annotated[Path, typer.Argument(help="Image to edit (any format PIL reads).")],
        instruction: Annotated[str, typer.Argument(help='E.g. "put a hat on the cat".')],
        out: Annotated[Path, typer.Option("--out", help="Where to write the edited PNG.")],
        method: Annotated[str, typer.Option("--method", help="Registry name.")] = "handsoff",
        profile: Annotated[
            str | None, typer.Option("--profile", help="Model profile; default from settings.")
        ] = None,
        weight: Annotated[
            float | None, typer.Option("--weight", help="Edit weight w (Hands-off variants).")
        ] = None,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the item.")] = 0,
        gold_input: Annotated[
            str | None, typer.Option("--gold-input", help="Gold input caption.")
        ] = None,
        gold_output: Annotated[
            str | None, typer.Option("--gold-output", help="Gold output caption.")
        ] = None,
        overrides: Annotated[
            list[str] | None, typer.Option("--set", help="Method parameter name=value.")
        ] = None,
        device: Annotated[str | None, typer.Option("--device", help="auto, cpu, cuda")] = None,
        dtype: Annotated[str | None, typer.Option("--dtype", help="auto, fp32, fp16, bf16")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Edit one image with a method (Hands-off by default) and write the result."""
        from handsoff_core.errors import HandsoffError, ImageRejected
        from handsoff_core.images import decode_image, encode_png
        from handsoff_core.methods.base import EditRequest

        settings = get_settings()
        try:
            decoded = decode_image(
                image.read_bytes(), what=f"image {image}", max_pixels=settings.max_image_pixels
            )
        except OSError as error:
            fail(f"image {image}: cannot read ({error})")
        except ImageRejected as error:
            fail(str(error))
        from handsoff_core.methods.registry import WEIGHT_PARAM

        params = parse_overrides(overrides or [])
        if weight is not None:
            params[WEIGHT_PARAM] = weight
        started = time.perf_counter()
        instance, config, models = load_method(method, params, profile, device, dtype)
        request = EditRequest(
            item_id=image.name,
            source_image=decoded.image,
            instruction=instruction,
            seed=seed,
            gold_input_caption=gold_input,
            gold_output_caption=gold_output,
        )
        try:
            result = instance.edit(request)
        except HandsoffError as error:
            fail(str(error))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(encode_png(result.image))
        payload = {
            "item_id": result.item_id,
            "out": str(out),
            "method": config.method,
            "profile": models.profile.name,
            "config": json.loads(config.canonical_json()),
            "config_hash": result.config_hash,
            "seed": result.seed,
            "before_captions": result.before_captions,
            "after_captions": result.after_captions,
            "llm_raw_text": result.llm_raw_text,
            "timings": {stage: round(seconds, 4) for stage, seconds in result.timings.items()},
            "total_seconds": round(time.perf_counter() - started, 3),
            "notes": [*(f"input: {note}" for note in decoded.notes), *result.notes],
            "device": str(models.device),
            "dtype": str(models.dtype).removeprefix("torch."),
        }
        if as_json:
            emit_json(payload)
            return
        console.print(
            f"[bold]{literal(config.method)}[/] ({result.config_hash[:12]}) -> {literal(out)}"
        )
        if result.before_captions:
            console.print(f"  before: {literal(result.before_captions)}")
            console.print(f"  after:  {literal(result.after_captions)}")
        stages = ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items())
        console.print(f"  timings: {literal(stages)}")
        for note in payload["notes"]:
            console.print(f"  note: {literal(note)}")
