"""Brotli and gzip copies of Streamlit's static files, and the ASGI middleware that serves them
(``app/serve.py`` puts it in front of the app).

    python -m app.static_cache --build [--if-missing]   # scripts/setup runs this

Streamlit 1.67 serves its frontend (``/static/*``, 9.4 MB on a creator's first visit, Plotly's
bundle alone 4.7 MB) uncompressed on purpose and leaves compression to a proxy. On a slow phone
connection that is most of the wait, so ``PrecompressedStatic`` answers ``GET``/``HEAD`` of every
``/static/`` file from a cache of Brotli (quality 11) and gzip (level 9) copies built once per
Streamlit version, with ``Content-Encoding``, ``Vary: Accept-Encoding`` and a year-long
``immutable`` cache (the file names carry a content hash). Anything else — the page itself,
the WebSocket, uploads, media, health checks — goes to Streamlit unchanged, and a client that
accepts neither encoding gets Streamlit's own uncompressed answer.

The cache lives in ``.cache/static/streamlit-<version>/`` at the project root (git-ignored),
each copy beside a link to its original, so that nginx can serve the folder itself
(``deploy/nginx.conf``); the middleware builds it at start-up when it is missing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import mimetypes
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import brotli
import streamlit
from starlette.responses import FileResponse
from starlette.types import ASGIApp, Receive, Scope, Send

ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = Path(streamlit.__file__).resolve().parent / "static"
CACHE_ROOT = ROOT / ".cache" / "static"
MANIFEST = "kasuwa-cache.json"  # not manifest.json: Streamlit has one of its own
#: Already-compressed formats (woff2, png, gif) gain nothing; everything else is text.
COMPRESSIBLE = frozenset({".js", ".mjs", ".css", ".html", ".json", ".svg", ".txt", ".map", ".ttf", ".otf",
                          ".wasm", ".xml", ".ico"})
#: A compressed copy is kept only when it saves at least this share of the file.
MIN_SAVING = 0.1
#: Hashed file names never change content: browsers may keep them a year without asking again.
IMMUTABLE = "public, max-age=31536000, immutable"
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))  # in order of preference


def cache_dir() -> Path:
    """Where the compressed copies of the installed Streamlit's static files live."""
    return CACHE_ROOT / f"streamlit-{streamlit.__version__}"


@dataclass(frozen=True)
class BuildReport:
    files: int
    original_bytes: int
    br_bytes: int
    gzip_bytes: int
    seconds: float


def build(target: Path | None = None, static_dir: Path = STATIC_DIR) -> BuildReport:
    """Write ``<file>.br`` and ``<file>.gz`` for every compressible file of ``static_dir`` under
    ``target`` (same relative paths, each beside a link to its original), then ``kasuwa-cache.json``,
    which the server reads: a cache without its manifest is incomplete and is built again.
    Safe to run again."""
    target = target or cache_dir()
    t0 = time.perf_counter()
    entries: dict[str, dict[str, str]] = {}
    original = br_total = gz_total = 0
    target.mkdir(parents=True, exist_ok=True)
    (target / MANIFEST).unlink(missing_ok=True)
    sources = [src for src in sorted(static_dir.rglob("*")) if src.is_file()]
    for src in sources:
        _link_original(src, target / src.relative_to(static_dir))
    texts = [src for src in sources if src.suffix.lower() in COMPRESSIBLE]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        compressed = pool.map(_compress, texts, chunksize=4)
    for src, copies in zip(texts, compressed, strict=True):
        rel = src.relative_to(static_dir).as_posix()
        data = src.read_bytes()
        kept: dict[str, str] = {}
        for encoding, suffix in ENCODINGS:
            body = copies[encoding]
            if len(body) > len(data) * (1 - MIN_SAVING):
                continue
            out = target / (rel + suffix)
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")  # two builds at once never collide
            tmp.write_bytes(body)
            tmp.replace(out)
            kept[encoding] = rel + suffix
        if kept:
            entries[rel] = kept
            original += len(data)
            br_total += len(copies["br"]) if "br" in kept else len(data)
            gz_total += len(copies["gzip"]) if "gzip" in kept else len(data)
    manifest = {"streamlit": streamlit.__version__, "files": entries}
    tmp = target / f"{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(manifest, indent=0, sort_keys=True))
    tmp.replace(target / MANIFEST)
    return BuildReport(len(entries), original, br_total, gz_total, time.perf_counter() - t0)


