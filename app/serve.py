"""Kasuwa's web server: ``streamlit run app/serve.py`` (what ./scripts/demo starts).

The Streamlit app (``app/main.py``) as an ASGI application, ``st.App``, which ``streamlit run``
finds below and serves under uvicorn with Streamlit's own settings (port, address, WebSocket
limits, ``.streamlit/config.toml``). In front of it ``PrecompressedStatic``
(``app/static_cache.py``) sends Streamlit's static files as Brotli or gzip copies built once per
Streamlit version, with a year-long cache: a creator's first visit drops from 9.4 MB to about
2.5 MB (``python bench/network.py``). Beside it, ``/lite`` (``app/lite.py``) is a page of plain
HTML for 2G and feature phones. Everything else, the WebSocket included, is Streamlit's.
"""

import streamlit as st
from starlette.middleware import Middleware

from app.lite import ROUTES as LITE_ROUTES
from app.static_cache import PrecompressedStatic

# the page script, resolved relative to this file
app = st.App("main.py", routes=LITE_ROUTES, middleware=[Middleware(PrecompressedStatic)])
