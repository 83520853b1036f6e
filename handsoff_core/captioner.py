"""Before-edit captions with BLIP (docs/method.md s1, step 1).

As the Hands-off authors do, each image is resized to 512x512 with LANCZOS before BLIP's own
processor (which resizes again, to 384 px for BLIP base). diffusers' pix2pix-zero example
prompts BLIP with the text prefix "a photography of" and keeps it in the caption; the prefix
is configurable and off by default. Decoding is greedy, so a caption depends only on the
model and the image.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from handsoff_core.cache import StageCache, cache_key, image_sha256
from handsoff_core.errors import ConfigError

if TYPE_CHECKING:
    import torch
    from PIL import Image

logger = logging.getLogger(__name__)

PIX2PIX_ZERO_PREFIX = "a photography of"


@dataclass(frozen=True)
class CaptionOptions:
    prefix: str | None = None  # text BLIP continues, e.g. PIX2PIX_ZERO_PREFIX; None = none
    max_new_tokens: int = 128  # diffusers' pix2pix-zero captioning example
    resize_to: int = 512  # the authors resize to 512x512 (LANCZOS) before BLIP's processor
    batch_size: int = 8  # images per generate() call

    def key_parts(self) -> dict[str, Any]:
        """What changes a caption (batch size does not)."""
        parts = asdict(self)
        parts.pop("batch_size")
        return parts


class Captioner:
    """A BLIP model and processor, ready to caption batches of RGB images."""

    def __init__(
        self,
        model: Any,
        processor: Any,
        *,
        model_id: str,
        revision: str | None,
        device: torch.device,
        dtype: torch.dtype,
    ) -> None:
        self.model = model
        self.processor = processor
        self.model_id = model_id
        self.revision = revision
        self.device = device
        self.dtype = dtype

    def cache_key(self, image: Image.Image, options: CaptionOptions) -> str:
        return cache_key(
            stage="caption",
            model=self.model_id,
            revision=self.revision,
            image=image_sha256(image),
            options=options.key_parts(),
        )

    def caption(
        self,
        images: Sequence[Image.Image],
        options: CaptionOptions | None = None,
        *,
        cache: StageCache | None = None,
    ) -> list[str]:
        """One caption per image, in order; cached captions are not recomputed."""
        options = options or CaptionOptions()
        captions: list[str | None] = [None] * len(images)
        keys = [self.cache_key(image, options) for image in images] if cache is not None else []
        if cache is not None:
            for index, key in enumerate(keys):
                hit = cache.get("caption", key)
                if hit is not None:
                    captions[index] = json.loads(hit.decode("utf-8"))["caption"]
        todo = [index for index, caption in enumerate(captions) if caption is None]
        for start in range(0, len(todo), max(1, options.batch_size)):
            batch = todo[start : start + options.batch_size]
            for index, caption in zip(
                batch, self._generate([images[i] for i in batch], options), strict=True
            ):
                captions[index] = caption
                if cache is not None:
                    payload = json.dumps({"caption": caption, "model": self.model_id})
                    cache.put("caption", keys[index], payload.encode("utf-8"))
        return [caption for caption in captions if caption is not None]

    def _generate(self, images: Sequence[Image.Image], options: CaptionOptions) -> list[str]:
        import torch
        from PIL import Image

        size = (options.resize_to, options.resize_to)
        resized = [image.convert("RGB").resize(size, Image.Resampling.LANCZOS) for image in images]
        if options.prefix:
            inputs = self.processor(
                images=resized, text=[options.prefix] * len(resized), return_tensors="pt"
            )
        else:
            inputs = self.processor(images=resized, return_tensors="pt")
        inputs = inputs.to(self.device)
        limit = getattr(self.model.config.text_config, "max_position_embeddings", None)
        prompt_length = inputs["input_ids"].shape[1] if "input_ids" in inputs else 1  # [DEC]
        if limit is not None and prompt_length + options.max_new_tokens > limit:
            raise ConfigError(
                f"captioner {self.model_id!r}: prefix plus max_new_tokens "
                f"({options.max_new_tokens}) exceeds the model's {limit} positions"
            )
        inputs["pixel_values"] = inputs["pixel_values"].to(self.dtype)  # (B, 3, 384, 384)
        with torch.no_grad():
            tokens = self.model.generate(
                **inputs, max_new_tokens=options.max_new_tokens, do_sample=False, num_beams=1
            )
        texts = self.processor.batch_decode(tokens, skip_special_tokens=True)
        return [" ".join(text.split()) for text in texts]
