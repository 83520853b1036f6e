"""Methods for a run's configs, built once per worker on the profile's models.

Models load lazily (`LoadedModels`): a worker that only runs the oracles loads nothing; one
that runs Hands-off and InstructPix2Pix shares the loaded models between every config of
those methods (a weight sweep loads Stable Diffusion once).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from handsoff_core.cache import StageCache
from handsoff_core.methods.base import EditMethod, MethodConfig

if TYPE_CHECKING:
    from handsoff_core.models.loading import LoadedModels


class MethodProvider(Protocol):
    def method_for(self, config: MethodConfig) -> EditMethod: ...

    @property
    def output_notes(self) -> list[str]: ...


class ProfileMethods:
    """`MethodProvider` on a named profile: models resolved (tiny ones built) on first use."""

    def __init__(
        self,
        *,
        profile: str,
        models_dir: Path,
        profiles_file: Path | None = None,
        device: str = "auto",
        dtype: str | None = None,
        cache: StageCache | None = None,
    ) -> None:
        self.profile_name = profile
        self._models_dir = Path(models_dir)
        self._profiles_file = profiles_file
        self._device = device
        self._dtype = dtype
        self.cache = cache  # read by the shard report (hit rates)
        self._models: LoadedModels | None = None
        self._methods: dict[str, EditMethod] = {}

    @property
    def models(self) -> LoadedModels:
        if self._models is None:
            from handsoff_core.models.loading import load_models
            from handsoff_core.models.profiles import get_profile

            profile = get_profile(
                self.profile_name, profiles_file=self._profiles_file, models_dir=self._models_dir
            )
            self._models = load_models(profile, device=self._device, dtype=self._dtype)
        return self._models

    @property
    def output_notes(self) -> list[str]:
        from handsoff_core.models.profiles import parse_profile

        note = parse_profile(self.profile_name, profiles_file=self._profiles_file).output_note
        return [note] if note else []

    def method_for(self, config: MethodConfig) -> EditMethod:
        key = config.config_hash()
        if key not in self._methods:
            from handsoff_core.methods.registry import build_method

            models = self.models
            self._methods[key] = build_method(
                config, models, device=models.device, dtype=models.dtype, cache=self.cache
            )
        return self._methods[key]
