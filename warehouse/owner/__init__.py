"""Region owners: the one process per region that opens the region's DuckDB file
(``kasuwa serve``), and how every other Kasuwa process reaches it.

- ``registry``: the run file (``KASUWA_DATA_DIR/run/<region>.json``: URL, token, pid) and the
  liveness check that lets a stale one be ignored;
- ``server``: the HTTP endpoint (statements on per-connection sessions, jobs);
- ``client``: the proxy connection and cursor ``db.py`` hands out, and job calls;
- ``jobs``: the allow-list of work run inside the owner;
- ``wire``: tagged JSON for values, Arrow IPC for results;
- ``run``: ``run_owner`` and ``run_all``.

Nothing here opens a DuckDB file: the owner's connection comes from ``db.own_region``.
"""
