"""Kasuwa's Streamlit app: login, navigation by role, shared widgets and formatting."""
