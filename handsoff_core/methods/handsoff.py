"""The Hands-off method (Santos et al., COLING 2025) and its ablations, one class.

    caption (BLIP) -> rewrite (LLM) -> direction (CLIP text) -> invert (DDIM) -> edit

Variants (registry names), by where the edit condition comes from; E = per-token CLIP
embedding (1, 77, D), c_s = the source caption that conditions the inversion, the reference
pass and the negative prompt:
- handsoff: c_s from BLIP; before/after captions from the LLM;
      condition = E(c_s) + w * (mean E(after) - mean E(before))
- gold-captions: as handsoff with the dataset's gold input/output captions instead of BLIP and
      the LLM (the authors' public evaluation code runs this oracle); missing gold -> item error
- after-caption-only: the LLM's after captions alone, no difference:
      condition = E(c_s) + w * (mean E(after) - E(c_s))   (= mean E(after) at w = 1)
- instruction-only: no LLM; the instruction's own embedding as the direction:
      condition = E(c_s) + w * (E(instruction) - E(""))
  The paper names this ablation without its formula. We subtract the empty prompt's
  embedding because a direction must be a difference of embeddings: CLIP's start token (the
  same for every prompt, and by far the largest hidden state) and the padding positions then
  cancel, as they do in the full method, and only what the instruction says moves the edit.

`result.before_captions` is [c_s], followed by the before captions of the direction when
they are other than [c_s] (the LLM's); `after_captions` the after side ([] for
instruction-only).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handsoff_core.errors import ConfigError, InstructionRejected, ItemError, RecordRejected
from handsoff_core.methods.base import EditRequest, EditResult, MethodConfig, check_request
from handsoff_core.methods.registry import WEIGHT_PARAM

if TYPE_CHECKING:
    import torch

    from handsoff_core.cache import StageCache
    from handsoff_core.diffusion.editing import EditingSettings
    from handsoff_core.models.loading import LoadedModels, SDComponents

VARIANTS = ("handsoff", "instruction-only", "after-caption-only", "gold-captions")
_USES_CAPTIONER = ("handsoff", "instruction-only", "after-caption-only")
_USES_LLM = ("handsoff", "after-caption-only")
_ATTENTIONS = ("fused", "reference")


@dataclass
class Prepared:
    """One checked request with its texts, on its way through the stages."""

    request: EditRequest
    source_caption: str = ""  # c_s: conditions inversion, reference pass, negative prompt
    before_captions: list[str] = field(default_factory=list)  # direction's before side
    after_captions: list[str] = field(default_factory=list)  # direction's after side
    llm_raw_text: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    inverted_latents: Any = None  # (1, 4, h, w) on the CPU, once inverted


class HandsoffMethod:
    """Hands-off and its ablations on one request, a batch, or a weight sweep."""

    max_batch = 4  # samples per inversion/edit batch (throughput knob, not a parameter)

    @classmethod
    def default_params(cls, method: str) -> dict[str, Any]:
        if method not in VARIANTS:
            raise ConfigError(f"HandsoffMethod does not implement {method!r}")
        params: dict[str, Any] = {
            WEIGHT_PARAM: 1.0,  # paper: 0.75-1.0 best for most edits, 1.25 for binary changes
            "resolution": 512,  # working size (square, multiple of 8); outputs at source size
            "num_inversion_steps": 100,  # paper
            "num_edit_steps": 100,  # paper
            "guidance_scale": 5.0,  # authors' code
            "cross_attention_guidance": 0.15,  # authors' code (pix2pix-zero: 0.1); 0 = plain
            "lambda_auto_corr": 20.0,  # pix2pix-zero noise regularisation
            "lambda_kl": 20.0,
            "num_reg_steps": 5,  # diffusers' invert() default; 0 = plain DDIM inversion
            "num_auto_corr_rolls": 5,
            "attention": "fused",  # "reference": diffusers' explicit bmm in every layer
            "share_reference_copies": True,  # one reference copy when negative == condition
            "null_text": False,  # null-text inversion (future work of the paper)
            "null_text_inner_steps": 10,
            "null_text_guidance_scale": 0.0,  # 0 = the edit's guidance scale
        }
        if method in _USES_CAPTIONER:
            params["caption_prefix"] = ""  # "" = none; pix2pix-zero uses "a photography of"
            # BLIP captions run 10-20 tokens (transformers' old BLIP default cap was 20); 40
            # leaves room and fits the tiny BLIP's 64 positions (128 would overrun them).
            params["caption_max_new_tokens"] = 40
        if method in _USES_LLM:
            params.update(
                {
                    "template": "authors-v1",  # versioned prompt template
                    "n_captions": 1,  # captions per side, averaged
                    "llm_max_new_tokens": 256,
                    "llm_max_attempts": 3,
                    "llm_do_sample": False,  # greedy
                    "llm_temperature": 0.7,
                    "llm_top_p": 0.9,
                }
            )
        return params

    def __init__(
        self,
        config: MethodConfig,
        models: LoadedModels,
        *,
        device: torch.device,
        dtype: torch.dtype,
        cache: StageCache | None = None,
    ) -> None:
        self.config = config
        self.models = models
        self.device = device
        self.dtype = dtype
        self.cache = cache
        self.variant = config.method
        self.keep_inverted_latents = False  # set True to return them in EditResult
        params = config.params
        self.resolution = int(params["resolution"])
        if self.resolution < 8 or self.resolution % 8:
            raise ConfigError(f"method {self.variant!r}: resolution must be a multiple of 8")
        if params["attention"] not in _ATTENTIONS:
            raise ConfigError(f"method {self.variant!r}: attention must be one of {_ATTENTIONS}")
        if min(params["num_inversion_steps"], params["num_edit_steps"]) < 1:
            raise ConfigError(f"method {self.variant!r}: step counts must be >= 1")
        if params["null_text"] and params["num_inversion_steps"] != params["num_edit_steps"]:
            raise ConfigError(
                f"method {self.variant!r}: null-text inversion needs num_inversion_steps == "
                "num_edit_steps (one unconditional embedding per edit step)"
            )
        self._config_hash = config.config_hash()

    # -- public API ------------------------------------------------------------------------
    def edit(self, request: EditRequest) -> EditResult:
        result = self.edit_batch([request])[0]
        if isinstance(result, ItemError):
            raise result
        return result

    def edit_batch(self, requests: Sequence[EditRequest]) -> list[EditResult | ItemError]:
        """Edit several items; per-item problems come back in place as ItemError."""
        results: list[EditResult | ItemError | None] = [None] * len(requests)
        ready: list[tuple[int, Prepared]] = []
        for index, prepared in enumerate(self._prepare(requests)):
            if isinstance(prepared, ItemError):
                results[index] = prepared
            else:
                ready.append((index, prepared))
        weight = float(self.config.params[WEIGHT_PARAM])
        for start in range(0, len(ready), self.max_batch):
            chunk = ready[start : start + self.max_batch]
            edited = self._invert_and_edit([p for _, p in chunk], [weight])
            for (index, prepared), images in zip(chunk, edited, strict=True):
                results[index] = self._result(prepared, images[0], self.config)
        return [result for result in results if result is not None]

    def edit_sweep(self, request: EditRequest, weights: Sequence[float]) -> list[EditResult]:
        """One inversion and one reference pass, k edits: one result per weight, in order.

        Each result's config_hash is that of this config with `weight` set to that weight.
        """
        if not weights:
            raise ConfigError("edit_sweep needs at least one weight")
        prepared = self._prepare([request])[0]
        if isinstance(prepared, ItemError):
            raise prepared
        images = self._invert_and_edit([prepared], [float(w) for w in weights])[0]
        return [
            self._result(prepared, image, self.config.with_params(weight=float(weight)))
            for weight, image in zip(weights, images, strict=True)
        ]

    # -- steps -----------------------------------------------------------------------------
    def _check(self, request: EditRequest) -> None:
        check_request(request, needs_instruction=self.variant != "gold-captions")
        item = f"item {request.item_id!r}"
        if self.variant == "gold-captions":
            for field in ("gold_input_caption", "gold_output_caption"):
                value = getattr(request, field)
                if not isinstance(value, str) or not value.strip():
                    raise RecordRejected(
                        f"{item}: method 'gold-captions' needs a {field.replace('_', ' ')}, "
                        "and the item has none"
                    )
        if self.variant == "instruction-only":
            from handsoff_core.diffusion.direction import count_tokens

            tokenizer = self._sd().tokenizer
            tokens = count_tokens(tokenizer, request.instruction)
            limit = tokenizer.model_max_length
            if tokens > limit:
                raise InstructionRejected(
                    f"{item}: instruction of {tokens} tokens exceeds the text encoder's "
                    f"{limit} (it would be truncated)"
                )

    def _prepare(self, requests: Sequence[EditRequest]) -> list[Prepared | ItemError]:
        """Checks, captions (batched), rewrites: everything before the diffusion model."""
        prepared: list[Prepared | ItemError] = []
        for request in requests:
            try:
                self._check(request)
            except ItemError as error:
                prepared.append(error)
                continue
            prepared.append(Prepared(request=request))
        self._source_captions([p for p in prepared if isinstance(p, Prepared)])
        for index, item in enumerate(prepared):
            if isinstance(item, Prepared):
                try:
                    self._direction_captions(item)
                except ItemError as error:
                    prepared[index] = error
        return prepared

    def _source_captions(self, items: list[Prepared]) -> None:
        """c_s for every item: BLIP captions in one batched call, or the gold input caption."""
        if not items:
            return
        if self.variant == "gold-captions":
            for item in items:
                item.source_caption = str(item.request.gold_input_caption).strip()
            return
        from handsoff_core.captioner import CaptionOptions

        params = self.config.params
        options = CaptionOptions(
            prefix=params["caption_prefix"] or None,
            max_new_tokens=int(params["caption_max_new_tokens"]),
        )
        started = time.perf_counter()
        captions = self.models.captioner().caption(
            [item.request.source_image for item in items], options, cache=self.cache
        )
        seconds = (time.perf_counter() - started) / len(items)
        for item, caption in zip(items, captions, strict=True):
            item.source_caption = caption
            item.timings["caption"] = seconds

    def _direction_captions(self, item: Prepared) -> None:
        """The two sides of the direction (RewriteParseError for an unparseable LLM answer)."""
        request = item.request
        if self.variant == "gold-captions":
            item.before_captions = [item.source_caption]
            item.after_captions = [str(request.gold_output_caption).strip()]
            return
        if self.variant == "instruction-only":
            return  # direction E(instruction) - E(""): no captions on either side
        from handsoff_core.rewriter import RewriteOptions

        params = self.config.params
        options = RewriteOptions(
            template=params["template"],
            n_captions=int(params["n_captions"]),
            max_new_tokens=int(params["llm_max_new_tokens"]),
            max_attempts=int(params["llm_max_attempts"]),
            do_sample=bool(params["llm_do_sample"]),
            temperature=float(params["llm_temperature"]),
            top_p=float(params["llm_top_p"]),
            fallback=self.models.profile.rewriter_fallback,
        )
        started = time.perf_counter()
        rewrite = self.models.rewriter(options).rewrite(
            item_id=request.item_id,
            instruction=request.instruction,
            before_caption=item.source_caption,
            seed=request.seed,
            cache=self.cache,
        )
        item.timings["rewrite"] = time.perf_counter() - started
        item.before_captions = list(rewrite.before_captions)
        item.after_captions = list(rewrite.after_captions)
        item.llm_raw_text = rewrite.raw_text
        item.notes.extend(rewrite.notes)

    # -- diffusion ---------------------------------------------------------------------------
    def _sd(self) -> SDComponents:
        return self.models.diffusion()

    def _settings(self) -> EditingSettings:
        from handsoff_core.diffusion.editing import EditingSettings

        return EditingSettings.from_params(self.config.params)

    def _edit_conditions(
        self, item: Prepared, source: torch.Tensor, weights: Sequence[float]
    ) -> torch.Tensor:
        """(k, 77, D) edit conditions for one item; source = E(c_s) (1, 77, D)."""
        import torch

        from handsoff_core.diffusion.direction import edit_direction, mean_embedding

        sd = self._sd()
        if self.variant == "instruction-only":
            before = mean_embedding(sd.tokenizer, sd.text_encoder, [""])
            after = mean_embedding(sd.tokenizer, sd.text_encoder, [item.request.instruction])
        elif self.variant == "after-caption-only":
            before = source
            after = mean_embedding(sd.tokenizer, sd.text_encoder, item.after_captions)
        else:
            before = mean_embedding(sd.tokenizer, sd.text_encoder, item.before_captions)
            after = mean_embedding(sd.tokenizer, sd.text_encoder, item.after_captions)
        return torch.cat([source + edit_direction(before, after, w) for w in weights])

    def _invert_and_edit(self, items: list[Prepared], weights: Sequence[float]) -> list[Any]:
        """Working-size images -> inversion (cached) -> k edits each: (k, 3, H, W) per item."""
        import torch
        from PIL import Image

        from handsoff_core.diffusion.direction import mean_embedding
        from handsoff_core.diffusion.editing import edit_inverted, invert_cached

        sd, settings, count = self._sd(), self._settings(), len(items)
        size = (self.resolution, self.resolution)
        started = time.perf_counter()
        images = [
            item.request.source_image
            if item.request.source_image.size == size
            else item.request.source_image.resize(size, Image.Resampling.LANCZOS)
            for item in items
        ]
        sources = torch.cat(
            [mean_embedding(sd.tokenizer, sd.text_encoder, [i.source_caption]) for i in items]
        )  # (B, 77, D)
        conditions = torch.stack(
            [self._edit_conditions(i, sources[n : n + 1], weights) for n, i in enumerate(items)]
        )  # (B, k, 77, D)
        encode_seconds = (time.perf_counter() - started) / count
        started = time.perf_counter()
        inverted, hits = invert_cached(
            sd,
            images,
            [item.request.seed for item in items],
            [item.source_caption for item in items],
            sources,
            settings,
            cache=self.cache,
        )
        invert_seconds = (time.perf_counter() - started) / count
        started = time.perf_counter()
        edited, _ = edit_inverted(sd, inverted, sources, conditions, settings)
        edit_seconds = (time.perf_counter() - started) / count
        for item, inversion in zip(items, inverted, strict=True):
            item.timings.update(encode=encode_seconds, invert=invert_seconds, edit=edit_seconds)
            item.inverted_latents = inversion.latents
            if hits:
                item.notes.append(f"inversion: {hits} of {count} from the stage cache")
        return list(edited)

    def _result(self, prepared: Prepared, image: Any, config: MethodConfig) -> EditResult:
        from PIL import Image

        request = prepared.request
        started = time.perf_counter()
        from handsoff_core.diffusion.editing import to_pil

        output = to_pil(image)
        notes = [*self.models.output_notes, *prepared.notes]
        if output.size != request.source_image.size:
            output = output.resize(request.source_image.size, Image.Resampling.LANCZOS)
            notes.append(
                f"resized {request.source_image.size[0]}x{request.source_image.size[1]} to "
                f"{self.resolution}x{self.resolution} for the model and back"
            )
        timings = dict(prepared.timings)
        timings["postprocess"] = time.perf_counter() - started
        return EditResult(
            item_id=request.item_id,
            image=output,
            config_hash=(self._config_hash if config is self.config else config.config_hash()),
            seed=request.seed,
            before_captions=(
                [prepared.source_caption]
                if prepared.before_captions in ([], [prepared.source_caption])
                else [prepared.source_caption, *prepared.before_captions]
            ),
            after_captions=list(prepared.after_captions),
            llm_raw_text=prepared.llm_raw_text,
            timings=timings,
            notes=notes,
            inverted_latents=prepared.inverted_latents if self.keep_inverted_latents else None,
        )
