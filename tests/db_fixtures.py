"""Database fixtures, loaded as a pytest plugin (see pyproject addopts).

`database_url` runs a test against SQLite *and* PostgreSQL: each test gets a fresh database
already migrated to head, copied from a template migrated once per session (a file copy for
SQLite, `CREATE DATABASE ... TEMPLATE` for PostgreSQL), so migrations are exercised for real
and tests stay fast.

PostgreSQL comes from HANDSOFF_TEST_POSTGRES_URL (`.ci/run` starts a server and sets it).
Without it PostgreSQL cases skip with a reason, unless HANDSOFF_TEST_REQUIRE_POSTGRES=1 (set
in CI), which turns the skip into a failure so a missing server can never pass silently.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from db.engine import make_engine
from db.migrate import upgrade

POSTGRES_ENV = "HANDSOFF_TEST_POSTGRES_URL"


def postgres_admin_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    if os.environ.get("HANDSOFF_TEST_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{POSTGRES_ENV} is not set but HANDSOFF_TEST_REQUIRE_POSTGRES=1")
    return None


def _admin_engine(url: str) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_size=1)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str | None]:
    admin_url = postgres_admin_url()
    if admin_url is None:
        yield None
        return
    template = f"handsoff_tpl_{uuid.uuid4().hex[:8]}"
    admin = _admin_engine(admin_url)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{template}"'))
    template_url = make_url(admin_url).set(database=template).render_as_string(False)
    upgrade(template_url)
    create_engine(template_url).dispose()
    yield template
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
    admin.dispose()


def fresh_postgres_url(template: str) -> tuple[str, str]:
    admin_url = postgres_admin_url()
    assert admin_url is not None
    name = f"handsoff_t_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine(admin_url)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(False), name


def drop_postgres_database(name: str) -> None:
    admin_url = postgres_admin_url()
    assert admin_url is not None
    admin = _admin_engine(admin_url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_template: str | None,
) -> Iterator[str]:
    """A fresh, migrated database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "handsoff.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    if postgres_template is None:
        pytest.skip(f"PostgreSQL not configured: set {POSTGRES_ENV}")
    url, name = fresh_postgres_url(postgres_template)
    yield url
    drop_postgres_database(name)


@pytest.fixture
def postgres_url(
    postgres_template: str | None,
) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database only (concurrency tests)."""
    if postgres_template is None:
        pytest.skip(f"PostgreSQL not configured: set {POSTGRES_ENV}")
    url, name = fresh_postgres_url(postgres_template)
    yield url
    drop_postgres_database(name)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty (unmigrated) database; parametrise with indirect=True over the backends."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin_url = postgres_admin_url()
    if admin_url is None:
        pytest.skip(f"PostgreSQL not configured: set {POSTGRES_ENV}")
    name = f"handsoff_e_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine(admin_url)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    yield make_url(admin_url).set(database=name).render_as_string(False)
    drop_postgres_database(name)
