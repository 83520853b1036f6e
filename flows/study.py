"""The human study seen from the command line and the demo: create a study and hand out
personal links; the command line that serves the annotation app.

Creating a study is one database transaction (db.queries.study_create), so it needs no
Prefect flow; this module adds what the database layer does not know: the app's public
address (for the links) and how to start the app.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from db.engine import session_scope
from db.queries.study import annotator_link
from db.queries.study_annotators import NewAnnotator, add_annotator
from db.queries.study_create import CreatedStudy, create_study


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
    seed: int = 0,
) -> tuple[CreatedStudy, list[AnnotatorLink]]:
    """Create the study in one transaction (nothing is written if anything is wrong)."""
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
        )
    return created, links_for(base_url, created.annotators)


def add_annotator_with_link(
    *, engine: Engine, base_url: str, study: int | str, name: str, items: int | None = None
) -> AnnotatorLink:
    with session_scope(engine) as session:
        added = add_annotator(session=session, study=study, name=name, items=items)
    return links_for(base_url, [added])[0]


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
