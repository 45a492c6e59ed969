"""How every page looks on a phone (390 px wide) as well as on a desktop: one stylesheet, one
small script, and tables that turn into cards on narrow screens.

:func:`inject` (called once per run by ``app/main.py``) adds the stylesheet and the script to
every page, whoever wrote it:

- tap targets of at least 44 × 44 px on narrow or touch screens (buttons, links of the
  navigation, text, number and date inputs, select boxes and their open choices, check boxes,
  radio buttons, help icons, the sidebar's open and close buttons), for Streamlit 1.67's widgets;
- less padding and smaller headings and KPI figures on phones, so that the first chart shows
  on the first screen; KPI groups drawn with :func:`kpi_group` two to a row there;
- no Plotly toolbar on any chart (pages also pass ``CHART_CONFIG``);
- the sidebar closes after a tap on a page of the navigation when the window is narrow
  (Streamlit does it only for browsers that say they are phones, not for narrow windows).

:func:`table` draws a table as ``st.dataframe`` on wide screens and as cards (one per row,
each column a labelled line) on narrow ones: every column stays readable at 390 px. Both are
sent; the stylesheet shows one. Card text is HTML-escaped (and Streamlit sanitises it again).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from warehouse.i18n import _

#: Window width (CSS px) up to which the phone layout applies; Streamlit stacks columns and
#: lays the sidebar over the page below this width too.
NARROW_PX = 640
#: The Plotly configuration of every chart: no toolbar (its 20 px icons are unusable by thumb
#: and hide the title on a phone), no scroll-zoom trap while scrolling the page.
CHART_CONFIG: dict[str, Any] = {"displayModeBar": False, "scrollZoom": False, "responsive": True}
TAP_PX = 44

_CSS = f"""
<style>
/* charts: no toolbar anywhere */
.js-plotly-plot .modebar-container {{ display: none !important; }}

/* narrow screens get the cards of a table, wide ones its grid */
@media (max-width: {NARROW_PX}px) {{ [class*="st-key-kasuwa-wide-"] {{ display: none !important; }} }}
@media (min-width: {NARROW_PX + 1}px) {{ [class*="st-key-kasuwa-narrow-"] {{ display: none !important; }} }}
.kasuwa-cards {{ display: flex; flex-direction: column; gap: .5rem; }}
.kasuwa-card {{ border: 1px solid rgba(49, 51, 63, .2); border-radius: .5rem; padding: .5rem .75rem; }}
.kasuwa-card dl {{
  margin: 0; padding: 0; display: grid; grid-template-columns: minmax(6rem, 40%) 1fr; gap: .15rem .75rem;
}}
.kasuwa-card dt {{ color: rgba(31, 41, 55, .7); font-size: .875rem; margin: 0; padding: 0; }}
.kasuwa-card dd {{ margin: 0; padding: 0; overflow-wrap: anywhere; font-size: .95rem; }}
.kasuwa-card .kasuwa-card-title {{ font-weight: 600; margin-bottom: .25rem; overflow-wrap: anywhere; }}

/* contrast: captions (Streamlit draws them faded: 4.0:1 on white, 3.7:1 on the sidebar) in #5b6270,
   not faded: 6.1:1 on white, 5.6:1 on the sidebar's #F1F5F4 (WCAG AA asks 4.5:1) */
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
[data-testid="stWidgetLabel"] [data-testid="stTooltipHoverTarget"] {{
  color: #5b6270 !important; opacity: 1 !important;
}}
/* section headings are h2 under the page's h1 (no skipped level): drawn at h3's size */
[data-testid="stMain"] [data-testid="stHeading"] h2 {{ font-size: 1.5rem; padding: .75rem 0 .5rem 0; }}

/* KPI groups (kpi_group): three to a row on wide screens, two on phones */
[class*="st-key-kasuwa-kpis-"] > div {{ flex: 1 1 calc(33.3% - 1rem) !important; min-width: 12rem; }}

/* the page script of app/style.py lives in an invisible container */
.st-key-kasuwa-script, .st-key-kasuwa-cookie, [class*="st-key-kasuwa-lang"] {{ display: none !important; }}

