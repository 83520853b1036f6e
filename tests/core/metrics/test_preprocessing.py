"""Our torchvision-free preprocessing is bit-identical to MagicBrush's (clip's and DINO's)
transforms; transformers' CLIP processor is not, and the test pins down by how much.

The reference digests were computed with `clip.clip._transform(224)` (clip-anytorch 2.6.0)
and MagicBrush's DINO Compose (torchvision 0.28.0) on the same `photo_like` images: SHA-256
of the float32 tensor bytes. Neither package is a dependency, so the digests are stored.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch
from PIL import Image

from handsoff_core.metrics.preprocessing import (
    CLIP_MEAN,
    CLIP_STD,
    DINO_TRANSFORM,
    clip_transform,
    resize_shorter_side,
    to_unit_tensor,
)

from .photo_like import photo_like

# (width, height): input digest (guards the generator), clip digest, DINO digest.
REFERENCE: dict[tuple[int, int], tuple[str, str, str]] = {
    (512, 512): (
        "d2969a9951b68d1a",
        "65e0040eebc9cb61be62949a315625c81f4d2bcfa4646de20c82810cf8db6dc3",
        "4a2890294ed4c23ad21efd0f44b83da1163ad296b5962b19e14f6a3078a0920d",
    ),
    (500, 333): (
        "2943c0e4eb1cc9d6",
        "464cfe42ba32a2705fe406949854877844b4110be3c82ed9c1d81a4d2b03d223",
        "ad4f832c4be101105a64815a028a579e120c7510aebf47a77c360c3bdd6dea26",
    ),
    (333, 500): (
        "43741c9450c51f53",
        "d27788b1437c5e3f4a1d66658f49a8673695adf97c1f55b89de60140a02cfcde",
        "945b0171e21d80c4730d2674d5600af5a657323271dac3f92aa69887375f8a5d",
    ),
    (640, 427): (
        "68df5d24eb917644",
        "93e59c18d9c00625843c4b40497b059731cc18298a36f5df42141831643f73ae",
        "ab81edc8c528003a2321f45bbc796c6a4b70678b610bf2d65bd06e47b07baee7",
    ),
    (225, 301): (
        "302c3d469980ca1c",
        "c198618e025c5795cda78c8b245f62befb65f37ab18f831b131f82166153905e",
        "0455de332ea7e349d85a7c88b36f94751016f4945a4151aee6b684c659972a6f",
    ),
    (100, 80): (
        "1e8b37714f0c9991",
        "c4bc48b8f7d0985b0de4d22ce74fa4085cac789814cdeedfe1f8dcbf210bea5f",
        "e7ee6e1a997ac8a5c44ccbf00468b909b9cf405abcbcb41f6b23452b39cc86f4",
    ),
    (1024, 683): (
        "e280aaf75d6bcb14",
        "235cce3f1018100099039abc1cffbb12d057cf7342309a77df2decc003e12462",
        "9ae714f61b52a4ac0211294d9fceab99ff0b4ad3216c2c52e8563a926f3d4224",
    ),
    (299, 224): (
        "a53f2118626c6fbb",
        "144bc2a70bdcbd7df6e10120e55e43a7ff1493aed2e2239c3236c129a8386b95",
        "c5f426dc315622b7fc11c373cd923101aa8336f91a153db6f08ecbefc5dbb9b1",
    ),
}


def _sha(tensor: torch.Tensor) -> str:
    return hashlib.sha256(tensor.numpy().tobytes()).hexdigest()


@pytest.mark.parametrize("size", list(REFERENCE), ids=lambda s: f"{s[0]}x{s[1]}")
def test_bit_identical_to_clip_and_dino_reference_transforms(size: tuple[int, int]) -> None:
    index = list(REFERENCE).index(size)
    image = photo_like(*size, seed=index)
    input_digest, clip_digest, dino_digest = REFERENCE[size]
    assert hashlib.sha256(np.asarray(image).tobytes()).hexdigest()[:16] == input_digest, (
        "photo_like changed: the stored reference digests no longer apply"
    )
    clip_pixels = clip_transform(224)(image)
    assert clip_pixels.shape == (3, 224, 224) and clip_pixels.dtype == torch.float32
    assert _sha(clip_pixels) == clip_digest
    assert _sha(DINO_TRANSFORM(image)) == dino_digest


def test_resize_keeps_aspect_and_truncates_the_long_side() -> None:
    image = Image.new("RGB", (640, 427))
    assert resize_shorter_side(image, 224, Image.Resampling.BICUBIC).size == (335, 224)
    tall = Image.new("RGB", (225, 301))
    assert resize_shorter_side(tall, 224, Image.Resampling.BICUBIC).size == (224, 299)


def _pil_clip_processor():
    try:
        from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil
    except ImportError:
        pytest.skip("this transformers has no PIL backend for CLIPImageProcessor")
    return CLIPImageProcessorPil()


def test_clip_processor_agrees_where_the_crop_offset_is_whole() -> None:
    processor = _pil_clip_processor()
    image = photo_like(512, 512, seed=0)
    theirs = processor(images=image, return_tensors="pt")["pixel_values"][0]
    assert torch.equal(theirs, clip_transform(224)(image))


def test_clip_processor_crops_one_pixel_off_where_the_offset_is_half() -> None:
    # 640x427 -> 335x224; crop offset (335-224)/2 = 55.5: torchvision rounds to 56 (half to
    # even), transformers floors to 55. Measured (documented in preprocessing.py): max 0.77,
    # mean 0.077 in normalised units.
    processor = _pil_clip_processor()
    image = photo_like(640, 427, seed=3)
    theirs = processor(images=image, return_tensors="pt")["pixel_values"][0]
    ours = clip_transform(224)(image)
    difference = (theirs - ours).abs()
    assert 0.5 < difference.max().item() < 1.2
    assert 0.05 < difference.mean().item() < 0.12
    # ...and the whole difference is that one-pixel shift.
    resized = resize_shorter_side(image, 224, Image.Resampling.BICUBIC)
    floored = to_unit_tensor(resized.crop((55, 0, 55 + 224, 224)))
    mean = torch.tensor(CLIP_MEAN)[:, None, None]
    std = torch.tensor(CLIP_STD)[:, None, None]
    assert torch.allclose(theirs, (floored - mean) / std, atol=1e-6)


def test_any_mode_is_converted_like_the_image_gate() -> None:
    rgb = photo_like(64, 48, seed=9)
    grey = rgb.convert("L")
    assert torch.equal(clip_transform(224)(grey), clip_transform(224)(grey.convert("RGB")))
    assert torch.equal(DINO_TRANSFORM(rgb.convert("RGBA")), DINO_TRANSFORM(rgb))
