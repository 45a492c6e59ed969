"""Every page, for every role, in each language: run with AppTest on the demo programme through
``app/main.py`` (which sets the run's language from the account). In French no English sentence of
the catalogue may be left on a page (a string that did not go through the catalogue shows up
here); in Bengali and Urdu every page runs without an exception. The language is the account's:
a user chooses their own (an administrator anyone's), the demo creators default from their
country, and the account page offers the choice."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from streamlit.testing.v1 import AppTest
from test_plain_words import _page_texts

from app.i18n import LANG_KEY
from app.registry import PAGES
from app.session import ACTOR_KEY, LAST_SEEN_KEY
from control import accounts
from warehouse.access import Actor
from warehouse.demo import build_demo
from warehouse.errors import InvalidInput, PermissionDenied
from warehouse.i18n import _, use_language

MAIN = "../app/main.py"
ROOT = Path(__file__).resolve().parents[1]
_PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def _english_sentences(lang: str) -> list[str]:
    """Texts of the catalogue that are English sentences (three words or more, placeholders
    taken out: the longest run of words between them) whose translation differs from them."""
    with (ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        po = read_po(fh, locale=lang)
    out = set()
    for m in po:
        if not m.id or m.fuzzy:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        translated = " ".join(s for s in strings if s)
        for msgid in ids:
            if not translated or msgid in strings:
                continue
            part = max(_PLACEHOLDER.split(msgid), key=len).strip(" .,:;—-()")
            if len(part.split()) >= 3 and part not in translated:
                out.add(part)
    return sorted(out, key=len, reverse=True)


def _everyone() -> list[tuple[str, str]]:
    return [(role, email) for email, _pw, role, _c, _r in accounts.DEMO_USERS + accounts.DEMO_LANGUAGE_USERS]


def _run_page(email: str, path: str) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=180)
    at.session_state[ACTOR_KEY] = accounts.current_actor(email)
    at.session_state[LAST_SEEN_KEY] = time.time()
    at.run()
    return at.switch_page(f"../{path}").run()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    """The demo programme, once for the module (the autouse fixtures point each test at its own
    data directory; this one keeps one for the module's tests)."""
    from warehouse.db import close_all

    data = tmp_path_factory.mktemp("i18n-demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KASUWA_DATA_DIR", str(data))
        close_all()
        build_demo()
        yield data
        close_all()


@pytest.fixture
def in_demo(demo, monkeypatch):
    from warehouse.db import close_all

    close_all()
    monkeypatch.setenv("KASUWA_DATA_DIR", str(demo))
    yield demo
    close_all()


def _set_everyone(lang: str | None) -> None:
    for _role, email in _everyone():
        accounts.set_language(Actor.operator(), email, lang)


@pytest.mark.slow
def test_every_page_for_every_role_in_french_has_no_english_sentence_left(in_demo):
    english = _english_sentences("fr")
    assert len(english) > 300
    _set_everyone("fr")
    try:
        left: dict[str, list[str]] = {}
        for role, email in _everyone():
            for page in (p for p in PAGES if role in p.roles):
                at = _run_page(email, page.path)
                assert not at.exception, (email, page.path, at.exception)
                assert at.session_state[LANG_KEY] == "fr"
                text = "\n".join(_page_texts(at))
                found = [s for s in english if s in text]
                if found:
                    left[f"{email} {page.path}"] = found[:8]
        assert not left, "\n".join(f"{k}: {v}" for k, v in left.items())
    finally:
        _set_everyone(None)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["bn", "ur"])
def test_every_page_for_every_role_runs_in_bengali_and_urdu(in_demo, lang):
    _set_everyone(lang)
    try:
        for role, email in _everyone():
            for page in (p for p in PAGES if role in p.roles):
                at = _run_page(email, page.path)
                assert not at.exception, (email, page.path, lang, at.exception)
                assert at.session_state[LANG_KEY] == lang
                title = at.title[0].value
                assert title and not re.search("[A-Za-z]", title), (page.path, title)  # in the language's script
    finally:
        _set_everyone(None)


