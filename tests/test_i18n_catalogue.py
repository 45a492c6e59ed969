"""The message catalogue is complete and in step with the code: every message of the template
(``locales/messages.pot``) is translated in French, Bengali and Urdu, none fuzzy, none left over
from messages the code no longer has, placeholders kept; the template holds exactly what the
code and the data files hold today (re-extracted here and compared). And the machinery: the
language of a context, ``Accept-Language``, plurals, stored English texts translated at display."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from warehouse import i18n
from warehouse.i18n import N_, _, ngettext, translate_text, use_language

ROOT = Path(__file__).resolve().parents[1]
POT = ROOT / "locales" / "messages.pot"
LANGUAGES = ("fr", "bn", "ur")
_PYTHON = re.compile(r"%\((\w+)\)s")
_BRACES = re.compile(r"\{(\w+)\}")


def _catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def _ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def test_the_template_is_up_to_date_with_the_code(tmp_path):
    fresh = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([str(pybabel), "-q", "extract", "-F", "babel.cfg", "-o", str(fresh), "--no-location", "."],
                   cwd=ROOT, check=True, capture_output=True, text=True)
    now, kept = _ids(_catalog(fresh)), _ids(_catalog(POT))
    assert now - kept == set(), "messages the template lacks (run scripts/i18n update)"
    assert kept - now == set(), "messages the code no longer has (run scripts/i18n update)"
    assert len(now) > 700  # the whole app, its warehouse texts and the data files' texts


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_none_fuzzy_none_stale(lang):
    pot = _catalog(POT)
    po = _catalog(ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po", locale=lang)
    assert _ids(po) == _ids(pot), f"{lang}: not in step with the template (run scripts/i18n update)"
    assert not po.obsolete, f"{lang}: obsolete entries: {list(po.obsolete)[:5]}"
    fuzzy = [m.id for m in po if m.id and m.fuzzy]
    assert not fuzzy, f"{lang}: fuzzy entries: {fuzzy[:5]}"
    missing = [m.id for m in po if m.id and not all(s.strip() for s in _strings(m))]
    assert not missing, f"{lang}: {len(missing)} untranslated, e.g. {missing[:5]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_their_placeholders(lang):
    po = _catalog(ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po", locale=lang)
    problems = []
    for m in po:
        if not m.id:
            continue
        for error in m.check(po):  # babel's checkers: python-format placeholders, plural forms
            problems.append(f"{m.id!r}: {error}")
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        want_py = set().union(*(_PYTHON.findall(i) for i in ids))
        want_br = set().union(*(_BRACES.findall(i) for i in ids))
        for text in _strings(m):
            if not text:
                continue
            if set(_PYTHON.findall(text)) - want_py or (want_py and not set(_PYTHON.findall(text)) and len(ids) == 1):
                problems.append(f"{m.id!r}: placeholders {sorted(want_py)} became {_PYTHON.findall(text)}")
            if set(_BRACES.findall(text)) != want_br:
                problems.append(f"{m.id!r}: placeholders {sorted(want_br)} became {_BRACES.findall(text)}")
    assert not problems, "\n".join(problems[:20])


def test_the_language_is_the_contexts_and_english_is_the_source():
    assert _("Sign in") == "Sign in"
    with use_language("fr"):
        assert i18n.current_language() == "fr"
        french = _("Sign in")
        with use_language("en"):
            assert _("Sign in") == "Sign in"
        assert _("Sign in") == french
    assert i18n.current_language() == "en"
    with use_language("xx"):  # not one of ours: the source language
        assert i18n.current_language() == "en"


def test_accept_language_picks_ours_by_q_value():
    assert i18n.negotiate("fr-SN,fr;q=0.9,en;q=0.8") == "fr"
    assert i18n.negotiate("de-DE, ur;q=0.5, en;q=0.4") == "ur"
    assert i18n.negotiate("en;q=0.2, bn-BD;q=0.9") == "bn"
    assert i18n.negotiate("fr;q=0, en") == "en"
    assert i18n.negotiate("de, it") == "en"
    assert i18n.negotiate("") == "en" and i18n.negotiate(None) == "en"
    assert i18n.negotiate("fr;q=abc, bn") == "bn"  # a broken part is skipped


def test_plurals_and_named_values():
    assert ngettext("%(count)s row chosen", "%(count)s rows chosen", 1) == "1 row chosen"
    assert ngettext("%(count)s row chosen", "%(count)s rows chosen", 3, count="3") == "3 rows chosen"
    assert _("Signed in as %(email)s · %(role)s", email="a@b.c", role="Creator") == "Signed in as a@b.c · Creator"
    assert N_("%(count)s of %(total)s", count=1, total=2) == "1 of 2"  # filled, in English


def test_a_stored_english_text_is_translated_with_its_values():
    stored = N_("%(loaded)s of %(total)s rows loaded.", loaded=5, total=7)
    reason = "payment not completed yet (status: Pending); a later export that shows it completed loads it"
    with use_language("fr"):
        french = _("%(loaded)s of %(total)s rows loaded.")
        shown = translate_text(stored)
        assert shown == french.replace("%(loaded)s", "5").replace("%(total)s", "7")
        assert shown != stored
        template = _("payment not completed yet (status: {value}); a later export that shows it completed loads it")
        assert translate_text(reason) == template.replace("{value}", "Pending")
        both = translate_text(f"{stored}; order id is missing")
        assert both == f"{shown}; {_('order id is missing')}"
        assert translate_text("Wax print dress") == "Wax print dress"  # not ours: as given
    assert translate_text(stored) == stored


def test_data_file_texts_are_in_the_catalogue():
    ids = _ids(_catalog(POT))
    assert "order id is missing" in ids  # expectations/base.json meta.reason
    assert "Discover marketplace sale" in ids  # data/rails.toml note
    assert "Mobile money (generic)" in ids  # data/rails.toml rail name
    assert "PayPal activity download" in ids  # data/profiles/paypal.toml title
    assert any("{value}" in i for i in ids)  # profile reasons keep their value


def test_the_warehouse_never_needs_streamlit_for_its_words():
    code = ("import sys; from warehouse import i18n, report, review; from warehouse.ingest import pipeline; "
            "assert 'streamlit' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
