"""Names of JSON types for messages about wrongly shaped data ("a list", not "a _Object")."""

from __future__ import annotations

from typing import Any


def json_type(value: Any) -> str:
    """ "an object", "a list", "a string", "a number", "a boolean" or "null"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    return f"a {type(value).__name__}"
