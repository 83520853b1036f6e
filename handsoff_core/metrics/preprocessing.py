"""Image preprocessing exactly as MagicBrush's `evaluation/image_eval.py` does it, sans torchvision.

MagicBrush prepares images for its model-based metrics with torchvision transforms on PIL
images:
- CLIP-I / CLIP-T: the OpenAI `clip` package's own transform, `clip.clip._transform(224)`:
  Resize(224, bicubic) -> CenterCrop(224) -> RGB -> ToTensor -> Normalize(CLIP mean, std);
- DINO: Resize(256, interpolation=3 (bicubic)) -> CenterCrop(224) -> ToTensor ->
  Normalize(ImageNet mean, std).
Neither `clip` nor torchvision is a dependency of ours (torchvision's wheels here are CUDA
builds that do not load on CPU-only torch). On a PIL image those torchvision steps reduce to
PIL and plain arithmetic, reproduced here step by step:
- Resize(n): the shorter side becomes n, the longer `int(n * long / short)` (truncated),
  by `PIL.Image.resize` with the given filter (PIL's own antialiasing); same size: unchanged;
- CenterCrop(n): offsets `int(round((size - n) / 2.0))` (Python's round: half to even);
- ToTensor: uint8 HWC -> float32 CHW divided by 255;
- Normalize: `(x - mean) / std` in float32, mean and std cast to float32 first.

Verified against `clip._transform(224)` (clip-anytorch 2.6.0) and MagicBrush's DINO transform
(torchvision 0.28.0) on photo-like synthetic images of 8 sizes (512x512, 500x333, 333x500,
640x427, 225x301, 100x80, 1024x683, 299x224: odd and even crop offsets, up- and down-
scaling): bit-identical tensors, max abs difference 0.0. `tests/core/metrics/
test_preprocessing.py` checks the same images against SHA-256 digests of the reference tensors.

transformers' `CLIPImageProcessor` is *not* MagicBrush's preprocessing. Measured on the same
images (differences of normalised pixel values; one grey level is about 0.015):
- its PIL backend (`CLIPImageProcessorPil`, used when torchvision is absent): identical
  (0.0) where the crop offset is a whole number (512x512, 500x333, 333x500, 100x80); where it
  is x.5 it crops one pixel earlier (`//` instead of `round`): 640x427 max 0.77 / mean 0.077,
  225x301 max 0.70 / mean 0.066, 1024x683 max 1.05 / mean 0.108, 299x224 max 0.85 / mean 0.079;
- its torchvision backend (the default when torchvision is installed) resizes tensors and
  rounds differently: in addition max 0.015 (one grey level) / mean 6e-5 on every image.
MagicBrush's images are 512x512, where the PIL backend agrees exactly; still, we never use
CLIPImageProcessor for metric images.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from handsoff_core.images import to_rgb

# OpenAI CLIP's normalisation (clip/clip.py `_transform`), the same numbers as transformers'
# OPENAI_CLIP_MEAN / OPENAI_CLIP_STD.
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
# ImageNet statistics, as MagicBrush's DINO transform states them.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def as_rgb(image: Image.Image) -> Image.Image:
    """RGB version of any PIL image, by the project's image gate (alpha composited on white).

    MagicBrush calls `Image.convert("RGB")`, which drops alpha instead. The two agree on every
    opaque image (all MagicBrush outputs and inputs are opaque RGB); they differ only where
    alpha < 255, which our gate composites on white so the pixels match what annotators see.
    """
    rgb, _notes = to_rgb(image)
    return rgb


def resize_shorter_side(image: Image.Image, size: int, resample: Image.Resampling) -> Image.Image:
    """torchvision `Resize(size)` on PIL: shorter side to `size`, longer side truncated."""
    width, height = image.size
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = size, int(size * long / short)
    new_width, new_height = (new_short, new_long) if width <= height else (new_long, new_short)
    if (new_width, new_height) == (width, height):
        return image
    return image.resize((new_width, new_height), resample)


def center_crop(image: Image.Image, size: int) -> Image.Image:
    """torchvision `CenterCrop(size)` on a PIL image at least `size` on each side."""
    width, height = image.size
    if width < size or height < size:
        # Cannot happen after resize_shorter_side(size' >= size); torchvision would pad.
        raise ValueError(f"center_crop: image {width}x{height} is smaller than {size}")
    top = round((height - size) / 2.0)  # Python's round: half to even, as torchvision
    left = round((width - size) / 2.0)
    return image.crop((left, top, left + size, top + size))


def to_unit_array(image: Image.Image) -> np.ndarray:
    """torchvision `ToTensor` of an RGB image, as numpy: (3, H, W) float32 in [0, 1].

    numpy, not torch: these are tiny element-wise ops, and torch's intra-op thread pool made
    them 100x slower (25 ms vs 0.25 ms per 224 px image) on a busy 2-core machine. IEEE
    float32 division and subtraction are correctly rounded in both, so the values are
    bit-identical to torchvision's.
    """
    array = np.asarray(image, dtype=np.uint8)  # (H, W, 3)
    return np.ascontiguousarray(array.transpose(2, 0, 1)).astype(np.float32) / np.float32(255)


def to_unit_tensor(image: Image.Image) -> torch.Tensor:
    """torchvision `ToTensor` of an RGB image: (3, H, W) float32 in [0, 1]."""
    return torch.from_numpy(to_unit_array(image))


@dataclass(frozen=True)
class ImageTransform:
    """Resize shorter side -> center crop -> [0,1] tensor -> normalise, as torchvision does it."""

    resize: int
    crop: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    resample: Image.Resampling = Image.Resampling.BICUBIC

    def __call__(self, image: Image.Image) -> torch.Tensor:
        """(3, crop, crop) float32 pixel values of one image (any PIL mode)."""
        resized = resize_shorter_side(as_rgb(image), self.resize, self.resample)
        unit = to_unit_array(center_crop(resized, self.crop))  # (3, crop, crop)
        mean = np.asarray(self.mean, dtype=np.float32)[:, None, None]
        std = np.asarray(self.std, dtype=np.float32)[:, None, None]
        return torch.from_numpy((unit - mean) / std)

    def batch(self, images: Sequence[Image.Image]) -> torch.Tensor:
        """(B, 3, crop, crop) float32 pixel values."""
        return torch.from_numpy(np.stack([self(image).numpy() for image in images]))


def clip_transform(n_px: int = 224) -> ImageTransform:
    """OpenAI clip's `_transform(n_px)`; n_px is the vision tower's input size (224 for B/32)."""
    return ImageTransform(resize=n_px, crop=n_px, mean=CLIP_MEAN, std=CLIP_STD)


# MagicBrush's DINO transform: Resize(256, bicubic), CenterCrop(224), ImageNet normalisation.
DINO_TRANSFORM = ImageTransform(resize=256, crop=224, mean=IMAGENET_MEAN, std=IMAGENET_STD)
