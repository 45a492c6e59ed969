"""Every page as each role reads it (issue 20), on the demo programme (``kasuwa demo``) in Chromium,
at 1400 px and on a 390-px phone: a creator in each language (English, French, Bengali, Urdu), the
reviewer, the manager and the administrator. On every page: no ISO date, no "None", no internal
code name, and on a French, Bengali or Urdu page no English sentence of the app's own catalogue
(every msgid fragment of four words or more that the language's translation does not itself
contain); on Urdu pages headings sit on the right and no button cuts its Nastaliq text; captions
are drawn in the darker grey that passes WCAG AA (4.5:1)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from browser_support import WAIT_MS, navigate_in_session, served_demo, settle
from playwright.sync_api import Browser, Page

from app.registry import pages_for
from warehouse.i18n import LANGUAGES, _, use_language

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"  # screenshots, git-ignored
ACCOUNTS = [  # email, password, role, language
    ("creator@demo.kasuwa", "demo-creator-2024", "creator", "en"),
    ("awa@demo.kasuwa", "demo-awa-2024", "creator", "fr"),
    ("rahim@demo.kasuwa", "demo-rahim-2024", "creator", "bn"),
    ("sana@demo.kasuwa", "demo-sana-2024", "creator", "ur"),
    ("reviewer@demo.kasuwa", "demo-reviewer-2024", "reviewer", "en"),
    ("reviewer@demo.kasuwa", "demo-reviewer-2024", "reviewer", "ur"),
    ("manager@demo.kasuwa", "demo-manager-2024", "manager", "en"),
    ("manager@demo.kasuwa", "demo-manager-2024", "manager", "fr"),
    ("admin@demo.kasuwa", "demo-admin-2024", "admin", "en"),
    ("admin@demo.kasuwa", "demo-admin-2024", "admin", "bn"),
]
LEFT_TO_OTHERS: set[str] = set()  # every page is walked
ISO_DATE = re.compile(r"(?<![\d.])\d{4}-\d{2}(?:-\d{2})?(?![\d.])")
NONE = re.compile(r"\bNone\b")
CODE_NAMES = re.compile(r"expect_column|kind_unknown|gross_minor|_usd\b|up-\d{8}|generic · unknown|\bnan\b|NaT")
#: what each page draws last: once it is there (and the run is over) the whole page is drawn
DRAWN_LAST = {"sales": '[data-testid="stDownloadButton"]', "regions": '[data-testid="stDownloadButton"]',
              "review": '[data-testid="stForm"]',
              "admin": '[data-testid="stForm"]'}
CAPTION_GREY = "rgb(91, 98, 112)"  # #5b6270: 6.1:1 on white, 5.6:1 on the sidebar


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_demo(tmp_path_factory.mktemp("people")) as url:
        yield url


def _open(chromium: Browser, width: int) -> Page:
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="en-US")
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


def _sign_in(page: Page, url: str, email: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.locator(".st-key-kasuwa_sign_out").wait_for(state="attached", timeout=WAIT_MS)
    settle(page)


def _speak(page: Page, lang: str) -> None:
    """Choose ``lang`` on "My account" (staff accounts have no country to take it from); every
    test of a staff account sets its own, so the order of the tests does not matter."""
    navigate_in_session(page, "account")
    page.locator('[data-testid="stButtonGroup"]').first.wait_for(timeout=WAIT_MS)
    settle(page)
    if page.evaluate("document.documentElement.lang") != lang:
        page.locator('[data-testid="stButtonGroup"] button').filter(has_text=LANGUAGES[lang]).first.click()
    with use_language(lang):
        heading = _("My account")
    page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=WAIT_MS)
    page.wait_for_function("l => document.documentElement.lang === l", arg=lang, timeout=WAIT_MS)
    settle(page)


def _page_text(page: Page, lang: str) -> str:
    """What the page says, without the values a file had (shown as the file wrote them, dates
    included: a creator recognises their own rows by them)."""
    with use_language(lang):
        raw = _("Values in the file")
    return page.evaluate(
        """raw => {
            const main = document.querySelector('[data-testid="stMain"]').cloneNode(true);
            for (const dt of main.querySelectorAll('.kasuwa-card dt')) {
              if (dt.textContent.trim() === raw && dt.nextElementSibling) dt.nextElementSibling.remove();
            }
            document.body.appendChild(main);
            const text = main.innerText;
            main.remove();
            return text;
        }""",
        raw,
    )


_PLACEHOLDER = re.compile(r"%\([^)]*\)[sd]|%[sd]|\{[^}]*\}|\*\*|[“”‘’\"`\n]|\\")


def _words(text: str) -> str:
    return " ".join(text.split())


@cache
def english_sentences(lang: str) -> tuple[str, ...]:
    """The catalogue's English as it could be left on a ``lang`` page: every fragment of a msgid
    between its placeholders with four words or more, unless ``lang``'s own translation of it
    contains the same words (a name, a unit)."""
    from babel.messages.pofile import read_po

    with open(ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    found = set()
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        translated = _words(" ".join(s for s in strings if s))
        for msgid in ids:
            for piece in _PLACEHOLDER.split(msgid):
                fragment = _words(piece).strip(" .,:;—–-()[]·…'")
                if len(fragment.split()) >= 4 and fragment not in translated:
                    found.add(fragment)
    return tuple(sorted(found))


def leftover_english(text: str, lang: str) -> list[str]:
    """The catalogue's English sentences (:func:`english_sentences`) found in ``text``."""
    flat = _words(text)
    return [s for s in english_sentences(lang) if s in flat]


