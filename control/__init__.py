"""Kasuwa's control plane, beside the regional engine: accounts (``accounts``), sign-ins
(``sessions``), the login throttle (``throttle``), the creator directory (``directory``) and
saved column mappings (``mappings``), all in one control database (``db``: SQLite by default,
PostgreSQL for several hosts).

It may use ``warehouse.settings``, ``warehouse.errors``, ``warehouse.access`` and
``warehouse.regions``, never a warehouse module that imports ``control`` (no import cycles),
and never Streamlit.
"""