def _compress(src: Path) -> dict[str, bytes]:
    data = src.read_bytes()
    return {"br": brotli.compress(data, quality=11), "gzip": gzip.compress(data, compresslevel=9, mtime=0)}


def _link_original(src: Path, link: Path) -> None:
    """The uncompressed file beside its copies (a symbolic link), so that a proxy can serve the
    whole folder as it is (``deploy/nginx.conf``: ``gzip_static``/``brotli_static``)."""
    link.parent.mkdir(parents=True, exist_ok=True)
    tmp = link.with_name(f"{link.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(src)
    tmp.replace(link)


def ensure_built(target: Path | None = None) -> Path:
    """The cache directory, built first if it has no manifest."""
    target = target or cache_dir()
    if not (target / MANIFEST).is_file():
        print(f"Compressing Streamlit's static files into {target} (once per Streamlit version)…",
              file=sys.stderr, flush=True)
        report = build(target)
        print(f"  {report.files} files, {report.original_bytes / 1e6:.1f} MB → "
              f"{report.br_bytes / 1e6:.1f} MB (br) in {report.seconds:.0f} s", file=sys.stderr, flush=True)
    return target


def accepted(header: str) -> set[str]:
    """The content codings an ``Accept-Encoding`` value allows (``q=0`` refuses one)."""
    allowed: set[str] = set()
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name and q > 0:
            allowed.add(name.strip().lower())
    if "*" in allowed:
        allowed |= {"br", "gzip"}
    return allowed


class PrecompressedStatic:
    """ASGI middleware: ``GET``/``HEAD /static/<file>`` from the compressed cache when the client
    accepts Brotli or gzip; every other request (WebSocket included) passes through untouched.

    Only paths listed in the cache's manifest are served, looked up as exact strings, so no
    request path ever reaches the file system."""

    def __init__(self, app: ASGIApp, cache: Path | None = None) -> None:
        self.app = app
        root = ensure_built(cache)
        manifest = json.loads((root / MANIFEST).read_text())
        self.files: dict[str, tuple[str, dict[str, Path]]] = {}
        for rel, copies in manifest["files"].items():
            if not rel.startswith("static/"):  # index.html and manifest.json stay Streamlit's (no-cache)
                continue
            media_type = mimetypes.guess_type(rel)[0] or "application/octet-stream"
            if rel.endswith((".js", ".mjs")):
                media_type = "text/javascript"
            self.files[f"/{rel}"] = (media_type, {enc: root / name for enc, name in copies.items()})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in {"GET", "HEAD"}:
            path: str = scope["path"]
            root_path: str = scope.get("root_path", "")
            if root_path and path.startswith(root_path):
                path = path[len(root_path):]
            found = self.files.get(path)
            if found is not None:
                media_type, copies = found
                header = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"accept-encoding"), "")
                allowed = accepted(header)
                for encoding, _suffix in ENCODINGS:
                    if encoding in allowed and encoding in copies:
                        response = FileResponse(
                            copies[encoding],
                            media_type=media_type,
                            headers={"Content-Encoding": encoding, "Vary": "Accept-Encoding",
                                     "Cache-Control": IMMUTABLE},
                        )
                        await response(scope, receive, send)
                        return
        await self.app(scope, receive, send)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the compressed copies of Streamlit's static files.")
    parser.add_argument("--build", action="store_true", help="(re)build the cache now")
    parser.add_argument("--if-missing", action="store_true", help="with --build: only when it is not built yet")
    args = parser.parse_args(argv)
    if not args.build:
        parser.error("say --build (to serve the app: streamlit run app/serve.py)")
    if args.if_missing and (cache_dir() / MANIFEST).is_file():
        return 0
    report = build()
    print(f"Compressed {report.files} static files of Streamlit {streamlit.__version__}: "
          f"{report.original_bytes / 1e6:.1f} MB → {report.br_bytes / 1e6:.1f} MB Brotli, "
          f"{report.gzip_bytes / 1e6:.1f} MB gzip ({report.seconds:.0f} s, in {cache_dir()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
