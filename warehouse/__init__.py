"""Kasuwa's engine: per-region DuckDB warehouses, validated ingestion, queries and permissions.

Nothing in this package imports Streamlit; the app and the CLI both sit on top of it.
"""
