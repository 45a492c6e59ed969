"""app/static_cache.py: the cache of compressed static files, on real files in tmp_path: every text file
gets Brotli and gzip copies that decode to its bytes, already-compressed formats are linked
but not recompressed, and the Accept-Encoding parser honours q=0."""

from __future__ import annotations

import gzip
import json

import brotli

from app import static_cache as serve


def test_build_writes_copies_that_decode_to_the_original_and_links_the_rest(tmp_path):
    static = tmp_path / "static"
    (static / "static" / "js").mkdir(parents=True)
    (static / "static" / "media").mkdir(parents=True)
    script = ("export const rows = [" + ",".join(f'"row {i}"' for i in range(5000)) + "];\n").encode()
    (static / "static" / "js" / "index.abc123.js").write_bytes(script)
    (static / "static" / "media" / "font.woff2").write_bytes(bytes(range(256)) * 40)
    (static / "index.html").write_text("<!doctype html><title>x</title>" + "<p>hello</p>" * 200)
    cache = tmp_path / "cache"

    report = serve.build(cache, static_dir=static)

    assert report.files == 2  # the script and index.html; the font is not text
    js = cache / "static" / "js" / "index.abc123.js"
    assert brotli.decompress((js.parent / (js.name + ".br")).read_bytes()) == script
    assert gzip.decompress((js.parent / (js.name + ".gz")).read_bytes()) == script
    assert js.is_symlink() and js.read_bytes() == script  # the original beside them, for nginx
    font = cache / "static" / "media" / "font.woff2"
    assert font.is_symlink() and not font.with_name("font.woff2.br").exists()
    manifest = json.loads((cache / serve.MANIFEST).read_text())
    assert manifest["files"]["static/js/index.abc123.js"] == {
        "br": "static/js/index.abc123.js.br",
        "gzip": "static/js/index.abc123.js.gz",
    }
    assert serve.build(cache, static_dir=static).files == 2  # safe to run again


def test_accept_encoding_is_read_with_its_weights():
    assert serve.accepted("gzip, deflate, br") == {"gzip", "deflate", "br"}
    assert serve.accepted("gzip;q=1.0, br;q=0") == {"gzip"}
    assert serve.accepted("identity") == {"identity"}
    assert serve.accepted("") == set()
    assert {"br", "gzip"} <= serve.accepted("*")
    assert serve.accepted("br;q=abc, gzip") == {"gzip"}
