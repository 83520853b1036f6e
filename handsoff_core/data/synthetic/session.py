"""One session of the synthetic benchmark: a scene, 1 to 3 edits on it, every image encoded.

Turn N+1 edits turn N's output. Masks are DALL-E 2 style like the real MagicBrush zip's: the
turn's input image as RGBA with the edited region fully transparent. Each session is drawn
from its own generator, seeded by (seed, session index), so a session's bytes depend on
nothing else: not on the other sessions, nor on how many processes draw them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from handsoff_core.data.synthetic.edits import (
    free_colours,
    place_shape,
    random_background,
    random_edit,
)
from handsoff_core.data.synthetic.png import encode_png_fast
from handsoff_core.data.synthetic.scene import (
    SHAPE_KINDS,
    Background,
    Scene,
    render,
    shapes_region,
)

GENERATOR_VERSION = 1
# MagicBrush test: 535 sessions, 1,053 turns; the synthetic benchmark keeps that ratio.
TURNS_PER_SESSION = 1053 / 535
SINGLE_TURN_SHARE = 0.3


@dataclass
class SyntheticSession:
    """One session, drawn and encoded: everything the writer puts on disk for it."""

    session_id: str
    turns: list[dict[str, str]]  # edit_sessions.json entries: input, mask, output, instruction
    global_descriptions: dict[str, str]  # file name -> caption
    local_descriptions: dict[str, str]  # output file name -> caption
    kinds: list[str]
    png_files: dict[str, bytes] = field(default_factory=dict)  # file name -> PNG


def turn_counts(sessions: int, seed: int) -> list[int]:
    """1 to 3 turns per session, totalling MagicBrush test's ratio (535 -> 1,053)."""
    total = round(sessions * TURNS_PER_SESSION)
    singles = round(sessions * SINGLE_TURN_SHARE)
    # singles + 2 doubles + 3 triples = total, singles + doubles + triples = sessions
    triples = max(0, total - 2 * sessions + singles)
    doubles = max(0, sessions - singles - triples)
    counts = [1] * singles + [2] * doubles + [3] * triples
    random.Random(f"handsoff-synthetic-v{GENERATOR_VERSION}:{seed}:turns").shuffle(counts)
    return counts


def session_id(index: int) -> str:
    return str(100001 + index)  # numeric like MagicBrush's image ids


def _initial_scene(rng: random.Random, size: int) -> Scene:
    scene = Scene(background=random_background(rng, avoid=set()), shapes=())
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(SHAPE_KINDS)
        shape = place_shape(rng, scene, size, kind, rng.choice(free_colours(scene, kind)))
        if shape is not None:
            scene = Scene(scene.background, (*scene.shapes, shape))
    if not scene.shapes:  # only possible on tiny canvases
        raise ValueError(f"cannot place a shape on a {size}x{size} canvas")
    return scene


def _dalle_mask(before: Image.Image, region: np.ndarray) -> np.ndarray:
    """(H, W, 4): the turn's input with the edited region transparent (alpha 0), as the
    real zip's DALL-E 2 masks are."""
    mask = before.convert("RGBA")
    mask.putalpha(Image.fromarray(np.where(region, 0, 255).astype(np.uint8), mode="L"))
    return np.asarray(mask)


def _changed_pixels(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels whose colour differs. (OR of channels: far faster than any(axis=2).)"""
    differs = before != after  # (H, W, 3)
    return differs[..., 0] | differs[..., 1] | differs[..., 2]


def make_session(seed: int, index: int, n_turns: int, size: int) -> SyntheticSession:
    """Draw session `index` of the benchmark for `seed`: pure, deterministic."""
    rng = random.Random(f"handsoff-synthetic-v{GENERATOR_VERSION}:{seed}:{index}")
    sid = session_id(index)
    backgrounds: dict[Background, Image.Image] = {}
    scene = _initial_scene(rng, size)
    before_image = render(scene, size, backgrounds)
    before = np.asarray(before_image)  # (size, size, 3) uint8
    input_name = f"{sid}-input.png"
    session = SyntheticSession(sid, [], {input_name: scene.describe()}, {}, [])
    session.png_files[input_name] = encode_png_fast(before)
    for turn in range(1, n_turns + 1):
        edit = random_edit(rng, scene, size)
        after_image = render(edit.after, size, backgrounds)
        after = np.asarray(after_image)
        if edit.changes_background:
            region = ~shapes_region(scene.shapes, size)
        else:
            region = shapes_region(edit.changed_shapes, size)
        # The invariants the benchmark promises: every turn changes some pixels, and none
        # outside its mask.
        changed = _changed_pixels(before, after)
        if not changed.any() or (changed & ~region).any():
            raise AssertionError(f"session {sid} turn {turn}: edit not confined to its mask")
        mask_name, output_name = f"{sid}-mask{turn}.png", f"{sid}-output{turn}.png"
        session.png_files[mask_name] = encode_png_fast(_dalle_mask(before_image, region))
        session.png_files[output_name] = encode_png_fast(after)
        session.turns.append(
            {
                "input": input_name,
                "mask": mask_name,
                "output": output_name,
                "instruction": edit.instruction[0].upper() + edit.instruction[1:],
            }
        )
        session.global_descriptions[output_name] = edit.after.describe()
        session.local_descriptions[output_name] = edit.local_description
        session.kinds.append(edit.kind)
        scene, before_image, before, input_name = edit.after, after_image, after, output_name
    return session
