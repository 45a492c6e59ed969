"""Replace personal data in a real export with deterministic fakes, changing no other byte.

    python tests/samples/real/scrub.py ORIGINAL OUT [--column "HEADER=KIND"]... [--key "KEY=KIND"]...
           [--value "TEXT=KIND"]... [--emails] [--phones]

KIND is one of name, email, phone, address, id. The values of the named CSV columns (or JSON
keys, at any depth) are collected first; then every occurrence of each collected value, of each
``--value`` text, of every e-mail address (``--emails``) and of every run of 9 or more digits
that looks like a phone number (``--phones``: beware of long numeric order ids and timestamps,
which look the same) is replaced in the decoded text by a fake derived
from a hash of the value, so the same person gets the same fake everywhere in the corpus. The
text is re-encoded as it came (UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252), so
line endings, quoting and every other cell stay byte for byte. What changed is printed, for
SOURCES.md.

This is a tool for building the test corpus, not part of Kasuwa.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import hashlib
import io
import json
import re
import sys
from collections import Counter
from pathlib import Path

KINDS = ("name", "email", "phone", "address", "id")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# +254712345678, 254712345678, 0712345678, +8801712345678: 9 to 15 digits, optionally one leading +
_PHONE = re.compile(r"(?<![\w.])\+?\d{9,15}(?![\w.])")


def _h(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def fake(value: str, kind: str) -> str:
    """A deterministic stand-in for ``value`` of the same kind."""
    h = _h(value)
    if kind == "email":
        return f"buyer-{h[:8]}@example.com"
    if kind == "phone":
        digits = "".join(str(int(c, 16) % 10) for c in h)
        lead = value[: len(value) - len(value.lstrip("+0"))]  # keep a leading + or 0
        body_len = len(value) - len(lead)
        return lead + (digits * 2)[:body_len]
    if kind == "name":
        # an upper-case name stays upper-case (M-Pesa writes names in capitals)
        out = f"Buyer {h[:6].upper()}"
        return out.upper() if value.isupper() else out
    if kind == "address":
        return f"{int(h[:4], 16) % 900 + 100} Sample Street"
    if kind == "id":
        if value.isdigit():
            return "".join(str(int(c, 16) % 10) for c in h)[: len(value)] or "0"
        return f"id-{h[:10]}"
    raise ValueError(kind)


def decode(data: bytes) -> tuple[str, str]:
    """(text, codec) — the codec re-encodes the text to the same bytes."""
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig"), "utf-8-sig"
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252"), "cp1252"


def _csv_values(text: str, columns: dict[str, str]) -> dict[str, str]:
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delim = dialect.delimiter
    except csv.Error:
        delim = ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    wanted = {h.strip().casefold(): k for h, k in columns.items()}
    out: dict[str, str] = {}
    for i, row in enumerate(rows[:40]):  # the header row may sit below title rows
        idx = {j: wanted[c.strip().lstrip("\ufeff").casefold()] for j, c in enumerate(row)
               if c.strip().lstrip("\ufeff").casefold() in wanted}
        if idx:
            for r in rows[i + 1:]:
                for j, kind in idx.items():
                    if j < len(r) and r[j].strip():
                        out[r[j]] = kind
            break
    return out


def _json_values(node: object, keys: dict[str, str], out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if k in keys and isinstance(v, str | int) and str(v).strip():
                out[str(v)] = keys[k]
            else:
                _json_values(v, keys, out)
    elif isinstance(node, list):
        for v in node:
            _json_values(v, keys, out)


def scrub_text(text: str, values: dict[str, str], emails: bool, phones: bool) -> tuple[str, Counter[str]]:
    changed: Counter[str] = Counter()
    # longest first, so "John Doe" goes before "John"
    for value in sorted(values, key=len, reverse=True):
        kind = values[value]
        # a short or all-digit name or address line ("1", "124") would also hit amounts, ids and
        # headers elsewhere in the file: such a value is left for --value or a hand check
        if kind in ("name", "address") and (len(value.strip()) < 4 or value.strip().isdigit()):
            continue
        if len(value) < 3 and kind != "id":
            continue
        pattern = re.compile(r"(?<![\w])" + re.escape(value) + r"(?![\w])")
        text, n = pattern.subn(lambda _m, v=value, k=kind: fake(v, k), text)
        # the same value written with CSV's doubled quotes
        if '"' in value:
            esc = value.replace('"', '""')
            text, n2 = re.subn(re.escape(esc), fake(value, kind).replace('"', '""'), text)
            n += n2
        changed[kind] += n
    if emails:
        found = {m for m in _EMAIL.findall(text) if not m.endswith("@example.com")}
        text = _EMAIL.sub(lambda m: fake(m.group(0), "email") if m.group(0) in found else m.group(0), text)
        changed["email (pattern)"] += len(found)
    if phones:
        text, n = _PHONE.subn(lambda m: fake(m.group(0), "phone"), text)
        changed["phone (pattern)"] += n
    return text, changed


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, kind = item.rpartition("=")
        if not sep or kind not in KINDS:
            raise SystemExit(f"{flag} {item!r}: use NAME=KIND with KIND one of {', '.join(KINDS)}")
        out[name] = kind
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("original", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--column", action="append", default=[])
    ap.add_argument("--key", action="append", default=[])
    ap.add_argument("--value", action="append", default=[])
    ap.add_argument("--emails", action="store_true")
    ap.add_argument("--phones", action="store_true")
    args = ap.parse_args(argv)
    data = args.original.read_bytes()
    text, codec = decode(data)
    values: dict[str, str] = {}
    if args.column:
        values.update(_csv_values(text, _pairs(args.column, "--column")))
    if args.key:
        _json_values(json.loads(text), _pairs(args.key, "--key"), values)
    values.update(_pairs(args.value, "--value"))
    text, changed = scrub_text(text, values, args.emails, args.phones)
    out = text.encode(codec)
    if codec == "utf-16" and not out.startswith(data[:2]):  # keep the original byte order
        out = data[:2] + text.encode("utf-16-be" if data[:2] == codecs.BOM_UTF16_BE else "utf-16-le")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(out)
    summary = ", ".join(f"{n} {k}" for k, n in sorted(changed.items()) if n) or "nothing"
    print(f"{args.out}: replaced {summary} ({len(values)} distinct values collected)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
