"""Every test runs against its own data directory: real DuckDB files in tmp_path."""

from __future__ import annotations

import pytest

from warehouse.db import close_all


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Point Kasuwa at a fresh KASUWA_DATA_DIR for each test and close connections after."""
    d = tmp_path / "kasuwa-data"
    d.mkdir()
    monkeypatch.setenv("KASUWA_DATA_DIR", str(d))
    close_all()
    yield d
    close_all()
