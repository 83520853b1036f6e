"""Evaluation runs and the method configurations they evaluate."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Dataset, Edit, MethodConfig, Run, RunMethodConfig, RunStatus, Sample
from db.models.enums import Setting
from db.upsert import insert_ignore


class RunNotFound(LookupError):
    pass


@dataclass(frozen=True)
class RunSummary:
    id: int
    dataset: str
    status: str
    profile: str
    seed: int
    setting: str
    methods: list[str]
    counts: dict[str, Any]  # as written when the run last finished
    edits_created: int  # edit rows this run wrote (others may come from earlier runs)
    created_at: datetime
    finished_at: datetime | None
    flow_run_id: str | None  # the Prefect flow run of its pipeline (see flow_run_id_of)


# A run in one of these has not finished: it may be submitted again, cancelled, resumed.
UNFINISHED = (RunStatus.PENDING, RunStatus.RUNNING)


def flow_run_id_of(run: Run) -> str | None:
    """The Prefect flow run of the run's pipeline, from its provenance: recorded when it was
    submitted and when the pipeline started (`flow_run_id` alone, in runs recorded before
    the pipeline wrote its own, is the `evaluate` flow's)."""
    prefect = (run.provenance or {}).get("prefect") or {}
    if not isinstance(prefect, Mapping):
        return None
    value = prefect.get("pipeline_flow_run_id") or prefect.get("flow_run_id")
    return str(value) if value else None


def get_or_create_method_config(
    *, session: Session, method: str, params: Mapping[str, Any], config_hash: str
) -> MethodConfig:
    """The stored config with this hash, inserted if absent (safe under concurrent writers)."""
    session.execute(
        insert_ignore(session, MethodConfig).values(
            method=method, params=dict(params), config_hash=config_hash, created_at=utcnow()
        )
    )
    config = session.scalar(select(MethodConfig).where(MethodConfig.config_hash == config_hash))
    assert config is not None
    return config


def create_run(
    *,
    session: Session,
    dataset_id: int,
    profile: str,
    seed: int,
    setting: str,
    selection: Mapping[str, Any],
    provenance: Mapping[str, Any],
    method_config_ids: Sequence[int],
) -> Run:
    run = Run(
        dataset_id=dataset_id,
        status=RunStatus.PENDING.value,
        profile=profile,
        seed=seed,
        setting=setting,
        selection=dict(selection),
        provenance=dict(provenance),
        counts={},
    )
    session.add(run)
    session.flush()
    for config_id in dict.fromkeys(method_config_ids):  # ordered, without repeats
        session.add(RunMethodConfig(run_id=run.id, method_config_id=config_id))
    session.flush()
    return run


def get_run(*, session: Session, run_id: int) -> Run:
    run = session.get(Run, run_id)
    if run is None:
        latest = session.scalar(select(func.max(Run.id)))
        hint = f" (latest run is {latest})" if latest is not None else " (there are no runs yet)"
        raise RunNotFound(f"no run with id {run_id}{hint}")
    return run


def run_method_configs(*, session: Session, run_id: int) -> list[MethodConfig]:
    """The run's configs, in the order they were added (oracles last)."""
    return list(
        session.scalars(
            select(MethodConfig)
            .join(RunMethodConfig, RunMethodConfig.method_config_id == MethodConfig.id)
            .where(RunMethodConfig.run_id == run_id)
            .order_by(MethodConfig.id)
        )
    )


def run_samples(*, session: Session, run: Run) -> list[Sample]:
    """The samples a run covers, ordered by (session, turn): its selection applied."""
    query = (
        select(Sample)
        .where(Sample.dataset_id == run.dataset_id)
        .order_by(Sample.session_id, Sample.turn_index, Sample.id)
    )
    sample_ids = run.selection.get("sample_ids")
    if sample_ids:
        query = query.where(Sample.external_id.in_(list(sample_ids)))
    samples = list(session.scalars(query))
    limit = run.selection.get("limit")
    if limit is None:
        return samples
    if run.setting == Setting.MULTI_TURN:
        # A multi-turn limit counts whole sessions: a later turn needs its earlier ones.
        sessions = list(dict.fromkeys(sample.session_id for sample in samples))[: int(limit)]
        keep = set(sessions)
        return [sample for sample in samples if sample.session_id in keep]
    return samples[: int(limit)]


def set_run_status(
    *,
    session: Session,
    run_id: int,
    status: RunStatus,
    counts: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> None:
    values: dict[str, Any] = {"status": status.value, "error": error}
    if status is RunStatus.RUNNING:
        values["started_at"] = utcnow()
        values["finished_at"] = None
    elif status in (
        RunStatus.COMPLETED,
        RunStatus.PARTIAL,
        RunStatus.FAILED,
        RunStatus.CANCELLED,
    ):
        values["finished_at"] = utcnow()
    if counts is not None:
        values["counts"] = dict(counts)
    query = update(Run).where(Run.id == run_id)
    if status not in (RunStatus.RUNNING, RunStatus.CANCELLED):
        # A cancelled run stays cancelled until it is resumed (marked running again): the
        # status its flow run writes while being stopped is not how the run ended.
        query = query.where(Run.status != RunStatus.CANCELLED.value)
    session.execute(query.values(**values))


def cancel_unfinished_run(*, session: Session, run_id: int, reason: str) -> bool:
    """Mark the run cancelled if it has not finished (one conditional UPDATE, so a run that
    completed meanwhile keeps its status); True when it was marked."""
    updated = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status.in_([status.value for status in UNFINISHED]))
        .values(status=RunStatus.CANCELLED.value, error=reason, finished_at=utcnow())
    )
    return bool(updated.rowcount)  # type: ignore[attr-defined]


