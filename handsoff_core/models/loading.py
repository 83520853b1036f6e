"""Load the models of a profile, lazily, through the real `from_pretrained` code path.

`LoadedModels(profile, device, dtype)` loads nothing up front; each accessor loads its role
on first call and keeps it. Hub ids and local folders go through `from_pretrained` (the
Hugging Face cache; HF_HUB_OFFLINE respected); "arch:" references are full-size
architectures with random weights built in memory. A model that cannot be had raises
ModelUnavailable naming the role, the model and the profile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from handsoff_core.errors import ModelUnavailable
from handsoff_core.models.profiles import ModelProfile
from handsoff_core.models.sources import classify, is_model_folder, resolved_revision

if TYPE_CHECKING:
    import torch

    from handsoff_core.captioner import Captioner
    from handsoff_core.rewriter import HFChatLLM, RewriteOptions, Rewriter

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class SDComponents:
    """Stable Diffusion's parts, on the device and in the dtype of the `LoadedModels`."""

    vae: Any  # AutoencoderKL
    unet: Any  # UNet2DConditionModel
    text_encoder: Any  # CLIPTextModel
    tokenizer: Any  # CLIPTokenizer
    scheduler: Any  # DDIMScheduler (SD 1.4 ships PNDM; inversion and editing use DDIM)
    model_id: str = ""
    revision: str | None = None


