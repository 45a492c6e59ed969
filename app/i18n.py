"""The language of a page run, on the Streamlit side of ``warehouse.i18n``.

:func:`apply` (once per run, in ``app/main.py``) decides the run's language — the signed-in
user's (their choice, else their creator's country's default: SN, CI → French, BD → Bengali,
PK → Urdu, else English), or before sign-in the browser's ``Accept-Language`` (q-values
honoured) — keeps it in the session (so callbacks and fragments, which may run on another
thread, translate too) and, for Urdu, lays the app's own content out right to left with
numbers, amounts, codes and tables kept left to right inside (:data:`RTL_CSS`).
"""

from __future__ import annotations

import json

import streamlit as st

from warehouse import i18n
from warehouse.access import Actor
from warehouse.locales import locale_for, user_language

LANG_KEY = "kasuwa_language"

# Our own constant CSS (never user text). Streamlit draws the page in a <div>, not <html dir>:
# the main block and the sidebar's content switch direction and alignment; figures (KPI values,
# amounts), tables, charts, date and number inputs and code stay left to right, isolated so the
# surrounding Urdu does not reorder their digits and signs.
RTL_CSS = """
<style>
[data-testid="stMain"], [data-testid="stMainBlockContainer"], [data-testid="stSidebarContent"] {
  direction: rtl; text-align: right;
}
[data-testid="stMetricValue"], [data-testid="stMetricDelta"], [data-testid="stDataFrame"],
[data-testid="stTable"], [data-testid="stPlotlyChart"], [data-testid="stDateInputField"],
[data-testid="stNumberInputField"], [data-testid="stTextInputField"], code, bdi, .kasuwa-ltr,
.kasuwa-card dd {
  direction: ltr; unicode-bidi: isolate;
}
[data-testid="stMetricValue"], [data-testid="stMetricDelta"] { text-align: right; justify-content: flex-end; }
/* titles, headings, labels and text on the right, with the labels */
[data-testid="stHeading"], [data-testid="stHeading"] h1, [data-testid="stHeading"] h2,
[data-testid="stHeading"] h3, [data-testid="stMarkdownContainer"], [data-testid="stCaptionContainer"],
[data-testid="stWidgetLabel"], [data-testid="stText"], [data-testid="stExpander"] summary {
  text-align: right; direction: rtl;
}
[data-testid="stHeading"] > div { justify-content: flex-start; }
/* bullets beside their text: the list's indent on the right */
[data-testid="stMarkdownContainer"] ul, [data-testid="stMarkdownContainer"] ol {
  padding-left: 0 !important; margin-left: 0 !important; padding-right: 1.25em !important;
  margin-right: 0 !important; list-style-position: outside;
}
[data-testid="stMarkdownContainer"] li { margin-left: 0 !important; }
/* Urdu in a Nastaliq face where the reader's system has one (none is shipped: page weight) */
[data-testid="stMain"], [data-testid="stSidebarContent"] {
  font-family: "Noto Nastaliq Urdu", "Jameel Noto Nastaliq", "Urdu Typesetting", "Noto Naskh Arabic",
    "Noto Sans Arabic", "Source Sans Pro", sans-serif;
}
/* Nastaliq stacks letters high and deep: room for it, so no line is cut or overlaps the next */
[data-testid="stMain"], [data-testid="stSidebarContent"], [data-testid="stMarkdownContainer"] p,
[data-testid="stCaptionContainer"] p, [data-testid="stWidgetLabel"] p, [data-testid="stText"] {
  line-height: 2.1 !important;
}
button [data-testid="stMarkdownContainer"] p, button p {
  line-height: 2 !important; overflow: visible !important; padding-block: .2em !important;
}
button { height: auto !important; min-height: 2.75rem; overflow: visible !important; }
[data-testid="stBaseButton-secondary"], [data-testid="stBaseButton-primary"],
[data-testid="stBaseButton-secondaryFormSubmit"], [data-testid="stBaseButton-primaryFormSubmit"] {
  padding-top: .35rem !important; padding-bottom: .35rem !important;
}
</style>
"""


def _session_language() -> str | None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    value = st.session_state.get(LANG_KEY)
    return value if isinstance(value, str) else None


i18n.set_language_source(_session_language)


def browser_language() -> str:
    """The language the browser asks for first among ours (``Accept-Language``), else English."""
    try:
        header = st.context.headers.get("Accept-Language")
    except Exception:  # no browser connection behind this run (AppTest, bare mode)
        header = None
    return i18n.negotiate(header)


def actor_language(actor: Actor) -> str:
    """The language ``actor`` reads: their own choice, else their creator's country's default."""
    try:
        return user_language(actor.language, actor.creator_id)
    except Exception:  # a directory that cannot answer must not take the page down
        return i18n.supported(actor.language) or i18n.SOURCE_LANGUAGE


def reader_locale() -> str:
    """The locale of the run's language alone (``fr``, ``bn``, ``ur``, ``en``): for pages about
    regions rather than one creator (their numbers are not any one country's)."""
    return locale_for(i18n.current_language(), None, i18n.SOURCE_LANGUAGE)


def apply(actor: Actor | None) -> str:
    """Set this run's language (the user's, or the browser's before sign-in) and return it."""
    lang = actor_language(actor) if actor is not None else browser_language()
    st.session_state[LANG_KEY] = lang
    i18n.set_language(lang)
    return lang


def decorate(lang: str) -> None:
    """The page's direction and language: right to left for Urdu (:data:`RTL_CSS`), and the
    document's ``lang`` attribute set to the language (screen readers, fonts, hyphenation)."""
    from .style import run_script

    if i18n.is_rtl(lang):
        st.html(RTL_CSS)
    code = i18n.supported(lang) or i18n.SOURCE_LANGUAGE  # from the allow-list: safe in the script
    run_script(f"(window.parent && window.parent.document ? window.parent.document : document)"
               f".documentElement.lang = {json.dumps(code)};", key=f"kasuwa-lang-{code}")