def _check_rtl(page: Page, where: str) -> None:
    for heading in page.locator('[data-testid="stHeading"] h1, [data-testid="stHeading"] h2').all():
        assert heading.evaluate("e => getComputedStyle(e).textAlign") in ("right", "start"), where
        assert heading.evaluate("e => getComputedStyle(e).direction") == "rtl", where
    cut = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stMain"] button p')]
              .filter(p => p.offsetParent !== null && p.scrollHeight > p.clientHeight + 1)
              .map(p => p.innerText)"""
    )
    assert not cut, f"{where}: button text cut: {cut}"


@pytest.mark.parametrize("width", [1400, 390])
@pytest.mark.parametrize(("email", "password", "role", "lang"), ACCOUNTS, ids=[f"{a[2]}-{a[3]}" for a in ACCOUNTS])
def test_every_page_reads_as_finished(chromium: Browser, demo_app: str, email: str, password: str, role: str,
                                      lang: str, width: int) -> None:
    page = _open(chromium, width)
    try:
        _sign_in(page, demo_app, email, password)
        if role != "creator":
            _speak(page, lang)
        specs = [p for p in pages_for(role) if p.path not in LEFT_TO_OTHERS and (ROOT / p.path).exists()]
        assert specs
        for spec in specs:
            with use_language(lang):
                title = _(spec.title)
            navigate_in_session(page, Path(spec.path).stem)
            page.wait_for_function(  # the navigation marks the page current and its title is drawn
                """t => [...document.querySelectorAll('[data-testid="stSidebarNavLink"][aria-current="page"]')]
                      .some(a => a.textContent.includes(t)) && document.querySelector('[data-testid="stMain"] h1')""",
                arg=title, timeout=WAIT_MS)
            settle(page)
            last = DRAWN_LAST.get(Path(spec.path).stem)
            if last:
                page.locator(f'[data-testid="stMain"] {last}').first.wait_for(state="attached", timeout=WAIT_MS)
                settle(page)
            where = f"{role}/{lang}/{width}px {spec.path}"
            text = _page_text(page, lang)
            assert not ISO_DATE.search(text), f"{where}: ISO date {ISO_DATE.search(text).group(0)!r}"
            assert not NONE.search(text), f"{where}: None"
            fields = " ".join(t.replace("\n", "").replace(" ", "")  # a date field draws each part apart
                              for t in page.get_by_test_id("stDateInput").all_inner_texts())
            assert not ISO_DATE.search(fields), f"{where}: an ISO date in a field: {fields!r}"
            assert not CODE_NAMES.search(text), f"{where}: {CODE_NAMES.search(text).group(0)!r}"
            if lang != "en":
                english = leftover_english(text, lang)
                assert not english, f"{where}: English left on the page: {english[:5]}"
            captions = page.get_by_test_id("stCaptionContainer")
            if captions.count():
                assert captions.first.evaluate("e => getComputedStyle(e).color") == CAPTION_GREY, where
            if lang == "ur":
                _check_rtl(page, where)
            if spec.path == "pages/regions.py" and width == 390:  # the phone keeps GMV and pass rate
                card = page.locator(".st-key-kasuwa-narrow-rg_summary .kasuwa-card").first
                assert card.is_visible(), where
                with use_language(lang):
                    wanted = [_("GMV (USD)"), _("Pass rate (%)")]
                assert all(w in card.inner_text() for w in wanted), where
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"people-{role}-{lang}-{width}-{Path(spec.path).stem}.png"),
                            full_page=True)
    finally:
        page.context.close()


def test_the_english_check_finds_a_sentence_left_in_english(chromium: Browser, demo_app: str) -> None:
    """The check above is a real one: an English sentence of the catalogue put on Awa's French
    page is found (and her page as drawn has none)."""
    assert len(english_sentences("fr")) > 500
    page = _open(chromium, 1400)
    try:
        _sign_in(page, demo_app, "awa@demo.kasuwa", "demo-awa-2024")
        navigate_in_session(page, "sales")
        page.locator('[data-testid="stMain"] h1').wait_for(timeout=WAIT_MS)
        settle(page)
        assert not leftover_english(_page_text(page, "fr"), "fr")
        page.evaluate("""() => { const p = document.createElement('p');
            p.textContent = 'Statements appear once your ledger has entries.';
            document.querySelector('[data-testid="stMain"]').appendChild(p); }""")
        assert leftover_english(_page_text(page, "fr"), "fr") == ["Statements appear once your ledger has entries"]
    finally:
        page.context.close()


# --- axe-core (from the npm registry) on the sign-in page and one page per role -----------------

AXE_DIR = ROOT / ".cache" / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_PAGES = [  # email, password, page (None: the sign-in page)
    (None, None, None),
    ("creator@demo.kasuwa", "demo-creator-2024", "pages/sales.py"),
    ("creator@demo.kasuwa", "demo-creator-2024", "pages/payouts.py"),
    ("creator@demo.kasuwa", "demo-creator-2024", "pages/upload.py"),
    ("reviewer@demo.kasuwa", "demo-reviewer-2024", "pages/review.py"),
    ("manager@demo.kasuwa", "demo-manager-2024", "pages/regions.py"),
    ("manager@demo.kasuwa", "demo-manager-2024", "pages/payouts_overview.py"),
    ("admin@demo.kasuwa", "demo-admin-2024", "pages/admin.py"),
]


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core's script, installed once with npm into .cache/axe (git-ignored)."""
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: axe-core cannot be fetched")
        subprocess.run([npm, "install", "axe-core@4", "--prefix", str(AXE_DIR), "--no-audit", "--no-fund"],
                       check=True, capture_output=True, timeout=300)
    return AXE_JS.read_text(encoding="utf-8")


