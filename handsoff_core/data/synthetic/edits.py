"""The MagicBrush kinds of edit, on synthetic scenes: recolour, add, remove, replace a shape,
change the background. Each turns a scene into the edited scene, the instruction that asks
for it, the shapes whose pixels change (for the exact mask) and the local description.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from handsoff_core.data.synthetic.scene import (
    BACKGROUND_STYLES,
    PALETTE,
    SHAPE_KINDS,
    Background,
    Scene,
    Shape,
    with_article,
)

MAX_SHAPES = 5
# Relative frequencies of the kinds (MagicBrush is dominated by object edits and recolours).
KIND_WEIGHTS = {"recolour": 3, "add": 3, "remove": 2, "replace": 3, "background": 2}


@dataclass(frozen=True)
class Edit:
    kind: str
    instruction: str
    after: Scene
    # Which pixels change: the listed shapes' regions (of the scene before and after), or,
    # for a background edit, everything no shape covers.
    changed_shapes: tuple[Shape, ...]
    changes_background: bool
    local_description: str


def random_background(rng: random.Random, avoid: set[str]) -> Background:
    """A background whose colours are none of `avoid` (the shapes' colours)."""
    style = rng.choice(BACKGROUND_STYLES)
    free = [c for c in PALETTE if c not in avoid]
    colours = (rng.choice(free),) if style == "plain" else tuple(rng.sample(free, 2))
    return Background(style=style, colours=colours, horizontal=rng.random() < 0.5)


def free_colours(scene: Scene, kind: str) -> list[str]:
    """Colours a shape of `kind` may take: not a background colour, and no other shape with
    the same colour and kind (so "the red circle" always names one shape)."""
    taken = {s.colour for s in scene.shapes if s.kind == kind}
    return [c for c in PALETTE if c not in scene.background.colours and c not in taken]


def place_shape(
    rng: random.Random, scene: Scene, size: int, kind: str, colour: str
) -> Shape | None:
    """A shape at a random free spot (its bounding circle clear of the others), or None."""
    gap = max(2, size // 64)
    for _ in range(60):
        radius = max(3, round(size * rng.uniform(0.07, 0.13)))
        margin = radius + gap
        centre = (rng.randint(margin, size - 1 - margin), rng.randint(margin, size - 1 - margin))
        if all(
            math.dist(centre, other.centre) > radius + other.radius + gap for other in scene.shapes
        ):
            return Shape(kind=kind, colour=colour, centre=centre, radius=radius)
    return None


def where(centre: tuple[int, int], size: int) -> str:
    column, row = (min(2, 3 * v // size) for v in centre)
    return [
        ["in the top left corner", "at the top", "in the top right corner"],
        ["on the left", "in the middle", "on the right"],
        ["in the bottom left corner", "at the bottom", "in the bottom right corner"],
    ][row][column]


def _replace_shape(scene: Scene, old: Shape, new: Shape | None) -> Scene:
    """The scene with `old` swapped for `new` in place (drawing order kept), or removed."""
    shapes: list[Shape] = []
    for shape in scene.shapes:
        if shape != old:
            shapes.append(shape)
        elif new is not None:
            shapes.append(new)
    return Scene(background=scene.background, shapes=tuple(shapes))


def recolour(rng: random.Random, scene: Scene, size: int) -> Edit | None:
    shape = rng.choice(scene.shapes)
    colours = [c for c in free_colours(scene, shape.kind) if c != shape.colour]
    if not colours:
        return None
    colour = rng.choice(colours)
    new = Shape(shape.kind, colour, shape.centre, shape.radius)
    template = rng.choice(
        [
            "make the {old} {new_colour}",
            "change the colour of the {old} to {new_colour}",
            "turn the {old} {new_colour}",
            "paint the {old} {new_colour}",
        ]
    )
    return Edit(
        kind="recolour",
        instruction=template.format(old=shape.name, new_colour=colour),
        after=_replace_shape(scene, shape, new),
        changed_shapes=(shape,),
        changes_background=False,
        local_description=with_article(new.name),
    )


def add(rng: random.Random, scene: Scene, size: int) -> Edit | None:
    if len(scene.shapes) >= MAX_SHAPES:
        return None
    kind = rng.choice(SHAPE_KINDS)
    colours = free_colours(scene, kind)
    new = place_shape(rng, scene, size, kind, rng.choice(colours)) if colours else None
    if new is None:
        return None
    verb = rng.choice(["add", "put", "draw", "place"])
    return Edit(
        kind="add",
        instruction=f"{verb} {with_article(new.name)} {where(new.centre, size)}",
        after=Scene(scene.background, (*scene.shapes, new)),
        changed_shapes=(new,),
        changes_background=False,
        local_description=with_article(new.name),
    )


def remove(rng: random.Random, scene: Scene, size: int) -> Edit | None:
    if len(scene.shapes) < 2:  # keep at least one object in every scene
        return None
    shape = rng.choice(scene.shapes)
    verb = rng.choice(["remove", "take away", "get rid of", "erase"])
    return Edit(
        kind="remove",
        instruction=f"{verb} the {shape.name}",
        after=_replace_shape(scene, shape, None),
        changed_shapes=(shape,),
        changes_background=False,
        local_description=scene.background.describe(),
    )


def replace(rng: random.Random, scene: Scene, size: int) -> Edit | None:
    shape = rng.choice(scene.shapes)
    kind = rng.choice([k for k in SHAPE_KINDS if k != shape.kind])
    colours = free_colours(scene, kind)
    if not colours:
        return None
    # Same colour half the time ("turn the red circle into a red star"), else a new one.
    colour = shape.colour if shape.colour in colours and rng.random() < 0.5 else rng.choice(colours)
    # Same centre and bounding circle: the new shape cannot touch a neighbour.
    new = Shape(kind, colour, shape.centre, shape.radius)
    template = rng.choice(
        [
            "replace the {old} with {new}",
            "turn the {old} into {new}",
            "swap the {old} for {new}",
            "change the {old} to {new}",
        ]
    )
    return Edit(
        kind="replace",
        instruction=template.format(old=shape.name, new=with_article(new.name)),
        after=_replace_shape(scene, shape, new),
        changed_shapes=(shape, new),
        changes_background=False,
        local_description=with_article(new.name),
    )


def change_background(rng: random.Random, scene: Scene, size: int) -> Edit | None:
    avoid = {s.colour for s in scene.shapes}
    background = random_background(rng, avoid)
    if background == scene.background or len(set(PALETTE) - avoid) < 2:
        return None
    pattern = background.pattern()
    if background.style == "plain":
        templates = ["make the background {p}", "change the background colour to {p}"]
    else:
        templates = ["change the background to {p}", "replace the background with {p}"]
    instruction = rng.choice(templates).format(p=pattern)
    return Edit(
        kind="background",
        instruction=instruction,
        after=Scene(background, scene.shapes),
        changed_shapes=(),
        changes_background=True,
        local_description=background.describe(),
    )


EDIT_KINDS: dict[str, Callable[[random.Random, Scene, int], Edit | None]] = {
    "recolour": recolour,
    "add": add,
    "remove": remove,
    "replace": replace,
    "background": change_background,
}


def random_edit(rng: random.Random, scene: Scene, size: int) -> Edit:
    """An edit of a kind drawn by `KIND_WEIGHTS`; kinds impossible on this scene are redrawn."""
    kinds = list(KIND_WEIGHTS)
    while kinds:
        kind = rng.choices(kinds, weights=[KIND_WEIGHTS[k] for k in kinds])[0]
        edit = EDIT_KINDS[kind](rng, scene, size)
        if edit is not None:
            return edit
        kinds.remove(kind)
    raise RuntimeError(f"no edit is possible on scene {scene.describe()!r}")  # unreachable