@media (max-width: {NARROW_PX}px) {{
  [data-testid="stMainBlockContainer"] {{ padding: 3.25rem 1rem 4rem 1rem !important; }}
  /* 12 px between elements instead of 16: what the taller inputs took back */
  [data-testid="stMain"] [data-testid="stVerticalBlock"] {{ gap: .75rem !important; }}
  h1 {{ font-size: 1.75rem !important; padding-top: .25rem !important; padding-bottom: .25rem !important; }}
  h2 {{ font-size: 1.4rem !important; }}
  h3 {{ font-size: 1.2rem !important; }}
  [class*="st-key-kasuwa-kpis-"] > div {{ flex: 1 1 calc(50% - .5rem) !important; min-width: 0 !important; }}
  [class*="st-key-kasuwa-kpis-"] {{ gap: .5rem !important; }}
  [class*="st-key-kasuwa-kpis-"] [data-testid="stMetric"] {{ padding: .35rem .6rem !important; }}
  [class*="st-key-kasuwa-kpis-"] [data-testid="stMetric"] > div {{
    padding-left: 0 !important; padding-right: 0 !important;
  }}
  [class*="st-key-kasuwa-kpis-"] [data-testid="stMetric"] *:not(button) {{
    padding-top: 0 !important; padding-bottom: 0 !important; margin-top: 0 !important; margin-bottom: 0 !important;
  }}
  [class*="st-key-kasuwa-kpis-"] [data-testid="stMetricDelta"] {{ margin-top: .15rem !important; }}
  [data-testid="stMetricValue"] {{ font-size: 1.3rem !important; }}
  [data-testid="stMetricValue"] > div {{ overflow-wrap: anywhere; white-space: normal !important; }}
  [data-testid="stMetricLabel"] p {{ font-size: .8rem !important; }}
  [data-testid="stMetricLabel"] .stMarkdownEllipsis, [data-testid="stMetricLabel"] p {{
    white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  }}
  [data-testid="stHeaderActionElements"] {{ display: none !important; }}
}}

/* tap targets: 44 px on narrow or touch screens. Streamlit 1.67 draws its widgets with React Aria
   (no BaseWeb any more): a select box is a ComboBox group around a 38 px search field, text and
   number inputs a 40 px box around a 36 px field, a date input a 40 px field; each field is set
   to its own height, so the box and the field inside it are both raised. */
@media (max-width: 768px), (pointer: coarse) {{
  button, [role="button"], [role="tab"], summary,
  [data-testid="stSidebarNavLink"], [data-testid="stPageLink-NavLink"] {{
    min-height: {TAP_PX}px !important;
  }}
  button, [role="button"], [role="tab"] {{ min-width: {TAP_PX}px !important; }}
  [data-testid="stSidebarNavLink"] {{ align-items: center; }}
  .react-aria-ComboBox > [role="group"], [data-testid="stTextInputRootElement"],
  [data-testid="stNumberInputContainer"], [data-testid="stDateInputField"] {{
    min-height: {TAP_PX}px !important; height: auto !important; align-items: center;
  }}
  .react-aria-ComboBox input, [role="combobox"], [data-testid="stTextInputField"],
  [data-testid="stNumberInputField"] {{
    min-height: {TAP_PX}px !important; height: auto !important;
  }}
  /* a choice too long for the box ends in "…" rather than being cut mid-word */
  .react-aria-ComboBox input, [role="combobox"] {{ text-overflow: ellipsis; }}
  /* the choices of an open select box (40 px rows otherwise) */
  [role="listbox"] [role="option"] {{ min-height: {TAP_PX}px !important; }}
  [data-testid="stCheckbox"] label, [data-testid="stRadio"] label {{
    min-height: {TAP_PX}px !important; min-width: {TAP_PX}px !important; align-items: center !important;
  }}
  [data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapseButton"] button {{
    width: {TAP_PX}px !important; height: {TAP_PX}px !important;
  }}
  /* small icons keep their look; their box grows to a thumb's size around them */
  [data-testid="stTextInputRootElement"] button,
  [data-testid="stDateInputCalendarButton"], [data-testid="stElementToolbarButton"] button {{
    min-width: {TAP_PX}px !important; min-height: {TAP_PX}px !important;
    display: inline-flex !important; align-items: center; justify-content: center;
  }}
  [data-testid="stTooltipHoverTarget"] button {{
    min-width: {TAP_PX}px !important; min-height: {TAP_PX}px !important; margin: -14px !important;
  }}
}}
</style>
"""

# Closes the sidebar after a tap on a navigation link when the window is narrow. Installed once
# per page load (the guard); Streamlit re-renders the element on reruns but does not run it again.
_SCRIPT = """
<script>
(() => {
  const doc = window.parent && window.parent.document ? window.parent.document : document;
  const win = doc.defaultView || window;
  if (win.__kasuwaNavCloser) return;
  win.__kasuwaNavCloser = true;
  doc.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('[data-testid="stSidebarNavLink"]');
    if (!link || win.innerWidth > 768) return;
    // open: Streamlit 1.67 says data-collapsed="false" (older ones aria-expanded="true"); its
    // position on the screen says it for any version
    const isOpen = (s) => s.getAttribute("data-collapsed") === "false" || s.getAttribute("aria-expanded") === "true"
      || (s.getAttribute("data-collapsed") === null && s.getBoundingClientRect().right > 10);
    const closeIfOpen = () => {
      const close = doc.querySelector('[data-testid="stSidebarCollapseButton"] button');
      const sidebar = doc.querySelector('[data-testid="stSidebar"]');
      if (close && sidebar && isOpen(sidebar)) close.click();
    };
    win.setTimeout(closeIfOpen, 50);
    win.setTimeout(closeIfOpen, 600);  // in case the page's first run drew the sidebar open again
  }, true);
})();
</script>
"""


def inject() -> None:
    """Add the stylesheet and the navigation script to this run's page (every page)."""
    st.html(_CSS)
    with st.container(key="kasuwa-script"):
        st.html(_SCRIPT, unsafe_allow_javascript=True)


