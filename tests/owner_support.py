"""Region owners as real processes for tests: ``kasuwa serve REGION`` on the test's data
directory (the child inherits this process's environment), stopped with SIGTERM at the end."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path

import pytest

from warehouse.db import close_all
from warehouse.owner import registry

KASUWA = str(Path(sys.executable).parent / "kasuwa")
ROOT = Path(__file__).resolve().parent.parent


def start_owner(region: str, *extra: str) -> subprocess.Popen[str]:
    """Start an owner and return once it answers (its first line says where)."""
    close_all()  # the owner must be the one process holding the file
    proc = subprocess.Popen([KASUWA, "serve", region, *extra], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if f"serving {region}" not in line:
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"the {region} owner did not start: {line}{err}")
    return proc


def stop_owner(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


@contextmanager
def owners(*regions: str) -> Iterator[dict[str, subprocess.Popen[str]]]:
    """One owner process per region for the block; each is stopped cleanly after it."""
    with ExitStack() as stack:
        procs = {}
        for region in regions:
            procs[region] = start_owner(region)
            stack.callback(stop_owner, procs[region])
        stack.callback(close_all)
        yield procs


def address(region: str) -> registry.OwnerAddress:
    found = registry.live_owner(region)
    assert found is not None, f"no live owner registered for {region}"
    return found


def self_signed_certificate(folder: Path, name: str = "region-host") -> tuple[Path, Path]:
    """A self-signed certificate (its own CA) for 127.0.0.1 and localhost, made here with the
    ``cryptography`` package: ``(certificate.pem, key.pem)`` in ``folder``."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def streamlit_server(script: str, log: Path, timeout: float = 90) -> Iterator[str]:
    """``streamlit run <script>`` on a free 127.0.0.1 port, with this process's environment
    (KASUWA_DATA_DIR set by the caller; with no owner running, every DuckDB connection closed
    first: the server must own the files); yields its URL once ``/_stcore/health`` answers,
    stops it at the end."""
    url = f"http://127.0.0.1:{free_port()}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
             "--server.port", url.rsplit(":", 1)[1], "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not health(url):
            if proc.poll() is not None:
                pytest.fail(f"{script} exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                pytest.fail(f"{script} did not answer within {timeout}s:\n{log.read_text(errors='replace')}")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def app_server(log: Path, timeout: float = 90) -> AbstractContextManager[str]:
    """The app as ``./scripts/demo`` serves it (``app/serve.py``), as ``streamlit_server``."""
    return streamlit_server("app/serve.py", log, timeout)


def kill_during_ingest(server: subprocess.Popen[str], host_dir: Path, upload: Callable[[], object]) -> object:
    """Run ``upload()`` in a thread and SIGKILL ``server`` (a region's host on ``host_dir``)
    half a second after that host has started reading the file (its scratch folder appears);
    returns what ``upload()`` returned."""
    outcome: list[object] = []
    worker = threading.Thread(target=lambda: outcome.append(upload()))
    worker.start()
    scratch = host_dir / "tmp"
    while worker.is_alive() and not (scratch.is_dir() and any(scratch.iterdir())):
        time.sleep(0.02)  # until the region's host is inside the ingest
    time.sleep(0.5)
    server.send_signal(signal.SIGKILL)
    server.communicate()
    worker.join()
    return outcome[0]


def health(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as r:
            return r.status == 200
    except OSError:
        return False
