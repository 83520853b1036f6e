"""A lost database is never a success: a run whose database file is deleted or replaced
mid-run, or whose URL now reaches another database, fails loudly with exit 18."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from db.engine import DatabaseLost, check_same_database, database_identity, make_engine
from flows.cli.app import main
from flows.cli.errors import ExitCode
from tests.db_fixtures import drop_postgres_database, fresh_postgres_url
from tests.flows.helpers import import_synthetic


def test_same_database_passes_the_check(engine: Engine) -> None:
    identity = database_identity(engine)
    check_same_database(engine, identity)  # the same database: no error
    assert identity == database_identity(engine)


def test_deleted_or_replaced_sqlite_file_is_lost(tmp_path: Path, sqlite_template: Path) -> None:
    path = tmp_path / "run.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    identity = database_identity(engine)
    # A running command holds connections, so the deleted file's inode stays taken and a
    # new file at the path cannot get the same number.
    held = engine.connect()
    path.unlink()
    with pytest.raises(DatabaseLost, match="its file is gone"):
        check_same_database(engine, identity)
    shutil.copyfile(sqlite_template, path)  # same path, another file
    with pytest.raises(DatabaseLost, match="it was replaced"):
        check_same_database(engine, identity)
    held.close()
    engine.dispose()


def test_another_postgresql_database_is_lost(
    postgres_url: str, postgres_template: str | None
) -> None:
    assert postgres_template is not None
    first = make_engine(postgres_url)
    other_url, other_name = fresh_postgres_url(postgres_template)
    other = make_engine(other_url)
    try:
        assert database_identity(first) != database_identity(other)
        with pytest.raises(DatabaseLost, match="replaced"):
            check_same_database(other, database_identity(first))
    finally:
        other.dispose()
        first.dispose()
        drop_postgres_database(other_name)


def test_run_whose_database_file_is_deleted_mid_run_fails(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    sqlite_template: Path,
    synthetic_dir: Path,
) -> None:
    path = tmp_path / "run.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("HANDSOFF_DATABASE_URL", url)
    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    import_synthetic(make_engine(url), synthetic_dir, name="syn")

    def pipeline_that_loses_the_file(**_kwargs: Any) -> dict[str, Any]:
        # What an operator's `rm` or a cleanup script does while edits are written.
        path.unlink()
        return {"evaluation": {"shards": 1}}

    monkeypatch.setattr(
        "flows.orchestration.pipeline.evaluation_pipeline", pipeline_that_loses_the_file
    )
    with pytest.raises(SystemExit) as exited:
        main(["run", "--dataset", "syn", "--methods", "identity", "--no-score"])
    err = capsys.readouterr().err
    assert exited.value.code == ExitCode.DATABASE_LOST, err
    assert "is not the one this command started with (its file is gone)" in err
    assert "completed" not in err
