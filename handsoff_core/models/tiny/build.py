"""Build the tiny models a profile names ("tiny:<name>") into a cached, stamped folder.

The folder is `models_dir/tiny-<stamp>/<name>`, where the stamp hashes the builders' source
and the library versions: a changed builder (or a transformers/diffusers upgrade that may
change the saved format) gets a fresh folder instead of a stale model.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from handsoff_core.errors import ConfigError

logger = logging.getLogger(__name__)

TINY_PREFIX = "tiny:"
ARCH_PREFIX = "arch:"

# name -> (module, builder function, keyword arguments). Every builder takes the target
# folder, returns it, and does nothing when the model is already there.
TINY_BUILDERS: dict[str, tuple[str, str, dict[str, int]]] = {
    "sd": ("handsoff_core.models.tiny.sd", "build_tiny_sd", {}),
    "blip": ("handsoff_core.models.tiny.blip", "build_tiny_blip", {}),
    "llm": ("handsoff_core.models.tiny.llm", "build_tiny_llm", {}),
    "ip2p": ("handsoff_core.models.tiny.ip2p", "build_tiny_ip2p", {}),
    # MagicBrush is a fine-tune of InstructPix2Pix: same architecture, other weights.
    "magicbrush": ("handsoff_core.models.tiny.ip2p", "build_tiny_ip2p", {"seed": 1}),
    "clip": ("handsoff_core.models.tiny.metrics", "build_tiny_clip", {}),
    "dino": ("handsoff_core.models.tiny.metrics", "build_tiny_dino", {}),
    "sentence-embedder": (
        "handsoff_core.models.tiny.metrics",
        "build_tiny_sentence_embedder",
        {},
    ),
}
# Sources whose change must rebuild the models (the builders and what they share).
_STAMPED_MODULES = (
    "handsoff_core.models.tiny.common",
    "handsoff_core.models.tiny.sd",
    "handsoff_core.models.tiny.blip",
    "handsoff_core.models.tiny.llm",
    "handsoff_core.models.tiny.ip2p",
    "handsoff_core.models.tiny.metrics",
)


def tiny_stamp() -> str:
    """12 hex digits identifying the builders' code and the library versions."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    for module_name in _STAMPED_MODULES:
        spec = importlib.util.find_spec(module_name)
        origin = spec.origin if spec is not None else None
        digest.update(module_name.encode())
        digest.update(Path(origin).read_bytes() if origin else b"<missing>")
    for library in ("transformers", "diffusers", "torch"):
        digest.update(f"{library}=={version(library)}".encode())
    return digest.hexdigest()[:12]


def tiny_models_root(models_dir: Path) -> Path:
    return Path(models_dir) / f"tiny-{tiny_stamp()}"


def _builder(name: str) -> Callable[..., Path]:
    module_name, function_name, _ = TINY_BUILDERS[name]
    module = importlib.import_module(module_name)
    builder: Callable[..., Path] = getattr(module, function_name)
    return builder


def build_tiny_model(name: str, models_dir: Path) -> Path:
    """Build (if missing) the tiny model `name` and return its folder."""
    if name not in TINY_BUILDERS:
        raise ConfigError(f"unknown tiny model {name!r}; known: {', '.join(TINY_BUILDERS)}")
    path = tiny_models_root(models_dir) / name
    kwargs = TINY_BUILDERS[name][2]
    return _builder(name)(path, **kwargs)


def build_tiny_models(
    models_dir: Path, names: list[str] | None = None
) -> dict[str, Path | Exception]:
    """Build every tiny model (or `names`); a builder that fails is reported, not raised."""
    built: dict[str, Path | Exception] = {}
    for name in names if names is not None else list(TINY_BUILDERS):
        try:
            built[name] = build_tiny_model(name, models_dir)
        except (ImportError, AttributeError) as exc:
            # e.g. the metric models' builder module not written yet: loading those roles
            # then fails with ModelUnavailable naming the missing folder.
            logger.warning("tiny model %r cannot be built: %s", name, exc)
            built[name] = exc
    return built


def resolve_tiny_references(
    roles: Mapping[str, str], *, models_dir: Path, build: bool
) -> dict[str, str]:
    """Replace "tiny:<name>" references by their folders, building them when `build`."""
    wanted = sorted(
        {ref[len(TINY_PREFIX) :] for ref in roles.values() if ref.startswith(TINY_PREFIX)}
    )
    unknown = [name for name in wanted if name not in TINY_BUILDERS]
    if unknown:
        raise ConfigError(f"unknown tiny model(s) {unknown}; known: {', '.join(TINY_BUILDERS)}")
    if build and wanted:
        build_tiny_models(models_dir, wanted)
    root = tiny_models_root(models_dir) if wanted else None
    resolved: dict[str, str] = {}
    for role, reference in roles.items():
        if reference.startswith(TINY_PREFIX):
            assert root is not None
            resolved[role] = str(root / reference[len(TINY_PREFIX) :])
        else:
            resolved[role] = reference
    return resolved
