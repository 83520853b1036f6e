"""`handsoff deploy`: work pools and deployments on a Prefect server, and how to add workers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import console, emit_json, fail, literal

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups


def register(groups: CommandGroups) -> None:
    @groups.root.command("deploy")
    def deploy_command(
        gpu_pool: Annotated[str, typer.Option("--gpu-pool", help="Pool of GPU workers.")] = "gpu",
        control_pool: Annotated[
            str, typer.Option("--control-pool", help="Pool for parent flows and imports.")
        ] = "control",
        source: Annotated[
            Path | None,
            typer.Option("--source", help="Code folder on the workers (default: this checkout)."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Create the `gpu` and `control` process pools and deploy the flows to them."""
        from flows import REPO_ROOT
        from flows.orchestration.deploy import deploy_flows
        from flows.orchestration.server import configured_api_url

        api_url = configured_api_url()
        if api_url is None:
            fail(
                "no Prefect server configured: start one (`prefect server start --host 0.0.0.0`) "
                "and `prefect config set PREFECT_API_URL=http://HOST:4200/api` (or export it)"
            )
        folder = (source or REPO_ROOT).resolve()
        if not (folder / "flows" / "orchestration" / "evaluate.py").exists():
            fail(f"{folder} is not a Hands-off checkout (no flows/orchestration/evaluate.py)")
        deployments = deploy_flows(source=folder, gpu_pool=gpu_pool, control_pool=control_pool)
        if as_json:
            emit_json({"api_url": api_url, "deployments": deployments})
            return
        console.print(f"deployed on {api_url}:")
        for name in deployments:
            console.print(f"  {literal(name)}")
        console.print(
            "on each GPU machine (same code at the same path, HANDSOFF_DATABASE_URL set), one "
            "worker per GPU:\n"
            f"  CUDA_VISIBLE_DEVICES=0 prefect worker start --pool {gpu_pool} --limit 1\n"
            f"on any machine, for runs started from the Prefect UI:\n"
            f"  prefect worker start --pool {control_pool}\n"
            "then: handsoff run --dataset NAME --methods handsoff,instruct-pix2pix "
            "--shards 8 --dispatch deployment"
        )
