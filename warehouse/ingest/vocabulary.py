"""The vocabulary of column meanings and transaction kinds (``data/vocabulary.toml``): how a file
that is no platform's known export is still read, by what its columns mean.

- ``shape(header)``: a header reduced to its words (``Created (UTC)``, ``created_utc`` and
  ``createdUtc`` all become ``created``), so that the shapes real exports come in reach the
  vocabulary's words;
- ``vocabulary().columns``: canonical meaning -> header words, most precise first;
- ``vocabulary().families``: the families of transaction kinds (sale, refund, fee, payout, …);
  ``profiles.skip_rules`` and ``profiles.sales_rules`` turn them into rules for profiles with
  ``families = true``.

Profiles (``profiles.py``) take the vocabulary's words for every meaning they do not list
themselves; the generic profile is the vocabulary alone.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import ConfigError
from ..i18n import N_
from ..settings import PROJECT_ROOT
from .sale import CANONICAL

PATH = PROJECT_ROOT / "data" / "vocabulary.toml"
#: the reason a kind of no family gets (a person decides)
UNKNOWN_KIND = N_("Kasuwa does not know whether this kind of entry ({value}) is a sale: a person decides")

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_BRACKETS = re.compile(r"[(\[{][^)\]}]*[)\]}]")
_SEPARATORS = re.compile(r"[_\-./:]+")
_ZONE_WORD = re.compile(r"^(?:utc|gmt)\s+|\s+(?:utc|gmt)$|\s+in\s+(?:utc|gmt)$")
_UTC_MARK = re.compile(r"(?:\(|\b|_)(?:utc|gmt)(?:\)|\b|_)", re.IGNORECASE)


@lru_cache(maxsize=65536)  # the same few thousand header words, compared for every file
def norm(header: str) -> str:
    """A header as written, compared without case, BOM or repeated spaces (Unicode NFC)."""
    return unicodedata.normalize("NFC", " ".join(header.replace("\ufeff", "").split())).casefold()


@lru_cache(maxsize=65536)  # the same few thousand header words, compared for every file
def plain(header: str) -> str:
    """A header with its separators (``_ - . / :``) and camelCase as spaces: ``order_id``,
    ``Order-ID`` and ``orderId`` are one header written three ways."""
    return norm(_SEPARATORS.sub(" ", _CAMEL.sub(" ", header.replace("\ufeff", ""))))


@lru_cache(maxsize=65536)  # the same few thousand header words, compared for every file
def shape(header: str) -> str:
    """A header reduced to its words: camelCase split, ``_ - . / :`` as spaces, a bracketed
    qualifier (``(UTC)``, ``($)``) and a leading or trailing ``UTC``/``GMT`` left out."""
    text = _CAMEL.sub(" ", header.replace("\ufeff", ""))
    text = _BRACKETS.sub(" ", text)
    text = norm(_SEPARATORS.sub(" ", text))
    text = _ZONE_WORD.sub("", text).strip()
    return text or norm(header)


def says_utc(header: str) -> bool:
    """The header states that its times are in UTC (``Created (UTC)``, ``created_utc``)."""
    return bool(_UTC_MARK.search(header))


@dataclass(frozen=True)
class Family:
    name: str
    words: frozenset[str]  # as ``plain`` writes them: "stripe fee" stands for stripe_fee and Stripe-Fee too
    reason: str | None  # None: the sale family
    ask: bool = False  # its rows go to a person with the reason (not skipped)

    def spellings(self) -> tuple[str, ...]:
        """Every word as rules compare it (lower case, spaces or underscores): ``stripe fee``, ``stripe_fee``."""
        return tuple(sorted({v for w in self.words for v in (w, w.replace(" ", "_"), w.replace(" ", "-"))}))


@dataclass(frozen=True)
class Vocabulary:
    columns: dict[str, tuple[str, ...]]
    families: tuple[Family, ...]

    def family_of(self, value: str) -> Family | None:
        v = plain(value)
        return next((f for f in self.families if v in f.words), None)

    def meaning_words(self, header: str) -> list[str]:
        """The meanings whose words include ``header`` (by shape), in vocabulary order."""
        s = shape(header)
        return [c for c, words in self.columns.items() if any(shape(w) == s for w in words)]


def parse_vocabulary(text: str, where: str) -> Vocabulary:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    if set(doc) - {"columns", "kinds"}:
        raise ConfigError(f"{where}: unknown key(s) {sorted(set(doc) - {'columns', 'kinds'})}")
    cols = doc.get("columns", {})
    if set(cols) - set(CANONICAL):
        raise ConfigError(f"{where}: unknown meaning(s) {sorted(set(cols) - set(CANONICAL))}")
    columns = {c: tuple(dict.fromkeys(str(w) for w in words)) for c, words in cols.items()}
    families = []
    for name, fam in doc.get("kinds", {}).items():
        if set(fam) - {"words", "reason", "ask"} or not fam.get("words"):
            raise ConfigError(f"{where}: [kinds.{name}] needs words (and a reason unless it is 'sale')")
        if name != "sale" and not fam.get("reason"):
            raise ConfigError(f"{where}: [kinds.{name}] needs a reason")
        families.append(Family(name, frozenset(plain(w) for w in fam["words"]),
                               None if name == "sale" else str(fam["reason"]), bool(fam.get("ask", False))))
    if not any(f.name == "sale" for f in families):
        raise ConfigError(f"{where}: [kinds.sale] is missing")
    return Vocabulary(columns, tuple(families))


@lru_cache(maxsize=4)
def _cached(path: Path, mtime: float) -> Vocabulary:
    return parse_vocabulary(path.read_text(encoding="utf-8"), str(path))


def vocabulary() -> Vocabulary:
    try:
        return _cached(PATH, PATH.stat().st_mtime)
    except OSError as exc:
        raise ConfigError(f"{PATH}: {exc}") from exc
