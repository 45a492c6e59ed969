"""Showing Kasuwa's own errors to people: a titled ``st.error``, never a traceback.

Use ``show_error(exc)`` where a page catches a KasuwaError itself, or wrap a block in
``with shown_errors():`` to show any KasuwaError raised inside it and carry on. Anything else
is a bug: Streamlit shows a generic message (``client.showErrorDetails = "none"``) and the
trace goes to the server log only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from warehouse.errors import Conflict, KasuwaError, PermissionDenied
from warehouse.i18n import _, translate_text

from .format import plain

_ICONS = {Conflict: ":material/sync_problem:", PermissionDenied: ":material/block:"}


def show_error(exc: KasuwaError) -> None:
    """``st.error`` with the error's title (translated) in bold and its message as plain text
    (translated where it is raised)."""
    icon = next((i for cls, i in _ICONS.items() if isinstance(exc, cls)), ":material/error:")
    st.error(f"**{plain(_(exc.title))}** — {plain(translate_text(exc.message))}", icon=icon)


@contextmanager
def shown_errors() -> Iterator[None]:
    """Show a KasuwaError raised in the block with :func:`show_error` instead of crashing."""
    try:
        yield
    except KasuwaError as exc:
        show_error(exc)
