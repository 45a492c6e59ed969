"""Region owners: the one process per region that opens the region's DuckDB file
(``kasuwa serve``), and how every other Kasuwa process reaches it, over Apache Arrow Flight SQL.

- ``registry``: the run file (``KASUWA_DATA_DIR/run/<region>.json``: Flight location, token,
  pid) and the liveness check (the owner proves the token) that lets a stale one be ignored;
- ``flight_server``: the Flight SQL server on ``pyarrow.flight`` (statements, prepared
  statements, transactions, browsing, jobs as actions; token middleware; TLS);
- ``flight_client``: the ADBC cursor ``db.py`` hands out, job calls, errors turned back into
  the exceptions the owner raised;
- ``flightsql``: the protocol's messages (``FlightSql.proto`` and its generated module);
- ``jobs``: the allow-list of work run inside the owner (plain values in and out);
- ``priority``: pages before jobs;
- ``run``: ``run_owner`` (TLS off loopback, analyst token) and ``run_all``.

Nothing here opens a DuckDB file: the owner's connection comes from ``db.own_region``.
"""