def delete_unstarted_run(*, session: Session, run_id: int) -> None:
    """Remove a run that never started and wrote nothing (its submission failed)."""
    if session.scalar(select(func.count()).where(Edit.run_id == run_id)):
        raise ValueError(f"run {run_id} has edits: it is kept")
    session.execute(delete(RunMethodConfig).where(RunMethodConfig.run_id == run_id))
    session.execute(delete(Run).where(Run.id == run_id, Run.status == RunStatus.PENDING.value))


def runs_like(
    *,
    session: Session,
    dataset: str,
    config_hashes: Sequence[str],
    profile: str,
    seed: int,
    setting: str,
    selection: Mapping[str, Any],
    statuses: Sequence[RunStatus] = UNFINISHED,
) -> list[Run]:
    """Runs, newest first, in one of `statuses` that ask for exactly this: same dataset,
    the same set of method configs, profile, seed, setting and sample selection."""
    wanted = set(config_hashes)
    candidates = session.scalars(
        select(Run)
        .join(Dataset, Dataset.id == Run.dataset_id)
        .where(
            Dataset.name == dataset,
            Run.profile == profile,
            Run.seed == seed,
            Run.setting == setting,
            Run.status.in_([status.value for status in statuses]),
        )
        .order_by(Run.id.desc())
    ).all()
    matching = []
    for run in candidates:
        hashes = session.scalars(
            select(MethodConfig.config_hash)
            .join(RunMethodConfig, RunMethodConfig.method_config_id == MethodConfig.id)
            .where(RunMethodConfig.run_id == run.id)
        ).all()
        if set(hashes) == wanted and dict(run.selection or {}) == dict(selection):
            matching.append(run)
    return matching


def merge_run_provenance(*, session: Session, run_id: int, patch: Mapping[str, Any]) -> None:
    """Merge `patch` into the run's provenance, so shards can each add their own entry
    under "shards". On PostgreSQL a read-modify-write under a row lock (nested dicts merged
    one level deep); on SQLite, which has no row locks, one atomic UPDATE with json_patch
    (RFC 7396 merge), so concurrent shards never overwrite each other."""
    if session.get_bind().dialect.name == "sqlite":
        updated = session.execute(
            update(Run)
            .where(Run.id == run_id)
            .values(
                provenance=func.json_patch(
                    func.coalesce(Run.provenance, "{}"), json.dumps(dict(patch), default=str)
                )
            )
        )
        if updated.rowcount == 0:  # type: ignore[attr-defined]
            raise RunNotFound(f"no run with id {run_id}")
        session.expire_all()
        return
    run = session.scalar(select(Run).where(Run.id == run_id).with_for_update())
    if run is None:
        raise RunNotFound(f"no run with id {run_id}")
    provenance = dict(run.provenance or {})
    for key, value in patch.items():
        if isinstance(value, Mapping) and isinstance(provenance.get(key), Mapping):
            provenance[key] = {**provenance[key], **value}
        else:
            provenance[key] = value
    run.provenance = provenance


def list_runs(*, session: Session, limit: int = 50) -> list[RunSummary]:
    runs = session.execute(
        select(Run, Dataset.name)
        .join(Dataset, Dataset.id == Run.dataset_id)
        .order_by(Run.id.desc())
        .limit(limit)
    ).all()
    if not runs:
        return []
    run_ids = [run.id for run, _ in runs]
    created = dict(
        session.execute(
            select(Edit.run_id, func.count()).where(Edit.run_id.in_(run_ids)).group_by(Edit.run_id)
        ).all()
    )
    methods: dict[int, list[str]] = {run_id: [] for run_id in run_ids}
    for run_id, method in session.execute(
        select(RunMethodConfig.run_id, MethodConfig.method)
        .join(MethodConfig, MethodConfig.id == RunMethodConfig.method_config_id)
        .where(RunMethodConfig.run_id.in_(run_ids))
        .order_by(RunMethodConfig.run_id, MethodConfig.id)
    ):
        methods[run_id].append(method)
    return [
        RunSummary(
            id=run.id,
            dataset=dataset_name,
            status=run.status,
            profile=run.profile,
            seed=run.seed,
            setting=run.setting,
            methods=methods[run.id],
            counts=dict(run.counts or {}),
            edits_created=int(created.get(run.id, 0)),
            created_at=run.created_at,
            finished_at=run.finished_at,
            flow_run_id=flow_run_id_of(run),
        )
        for run, dataset_name in runs
    ]
