"""Model profiles as data: which model fills each role of a run.

Built-in profiles live in `profiles.toml` next to this file (`paper`, `tiny`, `sd14-arch`);
users add their own in a TOML file of the same layout:

    [profiles.my-paper]
    extends = "paper"                    # optional: start from another profile
    llm = "/models/Mistral-7B-Instruct"  # hub id, folder (relative to the file), tiny:/arch:
    random_weights = false
    [profiles.my-paper.revisions]        # optional: pin hub revisions per role
    diffusion = "<commit sha>"

Model references: a hub id ("owner/name"), a local folder, "tiny:<name>" (a toy model built
offline under `models_dir`, cached; see `handsoff_core.models.tiny.build`) or "arch:<name>"
(a full-size architecture with random weights built in memory; see `loading.py`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from handsoff_core.errors import ConfigError

ROLES: tuple[str, ...] = (
    "diffusion",
    "captioner",
    "llm",
    "instruct_pix2pix",
    "magicbrush",
    "clip_metric",
    "dino",
    "sentence_embedder",
)
REWRITER_FALLBACKS = ("fail", "instruction-append")
_OPTIONAL_KEYS = ("description", "random_weights", "rewriter_fallback", "extends", "revisions")


@dataclass(frozen=True)
class ModelProfile:
    """Every model a run uses, by role (hub id or local folder once resolved)."""

    name: str
    diffusion: str
    captioner: str
    llm: str
    instruct_pix2pix: str
    magicbrush: str
    clip_metric: str
    dino: str
    sentence_embedder: str
    random_weights: bool
    description: str = ""
    # "fail" (an unparseable LLM answer fails the item) or "instruction-append" (tiny only).
    rewriter_fallback: str = "fail"
    # role -> hub revision (commit, tag or branch); roles without one use the default branch.
    revisions: Mapping[str, str] = field(default_factory=dict, hash=False, compare=True)

    def model(self, role: str) -> str:
        if role not in ROLES:
            raise ConfigError(f"profile {self.name!r}: unknown model role {role!r}")
        return str(getattr(self, role))

    def revision(self, role: str) -> str | None:
        return self.revisions.get(role)

    def roles(self) -> dict[str, str]:
        return {role: self.model(role) for role in ROLES}

    @property
    def output_note(self) -> str | None:
        """The note every output made with this profile must carry, if any."""
        if self.random_weights:
            return f"{self.name} profile: random weights, output is noise"
        return None


def _read_toml(text: str, *, source: str) -> dict[str, dict[str, Any]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"profiles file {source}: invalid TOML ({exc})") from exc
    unknown_top = sorted(set(data) - {"profiles"})
    if unknown_top:
        raise ConfigError(
            f"profiles file {source}: unknown top-level key(s) {unknown_top}; "
            "profiles go in [profiles.NAME] tables"
        )
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict) or not all(isinstance(v, dict) for v in profiles.values()):
        raise ConfigError(f"profiles file {source}: [profiles.NAME] must be tables")
    return profiles


def builtin_profile_tables() -> dict[str, dict[str, Any]]:
    text = resources.files("handsoff_core.models").joinpath("profiles.toml").read_text("utf-8")
    return _read_toml(text, source="handsoff_core/models/profiles.toml")


def _resolve_relative(reference: str, base_dir: Path | None) -> str:
    """Folders written relative ("./x", "../x") in a user file are relative to that file."""
    if base_dir is not None and reference.startswith(("./", "../")):
        return str((base_dir / reference).resolve())
    if reference.startswith("~"):
        return str(Path(reference).expanduser())
    return reference


def _check_table(name: str, table: Mapping[str, Any], *, source: str) -> None:
    unknown = sorted(set(table) - set(ROLES) - set(_OPTIONAL_KEYS))
    if unknown:
        raise ConfigError(
            f"profile {name!r} in {source}: unknown key(s) {unknown}; "
            f"roles are {', '.join(ROLES)}; other keys {', '.join(_OPTIONAL_KEYS)}"
        )
    for role in ROLES:
        if role in table and (not isinstance(table[role], str) or not table[role].strip()):
            raise ConfigError(f"profile {name!r} in {source}: {role} must be a non-empty string")
    if "random_weights" in table and not isinstance(table["random_weights"], bool):
        raise ConfigError(f"profile {name!r} in {source}: random_weights must be true or false")
    fallback = table.get("rewriter_fallback", "fail")
    if fallback not in REWRITER_FALLBACKS:
        raise ConfigError(
            f"profile {name!r} in {source}: rewriter_fallback {fallback!r} is not one of "
            f"{REWRITER_FALLBACKS}"
        )
    revisions = table.get("revisions", {})
    if not isinstance(revisions, dict) or not set(revisions) <= set(ROLES):
        raise ConfigError(
            f"profile {name!r} in {source}: [revisions] must map roles to revision strings"
        )


def _flatten(
    name: str, tables: Mapping[str, Mapping[str, Any]], seen: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Merge a profile over the chain of profiles it `extends`."""
    if name in seen:
        raise ConfigError(f"profile {name!r}: `extends` cycle {' -> '.join((*seen, name))}")
    if name not in tables:
        raise ConfigError(f"unknown profile {name!r}; known profiles: {', '.join(sorted(tables))}")
    table = dict(tables[name])
    parent = table.pop("extends", None)
    if parent is None:
        return table
    merged = _flatten(str(parent), tables, (*seen, name))
    merged.pop("description", None)
    revisions = {**merged.get("revisions", {}), **table.pop("revisions", {})}
    merged.update(table)
    merged["revisions"] = revisions
    return merged


