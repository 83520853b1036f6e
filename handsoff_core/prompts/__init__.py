"""Versioned prompt templates for the LLM rewriter (one file per version: `<version>.txt`).

A template's version is its file name; its text (sha256) is part of every rewrite cache key,
so editing a template file can never reuse answers produced with the old text. Placeholders:
`[TRANSFORMATION]` (the instruction) and `[NUMBER]` (captions per side, e.g. "one (1)"); the
before caption goes where `[CAPTION]` is, or is appended after the template (the authors'
layout) when there is no `[CAPTION]`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

from handsoff_core.errors import ConfigError

DEFAULT_TEMPLATE = "authors-v1"
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@dataclass(frozen=True)
class PromptTemplate:
    version: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def render(self, *, instruction: str, before_caption: str, n_captions: int) -> str:
        prompt = self.text.replace("[TRANSFORMATION]", instruction.strip())
        prompt = prompt.replace("[NUMBER]", number_phrase(n_captions))
        if "[CAPTION]" in prompt:
            return prompt.replace("[CAPTION]", before_caption.strip())
        return f"{prompt.rstrip()}\n{before_caption.strip()}"


def number_phrase(n: int) -> str:
    """The authors' spelling of a count: 1 -> "one (1)"."""
    word = _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)
    return f"{word} ({n})"


def template_versions() -> list[str]:
    folder = resources.files(__name__)
    return sorted(
        entry.name.removesuffix(".txt") for entry in folder.iterdir() if entry.name.endswith(".txt")
    )


def load_template(version: str = DEFAULT_TEMPLATE) -> PromptTemplate:
    if version not in template_versions():
        raise ConfigError(
            f"unknown prompt template {version!r}; known: {', '.join(template_versions())}"
        )
    text = resources.files(__name__).joinpath(f"{version}.txt").read_text("utf-8")
    return PromptTemplate(version=version, text=text)
