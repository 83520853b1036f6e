"""Reader of the hub release of MagicBrush (`osunlp/MagicBrush`: train/dev parquet shards).

Columns: img_id (str), turn_index (int, 1-based), source_img, mask_img, target_img (Hugging
Face image structs {"bytes": ..., "path": ...}), instruction. The hub release carries no
captions, so the caption fields are None. A file or a folder of shards is accepted; rows are
read in small batches (each row holds three PNGs), never the whole table at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from handsoff_core.data.bounds import DEFAULT_LIMITS, ReadLimits, too_large
from handsoff_core.data.records import DatasetUnreadable, ImageBlob, RejectedRecord, SampleRecord

REQUIRED_COLUMNS = ("img_id", "turn_index", "source_img", "mask_img", "target_img", "instruction")
# Rows per batch: 16 rows x 3 images x ~0.4 MB keeps about 20 MB in flight.
BATCH_ROWS = 16


def parquet_shards(path: Path) -> list[Path]:
    """The parquet file itself, or every *.parquet under the folder in name order."""
    if not path.exists():
        raise DatasetUnreadable(f"{path}: no such file or folder")
    if path.is_file():
        return [path]
    shards = sorted(path.rglob("*.parquet"))
    if not shards:
        raise DatasetUnreadable(f"{path}: no .parquet files in this folder")
    return shards


def _open_shard(shard: Path) -> Any:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(shard)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
        raise DatasetUnreadable(f"{shard}: not a readable parquet file ({exc})") from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in parquet.schema_arrow.names]
    if missing:
        raise DatasetUnreadable(
            f"{shard}: missing required column(s) {', '.join(missing)} "
            f"(has: {', '.join(parquet.schema_arrow.names)})"
        )
    return parquet


def _blob(
    value: Any, *, column: str, origin: str, required: bool, max_bytes: int
) -> ImageBlob | None:
    """An image struct {"bytes", "path"} (or raw bytes) as a blob; ValueError when unusable."""
    data = value.get("bytes") if isinstance(value, dict) else value
    if data is None:
        if isinstance(value, dict) and value.get("path"):
            # The image lives in a file next to the shard: not the hub release's layout.
            raise ValueError(
                f"{column} has no bytes, only the path {value['path']!r} (path-only image "
                "structs are not supported)"
            )
        if required:
            raise ValueError(f"{column} is null")
        return None
    if not isinstance(data, bytes | bytearray):
        raise ValueError(f"{column} holds {type(data).__name__}, expected image bytes")
    if len(data) > max_bytes:
        raise ValueError(too_large(column, len(data), max_bytes))
    return ImageBlob(data=bytes(data), origin=f"{origin} {column}")


def _row_record(row: dict[str, Any], *, origin: str, max_bytes: int) -> SampleRecord:
    img_id, turn_index, instruction = row["img_id"], row["turn_index"], row["instruction"]
    if not isinstance(img_id, str | int) or isinstance(img_id, bool) or str(img_id) == "":
        raise ValueError(f"img_id must be a string, got {img_id!r}")
    if not isinstance(turn_index, int) or isinstance(turn_index, bool) or turn_index < 1:
        raise ValueError(f"turn_index must be an integer >= 1, got {turn_index!r}")
    if not isinstance(instruction, str):
        raise ValueError(f"instruction must be a string, got {instruction!r}")
    source = _blob(
        row["source_img"], column="source_img", origin=origin, required=True, max_bytes=max_bytes
    )
    assert source is not None
    return SampleRecord(
        external_id=f"{img_id}-{turn_index}",
        session_id=str(img_id),
        turn_index=turn_index,
        instruction=instruction,
        source=source,
        mask=_blob(
            row["mask_img"], column="mask_img", origin=origin, required=False, max_bytes=max_bytes
        ),
        target=_blob(
            row["target_img"],
            column="target_img",
            origin=origin,
            required=False,
            max_bytes=max_bytes,
        ),
        input_caption_global=None,
        output_caption_global=None,
        output_caption_local=None,
    )


def _best_id(row: dict[str, Any], origin: str) -> str:
    img_id, turn_index = row.get("img_id"), row.get("turn_index")
    if isinstance(img_id, str | int) and isinstance(turn_index, int):
        return f"{img_id}-{turn_index}"
    return origin


def _batch_rows(batch: Any) -> list[dict[str, Any] | UnicodeDecodeError]:
    """The rows of a record batch; a row whose text is not UTF-8 (parquet writers need not
    check) comes back as its decoding error, the other rows of the batch as rows."""
    try:
        return list(batch.to_pylist())
    except UnicodeDecodeError:
        rows: list[dict[str, Any] | UnicodeDecodeError] = []
        for index in range(batch.num_rows):
            try:
                rows.extend(batch.slice(index, 1).to_pylist())
            except UnicodeDecodeError as exc:
                rows.append(exc)
        return rows


def read_hub_parquet(
    path: Path, *, limits: ReadLimits = DEFAULT_LIMITS
) -> Iterator[SampleRecord | RejectedRecord]:
    """Stream the rows of a parquet file or folder of shards, in file then row order.

    Raises `DatasetUnreadable` when a shard is unreadable or lacks a required column; every
    shard is checked before the first row is yielded, so a bad shard stops nothing half-way.
    An image over `limits.max_file_bytes` rejects its row (it is already in the batch, but
    is not decoded or stored).
    """
    shards = parquet_shards(path)
    opened = [(shard, _open_shard(shard)) for shard in shards]
    for shard, parquet in opened:
        row_number = 0
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=list(REQUIRED_COLUMNS)):
            for row in _batch_rows(batch):
                origin = f"{shard.name} row {row_number}"
                row_number += 1
                if isinstance(row, UnicodeDecodeError):
                    yield RejectedRecord(origin, f"{origin}: a text column is not UTF-8 ({row})")
                    continue
                try:
                    yield _row_record(row, origin=origin, max_bytes=limits.max_file_bytes)
                except ValueError as exc:
                    yield RejectedRecord(_best_id(row, origin), f"{origin}: {exc}")


def count_hub_rows(path: Path) -> int:
    """Rows over all shards, from parquet metadata (reads no image)."""
    return sum(
        parquet.metadata.num_rows
        for _, parquet in ((s, _open_shard(s)) for s in parquet_shards(path))
    )
