"""`handsoff bench edit --profile tiny|sd14-arch`: seconds per stage and edits/s of Hands-off,
against diffusers' pix2pix-zero on the same inputs, and what a 4-weight sweep saves
(flows/bench/edit_speed.py measures; this command loads the method and prints).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.commands.edit import load_method, parse_overrides
from flows.cli.common import console, emit_json, fail

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups


def register(groups: CommandGroups) -> None:
    @groups.bench.command("edit")
    def bench_edit(
        profile: Annotated[str, typer.Option("--profile", help="tiny or sd14-arch")] = "tiny",
        count: Annotated[int, typer.Option("--n", min=1, help="Images to edit.")] = 2,
        batch: Annotated[int, typer.Option("--batch", min=1, help="Images per batch.")] = 2,
        size: Annotated[
            int | None, typer.Option("--size", help="px; default 128 (tiny), 512 otherwise.")
        ] = None,
        steps: Annotated[
            int | None,
            typer.Option("--steps", help="Inversion and edit steps; default 20 (tiny), 100."),
        ] = None,
        overrides: Annotated[
            list[str] | None, typer.Option("--set", help="Method parameter name=value.")
        ] = None,
        reference: Annotated[
            bool, typer.Option("--reference/--no-reference", help="Time diffusers' pipeline.")
        ] = True,
        sweep: Annotated[bool, typer.Option("--sweep/--no-sweep", help="Time a sweep.")] = True,
        threads: Annotated[
            int | None, typer.Option("--threads", help="torch CPU threads (default: torch's).")
        ] = None,
        device: Annotated[str | None, typer.Option("--device", help="auto, cpu, cuda")] = None,
        dtype: Annotated[str | None, typer.Option("--dtype", help="auto, fp32, fp16, bf16")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Per-stage seconds and edits/s of Hands-off, against diffusers' pix2pix-zero."""
        import torch

        from flows.bench.edit_speed import measure_edit_speed
        from flows.bench.errors import BenchRefused

        if threads:
            torch.set_num_threads(threads)
        tiny = profile == "tiny"
        size = size or (128 if tiny else 512)
        steps = steps or (20 if tiny else 100)
        params = {"resolution": size, "num_inversion_steps": steps, "num_edit_steps": steps}
        params.update(parse_overrides(overrides or []))
        method, config, models = load_method("handsoff", params, profile, device, dtype)
        try:
            measured = measure_edit_speed(
                method=method,
                config=config,
                models=models,
                params=params,
                profile=profile,
                count=count,
                batch=batch,
                size=size,
                steps=steps,
                reference=reference,
                sweep=sweep,
            )
        except BenchRefused as error:
            fail(str(error))
        report = measured.as_dict()
        if as_json:
            emit_json(report)
            return
        console.print(
            f"[bold]Hands-off[/] on {report['device']} ({report['dtype']}), profile {profile}, "
            f"{count} images of {size} px, {steps}+{steps} steps, batch {batch}"
        )
        for stage, seconds in report["seconds_per_stage"].items():
            console.print(f"  {stage:>12}: {seconds:.3f} s per edit")
        console.print(
            f"  {'total':>12}: {report['seconds_per_edit']:.3f} s per edit, "
            f"{report['edits_per_second']:.3f} edits/s"
        )
        if "reference" in report:
            ref = report["reference"]
            console.print(
                f"  diffusers pix2pix-zero: {ref['seconds_per_edit']:.3f} s per edit; "
                f"ratio to our diffusion stages {ref['ratio_to_our_diffusion_stages']:.2f}x; "
                f"image difference max {ref['image_max_abs_difference']:.4f}, "
                f"mean {ref['image_mean_abs_difference']:.6f}"
            )
        if "sweep" in report:
            sw = report["sweep"]
            console.print(
                f"  4-weight sweep {sw['sweep_seconds']:.2f} s vs 4 edits "
                f"{sw['separate_seconds']:.2f} s: saving {100 * sw['saving']:.0f}%"
            )
