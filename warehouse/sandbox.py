"""A region's SQL sandbox (invariant 12): what a region's DuckDB connection may reach, set once
when the file is opened, and which statements a caller of the region's owner may send.

Independent of the transport (the owner's Flight SQL server, ``owner/flight_server.py``): ``lock_down``
is applied by ``warehouse/db.py`` to every region file it opens, ``screen`` by whatever serves
statements to other processes, before the statement runs.

- **At open** (``lock_down``): ``allowed_directories`` is what Kasuwa itself reads with SQL —
  the region's landing area, the data directory's ``tmp/`` (transcoded files of an ingest) and
  the project's look-up tables (``data/*.csv``, file by file);
  ``enable_external_access`` is off for everything else (no other file read or written, no
  extension installed or loaded, no ATTACH), and ``lock_configuration`` is on, so no statement
  can change any of this (nor any other setting of the shared connection: a caller's ``SET``
  once broke every later ingest).
- **From callers** (``screen``): only the statements pages and jobs use — queries, writes,
  transactions, tables, ``CHECKPOINT`` — are accepted; ``COPY``, ``EXPORT``, ``ATTACH``,
  ``DETACH``, ``INSTALL``/``LOAD``, ``SET``/``RESET``/``USE``, ``PRAGMA`` and other calls are
  refused with words before they reach DuckDB.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb

from .errors import PermissionDenied
from .i18n import N_
from .settings import PROJECT_ROOT, settings

#: statement kinds a caller of a region's owner may send
_ALLOWED = {
    duckdb.StatementType.SELECT, duckdb.StatementType.INSERT, duckdb.StatementType.UPDATE,
    duckdb.StatementType.DELETE, duckdb.StatementType.TRANSACTION, duckdb.StatementType.CREATE,
    duckdb.StatementType.DROP, duckdb.StatementType.ALTER, duckdb.StatementType.EXPLAIN,
    duckdb.StatementType.MERGE_INTO, duckdb.StatementType.PREPARE, duckdb.StatementType.EXECUTE,
}
_CHECKPOINT = re.compile(r"^\s*(force\s+)?checkpoint\s*;?\s*$", re.IGNORECASE)
_SECRET = re.compile(r"^\s*create\s+(or\s+replace\s+)?(persistent\s+|temporary\s+)?secret\b", re.IGNORECASE)


def allowed_directories() -> list[str]:
    """The folders a region's SQL may read: landing (raw files) and ``tmp/`` (an ingest's
    transcoded copies). Nothing else of the data directory (the control database, the session
    secret, other warehouses) nor of the machine."""
    s = settings()
    return [str(Path(p).resolve()) + "/" for p in (s.landing_dir, s.data_dir / "tmp")]


def allowed_paths() -> list[str]:
    """Single files a region's SQL may read: the project's look-up tables (``data/*.csv``:
    countries, time zones…), never the rest of that folder (by default also the data directory)."""
    return sorted(str(p.resolve()) for p in (PROJECT_ROOT / "data").glob("*.csv"))


def lock_down(con: Any) -> None:
    """Apply the sandbox to a freshly opened region connection (after its migrations): from here
    on no statement on it, the process's own included, reaches outside ``allowed_directories``
    or changes a setting."""
    locked = con.execute("SELECT current_setting('lock_configuration')").fetchone()
    if locked and str(locked[0]).lower() == "true":
        # the same file opened twice in one process shares one database instance: it was locked
        # down by the first opening (only this function locks a region's configuration)
        return
    dirs = allowed_directories()
    for d in dirs:
        Path(d).mkdir(parents=True, exist_ok=True, mode=0o700)
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET allowed_directories = ?", [dirs])
    con.execute("SET allowed_paths = ?", [allowed_paths()])
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def screen(con: Any, sql: str) -> None:
    """Raise ``PermissionDenied`` unless every statement in ``sql`` is one a caller may run;
    a statement DuckDB cannot parse is left to DuckDB (its own error says so)."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error:
        return
    for st in statements:
        kind = st.type
        if kind == duckdb.StatementType.CALL and _CHECKPOINT.match(sql):
            continue
        if kind == duckdb.StatementType.CREATE and _SECRET.match(str(st.query)):
            raise PermissionDenied(N_("This statement is not allowed on a region's warehouse (secrets)."))
        if kind not in _ALLOWED:
            raise PermissionDenied(N_("This statement is not allowed on a region's warehouse (%(kind)s): only "
                                      "queries and the changes Kasuwa makes are.",
                                      kind=str(kind).rsplit(".", 1)[-1]))