def load_profile_tables(profiles_file: Path | None = None) -> dict[str, dict[str, Any]]:
    """Built-in and user profile tables, checked; relative folders made absolute."""
    tables = builtin_profile_tables()
    for name, table in tables.items():
        _check_table(name, table, source="built-in profiles")
    if profiles_file is None:
        return tables
    profiles_file = Path(profiles_file)
    try:
        text = profiles_file.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"profiles file {profiles_file}: cannot read ({exc})") from exc
    user_tables = _read_toml(text, source=str(profiles_file))
    for name, table in user_tables.items():
        if name in tables:
            raise ConfigError(
                f"profiles file {profiles_file}: profile {name!r} is built in; choose another "
                f'name (use extends = "{name}" to start from it)'
            )
        _check_table(name, table, source=str(profiles_file))
        resolved = dict(table)
        for role in ROLES:
            if role in resolved:
                resolved[role] = _resolve_relative(resolved[role], profiles_file.parent)
        tables[name] = resolved
    return tables


def profile_names(profiles_file: Path | None = None) -> list[str]:
    return sorted(load_profile_tables(profiles_file))


def parse_profile(name: str, *, profiles_file: Path | None = None) -> ModelProfile:
    """The profile as written: references such as "tiny:blip" are left unresolved."""
    tables = load_profile_tables(profiles_file)
    table = _flatten(name, tables)
    missing = [role for role in ROLES if role not in table]
    if missing:
        raise ConfigError(f"profile {name!r}: no model given for role(s) {', '.join(missing)}")
    known = {f.name for f in fields(ModelProfile)}
    values = {key: value for key, value in table.items() if key in known}
    values.setdefault("random_weights", False)
    return ModelProfile(name=name, **values)


def get_profile(
    name: str,
    *,
    profiles_file: Path | None = None,
    models_dir: Path,
    build: bool = True,
) -> ModelProfile:
    """The named profile with "tiny:" references resolved to folders under `models_dir`.

    With `build` (the default) missing tiny models are built first (seconds, once; cached
    on disk and rebuilt when a builder changes). "arch:" references stay as they are: the
    loader builds them in memory.
    """
    from handsoff_core.models.tiny.build import resolve_tiny_references

    profile = parse_profile(name, profiles_file=profiles_file)
    roles = resolve_tiny_references(profile.roles(), models_dir=Path(models_dir), build=build)
    return ModelProfile(
        name=profile.name,
        random_weights=profile.random_weights,
        description=profile.description,
        rewriter_fallback=profile.rewriter_fallback,
        revisions=dict(profile.revisions),
        **roles,
    )
