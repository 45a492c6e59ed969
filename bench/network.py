"""How fast the app is on a slow phone connection, empty cache.

    python bench/network.py [--server kasuwa|streamlit] [--profiles none,fast3g,slow3g] [--keep DIR]
    python bench/network.py --url https://host  # a running server on the demo data, e.g. behind nginx

Builds the demo programme (``kasuwa demo``) in a temporary ``KASUWA_DATA_DIR``, starts the app
on a free 127.0.0.1 port the way ``./scripts/demo`` does (``--server kasuwa``: ``streamlit run
app/serve.py``, pre-compressed static files) or as plain ``streamlit run app/main.py``
(``--server streamlit``, the figures before issue 10), and drives Debian's Chromium with
Playwright. Each network profile gets a fresh browser context (empty cache) and Chrome's own
throttling through the DevTools protocol (``Network.emulateNetworkConditions``):

    none     unthrottled: the baseline, measured in the same run
    fast3g   1.6 Mbps down, 750 kbps up, 150 ms round trip
    slow3g   400 kbps down, 400 kbps up, 400 ms round trip

and prints, for the sign-in page and for the creator's sales page (signed in as
creator@demo.kasuwa): requests, bytes transferred (as received, i.e. compressed when the
server compressed; from ``Network.loadingFinished``'s ``encodedDataLength``, headers included),
the time to a usable sign-in form (Email, Password and the Sign in button on screen, counted
from the navigation), the time to the first KPI number and to the first drawn chart (counted
from the click on Sign in), each as a ratio of the unthrottled baseline. WebSocket frames
(Streamlit's messages) are counted apart, as decoded payload bytes. A phase ends when its
page is drawn and the network has been quiet for a second and a half.
Targets on slow3g: sign-in usable ≤ 15 s (issue 20), first KPI ≤ 30 s, first chart ≤ 45 s, first visit
(sign-in page + sales page) ≤ 2.5 MB transferred. Exit status 0 when every target is met.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
EMAIL, PASSWORD = "creator@demo.kasuwa", "demo-creator-2024"


@dataclass(frozen=True)
class Profile:
    name: str
    down_kbps: float  # 0: no throttling
    up_kbps: float
    rtt_ms: float

    def conditions(self) -> dict[str, float | bool]:
        if not self.down_kbps:
            return {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
        return {"offline": False, "latency": self.rtt_ms,
                "downloadThroughput": self.down_kbps * 1000 / 8, "uploadThroughput": self.up_kbps * 1000 / 8}


PROFILES = {
    "none": Profile("none", 0, 0, 0),
    "fast3g": Profile("fast3g", 1600, 750, 150),
    "slow3g": Profile("slow3g", 400, 400, 400),
}
TARGETS = {"login_s": 15.0, "kpi_s": 30.0, "chart_s": 45.0, "total_mb": 2.5}  # slow3g
CHART = ('[data-testid="stPlotlyChart"] .main-svg, [data-testid="stVegaLiteChart"] svg,'
         ' [data-testid="stVegaLiteChart"] canvas, [data-testid="stImage"] img')
KPI = '[data-testid="stMetricValue"]'
RUNNING = '[data-testid="stStatusWidgetRunningIcon"], [data-testid="stStatusWidgetRunningManIcon"]'


@dataclass
class Traffic:
    """What the page fetched, from the DevTools protocol's Network events."""

    requests: int = 0
    bytes: int = 0
    ws_bytes: int = 0
    encodings: dict[str, int] = field(default_factory=dict)  # Content-Encoding -> responses
    in_flight: set[str] = field(default_factory=set)
    last_activity: float = field(default_factory=time.monotonic)

    def attach(self, cdp) -> None:
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)
        cdp.on("Network.webSocketFrameReceived", self._frame)
        cdp.on("Network.webSocketFrameSent", self._frame)

    def _sent(self, ev: dict) -> None:
        if ev["request"]["url"].startswith("data:"):
            return
        if ev.get("redirectResponse") is None:
            self.requests += 1
        self.in_flight.add(ev["requestId"])
        self.last_activity = time.monotonic()

    def _response(self, ev: dict) -> None:
        headers = {k.lower(): v for k, v in ev["response"].get("headers", {}).items()}
        enc = headers.get("content-encoding", "identity")
        self.encodings[enc] = self.encodings.get(enc, 0) + 1

    def _finished(self, ev: dict) -> None:
        if ev["requestId"] in self.in_flight:
            self.in_flight.discard(ev["requestId"])
            self.bytes += int(ev.get("encodedDataLength", 0))
        self.last_activity = time.monotonic()

    def _failed(self, ev: dict) -> None:
        self.in_flight.discard(ev["requestId"])
        self.last_activity = time.monotonic()

    def _frame(self, ev: dict) -> None:
        resp = ev["response"]
        data = resp.get("payloadData", "")
        self.ws_bytes += len(data) * 3 // 4 if resp.get("opcode") == 2 else len(data.encode())
        self.last_activity = time.monotonic()

    def snapshot(self) -> tuple[int, int, int]:
        return self.requests, self.bytes, self.ws_bytes


