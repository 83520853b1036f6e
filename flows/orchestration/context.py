"""What a flow needs from its environment: settings, the engine, methods on a profile.

Flows are entry points: they read `Settings` (HANDSOFF_* environment of the machine they
run on) once and pass explicit values down. A database URL given as a flow parameter wins
over the environment; deployments leave it out, so each worker uses its own setting and
no password is ever stored in Prefect's flow-run parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from db.engine import get_engine
from db.settings import Settings, load_settings
from flows.evaluation.method_runtime import ProfileMethods
from flows.evaluation.stage_cache import DatabaseStageCache


@dataclass(frozen=True)
class FlowContext:
    settings: Settings
    engine: Engine

    @property
    def database_url(self) -> str:
        return self.settings.url


def flow_context(database_url: str | None = None) -> FlowContext:
    settings = load_settings() if database_url is None else load_settings(database_url=database_url)
    return FlowContext(settings=settings, engine=get_engine(settings.url))


def profile_methods(context: FlowContext, *, profile: str, device: str | None) -> ProfileMethods:
    """Methods on `profile`, with the database stage cache shared by every worker."""
    assert context.settings.models_dir is not None
    return ProfileMethods(
        profile=profile,
        models_dir=context.settings.models_dir,
        profiles_file=context.settings.profiles_file,
        device=device or context.settings.device,
        cache=DatabaseStageCache(context.engine),
    )


def prefect_ids() -> dict[str, Any]:
    """The current Prefect flow run (and deployment), if called inside one."""
    from prefect.runtime import deployment, flow_run

    ids: dict[str, Any] = {}
    if flow_run.id:
        ids["flow_run_id"] = str(flow_run.id)
        ids["flow_run_name"] = flow_run.name
    if deployment.id:
        ids["deployment_id"] = str(deployment.id)
    return ids
