"""The models behind the model-based metrics: CLIP (CLIP-I, CLIP-T), DINO, a sentence embedder.

Each is loaded on first use with `from_pretrained` (a hub id, honouring HF_HUB_OFFLINE, or a
local folder such as a tiny model), moved to one device and dtype, and kept. A model that
cannot be loaded raises `ModelUnavailable` naming the role, the model and the profile.

Every loaded model carries an `identity` string that goes into the versions of the metric
values it produces (see `versions.py`): the hub id (with its revision when pinned or known)
or, for a local folder, the folder name and a digest of its config and weights, so a rebuilt
or swapped model can never be mistaken for the old one.

Default dtype is float32 on every device. MagicBrush's reference ran CLIP with the OpenAI
`clip` package, which keeps CLIP in float16 on CUDA (and float32 on the CPU), and DINO in
float32; a non-float32 dtype is recorded in the metric version.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch

from handsoff_core.errors import ModelUnavailable

logger = logging.getLogger(__name__)

# Files whose bytes define a local model folder's identity (weights, config, tokenizer).
_IDENTITY_SUFFIXES = (".json", ".safetensors", ".bin", ".txt", ".model")


class MetricProfile(Protocol):
    """The part of `handsoff_core.models.profiles.ModelProfile` the metrics need."""

    @property
    def name(self) -> str: ...
    @property
    def clip_metric(self) -> str: ...
    @property
    def dino(self) -> str: ...
    @property
    def sentence_embedder(self) -> str: ...
    def revision(self, role: str) -> str | None: ...


@dataclass(frozen=True)
class LoadedModel:
    """A model (and tokenizer, for text models) ready on the metric device."""

    model: Any
    tokenizer: Any  # None for image-only models (DINO)
    identity: str


def local_folder_identity(folder: Path) -> str:
    """ "<folder name>@<12 hex of SHA-256 over its files>": stable across machines and paths."""
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        if file.suffix not in _IDENTITY_SUFFIXES:
            continue
        digest.update(str(file.relative_to(folder)).encode())
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    # Tiny models live in "<models_dir>/tiny-<stamp>/<name>": name them as profiles do.
    name = f"tiny:{folder.name}" if folder.parent.name.startswith("tiny-") else folder.name
    return f"{name}@{digest.hexdigest()[:12]}"


def model_identity(model_id: str, revision: str | None, config: Any) -> str:
    folder = Path(model_id).expanduser()
    if folder.is_dir():
        return local_folder_identity(folder)
    commit = revision or getattr(config, "_commit_hash", None)
    return f"{model_id}@{str(commit)[:12]}" if commit else model_id


class MetricModels:
    """Lazily loaded CLIP, DINO and sentence-embedding models on one device and dtype."""

    def __init__(
        self,
        *,
        clip_id: str | None = None,
        dino_id: str | None = None,
        sentence_embedder_id: str | None = None,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
        revisions: dict[str, str] | None = None,
        profile_name: str | None = None,
    ) -> None:
        self.ids = {
            "clip_metric": clip_id,
            "dino": dino_id,
            "sentence_embedder": sentence_embedder_id,
        }
        self.device = torch.device(device)
        self.dtype = dtype
        self.revisions = dict(revisions or {})
        self.profile_name = profile_name
        self._loaded: dict[str, LoadedModel] = {}

    @classmethod
    def from_profile(
        cls,
        profile: MetricProfile,
        *,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
    ) -> MetricModels:
        roles = ("clip_metric", "dino", "sentence_embedder")
        revisions = {role: rev for role in roles if (rev := profile.revision(role))}
        return cls(
            clip_id=profile.clip_metric,
            dino_id=profile.dino,
            sentence_embedder_id=profile.sentence_embedder,
            device=device,
            dtype=dtype,
            revisions=revisions,
            profile_name=profile.name,
        )

    @classmethod
    def from_loaded(
        cls,
        loaded: dict[str, LoadedModel],
        *,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
    ) -> MetricModels:
        """Models built in memory (e.g. full-size architectures for benchmarks), by role:
        "clip_metric", "dino", "sentence_embedder". They are moved to `device` and `dtype`."""
        unknown = sorted(set(loaded) - set(_LOADERS))
        if unknown:
            raise ValueError(f"unknown metric model role(s) {unknown}; known: {sorted(_LOADERS)}")
        models = cls(device=device, dtype=dtype)
        for role, model in loaded.items():
            moved = model.model.to(device=models.device, dtype=dtype).eval()
            models.ids[role] = model.identity
            models._loaded[role] = LoadedModel(moved, model.tokenizer, model.identity)
        return models

    # -- accessors --------------------------------------------------------------------------

    def clip(self) -> LoadedModel:
        """CLIPModel + CLIP tokenizer (metric model, e.g. openai/clip-vit-base-patch32)."""
        return self._get("clip_metric")

    def dino(self) -> LoadedModel:
        """DINO ViT (e.g. facebook/dino-vits16), without ViT's pooler: the CLS token is used."""
        return self._get("dino")

    def sentence_embedder(self) -> LoadedModel:
        """Sentence-embedding encoder + tokenizer (e.g. sentence-transformers/all-MiniLM-L6-v2)."""
        return self._get("sentence_embedder")

    def is_loaded(self, role: str) -> bool:
        return role in self._loaded

    # -- loading ----------------------------------------------------------------------------

    def _get(self, role: str) -> LoadedModel:
        if role not in self._loaded:
            self._loaded[role] = self._load(role)
        return self._loaded[role]

    def _describe(self, role: str) -> str:
        profile = f" of profile {self.profile_name!r}" if self.profile_name else ""
        return f"metric model {role}{profile} ({self.ids[role]!r})"

    def _load(self, role: str) -> LoadedModel:
        model_id = self.ids[role]
        if not model_id:
            raise ModelUnavailable(f"{self._describe(role)}: no model id given for this role")
        revision = self.revisions.get(role)
        kwargs: dict[str, Any] = {"revision": revision} if revision else {}
        try:
            model, tokenizer = _LOADERS[role](model_id, kwargs)
        except (OSError, ValueError, KeyError) as exc:
            # from_pretrained raises OSError for a missing folder / offline hub miss, ValueError
            # or KeyError for a folder holding something else.
            raise ModelUnavailable(
                f"{self._describe(role)} cannot be loaded: {type(exc).__name__}: {exc}"
            ) from exc
        model = model.to(device=self.device, dtype=self.dtype).eval()
        identity = model_identity(model_id, revision, model.config)
        logger.info(
            "loaded %s as %s on %s/%s", self._describe(role), identity, self.device, self.dtype
        )
        return LoadedModel(model=model, tokenizer=tokenizer, identity=identity)


def _load_clip(model_id: str, kwargs: dict[str, Any]) -> tuple[Any, Any]:
    from transformers import AutoTokenizer, CLIPModel

    return CLIPModel.from_pretrained(model_id, **kwargs), AutoTokenizer.from_pretrained(
        model_id, **kwargs
    )


def _load_dino(model_id: str, kwargs: dict[str, Any]) -> tuple[Any, Any]:
    from transformers import AutoConfig, AutoModel, ViTModel

    config = AutoConfig.from_pretrained(model_id, **kwargs)
    if config.model_type == "vit":
        # DINO's hub checkpoints hold no pooler; building one would add random weights.
        return ViTModel.from_pretrained(model_id, add_pooling_layer=False, **kwargs), None
    return AutoModel.from_pretrained(model_id, **kwargs), None


def _load_sentence_embedder(model_id: str, kwargs: dict[str, Any]) -> tuple[Any, Any]:
    from transformers import AutoModel, AutoTokenizer

    return AutoModel.from_pretrained(model_id, **kwargs), AutoTokenizer.from_pretrained(
        model_id, **kwargs
    )


_LOADERS = {
    "clip_metric": _load_clip,
    "dino": _load_dino,
    "sentence_embedder": _load_sentence_embedder,
}