@dataclass(frozen=True)
class Result:
    profile: str
    login_s: float
    kpi_s: float
    chart_s: float
    login_traffic: tuple[int, int, int]  # requests, bytes, websocket bytes
    sales_traffic: tuple[int, int, int]
    encodings: dict[str, int]

    @property
    def total_mb(self) -> float:
        return (self.login_traffic[1] + self.sales_traffic[1]) / 1e6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(kind: str, env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    script = "app/main.py" if kind == "streamlit" else "app/serve.py"
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    out = log.open("wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            pass
        time.sleep(0.25)
    proc.kill()
    raise SystemExit(f"the server did not answer within 120 s:\n{log.read_text(errors='replace')}")


def wait_quiet(page, traffic: Traffic, quiet_s: float = 1.5, limit_s: float = 120) -> None:
    """Until no request has been in flight, nor any frame passed, for ``quiet_s``."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        page.wait_for_timeout(250)
        if not traffic.in_flight and time.monotonic() - traffic.last_activity >= quiet_s:
            return


def measure(browser, url: str, profile: Profile, timeout_s: float) -> Result:
    # a new context: an empty cache (a self-signed test certificate is fine for --url https://…)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, ignore_https_errors=True)
    context.set_default_timeout(timeout_s * 1000)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    traffic = Traffic()
    traffic.attach(cdp)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", profile.conditions())
    t0 = time.monotonic()
    page.goto(url, wait_until="commit")
    email = page.get_by_label("Email", exact=True)
    email.wait_for(state="visible")
    page.get_by_role("button", name="Sign in").wait_for(state="visible")
    login_s = time.monotonic() - t0
    wait_quiet(page, traffic)
    login = traffic.snapshot()
    email.fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    t1 = time.monotonic()
    page.get_by_role("button", name="Sign in").click()
    page.locator(KPI).first.wait_for(state="visible")
    kpi_s = time.monotonic() - t1
    page.locator(CHART).first.wait_for(state="visible")
    chart_s = time.monotonic() - t1
    page.wait_for_function(f"() => !document.querySelector('{RUNNING}')")
    wait_quiet(page, traffic)
    total = traffic.snapshot()
    sales = (total[0] - login[0], total[1] - login[1], total[2] - login[2])
    context.close()
    return Result(profile.name, login_s, kpi_s, chart_s, login, sales, dict(traffic.encodings))


def ratio(value: float, base: float) -> str:
    return f"x{value / base:.1f}" if base > 0 else "-"


def report(results: list[Result], server: str) -> int:
    base = next((r for r in results if r.profile == "none"), None)
    print(f"\nserver: {server}")
    print(f"{'profile':8} {'page':8} {'requests':>8} {'transferred':>12} {'ws frames':>10} "
          f"{'time':>24}  ratio to unthrottled")
    for r in results:
        for page, (n, b, ws), label, value, base_value in (
            ("sign-in", r.login_traffic, "usable form", r.login_s, base.login_s if base else 0),
            ("sales", r.sales_traffic, "first KPI", r.kpi_s, base.kpi_s if base else 0),
            ("", (0, 0, 0), "first chart", r.chart_s, base.chart_s if base else 0),
        ):
            cells = f"{n:>8} {b / 1e6:>9.2f} MB {ws / 1e3:>7.0f} kB" if page else " " * 32
            print(f"{r.profile:8} {page:8} {cells} {label:>15} {value:>6.1f} s  {ratio(value, base_value)}")
        enc = ", ".join(f"{k} {v}" for k, v in sorted(r.encodings.items()))
        print(f"{r.profile:8} {'total':8} {r.login_traffic[0] + r.sales_traffic[0]:>8} {r.total_mb:>9.2f} MB"
              f"{'':34}(responses by Content-Encoding: {enc})")
    slow = next((r for r in results if r.profile == "slow3g"), None)
    if slow is None:
        print("\ntargets are set on slow3g, which was not measured")
        return 0
    checks = [
        ("sign-in form usable", slow.login_s, TARGETS["login_s"], "s"),
        ("first KPI after sign-in", slow.kpi_s, TARGETS["kpi_s"], "s"),
        ("first chart after sign-in", slow.chart_s, TARGETS["chart_s"], "s"),
        ("first visit transferred", slow.total_mb, TARGETS["total_mb"], "MB"),
    ]
    print("\ntargets on slow3g (400 kbps, 400 ms):")
    for label, value, target, unit in checks:
        print(f"  {label:26} {value:6.2f} {unit:2} ≤ {target:g} {unit}: {'met' if value <= target else 'MISSED'}")
    met = sum(value <= target for _, value, target, _ in checks)
    print(f"targets met: {met} of {len(checks)}")
    return 0 if met == len(checks) else 1


def run(url: str, names: list[str], timeout_s: float, server: str) -> int:
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        measure(browser, url, PROFILES["none"], timeout_s)  # warm the server's caches, not measured
        for name in names:
            print(f"measuring {name}…", flush=True)
            results.append(measure(browser, url, PROFILES[name], timeout_s))
        browser.close()
    return report(results, server)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=["kasuwa", "streamlit"], default="kasuwa",
                        help="kasuwa: streamlit run app/serve.py, as ./scripts/demo (default);"
                             " streamlit: streamlit run app/main.py, as before issue 10")
    parser.add_argument("--profiles", default="none,fast3g,slow3g", help="comma-separated, from none,fast3g,slow3g")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for any one step")
    parser.add_argument("--url", help="measure this running server instead (it must serve the demo data;"
                        " e.g. nginx in front of ./scripts/demo); --server and --keep are then ignored")
    parser.add_argument("--keep", type=Path, help="build the demo in this folder and keep it (reused if present)")
    args = parser.parse_args(argv)
    names = [p.strip() for p in args.profiles.split(",") if p.strip()]
    unknown = [n for n in names if n not in PROFILES]
    if unknown:
        parser.error(f"unknown profile {', '.join(unknown)}: choose among {', '.join(PROFILES)}")

    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="kasuwa-bench-net-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "KASUWA_DATA_DIR": str(data_dir)}  # noqa: TID251 - a child's environment
    proc = None
    try:
        if args.url:
            return run(args.url.rstrip("/"), names, args.timeout, args.url)
        if not (data_dir / "control.sqlite3").exists():
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "warehouse.cli", "demo"], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL)
            print(f"demo built in {data_dir} ({time.perf_counter() - t0:.0f} s)")
        proc, url = start_server(args.server, env, data_dir / "server.log")
        return run(url, names, args.timeout, args.server)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if args.keep is None:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
