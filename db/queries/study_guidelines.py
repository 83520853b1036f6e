"""A study's guidelines: markdown written by the administrator (the question's definition in
their words, examples), shown to annotators before the first item and from every item.

Set at creation or changed later; the page reads them with
`db.queries.study_history.study_guidelines`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from db.queries.study import StudyError, get_study

# Guidelines are a page of text with a few examples, not a document store: anything larger
# is almost certainly the wrong file.
MAX_GUIDELINES_BYTES = 1024 * 1024
MAX_GUIDELINES_LABEL = "1 MiB"


def guidelines_problem(text: str) -> str | None:
    """Why `text` cannot be a study's guidelines, or None when it can."""
    if not text.strip():
        return "is empty (to remove a study's guidelines, clear them)"
    if "\x00" in text:
        # PostgreSQL text cannot hold NUL; SQLite would keep it and the page would not.
        return f"contains a NUL character at character {text.index(chr(0))}"
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        return f"contains a lone surrogate at character {exc.start}"
    if size > MAX_GUIDELINES_BYTES:
        return f"is {size} bytes; guidelines are at most {MAX_GUIDELINES_LABEL}"
    return None


def check_guidelines(text: str) -> str:
    problem = guidelines_problem(text)
    if problem is not None:
        raise StudyError(f"the guidelines {problem}")
    return text


def set_guidelines(*, session: Session, study: int | str, text: str | None) -> str:
    """Replace the study's guidelines (None clears them); returns the study's name.
    Annotators see the new text on their next page load."""
    found = get_study(session=session, study=study)
    found.guidelines = None if text is None else check_guidelines(text)
    session.flush()
    return found.name
