"""Kasuwa's own exceptions. Each carries a title and a message a person can act on.

Titles are marked for the message catalogue and translated where shown (``app/errors.py``);
messages are translated where they are raised (``warehouse.i18n``: the run's language).
The warehouse raises these instead of DuckDB, GX or OS errors; the app shows ``str(err)``
with ``st.error`` and the CLI prints it on one line. Nobody sees a stack trace.
"""

from __future__ import annotations

from .i18n import N_


class KasuwaError(Exception):
    """Base class: ``title`` is short, ``str(err)`` says what happened and what to do next."""

    title = N_("Something went wrong")

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(KasuwaError):
    title = N_("Configuration problem")


class NotFound(KasuwaError):
    title = N_("Not found")


class PermissionDenied(KasuwaError):
    title = N_("Not allowed")


class RegionUnavailable(KasuwaError):
    title = N_("Region unavailable")


class WarehouseBusy(KasuwaError):
    title = N_("Warehouse in use")


class FileRejected(KasuwaError):
    """The uploaded file cannot be read as sales at all (the raw bytes are still kept)."""

    title = N_("File not accepted")


class MappingNeeded(FileRejected):
    """The headers match no profile: ``missing`` lists the canonical columns not found."""

    title = N_("Columns need mapping")

    def __init__(self, message: str, missing: list[str], headers: list[str], confirm: bool = False) -> None:
        super().__init__(message)
        self.missing = missing
        self.headers = headers
        #: nothing is missing, but the reading was made by meaning: the creator confirms it once
        self.confirm = confirm
        #: what was found meanwhile: canonical column -> header (the app shows it beside the question)
        self.found: dict[str, str] = {}


class Conflict(KasuwaError):
    """Someone else changed the thing first (e.g. two reviewers deciding one row)."""

    title = N_("Already decided")


class InvalidInput(KasuwaError):
    title = N_("Invalid input")