@pytest.mark.slow
def test_the_demo_creators_read_their_countrys_language_and_the_nigerian_one_english(in_demo):
    expected = {"awa@demo.kasuwa": "fr", "rahim@demo.kasuwa": "bn", "sana@demo.kasuwa": "ur",
                "creator@demo.kasuwa": "en", "manager@demo.kasuwa": "en"}
    for email, lang in expected.items():
        assert accounts.current_actor(email).language is None  # the default: from the country
        at = _run_page(email, "pages/sales.py" if "manager" not in email else "pages/regions.py")
        assert not at.exception
        assert at.session_state[LANG_KEY] == lang
        with use_language(lang):
            assert at.title[0].value == _("My sales" if "manager" not in email else "Regions")


def test_a_user_chooses_their_own_language_and_an_admin_anyones():
    from sales_support import creator

    creator("sn-awa", "SN", name="Awa")
    admin = accounts.add_user(Actor.operator(), "admin@x.org", "long enough pw", "admin")
    awa = accounts.add_user(admin.actor(), "awa@x.org", "long enough pw", "creator", creator_id="sn-awa")
    other = accounts.add_user(admin.actor(), "bola@x.org", "long enough pw", "reviewer", regions=["west-africa"])
    assert awa.language is None and awa.actor().language is None
    assert accounts.set_language(awa.actor(), "awa@x.org", "en").language == "en"
    assert accounts.current_actor("awa@x.org").language == "en"
    with pytest.raises(PermissionDenied):
        accounts.set_language(other.actor(), "awa@x.org", "fr")
    assert accounts.set_language(admin.actor(), "awa@x.org", "ur").actor().language == "ur"
    assert accounts.set_language(awa.actor(), "awa@x.org", None).language is None  # back to the default
    with pytest.raises(InvalidInput):
        accounts.set_language(awa.actor(), "awa@x.org", "de")


def _account_script() -> None:
    from app import i18n, session
    from app.login import account_page

    i18n.apply(session.current_actor())
    account_page()


def test_the_account_page_offers_the_language_and_saves_it():
    from sales_support import creator

    creator("sn-awa", "SN", name="Awa")
    accounts.add_user(Actor.operator(), "awa@x.org", "long enough pw", "creator", creator_id="sn-awa")
    at = AppTest.from_function(_account_script, default_timeout=60)
    at.session_state[ACTOR_KEY] = accounts.current_actor("awa@x.org")
    at.session_state[LAST_SEEN_KEY] = time.time()
    at.run()
    assert not at.exception
    with use_language("fr"):
        assert at.title[0].value == _("My account")  # Senegal: French by default
    choice = at.button_group[0]
    assert list(choice.options) == ["English", "Français", "বাংলা", "اردو"]
    choice.set_value("en").run()  # English one click away
    assert accounts.current_actor("awa@x.org").language == "en"
    at.session_state[ACTOR_KEY] = accounts.current_actor("awa@x.org")
    at.run()
    assert at.title[0].value == "My account"


def _lite_get(accept_language: str) -> str:
    """The body of ``GET /lite`` for a browser asking for ``accept_language`` (the ASGI endpoint
    called as a server would call it)."""
    import asyncio
    import concurrent.futures

    from starlette.requests import Request

    from app.lite import lite

    scope = {"type": "http", "method": "GET", "path": "/lite", "query_string": b"", "scheme": "http",
             "server": ("127.0.0.1", 8501), "client": ("127.0.0.1", 5000),
             "headers": [(b"accept-language", accept_language.encode())]}

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    # on a thread of its own: a browser test earlier in the same process (Playwright's sync API)
    # may leave an event loop running on this one, and asyncio.run refuses to nest
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        response = pool.submit(asyncio.run, lite(Request(scope, receive))).result()
    return bytes(response.body).decode()


def test_the_lite_page_speaks_the_browsers_language_and_urdu_reads_right_to_left():
    import html

    urdu = _lite_get("ur-PK,ur;q=0.9,en;q=0.5")
    assert '<html lang="ur" dir="rtl">' in urdu
    with use_language("ur"):
        assert html.escape(_("Sign in")) in urdu and "Sign in" not in urdu
    french = _lite_get("fr-SN, en;q=0.3")
    assert '<html lang="fr" dir="ltr">' in french
    with use_language("fr"):
        assert html.escape(_("Password")) in french
    assert '<html lang="en" dir="ltr">' in _lite_get("de-DE")
