"""What a creator, reviewer or manager reads is written for them: every page, for every role
that may open it, run with AppTest on the demo programme, and its rendered text searched for
internal names — column names, rule types, ids of the code, raw JSON, "None", money with six
decimals, command-line flags, file paths."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from app.registry import PAGES
from app.session import ACTOR_KEY, LAST_SEEN_KEY
from control import accounts
from warehouse.demo import build_demo

MAIN = "../app/main.py"

#: what must never reach a person: (pattern, why)
INTERNAL = [
    (re.compile(r"\b(gross_minor|net_minor|sold_at|buyer_country|upload_id|flag_id|sale_id|creator_id|rows_total|"
                r"rows_loaded|rows_flagged|rows_skipped|rows_known|order_key_count|sold_at_age_days|amounts_readable|"
                r"amounts_fit_currency|fee_currency|skip_reason|ask_reason|received_at|loaded_at|usd_rate)\b"),
     "an internal column name"),
    (re.compile(r"\bexpect_column_\w+|\bkind_unknown\b"), "a rule type"),
    (re.compile(r"\bNone\b|\bnan\b|\bNaT\b"), "an empty value shown as a word"),
    (re.compile(r"\d\.\d{6}\b"), "money with six decimals"),
    (re.compile(r"--map\b|--profile\b|kasuwa ingest"), "command-line syntax"),
    (re.compile(r"data/\w+\.toml|\.duckdb\b|landing/"), "a file path"),
    (re.compile(r'^\s*[\[{]\s*"'), "raw JSON"),
]


def _texts(node: Any) -> Iterator[str]:
    """Every string a person reads in an AppTest element tree: bodies, labels, options, table
    headers and cells."""
    for attr in ("value", "body", "label", "placeholder", "help"):
        v = getattr(node, attr, None)
        if isinstance(v, str):
            yield v
    for attr in ("options",):
        for o in getattr(node, attr, None) or []:
            yield str(o)
    proto = getattr(node, "proto", None)
    if getattr(node, "type", None) == "dataframe" and proto is not None:
        yield from _frame_texts(node.value, proto)
    for child in getattr(node, "children", {}).values() if isinstance(getattr(node, "children", None), dict) else []:
        yield from _texts(child)


def _frame_texts(frame: Any, proto: Any) -> Iterator[str]:
    """A table as a person sees it: each shown column's header (its configured label, else its
    name) and the text cells; numbers and times are formatted by the browser, not checked here."""
    config = json.loads(proto.columns) if proto.columns else {}
    order = list(proto.column_order) or [str(c) for c in frame.columns]
    for col in order:
        conf = config.get(f"col:{col}") or config.get(col) or {}
        if conf.get("hidden") or col not in frame.columns:
            continue
        yield str(conf.get("label") or col)
        for v in frame[col].head(50):
            if isinstance(v, str | Decimal):
                yield str(v)


def _page_texts(at: AppTest) -> list[str]:
    out: list[str] = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "text", "error", "warning", "info",
                 "success", "metric", "button", "selectbox", "multiselect", "radio", "text_input", "date_input",
                 "number_input", "checkbox", "toggle", "expander", "tabs", "dataframe", "table"):
        try:
            elements = getattr(at, kind)
        except AttributeError:
            continue
        for el in elements:
            out.extend(t for t in _texts(el) if t)
    return out


def _leaks(texts: list[str]) -> list[tuple[str, str]]:
    found = []
    for t in texts:
        for pattern, why in INTERNAL:
            m = pattern.search(t)
            if m:
                found.append((why, t[:160]))
    return found


@pytest.mark.slow
def test_no_page_shows_internal_names_to_any_role():
    build_demo()
    # one account per role, and the creators of Senegal, Bangladesh and Pakistan
    users = [(role, email) for email, _pw, role, _c, _r in accounts.DEMO_USERS + accounts.DEMO_LANGUAGE_USERS]
    leaks: dict[str, list[tuple[str, str]]] = {}
    for role, email in users:
        for page in (p for p in PAGES if role in p.roles):
            at = AppTest.from_file(MAIN, default_timeout=120)
            at.session_state[ACTOR_KEY] = accounts.current_actor(email)
            at.session_state[LAST_SEEN_KEY] = time.time()
            at.run()
            at = at.switch_page(f"../{page.path}").run()
            assert not at.exception, (role, page.path, at.exception)
            found = _leaks(_page_texts(at))
            if found:
                leaks[f"{email} {page.path}"] = sorted(set(found))
    assert not leaks, "\n".join(f"{k}: {v}" for k, v in leaks.items())


@pytest.mark.slow
def test_the_upload_report_and_the_mapping_step_speak_plainly():
    build_demo()
    demo = {role: email for email, _pw, role, _c, _r in accounts.DEMO_USERS}
    at = AppTest.from_file(MAIN, default_timeout=120)
    at.session_state[ACTOR_KEY] = accounts.current_actor(demo["creator"])
    at.session_state[LAST_SEEN_KEY] = time.time()
    at.run()
    at = at.switch_page("../pages/upload.py").run()
    at.file_uploader[0].upload("ventes.csv", b"order_id,date,product,amount,currency\n"
                               b"P1,2026-11-01,Pagne,1500.00,NGN\nP2,2026-11-02,Pagne,-20,NGN\n"
                               b"P3,2026-11-02,Pagne,12.345,NGN\n", "text/csv").run()
    assert not at.exception
    report = _page_texts(at)
    assert any("wait for a reviewer" in t for t in report)
    assert not _leaks(report), _leaks(report)
    at.file_uploader[0].upload("unknown.csv", b"Ref;Jour;Article;Somme\nX1;01/11/2026;Pagne;1500\n",
                               "text/csv").run()
    assert not at.exception
    mapping = _page_texts(at)
    assert any("Choose them below" in t or "choose" in t.lower() for t in mapping)
    assert not _leaks(mapping), _leaks(mapping)
