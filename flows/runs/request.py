"""Creating an evaluation run: every input checked before anything is written.

A run is a record: the dataset, the fully resolved method configs (the oracles `identity`
and `ground-truth` always among them, so every table has its floor and ceiling), profile,
seed, setting, selection and provenance. Bad input (unknown dataset, method, parameter or
profile; an empty dataset or selection) raises `RunRequestError` or `ConfigError` with a
clear message and leaves the database untouched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from db.engine import session_scope
from db.models import Setting
from db.queries.datasets import (
    DatasetNotFound,
    get_dataset,
    present_external_ids,
    sample_count,
)
from db.queries.runs import create_run as insert_run
from db.queries.runs import get_or_create_method_config
from handsoff_core.errors import ConfigError, HandsoffError
from handsoff_core.methods.base import MethodConfig
from handsoff_core.methods.registry import (
    METHOD_NAMES,
    ORACLE_METHODS,
    WEIGHT_PARAM,
    default_config,
)

SETTINGS: tuple[str, ...] = tuple(setting.value for setting in Setting)

# Fast settings for the `tiny` profile on a small CPU (`handsoff demo`, `handsoff bench
# flow`): its models are random, so more steps or pixels would only cost time. A 128 px
# working size (outputs come back at the source's size), 10 steps, plain DDIM inversion (no
# noise regularisation); Hands-off keeps its cross-attention guidance, and its random LLM
# gets one short try before the tiny profile's documented fallback (the instruction
# appended to the before caption). About 1-2 s per Hands-off edit on an idle 2-core CPU.
TINY_FAST_PARAMS: dict[str, dict[str, Any]] = {
    "handsoff": {
        "resolution": 128,
        "num_inversion_steps": 10,
        "num_edit_steps": 10,
        "num_reg_steps": 0,
        "llm_max_new_tokens": 48,
        "llm_max_attempts": 1,
    },
    "instruct-pix2pix": {"num_inference_steps": 10, "resolution": 128},
}


class RunRequestError(HandsoffError):
    """A run that cannot be created as asked (names the offending input)."""


@dataclass(frozen=True)
class RunRequest:
    dataset: str
    methods: Sequence[str]
    profile: str = "paper"
    seed: int = 0
    setting: str = Setting.SINGLE_TURN.value
    limit: int | None = None
    sample_ids: Sequence[str] = ()
    weights: Sequence[float] = ()  # edit-weight sweep for methods that have a weight
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # per method
    include_oracles: bool = True

    def selection(self) -> dict[str, Any]:
        selection: dict[str, Any] = {}
        if self.limit is not None:
            selection["limit"] = self.limit
        if self.sample_ids:
            selection["sample_ids"] = list(self.sample_ids)
        return selection


def resolve_configs(request: RunRequest) -> list[MethodConfig]:
    """The request's method configs, fully resolved, weights expanded, oracles appended."""
    if not request.methods:
        raise RunRequestError("no method given; known methods: " + ", ".join(METHOD_NAMES))
    unknown = [name for name in request.methods if name not in METHOD_NAMES]
    if unknown:
        raise RunRequestError(
            f"unknown method(s) {', '.join(map(repr, unknown))}; known methods: "
            + ", ".join(METHOD_NAMES)
        )
    stray = sorted(set(request.params) - set(request.methods))
    if stray:
        raise RunRequestError(f"parameters given for method(s) not in the run: {stray}")
    configs: list[MethodConfig] = []
    swept = False
    for name in dict.fromkeys(request.methods):
        overrides = dict(request.params.get(name, {}))
        base = default_config(name, **overrides)
        if request.weights and WEIGHT_PARAM in base.params:
            swept = True
            configs.extend(
                default_config(name, **{**overrides, WEIGHT_PARAM: float(weight)})
                for weight in request.weights
            )
        else:
            configs.append(base)
    if request.weights and not swept:
        raise RunRequestError(
            f"--weights given but none of {list(request.methods)} has a {WEIGHT_PARAM!r} "
            "parameter (Hands-off and its ablations do)"
        )
    if request.include_oracles:
        configs.extend(
            default_config(name) for name in ORACLE_METHODS if name not in request.methods
        )
    unique: dict[str, MethodConfig] = {}
    for config in configs:
        unique.setdefault(config.config_hash(), config)
    return list(unique.values())


def check_profile(name: str, *, profiles_file: Path | None = None) -> None:
    """Raise `RunRequestError` for a profile name that is not defined (nothing is built)."""
    from handsoff_core.models.profiles import parse_profile

    try:
        parse_profile(name, profiles_file=profiles_file)
    except ConfigError as exc:
        raise RunRequestError(str(exc)) from exc


def _check_request(request: RunRequest) -> None:
    if request.setting not in SETTINGS:
        raise RunRequestError(f"unknown setting {request.setting!r}; use {' or '.join(SETTINGS)}")
    if request.limit is not None and request.limit < 1:
        raise RunRequestError(f"--limit must be at least 1, got {request.limit}")
    if request.seed < 0:
        raise RunRequestError(f"--seed must be non-negative, got {request.seed}")


def create_run(
    *,
    engine: Engine,
    request: RunRequest,
    provenance: Mapping[str, Any] | None = None,
    profiles_file: Path | None = None,
) -> int:
    """Check `request` and store the run; return its id. Nothing is written on bad input."""
    _check_request(request)
    configs = resolve_configs(request)
    check_profile(request.profile, profiles_file=profiles_file)
    with session_scope(engine) as session:
        try:
            dataset = get_dataset(session=session, name=request.dataset)
        except DatasetNotFound as exc:
            raise RunRequestError(str(exc)) from exc
        total = sample_count(session=session, dataset_id=dataset.id)
        if not total:
            raise RunRequestError(f"dataset {request.dataset!r} has no samples")
        if request.sample_ids:
            present = present_external_ids(
                session=session, dataset_id=dataset.id, external_ids=request.sample_ids
            )
            missing = [item for item in request.sample_ids if item not in present]
            if missing:
                shown = ", ".join(map(repr, missing[:5])) + (" …" if len(missing) > 5 else "")
                raise RunRequestError(
                    f"dataset {request.dataset!r} has no sample(s) with id {shown}"
                )
        config_ids = [
            get_or_create_method_config(
                session=session,
                method=config.method,
                params=config.params,
                config_hash=config.config_hash(),
            ).id
            for config in configs
        ]
        run = insert_run(
            session=session,
            dataset_id=dataset.id,
            profile=request.profile,
            seed=request.seed,
            setting=request.setting,
            selection=request.selection(),
            provenance=dict(provenance or {}),
            method_config_ids=config_ids,
        )
        run_id = run.id
    return run_id
