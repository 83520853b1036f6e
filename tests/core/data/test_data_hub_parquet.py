"""The hub parquet reader (osunlp/MagicBrush layout): rows to records, shards in order,
missing columns a clear dataset-level error, a bad row rejected by its id."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from handsoff_core.data import (
    DatasetUnreadable,
    RejectedRecord,
    SampleRecord,
    count_records,
    read_dataset,
)
from tests.core.data.builders import png

IMAGE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
SCHEMA = pa.schema(
    [
        ("img_id", pa.string()),
        ("turn_index", pa.int32()),
        ("source_img", IMAGE),
        ("mask_img", IMAGE),
        ("instruction", pa.string()),
        ("target_img", IMAGE),
    ]
)


def row(img_id: str, turn_index: int, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "img_id": img_id,
        "turn_index": turn_index,
        "source_img": {"bytes": png((turn_index, 0, 0)), "path": None},
        "mask_img": {"bytes": png((255, 255, 255)), "path": None},
        "instruction": f"edit {img_id} turn {turn_index}",
        "target_img": {"bytes": png((0, turn_index, 0)), "path": None},
    }
    values.update(overrides)
    return values


def write_shard(path: Path, rows: list[dict[str, object]], schema: pa.Schema = SCHEMA) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    names = schema.names
    pq.write_table(pa.Table.from_pylist([{k: r[k] for k in names} for r in rows], schema), path)
    return path


def test_rows_become_records_with_images_and_no_captions(tmp_path):
    shard = write_shard(tmp_path / "dev.parquet", [row("242679", 1), row("242679", 2)])
    records = list(read_dataset(shard))
    assert [(r.external_id, r.session_id, r.turn_index) for r in records] == [  # type: ignore[union-attr]
        ("242679-1", "242679", 1),
        ("242679-2", "242679", 2),
    ]
    second = records[1]
    assert isinstance(second, SampleRecord)
    assert second.instruction == "edit 242679 turn 2"
    assert second.source.data == png((2, 0, 0)) and second.target.data == png((0, 2, 0))  # type: ignore[union-attr]
    assert second.source.origin == "dev.parquet row 1 source_img"
    assert second.input_caption_global is None and second.output_caption_local is None
    assert count_records(shard) == 2


def test_folder_of_shards_is_read_in_name_order_across_batches(tmp_path):
    first = [row(str(1000 + i), 1) for i in range(20)]  # more than one 16-row batch
    write_shard(tmp_path / "data" / "dev-00001-of-00002.parquet", [row("2000", 1)])
    write_shard(tmp_path / "data" / "dev-00000-of-00002.parquet", first)
    records = list(read_dataset(tmp_path / "data", "hub"))
    assert [r.external_id for r in records] == [f"{1000 + i}-1" for i in range(20)] + ["2000-1"]
    assert count_records(tmp_path / "data") == 21


def test_missing_columns_are_named(tmp_path):
    schema = pa.schema([f for f in SCHEMA if f.name not in ("mask_img", "instruction")])
    shard = write_shard(tmp_path / "x.parquet", [row("1", 1)], schema)
    with pytest.raises(
        DatasetUnreadable, match=r"missing required column\(s\) mask_img, instruction"
    ):
        list(read_dataset(shard))
    with pytest.raises(DatasetUnreadable, match="mask_img"):
        count_records(shard)


def test_a_bad_shard_stops_the_read_before_any_row(tmp_path):
    write_shard(tmp_path / "d" / "a.parquet", [row("1", 1)])
    (tmp_path / "d" / "b.parquet").write_bytes(b"not parquet")
    with pytest.raises(DatasetUnreadable, match=r"b\.parquet: not a readable parquet file"):
        next(read_dataset(tmp_path / "d"))


def test_bad_rows_are_rejected_by_id_and_the_rest_reads(tmp_path):
    shard = write_shard(
        tmp_path / "dev.parquet",
        [
            row("1", 1),
            row("2", 1, source_img=None),
            row("3", 1, target_img={"bytes": None, "path": "3-output1.png"}),
            row("4", 0),
            row("5", 1, instruction=None),
            row("1", 1),  # the same turn twice
            row("6", 1, mask_img=None),  # no mask: allowed
        ],
    )
    records = list(read_dataset(shard))
    rejected = {r.external_id: r.reason for r in records if isinstance(r, RejectedRecord)}
    assert [r.external_id for r in records if isinstance(r, SampleRecord)] == ["1-1", "6-1"]
    assert rejected == {
        "2-1": "dev.parquet row 1: source_img is null",
        "3-1": "dev.parquet row 2: target_img has no bytes, only the path '3-output1.png' "
        "(path-only image structs are not supported)",
        "4-0": "dev.parquet row 3: turn_index must be an integer >= 1, got 0",
        "5-1": "dev.parquet row 4: instruction must be a string, got None",
        "1-1": "duplicate id '1-1': already read",
    }
