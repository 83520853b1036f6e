"""The human study seen from the command line and the demo: create a study and hand out
personal links, read guidelines files; the command line that serves the annotation app.

Creating a study is one database transaction (db.queries.study_create), so it needs no
Prefect flow; this module adds what the database layer does not know: files, the app's
public address (for the links) and how to start the app.
"""

from __future__ import annotations

import importlib.util
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from db.engine import session_scope
from db.queries.study import StudyError, annotator_link
from db.queries.study_annotators import NewAnnotator, add_annotator, reissue_token
from db.queries.study_create import CreatedStudy, create_study
from db.queries.study_display import Progress
from db.queries.study_guidelines import (
    MAX_GUIDELINES_BYTES,
    MAX_GUIDELINES_LABEL,
    guidelines_problem,
)


@dataclass(frozen=True)
class AnnotatorLink:
    name: str
    link: str  # contains the token: shown once, never stored
    assigned: int


def links_for(base_url: str, annotators: Sequence[NewAnnotator]) -> list[AnnotatorLink]:
    return [
        AnnotatorLink(
            name=annotator.name,
            link=annotator_link(base_url=base_url, token=annotator.token),
            assigned=annotator.assigned,
        )
        for annotator in annotators
    ]


def create_study_with_links(
    *,
    engine: Engine,
    base_url: str,
    run_id: int,
    methods: Sequence[str],
    name: str | None = None,
    items: int | None = None,
    overlap: int = 1,
    annotators: Sequence[str] = (),
    gold: int = 0,
    seed: int | None = None,
    guidelines: str | None = None,
    progress: Progress | None = None,
) -> tuple[CreatedStudy, list[AnnotatorLink]]:
    """Create the study in one transaction (nothing is written if anything is wrong).
    Without `seed` its blinding comes from a new secret kept only in the database.
    Encoding every image for display is the long part of a large study (about 0.1-0.3 s
    per item at 512 px): `progress(done, total)` is called after each item."""
    with session_scope(engine) as session:
        created = create_study(
            session=session,
            run_id=run_id,
            methods=methods,
            name=name,
            items=items,
            overlap=overlap,
            annotators=annotators,
            gold=gold,
            seed=seed,
            guidelines=guidelines,
            progress=progress,
        )
    return created, links_for(base_url, created.annotators)


def add_annotator_with_link(
    *, engine: Engine, base_url: str, study: int | str, name: str, items: int | None = None
) -> AnnotatorLink:
    with session_scope(engine) as session:
        added = add_annotator(session=session, study=study, name=name, items=items)
    return links_for(base_url, [added])[0]


def reissue_link(*, engine: Engine, base_url: str, study: int | str, name: str) -> AnnotatorLink:
    """A new personal link for an annotator; the old one stops working."""
    with session_scope(engine) as session:
        reissued = reissue_token(session=session, study=study, name=name)
    return links_for(base_url, [reissued])[0]


def read_guidelines(path: Path) -> str:
    """The markdown of a guidelines file, or a StudyError naming the file and what is
    wrong with it (checked before any database write)."""
    where = f"guidelines file {str(path)!r}"
    try:
        info = path.stat()
    except FileNotFoundError:
        raise StudyError(f"{where} does not exist") from None
    except OSError as exc:
        raise StudyError(f"{where} cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise StudyError(f"{where} is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
        raise StudyError(f"{where} is not a regular file")
    if info.st_size > MAX_GUIDELINES_BYTES:
        raise StudyError(
            f"{where} is {info.st_size} bytes; guidelines are at most {MAX_GUIDELINES_LABEL}"
        )
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_GUIDELINES_BYTES + 1)  # bounded even if it grew meanwhile
    except OSError as exc:
        raise StudyError(f"{where} cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_GUIDELINES_BYTES:
        raise StudyError(f"{where} is over {MAX_GUIDELINES_LABEL}")
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark some editors write is dropped
    except UnicodeDecodeError as exc:
        raise StudyError(
            f"{where} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    problem = guidelines_problem(text)
    if problem is not None:
        raise StudyError(f"{where} {problem}")
    return text


def served_base_url(*, app_base_url: str | None, host: str, port: int) -> str:
    """The base of the links to an app served on host:port: the configured public address
    (HANDSOFF_APP_BASE_URL, e.g. behind a reverse proxy) or that host and port."""
    if app_base_url:
        return app_base_url.rstrip("/")
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address in a URL
    return f"http://{shown}:{port}"


def app_script() -> Path:
    """The annotation app's entry script, found without importing the app package."""
    spec = importlib.util.find_spec("annotation_app")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the annotation_app package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "app.py"


def app_command(*, host: str, port: int, python: str = sys.executable) -> list[str]:
    """`streamlit run` for the annotation app, locked down for annotators: no error details
    or tracebacks in the browser, no developer menu, no file watcher, no usage statistics."""
    return [
        python,
        "-m",
        "streamlit",
        "run",
        str(app_script()),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
        "--browser.gatherUsageStats",
        "false",
        "--client.showErrorDetails",
        "none",
        "--client.toolbarMode",
        "viewer",
        "--global.developmentMode",
        "false",
    ]
