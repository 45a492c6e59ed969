"""Every setting Kasuwa reads from the environment, declared once with its meaning.

This is the only module that reads ``os.environ`` (ruff's banned-api rule holds the rest of
the code to that). Settings are read on each call so tests can point a process at a fresh
data directory with ``monkeypatch.setenv``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: name -> (default, help). The README's settings table is checked against this by a test.
SETTINGS: dict[str, tuple[str, str]] = {
    "KASUWA_DATA_DIR": (
        str(PROJECT_ROOT / "data"),
        "Folder holding warehouses/, landing/ and the control database control.sqlite3 (default: data/ in the"
        " project).",
    ),
    "KASUWA_CONFIG_DIR": (
        str(PROJECT_ROOT / "data"),
        "Folder holding regions.toml, profiles/ and rails.toml (default: data/ in the project).",
    ),
    "KASUWA_MAX_UPLOAD_MB": ("200", "Largest file accepted for ingestion, in MiB."),
    "KASUWA_CREATOR_QUOTA_MB": (
        "2048",
        "Landing storage each creator may fill with uploaded files, in MiB (default 2048); past it an"
        " upload is refused with a message saying how much is used.",
    ),
    "KASUWA_REVIEW_CAP_ROWS": (
        "5000",
        "Rows one upload may send to the review queue (default 5000); with KASUWA_REVIEW_CAP_SHARE,"
        " whichever allows more. Past it the whole upload is rejected as a file that looks wrong.",
    ),
    "KASUWA_REVIEW_CAP_SHARE": (
        "0.2",
        "Share of an upload's rows it may send to the review queue (default 0.2, i.e. 20 %); see"
        " KASUWA_REVIEW_CAP_ROWS.",
    ),
    "KASUWA_CONTROL_URL": (
        "",
        "Where the control database (accounts, sign-ins, login throttle, creator directory, saved"
        " columns) lives when it is not KASUWA_DATA_DIR/control.sqlite3: postgresql://user:password@host:5432/kasuwa"
        " for app replicas on several hosts (default: empty, the SQLite file).",
    ),
    "KASUWA_QUACK_TOKEN": (
        "",
        "Token shared by a region's owner on its own host and the central side (regions.toml location"
        " kasuwa://host:port or quack:host:port); a local owner without it makes a random one.",
    ),
    "KASUWA_SESSION_IDLE_MINUTES": ("30", "Minutes of inactivity after which a login expires."),
    "KASUWA_SESSION_SECRET": (
        "",
        "Key that signs the login cookie (which keeps a user signed in across a reload); default:"
        " a random key made once in KASUWA_DATA_DIR/session-secret. Changing it signs everyone out.",
    ),
    "KASUWA_DUCKDB_MEMORY_MB": (
        "512",
        "Memory each open warehouse may use before DuckDB spills to disk, in MiB"
        " (default 512: an ingest then peaks near 1.2 GB whatever the file's size).",
    ),
    "KASUWA_TRUSTED_PROXIES": (
        "",
        "Comma-separated addresses or networks (10.0.0.5, 10.0.0.0/24, 127.0.0.1) of the reverse"
        " proxies in front of the app; only their forwarding header is believed for the client's"
        " address (default: none, every header ignored).",
    ),
    "KASUWA_PROXY_HEADER": (
        "X-Forwarded-For",
        "The header those proxies write the client's address in: X-Forwarded-For (default),"
        " Forwarded or X-Real-IP; the rightmost address in it that is not a trusted proxy is the client.",
    ),
    "KASUWA_UNDO_WINDOW_DAYS": (
        "30",
        "Days after an upload during which the creator who made it may undo it themself (default 30);"
        " reviewers of the region and administrators may undo an upload at any time.",
    ),
    "KASUWA_RULE_AFTER_DECISIONS": (
        "5",
        "How many times reviewers of a region must decide the same way on the same kind of row from the same"
        " source (and never the other way) before Kasuwa proposes a rule to an administrator (default 5).",
    ),
    "KASUWA_DEBUG": ("", "Set to 1 to print stack traces of unexpected CLI errors (developers only)."),
    # --- the drop folder (warehouse/dropfolder.py) ---
    "KASUWA_INBOX_DIR": (
        "",
        "Drop folder: one sub-folder per creator (<creator_id>/) whose files are ingested by the watcher"
        " (kasuwa watch); default: inbox/ in KASUWA_DATA_DIR. inbox.toml in"
        " KASUWA_CONFIG_DIR may give a creator a folder elsewhere.",
    ),
    "KASUWA_INBOX_SETTLE_SECONDS": (
        "1",
        "Seconds a file in the drop folder must go unchanged before it is taken (default 1), so a file"
        " still being copied in is left alone.",
    ),
    # --- the outbox (warehouse/outbox.py) ---
    "KASUWA_OUTBOX_RETRY_SECONDS": (
        "30",
        "Seconds between tries to send the uploads kept for a region on its own host while it could not be"
        " reached (default 30); the app and kasuwa watch try on their own, kasuwa outbox send tries once.",
    ),
    # --- a region's owner (warehouse/owner/flight_server.py) ---
    "KASUWA_TRANSACTION_IDLE_SECONDS": (
        "120",
        "Seconds a transaction opened on a region's owner may stay untouched before the owner rolls it back"
        " (default 120): the client that opened it stopped or lost its connection.",
    ),
}


def _get(name: str) -> str:
    default, _help = SETTINGS[name]
    return os.environ.get(name, default) or default


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    config_dir: Path
    max_upload_bytes: int
    quack_token: str
    session_idle_minutes: int
    debug: bool
    duckdb_memory_mb: int
    trusted_proxies: tuple[str, ...] = ()
    proxy_header: str = "X-Forwarded-For"
    session_secret: str = ""
    creator_quota_bytes: int = 2048 * 1024 * 1024
    review_cap_rows: int = 5000
    review_cap_share: float = 0.2
    control_url: str = ""
    inbox_dir_setting: str = ""
    inbox_settle_seconds: float = 1.0
    outbox_retry_seconds: float = 30.0
    tls_ca: str = ""  # KASUWA_TLS_CA: root certificate (PEM) trusted for owners on other hosts
    tls_client_cert: str = ""  # KASUWA_TLS_CLIENT_CERT/_KEY: this process's certificate (mutual TLS)
    tls_client_key: str = ""
    analyst_token: str = ""  # KASUWA_ANALYST_TOKEN: a read-only token an owner also accepts
    transaction_idle_seconds: float = 120.0
    undo_window_days: int = 30
    rule_after_decisions: int = 5

    def review_cap(self, rows: int) -> int:
        """How many of an upload's ``rows`` may go to the review queue."""
        return max(self.review_cap_rows, int(self.review_cap_share * rows))

    @property
    def warehouses_dir(self) -> Path:
        return self.data_dir / "warehouses"

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def control_path(self) -> Path:
        return self.data_dir / "control.sqlite3"

    @property
    def profiles_dir(self) -> Path:
        return self.config_dir / "profiles"

    @property
    def inbox_dir(self) -> Path:
        """The drop folder's root (``KASUWA_INBOX_DIR``, else ``inbox/`` in the data folder)."""
        return Path(self.inbox_dir_setting).expanduser() if self.inbox_dir_setting else self.data_dir / "inbox"

    @property
    def inbox_map(self) -> Path:
        """``inbox.toml``: creators whose drop folder is somewhere else than ``inbox_dir/<id>``."""
        return self.config_dir / "inbox.toml"