def run_script(js: str, key: str) -> None:
    """Run ``js`` (code of our own, never user text) in the page, in an invisible container."""
    with st.container(key=key):
        st.html(f"<script>{js}</script>", unsafe_allow_javascript=True)


def section(title: str) -> None:
    """A section heading under the page's title: an ``h2`` (``st.subheader`` is an ``h3``, which
    skips a level after the page's ``h1``), drawn at a section's size."""
    st.header(title, anchor=False)


def kpi_group(key: str) -> Any:
    """A container for KPI cards (``st.metric``): three to a row on wide screens, two on phones."""
    return st.container(horizontal=True, key=f"kasuwa-kpis-{key}", gap="small")


def _text(value: Any) -> str:
    from .format import blank, when  # format imports nothing of style; a late import keeps style light

    if blank(value):
        return ""
    return when(value) if isinstance(value, datetime) else str(value)


def cards_html(df: pd.DataFrame, labels: Mapping[str, str], title: str | None = None) -> str:
    """The rows of ``df`` as HTML cards: ``title``'s value on top, then every column of
    ``labels`` (in its order) as a "label: value" line; empty values are left out."""
    out = ['<div class="kasuwa-cards">']
    for row in df.to_dict("records"):
        out.append('<div class="kasuwa-card">')
        if title:
            out.append(f'<div class="kasuwa-card-title">{html.escape(_text(row.get(title)))}</div>')
        out.append("<dl>")
        for col, label in labels.items():
            if col == title or col not in row:
                continue
            text = _text(row[col])
            if text:
                out.append(f"<dt>{html.escape(label)}</dt><dd>{html.escape(text)}</dd>")
        out.append("</dl></div>")
    out.append("</div>")
    return "".join(out)


def table(df: pd.DataFrame, key: str, labels: Mapping[str, str], title: str | None = None,
          column_config: Mapping[str, Any] | None = None, max_cards: int = 50,
          grid_key: str | None = None, first_cards: int | None = None,
          more: Callable[[int], str] | None = None) -> None:
    """``df`` as a grid on wide screens (columns named by ``labels``, ``column_config`` for the
    types) and as cards on phones. Only the first ``max_cards`` rows become cards; the caption
    says how many more the wide view or the download has. With ``first_cards``, the cards after
    that many wait in an expander labelled ``more(count)`` ("12 older payouts", through
    ``ngettext``), so that a
    long table does not push the rest of the page screens away on a phone."""
    config: dict[str, Any] = dict(labels)
    config.update(column_config or {})
    with st.container(key=f"kasuwa-wide-{key}"):
        st.dataframe(df, hide_index=True, column_config=config, key=grid_key)
    with st.container(key=f"kasuwa-narrow-{key}"):
        cards = df.head(max_cards)
        if first_cards is not None and len(cards) > first_cards:
            st.html(cards_html(cards.head(first_cards), labels, title))
            rest = len(cards) - first_cards
            with st.expander(more(rest) if more else _("%(count)s more", count=rest)):
                st.html(cards_html(cards.iloc[first_cards:], labels, title))
        else:
            st.html(cards_html(cards, labels, title))
        if len(df) > max_cards:
            st.caption(_("The first %(shown)s of %(total)s rows; turn the phone sideways or use a wider screen "
                         "for all of them.", shown=max_cards, total=len(df)))
