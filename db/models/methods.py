"""Method configurations: a method name plus every parameter, identified by a hash of the
canonical JSON, so two runs with the same configuration share their edits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, JSONType, utcnow

# The one parameter a label shows: the edit weight, which sweeps vary, so the configs of a
# sweep read apart at a glance (handsoff_core.methods.registry.WEIGHT_PARAM; db imports nothing
# of ours, so tests/db/test_config_label.py keeps the two equal).
LABELLED_PARAMETER = "weight"


def config_label(method: str, params: Mapping[str, Any], config_hash: str) -> str:
    """A config's one label wherever it is shown (the CLI, the study and admin pages, the
    report): `method@hash8`, plus ` w=<weight>` when it has a numeric weight, e.g.
    `handsoff@1a2b3c4d w=0.75`. Its first word is what `--methods` accepts."""
    weight = params.get(LABELLED_PARAMETER)
    numeric = isinstance(weight, int | float) and not isinstance(weight, bool)
    shown = f" w={weight:g}" if numeric else ""
    return f"{method}@{config_hash[:8]}{shown}"


# A config-hash prefix shorter than this is too easy to mistype into a different config.
MIN_HASH_PREFIX = 6


def named_by(method: str, config_hash: str, *, name: str, prefix: str) -> bool:
    """Whether the config (`method`, `config_hash`) is what `name@prefix` names, the form a
    label's first word has (`--methods`, `--baseline`); an empty name matches any method."""
    return (not name or method == name) and config_hash.startswith(prefix)


class MethodConfig(Base):
    __tablename__ = "method_config"

    id: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(100))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType)
    config_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def label(self) -> str:
        return config_label(self.method, self.params, self.config_hash)
