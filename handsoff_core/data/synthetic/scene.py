"""Procedural scenes: flat shapes on a plain, gradient or textured background.

A scene is data (frozen dataclasses), drawn by `render`. Shapes never overlap (their bounding
circles keep a gap), and every shape is drawn with PIL's non-antialiased primitives, so the
pixels a shape owns are exactly those of `shape_region` — the property that makes each edit's
mask exact: changing one shape changes no pixel outside its region.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

# Named colours: every colour a description or an instruction mentions is one of these.
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "orange": (245, 140, 30),
    "yellow": (240, 220, 40),
    "green": (50, 170, 70),
    "blue": (40, 80, 220),
    "purple": (140, 60, 190),
    "pink": (240, 130, 180),
    "brown": (130, 80, 40),
    "black": (20, 20, 20),
    "white": (245, 245, 245),
    "grey": (128, 128, 128),
    "cyan": (40, 200, 210),
}
SHAPE_KINDS = ("circle", "square", "triangle", "star", "hexagon", "diamond", "cross")
BACKGROUND_STYLES = ("plain", "gradient", "stripes", "checkerboard", "dots")


def with_article(noun_phrase: str) -> str:
    return ("an " if noun_phrase[0] in "aeiou" else "a ") + noun_phrase


@dataclass(frozen=True)
class Shape:
    kind: str
    colour: str
    centre: tuple[int, int]  # (x, y) pixels
    radius: int  # bounding-circle radius in pixels: the shape lies inside it

    @property
    def name(self) -> str:
        return f"{self.colour} {self.kind}"

    def outline(self) -> list[tuple[int, int]]:
        """Polygon vertices (integers, so drawing is the same on every platform)."""
        cx, cy = self.centre
        r = self.radius

        def ring(radii: list[float], start_deg: float) -> list[tuple[int, int]]:
            step = 360.0 / len(radii)
            return [
                (
                    round(cx + rad * math.cos(math.radians(start_deg + i * step))),
                    round(cy + rad * math.sin(math.radians(start_deg + i * step))),
                )
                for i, rad in enumerate(radii)
            ]

        if self.kind == "square":
            h = round(r * 0.7)  # half side; corners at 0.99 r stay inside the circle
            return [(cx - h, cy - h), (cx + h, cy - h), (cx + h, cy + h), (cx - h, cy + h)]
        if self.kind == "triangle":
            return ring([r] * 3, -90)
        if self.kind == "star":
            return ring([r, r * 0.45] * 5, -90)
        if self.kind == "hexagon":
            return ring([r] * 6, 0)
        if self.kind == "diamond":
            return ring([r] * 4, -90)
        if self.kind == "cross":
            a, b = round(r * 0.3), round(r * 0.7)  # half arm width, half arm length
            return [
                (cx - a, cy - b), (cx + a, cy - b), (cx + a, cy - a), (cx + b, cy - a),
                (cx + b, cy + a), (cx + a, cy + a), (cx + a, cy + b), (cx - a, cy + b),
                (cx - a, cy + a), (cx - b, cy + a), (cx - b, cy - a), (cx - a, cy - a),
            ]  # fmt: skip
        raise ValueError(f"unknown shape kind {self.kind!r}")

    def draw(self, draw: ImageDraw.ImageDraw, fill: int | tuple[int, int, int]) -> None:
        if self.kind == "circle":
            cx, cy = self.centre
            r = self.radius
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
        else:
            draw.polygon(self.outline(), fill=fill)


@dataclass(frozen=True)
class Background:
    style: str  # one of BACKGROUND_STYLES
    colours: tuple[str, ...]  # one for plain, two for the others
    horizontal: bool = True  # direction of gradients and stripes

    def describe(self) -> str:
        a = self.colours[0]
        b = self.colours[-1]
        return {
            "plain": f"a plain {a} background",
            "gradient": f"a background fading from {a} to {b}",
            "stripes": f"a background of {a} and {b} stripes",
            "checkerboard": f"a {a} and {b} checkerboard background",
            "dots": f"a {a} background with {b} dots",
        }[self.style]

    def pattern(self) -> str:
        """How an instruction names this background: "make the background {pattern}"."""
        a = self.colours[0]
        b = self.colours[-1]
        return {
            "plain": a,
            "gradient": f"a gradient from {a} to {b}",
            "stripes": f"{a} and {b} stripes",
            "checkerboard": f"a {a} and {b} checkerboard",
            "dots": f"{b} dots on {a}",
        }[self.style]

    def draw(self, size: int) -> Image.Image:
        """The background alone, RGB. Patterns are a boolean layout (where the second colour
        goes) pasted through PIL, which is several times faster than blending in numpy."""
        first = PALETTE[self.colours[0]]
        second = PALETTE[self.colours[-1]]
        image = Image.new("RGB", (size, size), first)
        if self.style == "plain":
            return image
        xs = np.arange(size)[None, :]  # (1, size)
        ys = np.arange(size)[:, None]  # (size, 1)
        along = xs if self.horizontal else ys
        half_period = max(2, size // 16)
        if self.style == "gradient":
            t = (np.arange(size, dtype=np.float64) / max(1, size - 1))[:, None]  # (size, 1)
            ramp = np.rint(np.array(first) * (1 - t) + np.array(second) * t).astype(np.uint8)
            ramp_2d = ramp[None, :, :] if self.horizontal else ramp[:, None, :]  # (1|size, ...)
            return Image.fromarray(np.ascontiguousarray(np.broadcast_to(ramp_2d, (size, size, 3))))
        if self.style == "stripes":
            second_colour = (along // half_period) % 2 == 1
        elif self.style == "checkerboard":
            second_colour = (xs // half_period + ys // half_period) % 2 == 1
        elif self.style == "dots":
            period = 2 * half_period
            dx, dy = xs % period - half_period, ys % period - half_period
            second_colour = dx * dx + dy * dy <= (0.4 * half_period) ** 2
        else:
            raise ValueError(f"unknown background style {self.style!r}")
        layout = np.broadcast_to(second_colour, (size, size)).astype(np.uint8) * 255
        image.paste(second, mask=Image.fromarray(layout, mode="L"))
        return image


@dataclass(frozen=True)
class Scene:
    background: Background
    shapes: tuple[Shape, ...]

    def describe(self) -> str:
        """Global description, e.g. "a red circle and a blue square on a plain green background"."""
        names = [with_article(shape.name) for shape in self.shapes]
        if not names:
            return self.background.describe()
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        background = self.background.describe().removeprefix("a ").removeprefix("an ")
        return f"{listed} on {with_article(background)}"


def render(
    scene: Scene, size: int, backgrounds: dict[Background, Image.Image] | None = None
) -> Image.Image:
    """The scene, RGB. `backgrounds` caches drawn backgrounds across a session's turns."""
    if backgrounds is None:
        backgrounds = {}
    if scene.background not in backgrounds:
        backgrounds[scene.background] = scene.background.draw(size)
    image = backgrounds[scene.background].copy()
    draw = ImageDraw.Draw(image)
    for shape in scene.shapes:
        shape.draw(draw, PALETTE[shape.colour])
    return image


def shapes_region(shapes: tuple[Shape, ...] | list[Shape], size: int) -> np.ndarray:
    """(size, size) bool: the pixels the given shapes cover when drawn."""
    region = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(region)
    for shape in shapes:
        shape.draw(draw, 255)
    return np.asarray(region) > 0
