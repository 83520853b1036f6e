"""Shared vocabulary of the blind study (docs/method.md s5): errors, tokens, answer values.

The study queries are split by concern:
- `study_create`: choose items where both methods have an edit, add gold items, assign;
- `study_annotators`: annotators, their tokens and personal orders, revocation;
- `study_answers`: what an annotator's page loads and writes (blind by construction);
- `study_history`: the annotator's answer history (append-only events), reopening, guidelines;
- `study_counted`: which answers count (read from the study views) and the agreement table;
- `study_admin`: progress, gold accuracy, time per item, acceptability, CSV export.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import GoldRole, PreferenceKind, Study


class Verdict(enum.StrEnum):
    """An annotator's answer about one edit. "Can't judge" is an answer (the item counts as
    answered) but never a vote: it is reported separately, not as unacceptable."""

    ACCEPTABLE = "acceptable"
    NOT_ACCEPTABLE = "not_acceptable"
    CANT_JUDGE = "cant_judge"

    @property
    def acceptable(self) -> bool | None:
        """The verdict as stored in `judgment.acceptable`: None for can't judge."""
        if self is Verdict.CANT_JUDGE:
            return None
        return self is Verdict.ACCEPTABLE

    @classmethod
    def stored(cls, acceptable: bool | None) -> Verdict:
        """The verdict of a stored judgment row (NULL `acceptable`: can't judge)."""
        if acceptable is None:
            return cls.CANT_JUDGE
        return cls.ACCEPTABLE if acceptable else cls.NOT_ACCEPTABLE


# The longest can't-judge reason stored (characters).
MAX_REASON_CHARS = 500


# Gold options: the unedited source shown as an edit must be judged unacceptable; the
# dataset's ground-truth target must be judged acceptable.
GOLD_SOURCE = GoldRole.SOURCE.value
GOLD_TARGET = GoldRole.TARGET.value

# The page's neutral labels, left to right. Which option each label shows is decided per
# assignment (`Assignment.swap_sides`) and resolved only on the server.
SIDE_LABELS: tuple[str, str] = ("A", "B")
Side = Literal["A", "B"]

# `Assignment.preference_kind`: "option" (with `preferred_option_id`), "tie" or "both_bad".
PREFERENCE_OPTION = PreferenceKind.OPTION.value
PREFERENCE_TIE = PreferenceKind.TIE.value
PREFERENCE_BOTH_BAD = PreferenceKind.BOTH_BAD.value
# What the page may answer to "Which is better?".
Preference = Literal["A", "B", "tie", "both_bad"]
PREFERENCE_ANSWERS: tuple[str, ...] = ("A", "B", "tie", "both_bad")


class StudyError(ValueError):
    """A study request that cannot be carried out; the message names what is wrong."""


class StudyNotFound(StudyError, LookupError):
    pass


class AnnotatorNotFound(StudyError, LookupError):
    pass


def new_token() -> str:
    """A personal link token: 192 random bits, URL-safe. Only its hash is stored."""
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def annotator_link(*, base_url: str, token: str) -> str:
    """The personal link; the token is the only query parameter the app reads."""
    return f"{base_url.rstrip('/')}/?token={token}"


def get_study(*, session: Session, study: int | str) -> Study:
    """A study by id (an int, or a string of digits) or by name."""
    if isinstance(study, int) or study.isdigit():
        found = session.get(Study, int(study))
    else:
        found = session.scalar(select(Study).where(Study.name == study))
    if found is None:
        known = session.scalars(select(Study.name).order_by(Study.id)).all()
        hint = f"; known studies: {', '.join(known)}" if known else "; no study exists yet"
        raise StudyNotFound(f"no study {study!r}{hint}")
    return found
