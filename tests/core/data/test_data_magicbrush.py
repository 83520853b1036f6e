"""The MagicBrush reader: folder and zip alike, turn order kept, captions attached, and every
per-session or per-turn problem rejected by id while the rest reads."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from handsoff_core.data import (
    DatasetUnreadable,
    RejectedRecord,
    SampleRecord,
    ValidatedSample,
    count_records,
    read_dataset,
    validate_record,
)
from tests.core.data.builders import (
    bomb_png,
    captions_for,
    dalle_mask,
    image_bytes,
    png,
    turn,
    write_magicbrush,
    write_session_images,
    zip_folder,
)


def good_dataset(root: Path) -> Path:
    """Two sessions: "327726" with 2 turns and "100" with 1, with full descriptions."""
    sessions = {"327726": [turn("327726", 1, "put a hat on it"), turn("327726", 2)],
                "100": [turn("100", 1, "remove the cup")]}  # fmt: skip
    global_descriptions, local_descriptions = {}, {}
    for session, turns in (("327726", 2), ("100", 1)):
        write_session_images(root, session, turns)
        global_descriptions[session], local_descriptions[session] = captions_for(session, turns)
    return write_magicbrush(
        root,
        sessions,
        global_descriptions=global_descriptions,
        local_descriptions=local_descriptions,
    )


def split(items: list) -> tuple[list[SampleRecord], dict[str, str]]:
    samples = [item for item in items if isinstance(item, SampleRecord)]
    rejected = {item.external_id: item.reason for item in items if isinstance(item, RejectedRecord)}
    return samples, rejected


def test_folder_reads_turns_in_order_with_chained_inputs_and_captions(tmp_path):
    root = good_dataset(tmp_path / "test")
    samples, rejected = split(list(read_dataset(root)))
    assert rejected == {}
    assert [(s.external_id, s.session_id, s.turn_index) for s in samples] == [
        ("327726-1", "327726", 1),
        ("327726-2", "327726", 2),
        ("100-1", "100", 1),
    ]
    second = samples[1]
    # Turn 2's source is turn 1's output file, byte for byte.
    assert second.source.origin == "images/327726/327726-output1.png"
    assert second.source.data == samples[0].target.data  # type: ignore[union-attr]
    assert second.mask is not None and second.mask.origin == "images/327726/327726-mask2.png"
    assert second.instruction == "make it blue"
    assert (
        second.input_caption_global,
        second.output_caption_global,
        second.output_caption_local,
    ) == ("327726 output 1", "327726 output 2", "327726 local 2")
    assert samples[0].input_caption_global == "327726 input"
    assert count_records(root) == 3


@pytest.mark.parametrize("prefix", ["", "test/"])
def test_zip_gives_the_same_records_as_the_folder(tmp_path, prefix):
    root = good_dataset(tmp_path / "test")
    archive = zip_folder(root, tmp_path / "test.zip", prefix=prefix)
    assert list(read_dataset(archive)) == list(read_dataset(root))
    assert count_records(archive) == 3


def test_folder_with_the_release_one_folder_down_is_found(tmp_path):
    good_dataset(tmp_path / "unpacked" / "test")
    assert len(list(read_dataset(tmp_path / "unpacked"))) == 3


def test_zip_metadata_entries_are_ignored(tmp_path):
    root = good_dataset(tmp_path / "test")
    archive = zip_folder(root, tmp_path / "test.zip", prefix="test/")
    with zipfile.ZipFile(archive, "a") as writer:
        writer.writestr("__MACOSX/test/._edit_sessions.json", b"\x00\x05junk")
    assert len(split(list(read_dataset(archive)))[0]) == 3


def test_descriptions_are_optional(tmp_path):
    root = good_dataset(tmp_path / "test")
    (root / "global_descriptions.json").unlink()
    (root / "local_descriptions.json").unlink()
    samples, rejected = split(list(read_dataset(root)))
    assert rejected == {} and len(samples) == 3
    assert {(s.input_caption_global, s.output_caption_local) for s in samples} == {(None, None)}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "edit_sessions.json is not valid JSON"),
        ("[1, 2]", "must be an object keyed by image id, not a list"),
    ],
)
def test_malformed_sessions_file_makes_the_dataset_unreadable(tmp_path, content, message):
    root = good_dataset(tmp_path / "test")
    (root / "edit_sessions.json").write_text(content)
    with pytest.raises(DatasetUnreadable, match=message):
        list(read_dataset(root, "magicbrush"))


def test_malformed_description_file_makes_the_dataset_unreadable(tmp_path):
    root = good_dataset(tmp_path / "test")
    (root / "local_descriptions.json").write_text('{"100": ')
    with pytest.raises(DatasetUnreadable, match=r"local_descriptions.json is not valid JSON"):
        list(read_dataset(root))


def test_missing_sessions_file_in_a_named_magicbrush_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetUnreadable, match=r"no edit_sessions.json found"):
        list(read_dataset(tmp_path / "empty", "magicbrush"))


def test_unreadable_zip_is_a_clear_error(tmp_path):
    broken = tmp_path / "test.zip"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(DatasetUnreadable, match=r"not a readable zip"):
        list(read_dataset(broken))


def test_two_releases_side_by_side_are_ambiguous(tmp_path):
    good_dataset(tmp_path / "both" / "test")
    good_dataset(tmp_path / "both" / "dev")
    with pytest.raises(DatasetUnreadable, match=r"several edit_sessions.json"):
        list(read_dataset(tmp_path / "both"))


@pytest.mark.skipif(shutil.which("zip") is None, reason="needs the zip command to encrypt")
def test_password_protected_zip_needs_its_password(tmp_path):
    root = good_dataset(tmp_path / "test")
    archive = tmp_path / "test.zip"
    subprocess.run(
        ["zip", "-q", "-r", "-P", "secret", str(archive), "test"], cwd=tmp_path, check=True
    )
    with pytest.raises(DatasetUnreadable, match=r"password-protected"):
        list(read_dataset(archive))
    assert list(read_dataset(archive, zip_password="secret")) == list(read_dataset(root))
    with pytest.raises(DatasetUnreadable, match=r"edit_sessions.json"):
        list(read_dataset(archive, zip_password="wrong"))


def test_every_bad_input_is_rejected_by_id_while_the_rest_reads(tmp_path):
    """One dataset holding each bad case of the issue next to good sessions."""
    root = tmp_path / "test"
    sessions: dict[str, object] = {}
    turns_of: dict[str, list[dict[str, str]]] = {}

    def add(session: str, turns: int = 1, **replace: bytes) -> None:
        turns_of[session] = [dict(turn(session, n, f"edit {session}")) for n in range(1, turns + 1)]
        sessions[session] = turns_of[session]
        write_session_images(root, session, turns)
        for file_name, data in replace.items():
            (root / "images" / session / f"{session}-{file_name}.png").write_bytes(data)

    add("good", turns=2)
    add("empty", input=b"")
    add("corrupt", output1=b"\x89PNG\r\n\x1a\n garbage")
    add("truncated", input=png()[:50])
    add("bomb", input=bomb_png(5000, 5000))
    add("mask-size", mask1=dalle_mask(size=(8, 8)))
    add("missing-file")
    (root / "images" / "missing-file" / "missing-file-mask1.png").unlink()
    add("mode-rgba", input=image_bytes(Image.new("RGBA", (24, 16))))
    add("mode-cmyk", input=image_bytes(Image.new("CMYK", (24, 16)), "JPEG"))
    add("bad-turn", turns=2)
    sessions["bad-turn"] = [turns_of["bad-turn"][0], ["not", "an", "object"]]
    add("no-instruction")
    del turns_of["no-instruction"][0]["instruction"]
    add("traversal")
    turns_of["traversal"][0]["output"] = "../good/good-output1.png"
    add("blank-instruction")
    turns_of["blank-instruction"][0]["instruction"] = "   "
    add("long-instruction")
    turns_of["long-instruction"][0]["instruction"] = "word " * 200
    add("bad-captions", turns=2)
    sessions["not-a-list"] = {"input": "x.png"}
    sessions["no-turns"] = []
    write_magicbrush(
        root,
        sessions,
        global_descriptions={"good": captions_for("good", 2)[0], "bad-captions": "oops"},
    )

    results: list[ValidatedSample | RejectedRecord] = []
    for item in read_dataset(root):
        results.append(item if isinstance(item, RejectedRecord) else validate_record(item))
    accepted = {r.record.external_id: r for r in results if isinstance(r, ValidatedSample)}
    rejected = {r.external_id: r.reason for r in results if isinstance(r, RejectedRecord)}

    assert sorted(accepted) == ["bad-turn-1", "good-1", "good-2", "mode-cmyk-1", "mode-rgba-1"]
    assert accepted["good-2"].record.output_caption_global == "good output 2"
    assert accepted["mode-rgba-1"].notes[0].startswith("source: converted RGBA to RGB")
    assert accepted["mode-cmyk-1"].notes[0] == "source: converted CMYK to RGB"
    expected = {
        "empty-1": "empty-1 source (images/empty/empty-input.png): empty file",
        "corrupt-1": "corrupt-1 target (images/corrupt/corrupt-output1.png): cannot decode",
        "truncated-1": "cannot decode image",
        "bomb-1": "exceeds the limit",
        "mask-size-1": "mask is 8x8 but its image is 24x16",
        "missing-file-1": "images/missing-file/missing-file-mask1.png: referenced file is missing",
        "bad-turn-2": "turn is a list, expected an object",
        "no-instruction-1": "field 'instruction' must be a string",
        "traversal-1": "must be a bare file name",
        "blank-instruction-1": "empty instruction",
        "long-instruction-1": "999 characters, over the limit of 500",
        "bad-captions-1": "global_descriptions.json entry is a string",
        "bad-captions-2": "global_descriptions.json entry is a string",
        "session not-a-list": "session is an object, expected a list of turns",
        "session no-turns": "session has no turns",
    }
    assert set(rejected) == set(expected)
    for item_id, reason in expected.items():
        assert reason in rejected[item_id], (item_id, rejected[item_id])


def test_a_session_given_twice_is_reported(tmp_path):
    root = good_dataset(tmp_path / "test")
    text = (root / "edit_sessions.json").read_text()
    duplicated = text.rstrip("}") + ', "100": ' + json.dumps([turn("100", 1, "second")]) + "}"
    (root / "edit_sessions.json").write_text(duplicated)
    samples, rejected = split(list(read_dataset(root)))
    assert rejected == {"session 100": "edit_sessions.json: session appears more than once; "
                        "only its last entry is read"}  # fmt: skip
    assert [s.instruction for s in samples if s.session_id == "100"] == ["second"]
