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
from pathlib import Path

from .. import db
from ..errors import ConfigError
from ..regions import all_regions, get_region
from ..settings import settings
from . import flight_server, priority, registry


def parse_listen(listen: str) -> tuple[str, int]:
    """``HOST:PORT`` (port 0: any free port) as a socket address; refused with words if malformed."""
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--listen takes HOST:PORT (for example 127.0.0.1:9494), not {listen!r}.")
    return host.strip("[]"), int(port)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tls_material(host: str, cert: str | None, key: str | None, client_ca: str | None,
                 ) -> tuple[tuple[bytes, bytes] | None, bytes | None]:
    """The certificate and key to serve with (None: plaintext, allowed on loopback only) and the
    CA that client certificates must be signed by (mutual TLS); refused in words otherwise."""
    if bool(cert) != bool(key):
        raise ConfigError("--tls-cert and --tls-key go together: give both (the certificate and its private key).")
    if not cert:
        if not is_loopback(host):
            raise ConfigError(
                f"Serving on {host} (not this machine only) needs TLS: give --tls-cert and --tls-key (a certificate "
                "for this host and its key), and optionally --tls-client-ca for mutual TLS. Without them, listen "
                "on 127.0.0.1.")
        if client_ca:
            raise ConfigError("--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS first).")
        return None, None
    try:
        pair = (Path(cert).expanduser().read_bytes(), Path(key).expanduser().read_bytes())  # type: ignore[arg-type]
        ca = Path(client_ca).expanduser().read_bytes() if client_ca else None
    except OSError as exc:
        raise ConfigError(f"A TLS file cannot be read ({exc.strerror}: {exc.filename}).") from exc
    return pair, ca


def run_owner(code: str, listen: str = "127.0.0.1:0", quack: str | None = None,
              stop: threading.Event | None = None, announce: Callable[[str], None] | None = None,
              tls_cert: str | None = None, tls_key: str | None = None, tls_client_ca: str | None = None,
              analyst_token_file: str | None = None) -> None:
    """Own region ``code`` until ``stop`` is set (or the process is stopped): open its file here,
    serve it over Flight SQL on ``listen``, publish the address in ``run/<code>.json``, and remove
    it on the way out. ``quack``: also offer the file over Quack there (Quack attachments).

    Off loopback, TLS is required (``tls_cert``/``tls_key``; ``tls_client_ca``: mutual TLS).
    The token is KASUWA_QUACK_TOKEN when set (a region on its own host: the central side must
    know it), else a random one that only readers of this data directory learn. An analyst
    token (``analyst_token_file``, else KASUWA_ANALYST_TOKEN) may only read.
    """
    host, port = parse_listen(listen)
    tls, client_ca = tls_material(host, tls_cert, tls_key, tls_client_ca)
    analyst = settings().analyst_token
    if analyst_token_file:
        try:
            analyst = Path(analyst_token_file).expanduser().read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"The analyst token file cannot be read ({exc.strerror}: {exc.filename}).") from exc
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
        tokens = {token: flight_server.OWNER}
        if analyst and analyst != token:
            tokens[analyst] = flight_server.ANALYST
        srv = flight_server.start((host, port), region.code, con, tokens, tls, client_ca)
        local = host if host not in ("0.0.0.0", "::") else "127.0.0.1"  # noqa: S104 - a name for this host
        url = flight_server.location(local, srv.port, tls is not None)
        try:
            registry.write(registry.OwnerAddress(region.code, url, token, os.getpid()))
            line = f"serving {region.code} on {url}" + (f" and quack:{quack}" if quack else "")
            (announce or (lambda s: print(s, flush=True)))(line)
            stop = stop or threading.Event()
            while not stop.wait(1.0):  # a short wait: SIGTERM and Ctrl-C are handled promptly
                pass
        finally:
            registry.remove(region.code, os.getpid())
            srv.shutdown()  # open transactions are rolled back
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
