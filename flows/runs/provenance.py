"""Where and with what a run ran: git sha, package versions, device, host, Prefect ids."""

from __future__ import annotations

import platform
import socket
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from flows import REPO_ROOT

PACKAGES = (
    "handsoff",
    "torch",
    "diffusers",
    "transformers",
    "prefect",
    "sqlalchemy",
    "numpy",
    "pillow",
)


def git_state(repo: Path = REPO_ROOT) -> dict[str, Any]:
    """{"sha": ..., "dirty": bool}; {"sha": None} outside a git checkout."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, timeout=10
        )
        if sha.returncode != 0:
            return {"sha": None}
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return {"sha": sha.stdout.strip(), "dirty": bool(status.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"sha": None}


def package_versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def device_description(device: str) -> dict[str, Any]:
    """The device a spec resolves to, with the GPU's name where there is one."""
    import torch

    from handsoff_core.device import resolve_device

    resolved = resolve_device(device)
    description: dict[str, Any] = {"requested": device, "resolved": str(resolved)}
    if resolved.type == "cuda":
        index = resolved.index if resolved.index is not None else torch.cuda.current_device()
        description["name"] = torch.cuda.get_device_name(index)
        description["cuda"] = torch.version.cuda
    else:
        description["name"] = platform.processor() or platform.machine()
    return description


def host_description() -> dict[str, Any]:
    return {
        "host": socket.gethostname(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def collect_provenance(
    *, device: str, orchestrator: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Everything a run records about where it ran; `orchestrator`: the ids of the Prefect
    flow run (and deployment) it ran in, which only the orchestration layer knows."""
    return {
        "git": git_state(),
        "packages": package_versions(),
        "device": device_description(device),
        **host_description(),
        "prefect": orchestrator or {},
    }
