"""Running owners: ``run_owner`` (one region, this process) and ``run_all`` (one child process
per local region, so one region's work never waits for another's)."""

from __future__ import annotations

import gc
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Callable

from .. import db
from ..errors import ConfigError
from ..regions import all_regions, get_region
from ..settings import settings
from . import priority, registry, server


def parse_listen(listen: str) -> tuple[str, int]:
    """``HOST:PORT`` (port 0: any free port) as a socket address; refused with words if malformed."""
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--listen takes HOST:PORT (for example 127.0.0.1:9494), not {listen!r}.")
    return host.strip("[]"), int(port)


def run_owner(code: str, listen: str = "127.0.0.1:0", quack: str | None = None,
              stop: threading.Event | None = None, announce: Callable[[str], None] | None = None) -> None:
    """Own region ``code`` until ``stop`` is set (or the process is stopped): open its file here,
    serve it on ``listen``, publish the address in ``run/<code>.json``, and remove it on the way
    out. ``quack``: also offer the file over Quack there (read-only analysts, Quack attachments).

    The token is KASUWA_QUACK_TOKEN when set (a region on its own host: the central side must
    know it), else a random one that only readers of this data directory learn.
    """
    region = get_region(code)
    if region.is_remote or region.owner_url:
        raise ConfigError(f"Region {region.name} is served from another host ({region.location}); "
                          "run kasuwa serve on that host.")
    con = db.own_region(region.code, quack=bool(quack))
    from ..ingest.landing import remove_stale_scratch

    remove_stale_scratch()  # what ingests killed with SIGKILL left in tmp/
    priority.lower_engine_threads()  # DuckDB's workers: pages' statements come first (priority.py)
    priority.share_the_interpreter()
    try:
        if quack:
            db.serve_quack(con, quack)
        from ..ingest import validate

        _freeze_when_warm(validate.warm_up())  # Great Expectations imported once, in the background
        token = settings().quack_token or secrets.token_urlsafe(32)
        srv = server.start(parse_listen(listen), region.code, token, con)
        try:
            registry.write(registry.OwnerAddress(region.code, srv.url, token, os.getpid()))
            line = f"serving {region.code} on {srv.url}" + (f" and quack:{quack}" if quack else "")
            (announce or (lambda s: print(s, flush=True)))(line)
            stop = stop or threading.Event()
            while not stop.wait(1.0):  # a short wait: SIGTERM and Ctrl-C are handled promptly
                pass
        finally:
            registry.remove(region.code, os.getpid())
            srv.shutdown()
            srv.server_close()
    finally:
        db.close_all()


def _freeze_when_warm(warm_up: threading.Thread) -> None:
    """Once Great Expectations is imported, move every object alive (the libraries' modules,
    hundreds of thousands of them) out of the garbage collector's sight (``gc.freeze``): a full
    collection during an ingest otherwise walks them all — 0.13-0.15 s in the middle of a
    1M-row file's validation, measured here. Done once: what jobs leave behind stays collectable."""
    def freeze() -> None:
        warm_up.join()
        gc.freeze()

    threading.Thread(target=freeze, name="gc-freeze", daemon=True).start()


def run_all(quack_ports: bool = False) -> int:
    """One ``kasuwa serve`` child per region kept on this host; returns when they have all
    stopped (Ctrl-C or SIGTERM here stops them all)."""
    codes = [r.code for r in all_regions() if not (r.is_remote or r.owner_url)]
    children: list[subprocess.Popen[str]] = []
    try:
        for code in codes:
            child = subprocess.Popen([sys.executable, "-m", "warehouse.cli", "serve", code],
                                     stdout=subprocess.PIPE, text=True)
            children.append(child)
        for child in children:
            line = child.stdout.readline() if child.stdout else ""
            print(line.rstrip() or f"an owner exited with {child.wait()}", flush=True)
        return max((child.wait() for child in children), default=0)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            child.wait()
