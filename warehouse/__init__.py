"""Kasuwa's engine: per-region DuckDB warehouses, validated ingestion, queries and permissions.

Nothing in this package imports Streamlit; the app and the CLI both sit on top of it.

Importing it sets the process's umask to 077 (invariant 12): everything Kasuwa writes — the
control database, the warehouses and their WAL, landing, the session secret, run files — is
private to its user (files 0600, folders 0700), whichever command started the process.
"""

import os as _os

_os.umask(0o077)
