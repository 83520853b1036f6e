"""validate_record: every bad image, mask and instruction becomes a RejectedRecord naming the
item and the reason; non-RGB modes are converted with a note."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from handsoff_core.data import (
    MAX_INSTRUCTION_CHARS,
    ImageBlob,
    RejectedRecord,
    SampleRecord,
    ValidatedSample,
    validate_record,
)
from tests.core.data.builders import SIZE, bomb_png, dalle_mask, image_bytes, png


def record(
    *,
    source: bytes | None = None,
    mask: bytes | None = None,
    target: bytes | None = None,
    instruction: str = "make the circle blue",
) -> SampleRecord:
    return SampleRecord(
        external_id="327726-2",
        session_id="327726",
        turn_index=2,
        instruction=instruction,
        source=ImageBlob(png() if source is None else source, "images/327726/in.png"),
        mask=None if mask is None else ImageBlob(mask, "images/327726/mask2.png"),
        target=None if target is None else ImageBlob(target, "images/327726/out2.png"),
        input_caption_global=None,
        output_caption_global=None,
        output_caption_local=None,
    )


def rejected(result: ValidatedSample | RejectedRecord) -> RejectedRecord:
    assert isinstance(result, RejectedRecord), f"expected a rejection, got {result}"
    assert result.external_id == "327726-2"
    return result


def accepted(result: ValidatedSample | RejectedRecord) -> ValidatedSample:
    assert isinstance(result, ValidatedSample), f"expected a sample, got {result}"
    return result


def test_valid_record_decodes_to_rgb_images_and_l_mask_without_notes():
    sample = accepted(validate_record(record(mask=dalle_mask(), target=png((1, 2, 3)))))
    assert sample.source.mode == "RGB" and sample.source.size == SIZE
    assert sample.target is not None and sample.target.getpixel((0, 0)) == (1, 2, 3)
    assert sample.mask is not None and sample.mask.mode == "L"
    # The transparent box (4..12, 4..10) of the DALL-E style mask is the edited region.
    mask = np.asarray(sample.mask)
    assert mask[4:10, 4:12].min() == 255 and mask.sum() == 255 * 8 * 6
    assert sample.notes == ["mask: mask taken from the transparent region of a RGBA image"]


def test_white_on_black_mask_is_read_as_is():
    white_box = Image.new("L", SIZE, 0)
    white_box.paste(255, (0, 0, 5, 5))
    sample = accepted(validate_record(record(mask=image_bytes(white_box))))
    assert sample.mask is not None and np.asarray(sample.mask).sum() == 255 * 25
    assert sample.notes == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"this is not an image at all", "cannot decode image"),
        (png()[:60], "cannot decode image"),  # truncated mid-data
        # Over our limit (4096^2) but under PIL's own: our check refuses it before decoding.
        (bomb_png(5000, 5000), "5000x5000 = 25000000 pixels exceeds the limit"),
        # Far over PIL's limit too: PIL refuses at open.
        (bomb_png(100_000, 100_000), "decompression bomb"),
    ],
    ids=["empty", "corrupt", "truncated", "over-pixel-limit", "decompression-bomb"],
)
@pytest.mark.parametrize("role", ["source", "mask", "target"])
def test_unusable_image_is_rejected_naming_item_role_and_reason(data, reason, role):
    result = rejected(validate_record(record(**{role: data})))
    assert reason in result.reason
    assert f"327726-2 {role}" in result.reason  # the item and which of its images


def test_pixel_limit_is_an_argument():
    big = png(size=(40, 40))
    assert isinstance(validate_record(record(source=big), max_pixels=1600), ValidatedSample)
    result = rejected(validate_record(record(source=big), max_pixels=1599))
    assert "1600 pixels exceeds the limit of 1599" in result.reason


@pytest.mark.parametrize(
    ("image", "format", "note"),
    [
        (Image.new("RGBA", SIZE, (255, 0, 0, 0)), "PNG", "converted RGBA to RGB (alpha"),
        (Image.new("L", SIZE, 90), "PNG", "converted L to RGB"),
        (Image.new("P", SIZE, 3), "PNG", "converted P to RGB"),
        (Image.new("CMYK", SIZE, (0, 255, 255, 0)), "JPEG", "converted CMYK to RGB"),
        (Image.new("I;16", SIZE, 40000), "PNG", "converted I;16 to RGB (rescaled"),
    ],
    ids=["RGBA", "L", "P", "CMYK", "I;16"],
)
def test_non_rgb_source_is_converted_with_a_note(image, format, note):
    sample = accepted(validate_record(record(source=image_bytes(image, format))))
    assert sample.source.mode == "RGB"
    assert len(sample.notes) == 1 and sample.notes[0].startswith(f"source: {note}")


def test_transparent_rgba_source_is_composited_on_white():
    sample = accepted(validate_record(record(source=image_bytes(Image.new("RGBA", SIZE)))))
    assert sample.source.getpixel((0, 0)) == (255, 255, 255)


def test_mask_of_another_size_is_rejected():
    result = rejected(validate_record(record(mask=dalle_mask(size=(16, 24)))))
    assert "mask is 16x24 but its image is 24x16" in result.reason


def test_target_of_another_size_is_kept_with_a_note():
    sample = accepted(validate_record(record(target=png(size=(48, 32)))))
    assert sample.notes == ["target is 48x32 but the source is 24x16"]


@pytest.mark.parametrize("instruction", ["", "   \n\t "])
def test_empty_instruction_is_rejected(instruction):
    assert "empty instruction" in rejected(validate_record(record(instruction=instruction))).reason


def test_over_long_instruction_is_rejected_at_the_stated_limit():
    at_limit = "x" * MAX_INSTRUCTION_CHARS
    assert isinstance(validate_record(record(instruction=at_limit)), ValidatedSample)
    result = rejected(validate_record(record(instruction=at_limit + "x")))
    assert f"{MAX_INSTRUCTION_CHARS + 1} characters, over the limit of 500" in result.reason
    custom = rejected(validate_record(record(instruction="abcdef"), max_instruction_chars=5))
    assert "over the limit of 5" in custom.reason


def test_instruction_whitespace_is_stripped_with_a_note():
    sample = accepted(validate_record(record(instruction="  make it blue\n")))
    assert sample.instruction == "make it blue"
    assert sample.notes == ["instruction: surrounding whitespace removed"]


def test_blob_repr_does_not_dump_bytes():
    assert repr(ImageBlob(b"x" * 10_000, "a.png")) == "ImageBlob(origin='a.png', 10000 bytes)"
