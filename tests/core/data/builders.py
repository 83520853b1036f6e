"""Small image and dataset builders for the reader tests (tiny images: tests stay fast)."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

from PIL import Image

SIZE = (24, 16)  # (width, height): not square, so a transposed size would be caught


def png(colour: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = SIZE) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def image_bytes(image: Image.Image, format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()


def dalle_mask(
    size: tuple[int, int] = SIZE, box: tuple[int, int, int, int] = (4, 4, 12, 10)
) -> bytes:
    """RGBA, opaque except `box` (x0, y0, x1, y1 exclusive), which is fully transparent."""
    image = Image.new("RGBA", size, (10, 20, 30, 255))
    image.paste((0, 0, 0, 0), box)
    return image_bytes(image)


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG whose header claims `width` x `height` pixels, with almost no data behind it."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def turn(session: str, n: int, instruction: str = "make it blue") -> dict[str, str]:
    """edit_sessions.json entry of turn `n` (input = previous output, as in the real data)."""
    return {
        "input": f"{session}-input.png" if n == 1 else f"{session}-output{n - 1}.png",
        "mask": f"{session}-mask{n}.png",
        "output": f"{session}-output{n}.png",
        "instruction": instruction,
    }


def write_session_images(root: Path, session: str, turns: int) -> None:
    """Valid images for `turns` turns of `session` (distinct colours per file)."""
    folder = root / "images" / session
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{session}-input.png").write_bytes(png((0, 0, 0)))
    for n in range(1, turns + 1):
        (folder / f"{session}-mask{n}.png").write_bytes(dalle_mask())
        (folder / f"{session}-output{n}.png").write_bytes(png((n * 40, 100, 200)))


def write_magicbrush(
    root: Path,
    sessions: dict[str, Any],
    *,
    global_descriptions: Any = None,
    local_descriptions: Any = None,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "edit_sessions.json").write_text(json.dumps(sessions))
    if global_descriptions is not None:
        (root / "global_descriptions.json").write_text(json.dumps(global_descriptions))
    if local_descriptions is not None:
        (root / "local_descriptions.json").write_text(json.dumps(local_descriptions))
    return root


def captions_for(session: str, turns: int) -> tuple[dict[str, str], dict[str, str]]:
    """(global, local) description entries of a session, with recognisable texts."""
    global_entry = {f"{session}-input.png": f"{session} input"}
    local_entry = {}
    for n in range(1, turns + 1):
        global_entry[f"{session}-output{n}.png"] = f"{session} output {n}"
        local_entry[f"{session}-output{n}.png"] = f"{session} local {n}"
    return global_entry, local_entry


def zip_folder(folder: Path, zip_path: Path, *, prefix: str = "") -> Path:
    """Zip every file under `folder`, each member named `prefix` + its relative path."""
    with zipfile.ZipFile(zip_path, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
    return zip_path
