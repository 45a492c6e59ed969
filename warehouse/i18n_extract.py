"""Babel extractors for the texts people read that live in data files, not code.

``babel.cfg`` names these in its ``[extractors]`` section, so ``pybabel extract -F babel.cfg``
puts them into ``locales/messages.pot`` beside the code's messages:

- expectation suites (``expectations/*.json``): each expectation's ``meta.reason``;
- profiles (``data/profiles/*.toml``): ``title``, every ``reason`` (known non-sales) and
  ``unknown`` (why a row is asked about); ``{value}`` in them stays as it is in translations;
- rails (``data/rails.toml``): each rail's and each custody source's ``name`` and each fee's ``note``;
- regions (``data/regions.toml``): each region's ``name``.

They are translated where they are shown, with :func:`warehouse.i18n.translate_text`.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from typing import Any

#: keys whose string values are read by people, per kind of file
TOML_KEYS = frozenset({"title", "reason", "unknown", "note", "description"})
RAIL_KEYS = frozenset({"name"})  # in rails.toml's [rail.*] and [custody.*], and regions.toml's [[region]]

Extracted = tuple[int, str | None, str, list[str]]


def _line_of(lines: list[str], text: str) -> int:
    needle = json.dumps(text, ensure_ascii=False)[1:-1]
    for i, line in enumerate(lines, start=1):
        if needle in line or text in line:
            return i
    return 1


def _walk(node: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value, path)
    elif isinstance(node, str):
        yield path, node


def texts_of_toml(data: dict[str, Any]) -> list[str]:
    """The texts people read in a profile or ``rails.toml``, in file order, once each."""
    out: list[str] = []
    for path, value in _walk(data, ()):
        key = path[-1] if path else ""
        wanted = key in TOML_KEYS or (key in RAIL_KEYS and path[:1] in (("rail",), ("custody",), ("region",)))
        if wanted and value.strip() and value not in out:
            out.append(value)
    return out


def texts_of_suite(data: dict[str, Any]) -> list[str]:
    """Every expectation's ``meta.reason`` of a Great Expectations suite, once each."""
    out: list[str] = []
    for exp in data.get("expectations", []):
        reason = (exp.get("meta") or {}).get("reason")
        if isinstance(reason, str) and reason.strip() and reason not in out:
            out.append(reason)
    return out


def extract_data(fileobj: Any, keywords: Any, comment_tags: Any, options: dict[str, Any]) -> Iterator[Extracted]:
    """Babel extractor for ``*.toml`` and ``*.json`` data files (the kind is read from the
    content: JSON starts with ``{``)."""
    raw = fileobj.read()
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    lines = text.splitlines()
    if text.lstrip().startswith("{"):
        found = texts_of_suite(json.loads(text))
    else:
        found = texts_of_toml(tomllib.loads(text))
    for message in found:
        yield _line_of(lines, message), None, message, []
