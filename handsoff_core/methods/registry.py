"""Method names -> classes, resolved lazily, and the one factory for configs and methods.

Contract of a method class named here (so the registry needs no knowledge of its internals):

    class SomeMethod:
        @classmethod
        def default_params(cls, method: str) -> dict[str, Any]: ...
            # every parameter with its default, JSON-able; `method` is the registry name
            # (one class may serve several names, e.g. the Hands-off ablations)
        def __init__(self, config: MethodConfig, models: LoadedModels, *, device: torch.device,
                     dtype: torch.dtype, cache: StageCache | None) -> None: ...

Classes are imported only when a config or method is asked for, so importing the registry
stays cheap (no torch, no diffusers).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from handsoff_core.errors import ConfigError
from handsoff_core.methods.base import EditMethod, MethodConfig

if TYPE_CHECKING:
    import torch

    from handsoff_core.cache import StageCache
    from handsoff_core.models.loading import LoadedModels

_HANDSOFF = "handsoff_core.methods.handsoff:HandsoffMethod"
_IP2P = "handsoff_core.methods.instruct_pix2pix:InstructPix2PixMethod"

# The oracles: the unedited source and the dataset's target shown as "edits" (the metrics'
# reference rows and the study's gold items).
IDENTITY = "identity"
GROUND_TRUTH = "ground-truth"
ORACLE_METHODS: tuple[str, ...] = (IDENTITY, GROUND_TRUTH)
# The edit-direction weight (docs/method.md s1): the parameter an edit-weight sweep varies.
WEIGHT_PARAM = "weight"

METHOD_CLASSES: dict[str, str] = {
    "handsoff": _HANDSOFF,
    "instruction-only": _HANDSOFF,
    "after-caption-only": _HANDSOFF,
    "gold-captions": _HANDSOFF,
    "instruct-pix2pix": _IP2P,
    "magicbrush": _IP2P,
    IDENTITY: "handsoff_core.methods.oracles:IdentityOracle",
    GROUND_TRUTH: "handsoff_core.methods.oracles:GroundTruthOracle",
}
METHOD_NAMES: tuple[str, ...] = tuple(METHOD_CLASSES)


def method_class(method: str) -> Any:
    """Import and return the class that implements `method`."""
    if method not in METHOD_CLASSES:
        known = ", ".join(METHOD_NAMES)
        raise ConfigError(f"unknown method {method!r}; known methods: {known}")
    module_name, _, class_name = METHOD_CLASSES[method].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise  # a missing dependency inside the module is a real error: keep its trace
        raise ConfigError(f"method {method!r}: its module {module_name} is not installed") from exc
    if not hasattr(module, class_name):
        raise ConfigError(f"method {method!r}: {module_name} defines no {class_name}")
    return getattr(module, class_name)


def _coerce(method: str, name: str, default: Any, value: Any) -> Any:
    """Check an override against its default's type; ints become floats where floats are due.

    Coercion keeps `weight=1` and `weight=1.0` one configuration (one hash).
    """
    where = f"method {method!r}, parameter {name!r}"
    if default is None or value is None:
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true/false, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    if isinstance(default, list | tuple):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return list(value)
    return value


def config_from_params(method: str, params: Mapping[str, Any]) -> MethodConfig:
    """A fully resolved config: defaults of `method` with `params` applied and checked."""
    defaults = dict(method_class(method).default_params(method))
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        known = ", ".join(sorted(defaults))
        raise ConfigError(
            f"method {method!r}: unknown parameter(s) {', '.join(map(repr, unknown))}; "
            f"known parameters: {known}"
        )
    resolved = dict(defaults)
    for name, value in params.items():
        resolved[name] = _coerce(method, name, defaults[name], value)
    config = MethodConfig(method=method, params=resolved)
    config.canonical_json()  # refuses non-JSON-able values now, not at storage time
    return config


def default_config(method: str, **overrides: Any) -> MethodConfig:
    """The default config of `method`, with `overrides`; unknown method/parameter -> ConfigError."""
    return config_from_params(method, overrides)


def build_method(
    config: MethodConfig,
    models: LoadedModels,
    *,
    device: torch.device | str,
    dtype: torch.dtype,
    cache: StageCache | None = None,
) -> EditMethod:
    """Instantiate the method of `config` on loaded models (models load lazily on first use)."""
    import torch

    resolved = config_from_params(config.method, config.params)
    if resolved.config_hash() != config.config_hash():
        # A config stored before a new parameter was added resolves differently: refuse, since
        # its hash would no longer describe what runs.
        raise ConfigError(
            f"method {config.method!r}: config is not fully resolved "
            f"(missing parameters: {sorted(set(resolved.params) - set(config.params))})"
        )
    cls = method_class(config.method)
    method: EditMethod = cls(config, models, device=torch.device(device), dtype=dtype, cache=cache)
    return method
