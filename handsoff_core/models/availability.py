"""What a profile needs and what is here: one status per role, without loading any weights."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from handsoff_core.models.profiles import ROLES, ModelProfile
from handsoff_core.models.sources import classify, hub_snapshot, is_model_folder


@dataclass(frozen=True)
class RoleStatus:
    role: str
    reference: str  # as resolved (tiny references are folders by now)
    kind: str  # hub, local, arch, tiny-unbuilt
    present: bool
    detail: str  # where it is, or why it is missing

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def role_status(profile: ModelProfile, role: str) -> RoleStatus:
    reference = profile.model(role)
    kind = classify(reference).kind
    if kind == "arch":
        return RoleStatus(role, reference, kind, True, "built in memory (random weights)")
    if kind == "tiny-unbuilt":
        return RoleStatus(role, reference, kind, False, "tiny reference not resolved")
    if kind == "local":
        path = Path(reference).expanduser()
        if is_model_folder(path):
            return RoleStatus(role, reference, kind, True, "model folder present")
        reason = "no such folder" if not path.exists() else "no config.json/model_index.json"
        return RoleStatus(role, reference, kind, False, f"{path}: {reason}")
    snapshot = hub_snapshot(reference, profile.revision(role))
    if snapshot is not None:
        return RoleStatus(role, reference, kind, True, f"cached snapshot {snapshot}")
    revision = profile.revision(role)
    at = f" at revision {revision}" if revision else ""
    return RoleStatus(
        role, reference, kind, False, f"not in the Hugging Face cache{at} (download it first)"
    )


def check_profile(profile: ModelProfile) -> list[RoleStatus]:
    return [role_status(profile, role) for role in ROLES]