class LoadedModels:
    """Lazy access to every model of a profile on one device and dtype."""

    def __init__(self, profile: ModelProfile, *, device: torch.device, dtype: torch.dtype) -> None:
        self.profile = profile
        self.device = device
        self.dtype = dtype
        self._loaded: dict[str, Any] = {}

    # -- public accessors -------------------------------------------------------------
    def diffusion(self) -> SDComponents:
        return self._once("diffusion", self._load_diffusion)

    def captioner(self) -> Captioner:
        return self._once("captioner", self._load_captioner)

    def llm(self) -> HFChatLLM:
        return self._once("llm", self._load_llm)

    def instruct_pix2pix(self) -> Any:
        """diffusers' StableDiffusionInstructPix2PixPipeline for InstructPix2Pix."""
        return self._once("instruct_pix2pix", lambda: self._load_ip2p("instruct_pix2pix"))

    def magicbrush(self) -> Any:
        """The same pipeline class with the MagicBrush fine-tuned weights."""
        return self._once("magicbrush", lambda: self._load_ip2p("magicbrush"))

    def rewriter(self, options: RewriteOptions | None = None) -> Rewriter:
        """A rewriter on this profile's LLM; the profile's fallback unless `options` name one."""
        from dataclasses import replace

        from handsoff_core.rewriter import RewriteOptions, Rewriter

        options = options or RewriteOptions()
        if options.fallback is None:
            options = replace(options, fallback=self.profile.rewriter_fallback)
        return Rewriter(self.llm(), options)

    def revision(self, role: str) -> str | None:
        """What identifies the weights of `role` in cache keys."""
        return resolved_revision(self.profile.model(role), self.profile.revision(role))

    @property
    def output_notes(self) -> list[str]:
        note = self.profile.output_note
        return [note] if note else []

    # -- loading ----------------------------------------------------------------------
    def _once(self, role: str, load: Callable[[], T]) -> T:
        if role not in self._loaded:
            self._loaded[role] = load()
        value: T = self._loaded[role]
        return value

    def _unavailable(self, role: str, reason: str) -> ModelUnavailable:
        reference = self.profile.model(role)
        return ModelUnavailable(
            f"{role} model {reference!r} of profile {self.profile.name!r} is unavailable: {reason}"
        )

    def _source(self, role: str) -> tuple[str, str | None]:
        """(reference to pass to from_pretrained, revision), checked before loading."""
        reference = self.profile.model(role)
        source = classify(reference)
        if source.kind == "tiny-unbuilt":
            raise self._unavailable(role, "tiny reference not resolved (use get_profile)")
        if source.kind == "local":
            path = Path(reference).expanduser()
            if not path.exists():
                raise self._unavailable(role, f"local folder {path} does not exist")
            if not is_model_folder(path):
                raise self._unavailable(role, f"{path} holds no config.json/model_index.json")
            return str(path), None
        return reference, self.profile.revision(role)

    def _from_pretrained(self, role: str, load: Callable[[str, str], T]) -> T:
        reference, revision = self._source(role)
        try:
            return load(reference, revision or "main")
        except ModelUnavailable:
            raise
        except Exception as exc:  # OSError (not cached / offline), ValueError, hub errors
            raise self._unavailable(role, f"{type(exc).__name__}: {exc}") from exc

    def _load_diffusion(self) -> SDComponents:
        reference = self.profile.model("diffusion")
        if classify(reference).kind == "arch":
            return self._arch_diffusion(reference)

        def load(ref: str, revision: str) -> SDComponents:
            from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
            from transformers import CLIPTextModel, CLIPTokenizer

            vae = AutoencoderKL.from_pretrained(
                ref, subfolder="vae", dtype=self.dtype, revision=revision
            )
            unet = UNet2DConditionModel.from_pretrained(
                ref, subfolder="unet", dtype=self.dtype, revision=revision
            )
            text_encoder = CLIPTextModel.from_pretrained(
                ref, subfolder="text_encoder", dtype=self.dtype, revision=revision
            )
            tokenizer = CLIPTokenizer.from_pretrained(ref, subfolder="tokenizer", revision=revision)
            scheduler = DDIMScheduler.from_pretrained(ref, subfolder="scheduler", revision=revision)
            return SDComponents(
                vae=_frozen(vae, self.device),
                unet=_frozen(unet, self.device),
                text_encoder=_frozen(text_encoder, self.device),
                tokenizer=tokenizer,
                scheduler=scheduler,
                model_id=reference,
                revision=self.revision("diffusion"),
            )

        return self._from_pretrained("diffusion", load)

    def _arch_diffusion(self, reference: str) -> SDComponents:
        if reference != "arch:sd14":
            raise self._unavailable("diffusion", "unknown architecture (known: arch:sd14)")
        from handsoff_core.models.tiny.sd import sd14_arch_components

        parts = sd14_arch_components(self.device, self.dtype)
        for module in (parts["vae"], parts["unet"], parts["text_encoder"]):
            module.requires_grad_(False)
        return SDComponents(**parts, model_id=reference, revision="random-weights")

    def _load_captioner(self) -> Captioner:
        from handsoff_core.captioner import Captioner

        def load(ref: str, revision: str) -> Captioner:
            from transformers import BlipForConditionalGeneration, BlipProcessor

            model = BlipForConditionalGeneration.from_pretrained(
                ref, dtype=self.dtype, revision=revision
            )
            processor = BlipProcessor.from_pretrained(ref, revision=revision)
            return Captioner(
                _frozen(model, self.device),
                processor,
                model_id=self.profile.captioner,
                revision=self.revision("captioner"),
                device=self.device,
                dtype=self.dtype,
            )

        return self._from_pretrained("captioner", load)

    def _load_llm(self) -> HFChatLLM:
        from handsoff_core.rewriter import HFChatLLM

        def load(ref: str, revision: str) -> HFChatLLM:
            from transformers import AutoModelForCausalLM, AutoTokenizer

            model = AutoModelForCausalLM.from_pretrained(ref, dtype=self.dtype, revision=revision)
            tokenizer = AutoTokenizer.from_pretrained(ref, revision=revision)
            if getattr(tokenizer, "chat_template", None) is None:
                raise self._unavailable("llm", "its tokenizer has no chat template")
            return HFChatLLM(
                _frozen(model, self.device),
                tokenizer,
                model_id=self.profile.llm,
                revision=self.revision("llm"),
                device=self.device,
            )

        return self._from_pretrained("llm", load)

    def _load_ip2p(self, role: str) -> Any:
        reference = self.profile.model(role)
        if classify(reference).kind == "arch":
            if reference != "arch:sd14-ip2p":
                raise self._unavailable(role, "unknown architecture (known: arch:sd14-ip2p)")
            from handsoff_core.models.tiny.ip2p import ip2p_arch_pipeline

            pipeline = ip2p_arch_pipeline(self.device, self.dtype)
        else:

            def load(ref: str, revision: str) -> Any:
                from diffusers import StableDiffusionInstructPix2PixPipeline

                # No safety checker: it blanks outputs it flags, which would corrupt the
                # evaluation; the benchmark's images are curated (MagicBrush).
                return StableDiffusionInstructPix2PixPipeline.from_pretrained(
                    ref,
                    dtype=self.dtype,
                    revision=revision,
                    safety_checker=None,
                    requires_safety_checker=False,
                )

            pipeline = self._from_pretrained(role, load).to(self.device)
        pipeline.set_progress_bar_config(disable=True)
        return pipeline


def _frozen(module: Any, device: Any) -> Any:
    """On `device`, in eval mode, without parameter gradients (gradients still flow to inputs)."""
    return module.to(device).eval().requires_grad_(False)


def load_models(
    profile: ModelProfile, *, device: str | torch.device = "auto", dtype: Any = None
) -> LoadedModels:
    """`LoadedModels` with the device ("auto" -> cuda/mps/cpu) and dtype resolved."""
    from handsoff_core.device import resolve_device, resolve_dtype

    resolved_device = resolve_device(device)
    return LoadedModels(
        profile, device=resolved_device, dtype=resolve_dtype(dtype, resolved_device)
    )
