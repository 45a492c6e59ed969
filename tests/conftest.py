"""Every test runs against its own data directory: real DuckDB files in tmp_path, and a
control database of its own (a SQLite file there, or a fresh database on the session's real
PostgreSQL server for the tests that take ``control_backend``)."""

from __future__ import annotations

import itertools

import pytest
from pg_server import postgres

from control.db import close_all as close_control
from warehouse.db import close_all


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Point Kasuwa at a fresh KASUWA_DATA_DIR for each test and close connections after."""
    d = tmp_path / "kasuwa-data"
    d.mkdir()
    monkeypatch.setenv("KASUWA_DATA_DIR", str(d))
    close_all()
    close_control()
    yield d
    close_all()
    close_control()


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for the whole session (tests/pg_server.py)."""
    with postgres() as url:
        yield url


_DATABASES = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def control_backend(request, monkeypatch, data_dir):
    """Run the test on both control backends: the default SQLite file, and a fresh database on
    the session's PostgreSQL server (``KASUWA_CONTROL_URL``). Yields the backend's name."""
    if request.param == "sqlite":
        yield "sqlite"
        return
    import psycopg

    server = request.getfixturevalue("postgres_server")
    name = f"kasuwa_test_{next(_DATABASES)}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    monkeypatch.setenv("KASUWA_CONTROL_URL", server.rsplit("/", 1)[0] + f"/{name}")
    yield "postgresql"
    close_all()
    close_control()
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
