"""Edit methods behind one interface (`base`), named in one registry (`registry`)."""

from handsoff_core.methods.base import EditMethod, EditRequest, EditResult, MethodConfig
from handsoff_core.methods.registry import (
    METHOD_NAMES,
    build_method,
    config_from_params,
    default_config,
)

__all__ = [
    "METHOD_NAMES",
    "EditMethod",
    "EditRequest",
    "EditResult",
    "MethodConfig",
    "build_method",
    "config_from_params",
    "default_config",
]