def _axe(page: Page, source: str) -> list[dict]:
    page.add_script_tag(content=source)
    return page.evaluate(
        """async () => (await axe.run(document,
                                      {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'best-practice']}}))
              .violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => ({id: v.id, impact: v.impact, help: v.help,
                          nodes: v.nodes.slice(0, 3).map(n => n.html.slice(0, 120) + ' '
                            + JSON.stringify((n.any[0] || {}).data))}))"""
    )


@pytest.mark.parametrize(("email", "password", "path"), AXE_PAGES,
                         ids=["sign-in", "creator", "creator-payouts", "creator-upload", "reviewer", "manager",
                              "manager-payouts", "admin"])
def test_axe_finds_no_serious_violation(chromium: Browser, demo_app: str, axe_source: str, email: str | None,
                                        password: str | None, path: str | None) -> None:
    page = _open(chromium, 1400)
    try:
        if email is None:
            page.goto(demo_app)
            page.get_by_role("button", name="Sign in").wait_for(timeout=WAIT_MS)
        else:
            _sign_in(page, demo_app, email, password or "")
            navigate_in_session(page, Path(str(path)).stem)
            last = DRAWN_LAST.get(Path(str(path)).stem)
            if last:
                page.locator(f'[data-testid="stMain"] {last}').first.wait_for(state="attached", timeout=WAIT_MS)
        settle(page)
        # colours are measured once Streamlit's fade-in transitions are over
        page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')",
                               timeout=WAIT_MS)
        violations = _axe(page, axe_source)
        assert not violations, violations
    finally:
        page.context.close()
