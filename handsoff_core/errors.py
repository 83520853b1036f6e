"""Exceptions of the science layer.

Every error that concerns one item (one image, one sample, one edit) derives from
`ItemError`, so orchestration code can record it on that item and carry on with the rest.
Messages name the item and what is wrong with it.
"""

from __future__ import annotations


class HandsoffError(Exception):
    """Base class of every error raised by `handsoff_core`."""


class ItemError(HandsoffError):
    """A problem with one item; the caller records it and continues with the others."""


class ImageRejected(ItemError):
    """An image that cannot be used: unreadable, truncated, too large, or of a bad mode."""


class InstructionRejected(ItemError):
    """An instruction that is empty or longer than the stated limit."""


class MaskRejected(ItemError):
    """A mask that does not fit its image."""


class RecordRejected(ItemError):
    """A dataset record that is malformed (missing fields, wrong types, missing files)."""


class RewriteParseError(ItemError):
    """The LLM's answer could not be parsed into captions after the allowed retries.

    `raw_texts` keeps every answer the model gave, so the failure can be inspected.
    """

    def __init__(self, message: str, raw_texts: list[str]) -> None:
        super().__init__(message)
        self.raw_texts = raw_texts


class ModelUnavailable(HandsoffError):
    """A model named by a profile cannot be loaded (not cached, offline, or not found)."""


class ConfigError(HandsoffError):
    """A method or profile configuration with invalid or unknown parameters."""
