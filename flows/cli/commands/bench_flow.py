"""`handsoff bench flow`: Prefect's overhead on `evaluate`, and stage-cache hit rates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import console, emit_json, get_settings

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups


def register(groups: CommandGroups) -> None:
    @groups.bench.command("flow")
    def bench_flow_command(
        n: Annotated[int, typer.Option("--n", min=1, help="Samples.")] = 50,
        profile: Annotated[str, typer.Option("--profile")] = "tiny",
        size: Annotated[int, typer.Option("--size", min=32, help="Synthetic image size.")] = 128,
        resolution: Annotated[
            int | None, typer.Option("--resolution", help="Working size (default: demo's).")
        ] = None,
        steps: Annotated[
            int | None, typer.Option("--steps", min=1, help="Steps (default: demo's).")
        ] = None,
        shared_sweep: Annotated[
            bool, typer.Option("--shared-sweep", help="Also time the sweep via edit_sweep.")
        ] = False,
        repeats: Annotated[
            int, typer.Option("--repeats", min=1, help="Runs per path, in ABBA order.")
        ] = 2,
        device: Annotated[str, typer.Option("--device")] = "cpu",
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Time `evaluate` through Prefect against a plain loop; cache hits of a sweep."""
        from flows.orchestration.server import quiet_prefect_console

        quiet_prefect_console(verbose=False)
        from rich.table import Table

        from flows.bench.flow_overhead import SWEEP_WEIGHTS, run_flow_benchmark

        settings = get_settings()
        assert settings.models_dir is not None
        from flows.runs.request import TINY_FAST_PARAMS

        # The demo's fast settings of the tiny profile, unless told otherwise.
        params = dict(TINY_FAST_PARAMS["handsoff"])
        if resolution is not None:
            params["resolution"] = resolution
        if steps is not None:
            params["num_inversion_steps"] = params["num_edit_steps"] = steps
        result = run_flow_benchmark(
            n=n,
            profile=profile,
            models_dir=settings.models_dir,
            params=params,
            size=size,
            device=device,
            compare_shared_sweep=shared_sweep,
            repeats=repeats,
            say=(lambda _text: None)
            if as_json
            else (lambda text: console.print(f"[dim]{text}[/]")),
        )
        if as_json:
            emit_json(result.as_dict())
            return
        table = Table(
            title=f"evaluate, {n} samples, profile {profile} ({result.edits} edits), "
            f"{repeats} run(s) per path"
        )
        table.add_column("path")
        table.add_column("wall s", justify="right")
        table.add_column("CPU s (this process)", justify="right")
        table.add_row(
            "plain loop (same core functions)", f"{result.plain_s:.1f}", f"{result.plain_cpu_s:.1f}"
        )
        table.add_row(
            "Prefect evaluate flow", f"{result.prefect_s:.1f}", f"{result.prefect_cpu_s:.1f}"
        )
        cpu_ratio = result.prefect_cpu_s / result.plain_cpu_s if result.plain_cpu_s else 0.0
        table.add_row(
            "ratio Prefect / plain (goal <= 1.15)", f"{result.ratio:.3f}", f"{cpu_ratio:.3f}"
        )
        table.add_row(
            "Prefect server start-up (once per process)", f"{result.server_start_s:.1f}", ""
        )
        console.print(table)
        sweep = Table(
            title=f"{len(SWEEP_WEIGHTS)}-weight sweep {SWEEP_WEIGHTS}, one config per weight: "
            f"{result.sweep_s:.1f} s"
        )
        for column in ("cache", "hits", "misses", "hit rate"):
            sweep.add_column(column, justify="left" if column == "cache" else "right")
        for kind, stats in sorted(result.sweep_cache.items()):
            sweep.add_row(
                kind, f"{stats['hits']:.0f}", f"{stats['misses']:.0f}", f"{stats['rate']:.2%}"
            )
        console.print(sweep)
        if result.shared_sweep_s is not None:
            console.print(f"the same sweep through edit_sweep: {result.shared_sweep_s:.1f} s")
