"""Kasuwa's one message catalogue: every sentence a person reads, in English (the source), French,
Bengali and Urdu. No Streamlit here; the app says which language a run is in.

- ``_("Gross sales (USD)")`` translates into the current language; named values are filled in
  after translation: ``_("Signed in as %(email)s", email=e)``. Never build a sentence from
  fragments: the whole sentence, with its placeholders, is one message.
- ``ngettext("%(count)s row", "%(count)s rows", n, count=fmt.number(n))`` for plurals (Bengali and
  Urdu have their own plural rules; the catalogue's ``Plural-Forms`` decide).
- ``N_("…")`` marks a message where it is declared (a module-level table) without translating;
  it is translated where it is shown with ``_(text)``.
- :func:`translate_text` translates a text whose English comes from a data file (expectation
  suites' ``meta.reason``, profile and rail descriptions); :mod:`warehouse.i18n_extract` puts
  those texts into the catalogue template.

The current language is context-local (:func:`use_language`); where none was set the source
registered with :func:`set_language_source` answers (the app registers one that reads the
session), else English. Catalogues are ``locales/<lang>/LC_MESSAGES/messages.po``, read and
compiled in memory on first use (no ``.mo`` files to build or keep in step; fuzzy entries are
left out, as ``pybabel compile`` does) and read again when the file changes.
"""

from __future__ import annotations

import contextvars
import io
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from gettext import NullTranslations  # Babel's catalogues are ones too; Babel is imported when one is read
from pathlib import Path
from typing import Any

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
#: the languages the app is written in, with their own names (for the language choice)
LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français", "bn": "বাংলা", "ur": "اردو"}
RTL_LANGUAGES = frozenset({"ur"})
_RECHECK_SECONDS = 2.0

_current: contextvars.ContextVar[str] = contextvars.ContextVar("kasuwa_language")
_sources: list[Callable[[], str | None]] = []  # at most one: where the app keeps the session's language
_lock = threading.Lock()
_cache: dict[str, tuple[float, float, NullTranslations]] = {}  # lang -> (po mtime, checked at, catalogue)


def supported(language: str | None) -> str | None:
    """``language`` reduced to one the app is written in (``fr-SN`` → ``fr``), or None."""
    if not language:
        return None
    base = str(language).strip().replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def is_rtl(language: str | None) -> bool:
    """Whether ``language`` is written right to left (Urdu)."""
    return supported(language) in RTL_LANGUAGES


def set_language_source(source: Callable[[], str | None] | None) -> None:
    """Register where the current language comes from when none was set in this context (the
    app: the session of the run on this thread)."""
    _sources.clear()
    if source is not None:
        _sources.append(source)


def current_language() -> str:
    """The language of this context: set by :func:`use_language`, else the registered source's,
    else English."""
    lang = _current.get(None)
    if lang is None and _sources:
        try:
            lang = _sources[0]()
        except Exception:  # a source that cannot answer (no session) means the default
            lang = None
    return supported(lang) or SOURCE_LANGUAGE


def set_language(language: str | None) -> str:
    """Make ``language`` (or English when unknown) the current language of this context."""
    lang = supported(language) or SOURCE_LANGUAGE
    _current.set(lang)
    return lang


@contextmanager
def use_language(language: str | None) -> Iterator[str]:
    """The block runs in ``language`` (a PDF in the creator's language, a test in French)."""
    token = _current.set(supported(language) or SOURCE_LANGUAGE)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def po_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _load(language: str) -> NullTranslations:
    from babel.messages.mofile import write_mo  # Babel takes ~30 ms to import: only when a catalogue is read
    from babel.messages.pofile import read_po
    from babel.support import Translations

    path = po_path(language)
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


def translations(language: str | None = None) -> NullTranslations:
    """The compiled catalogue of ``language`` (default: the current one); English and a missing
    catalogue give the source texts."""
    lang = supported(language) or current_language()
    if lang == SOURCE_LANGUAGE:
        return _NULL
    now = time.monotonic()
    cached = _cache.get(lang)
    if cached and now - cached[1] < _RECHECK_SECONDS:
        return cached[2]
    try:
        mtime = po_path(lang).stat().st_mtime
    except OSError:
        return _NULL
    with _lock:
        cached = _cache.get(lang)
        if cached and cached[0] == mtime:
            _cache[lang] = (mtime, now, cached[2])
            return cached[2]
        try:
            loaded = _load(lang)
        except Exception:  # a catalogue being edited may not parse for a moment: keep the last one
            return cached[2] if cached else _NULL
        _cache[lang] = (mtime, now, loaded)
        return loaded


_NULL = NullTranslations()


def _fill(text: str, values: dict[str, Any]) -> str:
    return text % values if values else text


def gettext(message: str, **values: Any) -> str:
    """``message`` in the current language, its ``%(name)s`` placeholders filled from ``values``."""
    return _fill(translations().gettext(message), values)


_ = gettext


