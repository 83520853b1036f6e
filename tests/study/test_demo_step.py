"""The `handsoff demo` extension step: a small study with one demo annotator."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from rich.console import Console

from db.engine import make_engine, session_scope
from db.queries.study_admin import list_studies
from db.settings import load_settings
from flows.cli.commands.demo import DemoContext, demo_steps
from flows.cli.demo_steps import study as study_step
from tests.study.world import build_world


def test_the_demo_creates_a_study_and_prints_the_app_command_and_link(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = make_engine(sqlite_url)
    world = build_world(engine, samples=3)
    settings = load_settings(database_url=sqlite_url, home=tmp_path, app_port=8599)
    output = StringIO()
    context = DemoContext(
        settings=settings,
        engine=engine,
        console=Console(file=output, width=200),
        workdir=tmp_path,
        dataset="tiny-bench",
        run_id=world.run_id,
        digest={},
    )
    assert ("study", study_step.run) in demo_steps()
    study_step.run(context)
    with session_scope(engine) as session:
        (study,) = list_studies(session=session)
    assert (study.items, study.gold_items, study.annotators) == (3, 2, 1)
    assert context.results["study_id"] == study.id
    link = context.results["study_link"]
    assert link.startswith("http://127.0.0.1:8599/?token=")
    assert any("handsoff app" in command and link in command for command in context.next_commands)
    assert link in output.getvalue()
    engine.dispose()
