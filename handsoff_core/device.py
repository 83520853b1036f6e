"""Resolve a device spec ("auto", "cpu", "cuda", "cuda:N", "mps") and the dtype that goes with it.

Half precision on accelerators is what makes SD-sized models affordable; float32 on the CPU,
where half precision is slow and, for some kernels, missing.
"""

from __future__ import annotations

import torch

from handsoff_core.errors import ConfigError

_DTYPES: dict[str, torch.dtype] = {
    "fp32": torch.float32,
    "float32": torch.float32,
    "fp16": torch.float16,
    "float16": torch.float16,
    "bf16": torch.bfloat16,
    "bfloat16": torch.bfloat16,
}


def resolve_device(spec: str | torch.device = "auto") -> torch.device:
    """ "auto" -> cuda if available, else mps, else cpu; explicit specs are checked."""
    if isinstance(spec, torch.device):
        return spec
    spec = spec.strip().lower()
    if spec == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(spec)
    except RuntimeError as exc:
        raise ConfigError(f"unknown device {spec!r} (use auto, cpu, cuda, cuda:N or mps)") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {spec!r} requested but CUDA is not available")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"device {spec!r} requested but MPS is not available")
    return device


def resolve_dtype(spec: str | torch.dtype | None, device: torch.device) -> torch.dtype:
    """None/"auto" -> float16 on CUDA and MPS, float32 on CPU; "bf16" etc. on request."""
    if isinstance(spec, torch.dtype):
        return spec
    if spec is None or spec.strip().lower() == "auto":
        return torch.float16 if device.type in ("cuda", "mps") else torch.float32
    key = spec.strip().lower()
    if key not in _DTYPES:
        raise ConfigError(f"unknown dtype {spec!r} (use auto, fp32, fp16 or bf16)")
    return _DTYPES[key]
