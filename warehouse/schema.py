"""Schema and migrations, owned here alone.

Migrations are SQL files in ``warehouse/migrations`` named ``<kind>_<NNN>_<name>.sql``
(kind = ``region``; the control database's are in ``control/migrations``). Each runs once, in
order, inside a transaction, and is recorded in ``schema_version``; re-running ``migrate`` is a
no-op. Add a table by adding a file.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from .money import exponents_table

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(region|control)_(\d{3})_([a-z0-9_]+)\.sql$")


def migrations(kind: str) -> list[tuple[int, str, Path]]:
    found = []
    for p in MIGRATIONS_DIR.iterdir():
        m = _NAME.match(p.name)
        if m and m.group(1) == kind:
            found.append((int(m.group(2)), m.group(3), p))
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection, kind: str) -> list[int]:
    """Apply the migrations of ``kind`` not yet applied; returns the versions applied now."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL)"
    )
    done = {v for (v,) in con.execute("SELECT version FROM schema_version").fetchall()}
    applied = []
    for version, name, path in migrations(kind):
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(path.read_text(encoding="utf-8"))
            con.execute("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, current_timestamp)",
                        [version, name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(version)
    if kind == "region":
        _refresh_currencies(con)
        _refresh_custody(con)
    return applied


def _refresh_custody(con: duckdb.DuckDBPyConnection) -> None:
    """Keep ``source_custody`` in step with rails.toml's ``[custody.*]`` (who holds each source's
    money; the ledger counts only the programme's). Without a rails file the table stays as it is."""
    from .errors import ConfigError
    from .payouts.custody import custody_rows

    try:
        want = custody_rows()
    except ConfigError:
        return
    have = sorted((s, h) for s, h in con.execute("SELECT source, holds FROM source_custody").fetchall())
    if have == want:
        return
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM source_custody")
        if want:
            con.executemany("INSERT INTO source_custody VALUES (?, ?)", want)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _refresh_currencies(con: duckdb.DuckDBPyConnection) -> None:
    """Keep the ISO 4217 exponent table in step with warehouse.money (used by SQL checks)."""
    have = con.execute("SELECT count(*) FROM currencies").fetchone()
    table = exponents_table()
    if have and have[0] == len(table):
        return
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM currencies")
    con.executemany("INSERT INTO currencies VALUES (?, ?)", table)
    con.execute("COMMIT")
