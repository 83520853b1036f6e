"""What every dataset reader yields, and the check that turns a record into usable images.

Readers (`magicbrush`, `hub_parquet`, `jsonl`) only read bytes and shape: they never decode
images, so a 1,053-turn dataset streams through with three images in memory at a time.
`validate_record` is the one place that decodes (through `handsoff_core.images`) and
applies the rules a sample must satisfy; its failures are `RejectedRecord`s, not raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from handsoff_core.data.field_rules import NO_LIMITS, FieldLimits, check_fields
from handsoff_core.errors import HandsoffError, InstructionRejected, ItemError, RecordRejected
from handsoff_core.images import DEFAULT_MAX_PIXELS, decode_image, decode_mask

# MagicBrush instructions are a sentence (the longest test-set one is well under 200
# characters); 500 leaves room for users' own data while refusing pasted documents.
# Matches `Settings.max_instruction_chars`'s default.
MAX_INSTRUCTION_CHARS = 500


class DatasetUnreadable(HandsoffError):
    """The dataset as a whole cannot be read (missing path, unknown layout, bad archive,
    top-level JSON that is malformed, parquet without the required columns)."""


@dataclass(frozen=True)
class ImageBlob:
    """Raw bytes as read from the source; `origin` says where, for messages."""

    data: bytes
    origin: str  # e.g. "images/123/123-input.png" or "train-0.parquet row 17 source_img"

    def __repr__(self) -> str:  # never dump megabytes of PNG into a log line
        return f"ImageBlob(origin={self.origin!r}, {len(self.data)} bytes)"


@dataclass(frozen=True)
class SampleRecord:
    """One editing turn as read from a dataset, before any image is decoded."""

    external_id: str  # unique in the dataset, stable across re-imports, e.g. "327726-2"
    session_id: str
    turn_index: int  # 1-based
    instruction: str
    source: ImageBlob
    mask: ImageBlob | None
    target: ImageBlob | None
    input_caption_global: str | None
    output_caption_global: str | None
    output_caption_local: str | None


@dataclass(frozen=True)
class RejectedRecord:
    """An item that could not be read or failed validation; the rest of the data goes on."""

    external_id: str  # best available id ("327726-2", "session 327726", "line 17", ...)
    reason: str


@dataclass
class ValidatedSample:
    """A record whose images decoded and passed every rule: RGB source and target, "L" mask
    (edited region 255), and the notes of every conversion made on the way."""

    record: SampleRecord
    instruction: str  # the record's instruction with surrounding whitespace removed
    source: Image.Image
    mask: Image.Image | None
    target: Image.Image | None
    notes: list[str] = field(default_factory=list)


def check_instruction(instruction: str, *, what: str, max_chars: int) -> str:
    """The instruction without surrounding whitespace; raises `InstructionRejected`."""
    stripped = instruction.strip()
    if not stripped:
        raise InstructionRejected(f"{what}: empty instruction")
    if len(stripped) > max_chars:
        raise InstructionRejected(
            f"{what}: instruction has {len(stripped)} characters, over the limit of {max_chars}"
        )
    return stripped


def validate_record(
    record: SampleRecord,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_instruction_chars: int = MAX_INSTRUCTION_CHARS,
    fields: FieldLimits = NO_LIMITS,
) -> ValidatedSample | RejectedRecord:
    """Decode and check one record; every failure comes back as a `RejectedRecord`.

    Rules: every text field is storable (no NUL, no lone surrogate) and within its column's
    length in `fields`, every integer within its column's range; the instruction is
    non-empty and at most `max_instruction_chars` long (after stripping); every image decodes
    within `max_pixels` (see `handsoff_core.images` for the mode conversions, each kept as a
    note); the mask has the source's size. A target of a different size is kept with a note:
    MagicBrush's metrics resize to the target anyway.
    """
    item = record.external_id
    try:
        check_fields(
            {
                "external_id": record.external_id,
                "session_id": record.session_id,
                "turn_index": record.turn_index,
                "instruction": record.instruction,
                "input_caption_global": record.input_caption_global,
                "output_caption_global": record.output_caption_global,
                "output_caption_local": record.output_caption_local,
            },
            fields,
        )
        instruction = check_instruction(
            record.instruction, what=item, max_chars=max_instruction_chars
        )
        source = decode_image(
            record.source.data,
            what=f"{item} source ({record.source.origin})",
            max_pixels=max_pixels,
        )
        notes = [f"source: {note}" for note in source.notes]
        mask_image = None
        if record.mask is not None:
            mask = decode_mask(
                record.mask.data,
                what=f"{item} mask ({record.mask.origin})",
                expected_size=source.image.size,
                max_pixels=max_pixels,
            )
            mask_image = mask.image
            notes += [f"mask: {note}" for note in mask.notes]
        target_image = None
        if record.target is not None:
            target = decode_image(
                record.target.data,
                what=f"{item} target ({record.target.origin})",
                max_pixels=max_pixels,
            )
            target_image = target.image
            notes += [f"target: {note}" for note in target.notes]
            if target_image.size != source.image.size:
                notes.append(
                    f"target is {target_image.size[0]}x{target_image.size[1]} but the source "
                    f"is {source.image.size[0]}x{source.image.size[1]}"
                )
    except RecordRejected as exc:
        return RejectedRecord(external_id=item, reason=f"{item!r}: {exc}")
    except ItemError as exc:
        return RejectedRecord(external_id=item, reason=str(exc))
    if instruction != record.instruction:
        notes.append("instruction: surrounding whitespace removed")
    return ValidatedSample(
        record=record,
        instruction=instruction,
        source=source.image,
        mask=mask_image,
        target=target_image,
        notes=notes,
    )