def settings() -> Settings:
    """The settings in force now (read from the environment on every call)."""
    return Settings(
        data_dir=Path(_get("KASUWA_DATA_DIR")).expanduser(),
        config_dir=Path(_get("KASUWA_CONFIG_DIR")).expanduser(),
        max_upload_bytes=int(float(_get("KASUWA_MAX_UPLOAD_MB")) * 1024 * 1024),
        quack_token=os.environ.get("KASUWA_QUACK_TOKEN", ""),
        session_idle_minutes=int(_get("KASUWA_SESSION_IDLE_MINUTES")),
        debug=_get("KASUWA_DEBUG") == "1",
        duckdb_memory_mb=int(_get("KASUWA_DUCKDB_MEMORY_MB")),
        trusted_proxies=tuple(p.strip() for p in _get("KASUWA_TRUSTED_PROXIES").split(",") if p.strip()),
        proxy_header=_get("KASUWA_PROXY_HEADER").strip(),
        session_secret=os.environ.get("KASUWA_SESSION_SECRET", ""),
        creator_quota_bytes=int(float(_get("KASUWA_CREATOR_QUOTA_MB")) * 1024 * 1024),
        review_cap_rows=int(_get("KASUWA_REVIEW_CAP_ROWS")),
        review_cap_share=float(_get("KASUWA_REVIEW_CAP_SHARE")),
        control_url=_get("KASUWA_CONTROL_URL").strip(),
        inbox_dir_setting=os.environ.get("KASUWA_INBOX_DIR", ""),
        inbox_settle_seconds=float(_get("KASUWA_INBOX_SETTLE_SECONDS")),
        outbox_retry_seconds=float(_get("KASUWA_OUTBOX_RETRY_SECONDS")),
        tls_ca=os.environ.get("KASUWA_TLS_CA", ""),
        tls_client_cert=os.environ.get("KASUWA_TLS_CLIENT_CERT", ""),
        tls_client_key=os.environ.get("KASUWA_TLS_CLIENT_KEY", ""),
        analyst_token=os.environ.get("KASUWA_ANALYST_TOKEN", ""),
        transaction_idle_seconds=float(_get("KASUWA_TRANSACTION_IDLE_SECONDS")),
        undo_window_days=int(_get("KASUWA_UNDO_WINDOW_DAYS")),
        rule_after_decisions=max(1, int(_get("KASUWA_RULE_AFTER_DECISIONS"))),
    )