def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
    """The form of ``singular``/``plural`` for ``n`` in the current language; ``count`` is ``n``
    unless given (pass it formatted: ``count=fmt.number(n, locale)``)."""
    values.setdefault("count", n)
    return _fill(translations().ngettext(singular, plural, int(n)), values)


def N_(message: str, **values: Any) -> str:  # gettext's name for "mark, do not translate yet"
    """``message`` in English (its placeholders filled from ``values``): marks it for the
    catalogue where it is declared or where a text is made to be *stored* (an upload's message, a
    flagged row's reasons); it is translated where it is shown (``_(text)`` for a constant,
    :func:`translate_text` for a stored text with its values filled in)."""
    return _fill(message, values)


def headers(messages: Iterable[str]) -> list[str]:
    """Table headers (msgids) in the current language, kept unique: two English headers that
    one language words alike ("Row" and "Line" are both "Ligne" in French) get "(2)" after the
    second, so a table never has two columns of one name."""
    out: list[str] = []
    for message in messages:
        text = gettext(message)
        n = 2
        while text in out:
            text = f"{gettext(message)} ({n})"
            n += 1
        out.append(text)
    return out


_PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)\}")


def _template(msgid: str) -> re.Pattern[str] | None:
    """A pattern matching ``msgid`` with its placeholders filled by anything; None without any."""
    parts: list[str] = []
    seen: set[str] = set()
    pos = 0
    for m in _PLACEHOLDER.finditer(msgid):
        name = m.group(1) or m.group(2)
        parts.append(re.escape(msgid[pos:m.start()]))
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        pos = m.end()
    if not seen:
        return None
    parts.append(re.escape(msgid[pos:]))
    return re.compile("".join(parts), re.S)


_templates_cache: dict[int, list[tuple[re.Pattern[str], str]]] = {}


def _templates(t: NullTranslations) -> list[tuple[re.Pattern[str], str]]:
    """The catalogue's messages with placeholders, as patterns, the most specific first."""
    key = id(t)
    found = _templates_cache.get(key)
    if found is None:
        catalog = getattr(t, "_catalog", {})
        pairs = [(p, k) for k in catalog if isinstance(k, str) and k and (p := _template(k)) is not None]
        found = sorted(pairs, key=lambda pair: -len(_PLACEHOLDER.sub("", pair[1])))
        if len(_templates_cache) > 16:
            _templates_cache.clear()
        _templates_cache[key] = found
    return found


def _translate_one(t: NullTranslations, text: str, depth: int = 0) -> str:
    whole = t.gettext(text)
    if whole != text:
        return whole
    if depth > 2:
        return text
    for pattern, msgid in _templates(t):
        m = pattern.fullmatch(text)
        if m is None:
            continue
        out = t.gettext(msgid)
        if out == msgid:
            return text
        for name, value in m.groupdict().items():
            # a %(name)s value may itself be a stored sentence ("order id is missing (5 rows); …");
            # a {name} value is the file's own (a status as the export wrote it): kept as it is
            inner = value
            if f"%({name})s" in msgid and len(value.split()) >= 3:
                inner = _translate_parts(t, value, depth + 1)
            out = out.replace(f"%({name})s", inner).replace("{" + name + "}", value)
        return out
    return text


def _translate_parts(t: NullTranslations, text: str, depth: int = 0) -> str:
    done = _translate_one(t, text, depth)
    if done == text and "; " in text:
        done = "; ".join(_translate_one(t, part, depth) for part in text.split("; "))
    return done


_text_cache: dict[tuple[int, str], str] = {}


def translate_text(text: str | None) -> str:
    """A text that came from a data file or was stored in English (an expectation's reason, a
    profile's description, an upload's message, a flagged row's reasons), in the current language
    when the catalogue has it — also with its values filled in (``payment not completed yet
    (status: Pending)`` matches the message ``… (status: {value}) …``) — else as given. Texts
    joined with "; " are translated part by part."""
    if not text:
        return text or ""
    t = translations()
    if t is _NULL:
        return text
    key = (id(t), text)
    done = _text_cache.get(key)
    if done is None:
        done = _translate_parts(t, text)
        if len(_text_cache) > 20000:
            _text_cache.clear()
        _text_cache[key] = done
    return done


_ACCEPT = re.compile(r"^\s*([A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


def negotiate(accept_language: str | None) -> str:
    """The language an ``Accept-Language`` header asks for first among ours (q-values honoured,
    ties in the header's order): ``fr-SN,fr;q=0.9,en;q=0.8`` → ``fr``; ``de, ur;q=0.5`` → ``ur``;
    nothing ours → ``en``."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")[:40]):
        m = _ACCEPT.match(part)
        if not m:
            continue
        try:
            q = float(m.group(2)) if m.group(2) is not None else 1.0
        except ValueError:
            continue
        lang = supported(m.group(1))
        if lang and q > 0:
            ranked.append((-q, i, lang))
    return sorted(ranked)[0][2] if ranked else SOURCE_LANGUAGE
