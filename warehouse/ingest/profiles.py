"""Source profiles: how to recognise an export, how to read it, how its columns map to the
canonical sale. Profiles are TOML files in ``data/profiles`` (shipped) and
``KASUWA_DATA_DIR/profiles`` (shared by an administrator from a creator's saved mapping,
``mappings.promote_mapping``); adding a platform is adding a file. Unknown keys are errors
naming the file: a shipped profile's error stops the load (a test holds them), a shared one's is
logged and that file skipped, so one bad file never stops the others. A creator's own saved
mappings are not files: see ``mappings``.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InvalidInput, MappingNeeded, NotFound
from ..i18n import N_, _
from ..settings import settings
from .sale import BY_NAME, CANONICAL, REQUIRED
from .vocabulary import UNKNOWN_KIND, norm, plain, shape, vocabulary

_TOP = {"name", "title", "source", "detect", "priority", "read", "columns", "defaults", "skip", "ask",
        "sales", "suite", "notes", "families"}
_READ = {"number_style", "date_order", "amount_unit", "line_items", "fill_down", "timezone",
         "date_format", "order_pattern"}
_SKIP = {"column", "in", "not_in", "matches", "blank", "negative", "reason", "kind_in"}
_SALES = {"column", "in", "not_in", "matches", "unknown", "optional"}
#: a profile is taken for a file when at least this share of its identifying columns is there
DETECT_THRESHOLD = 0.75
_NAME = re.compile(r"^[a-z][a-z0-9_-]{1,40}$")
#: the rule a profile's (or a saved mapping's) name follows, in words
NAME_RULE = N_("2 to 41 characters: lowercase letters, digits, '-' or '_', starting with a letter")
log = logging.getLogger("kasuwa.profiles")


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name))


@dataclass(frozen=True)
class SkipRule:
    """Rows whose ``column`` (canonical name or header) meets the condition are not sales."""

    column: str
    reason: str
    in_: tuple[str, ...] = ()
    not_in: tuple[str, ...] = ()
    matches: str | None = None
    blank: bool = False
    negative: bool = False  # the column (a canonical amount) is below zero: money going out
    kind_in: tuple[str, ...] = ()  # and the row's kind is one of these (a status that means something for one kind)


@dataclass(frozen=True)
class SalesRule:
    """The allow-list of transaction kinds that are sales. A row that no skip rule names as a
    known non-sale and whose ``column`` is not in ``in_`` (nor matches ``matches``) is not
    guessed: it is flagged for a person with ``unknown`` as the reason."""

    column: str  # canonical (usually "kind" or "status") or a header
    in_: tuple[str, ...] = ()
    matches: str | None = None
    unknown: str = N_("Kasuwa does not know whether this kind of entry ({value}) is a sale: a person decides")
    optional: bool = False  # a file without the column passes this rule (else every row is asked about)
    not_in: tuple[str, ...] = ()  # the value must not be one of these (a blank cell passes)


@dataclass(frozen=True)
class Detection:
    """How sure the reader is that a file is a profile's export."""

    profile: Profile
    found: int  # identifying columns present
    expected: int  # identifying columns the profile lists
    forced: bool = False

    @property
    def sentence(self) -> str:
        """How the file was read, in English (stored with the upload; shown through ``translate_text``)."""
        if self.forced:
            return N_("Read as %(profile)s (chosen for this upload).", profile=self.profile.title)
        if not self.expected:
            return N_("Read as %(profile)s: no platform's export matched its columns.", profile=self.profile.title)
        if self.found == self.expected:
            return N_("Read as %(profile)s (sure: %(found)s of its %(expected)s identifying columns are in the file).",
                      profile=self.profile.title, found=self.found, expected=self.expected)
        return N_("Read as %(profile)s (fairly sure: %(found)s of its %(expected)s identifying columns are in the "
                  "file).", profile=self.profile.title, found=self.found, expected=self.expected)


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    source: str
    #: identifying headers, each with its locale variants (["Date", "Datum", "Fecha"]); never
    #: personal-data columns, which people delete before sharing a file
    detect: tuple[tuple[str, ...], ...]
    columns: dict[str, tuple[str, ...]]
    priority: int = 0
    number_style: str = "auto"  # auto | dot | comma
    date_order: str = "auto"  # auto | dmy | mdy | ymd
    date_format: str | None = None  # a strptime format when the profile knows it
    amount_unit: str = "major"  # major | minor (kobo, pesewas, cents)
    line_items: bool = False  # rows sharing an order id are lines of one order
    fill_down: tuple[str, ...] = ()  # canonical columns blank on an order's later lines
    timezone: str = "UTC"  # for timestamps written without an offset
    # currency, product, channel, buyer_country: used when the file has no such column or the cell is blank
    defaults: dict[str, str] = field(default_factory=dict)
    skip: tuple[SkipRule, ...] = ()  # first matching rule wins; "{value}" in a reason is the cell's text
    #: rows a person decides whatever the skip rules say (checked before them; same keys): an
    #: invoice marked as paid outside PayPal is a memo entry, and may still be a sale
    ask: tuple[SkipRule, ...] = ()
    #: every rule must pass for a row to be a sale (the first that fails gives the reason to ask);
    #: none: every row no skip rule names is a sale
    sales: tuple[SalesRule, ...] = ()
    suite: str | None = None  # extra expectation suite in expectations/
    path: Path | None = None
    #: kinds of transaction read by the vocabulary's families (sale, refund, fee, payout, …) after
    #: the profile's own rules: a kind in no family is asked about
    families: bool = False
    #: meanings whose header words come from the vocabulary, not the profile: a column found
    #: for them is used only when its values confirm it (a date column parses as dates …)
    vocabulary: frozenset[str] = frozenset()
    #: a regular expression whose first group is the order id inside the order column's text
    #: ("Payment for Order #1234" -> 1234); a cell it does not match keeps its own text
    order_pattern: str | None = None


# NFC: Bengali headers come with U+09DF (য়) precomposed or as U+09AF U+09BC; both must match
_norm = norm


class HeaderIndex:
    """A file's headers, looked up by a word as written (case, spacing and Unicode composition
    ignored) or, failing that, by its shape (``Created (UTC)`` finds ``created``): the first
    column of each wins."""

    def __init__(self, headers: list[str]) -> None:
        self.headers = headers
        self.exact: dict[str, int] = {}
        self.plain: dict[str, int] = {}
        self.shaped: dict[str, int] = {}
        for i, h in enumerate(headers):
            self.exact.setdefault(norm(h), i)
            self.plain.setdefault(plain(h), i)
            self.shaped.setdefault(shape(h), i)

    def find(self, word: str) -> int | None:
        i = self.exact.get(norm(word))
        return i if i is not None else self.shaped.get(shape(word))

    def by_shape(self, word: str) -> bool:
        """``word`` is found only by its shape (a qualifier or a zone left out: ``Created (UTC)``
        for ``created``), not as written nor with other separators (``order_id``, ``OrderId``)."""
        return plain(word) not in self.plain and shape(word) in self.shaped

    def __contains__(self, word: str) -> bool:
        return self.find(word) is not None


def _as_tuple(v: Any) -> tuple[str, ...]:
    return tuple(v) if isinstance(v, list) else (v,)


def parse_profile(doc: dict[str, Any], where: str) -> Profile:
    unknown = set(doc) - _TOP
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}")
    read = doc.get("read", {})
    if set(read) - _READ:
        raise ConfigError(f"{where}: unknown [read] key(s) {sorted(set(read) - _READ)}")
    cols = doc.get("columns", {})
    if set(cols) - set(CANONICAL):
        raise ConfigError(f"{where}: unknown canonical column(s) {sorted(set(cols) - set(CANONICAL))}")
    name = doc.get("name", "")
    if not _NAME.match(name):
        raise ConfigError(f"{where}: name {name!r} must be lowercase letters, digits, '-' or '_'")
    rules, asks = [], []
    for key, out in (("skip", rules), ("ask", asks)):
        for i, rule in enumerate(doc.get(key, []), start=1):
            if set(rule) - _SKIP or "column" not in rule or "reason" not in rule:
                raise ConfigError(f"{where}: {key} rule #{i} needs column and reason; allowed keys {sorted(_SKIP)}")
            out.append(SkipRule(rule["column"], rule["reason"], tuple(rule.get("in", ())),
                                tuple(rule.get("not_in", ())), rule.get("matches"), bool(rule.get("blank")),
                                bool(rule.get("negative")), tuple(rule.get("kind_in", ()))))
            _check_regex(rule.get("matches"), f"{where}: {key} rule #{i}")
    sales = []
    raw_sales = doc.get("sales", [])
    for i, sd in enumerate([raw_sales] if isinstance(raw_sales, dict) else raw_sales, start=1):
        if set(sd) - _SALES or "column" not in sd or not (sd.get("in") or sd.get("matches") or sd.get("not_in")):
            raise ConfigError(f"{where}: sales rule #{i} needs column and in, not_in or matches;"
                              f" allowed keys {sorted(_SALES)}")
        _check_regex(sd.get("matches"), f"{where}: sales rule #{i}")
        sales.append(SalesRule(sd["column"], tuple(sd.get("in", ())), sd.get("matches"),
                               sd.get("unknown", SalesRule.unknown), bool(sd.get("optional")),
                               tuple(sd.get("not_in", ()))))
    detect = tuple(_as_tuple(d) for d in doc.get("detect", ()))
    _check_regex(read.get("order_pattern"), f"{where}: [read] order_pattern")
    for key, allowed in (("number_style", {"auto", "dot", "comma"}), ("date_order", {"auto", "dmy", "mdy", "ymd"}),
                         ("amount_unit", {"major", "minor"})):
        if read.get(key, "auto" if key != "amount_unit" else "major") not in allowed:
            raise ConfigError(f"{where}: [read] {key} must be one of {sorted(allowed)}")
    return Profile(
        name=name,
        title=doc.get("title", name),
        source=doc.get("source", name),
        detect=detect,
        columns={k: _as_tuple(v) for k, v in cols.items()},
        priority=int(doc.get("priority", 0)),
        number_style=read.get("number_style", "auto"),
        date_order=read.get("date_order", "auto"),
        date_format=read.get("date_format"),
        amount_unit=read.get("amount_unit", "major"),
        line_items=bool(read.get("line_items", False)),
        fill_down=tuple(read.get("fill_down", ())),
        timezone=read.get("timezone", "UTC"),
        defaults={k: str(v) for k, v in doc.get("defaults", {}).items()},
        skip=tuple(rules),
        ask=tuple(asks),
        sales=tuple(sales),
        suite=doc.get("suite"),
        families=bool(doc.get("families", False)),
        order_pattern=read.get("order_pattern"),
    )


def with_vocabulary(p: Profile) -> Profile:
    """``p`` completed by the vocabulary: every meaning it does not list takes the vocabulary's
    words (an empty list in the profile means "no such column"), and with ``families`` its kinds
    are read by the vocabulary's families after its own rules."""
    vocab = vocabulary()
    taken = {c for c in vocab.columns if c not in p.columns}
    cols = {**p.columns, **{c: vocab.columns[c] for c in taken}}
    return Profile(**{**p.__dict__, "columns": cols, "vocabulary": frozenset(taken)})


def skip_rules(p: Profile) -> tuple[SkipRule, ...]:
    """The profile's known non-sales, then (with ``families``) the vocabulary's non-sale families."""
    if not p.families:
        return p.skip
    return p.skip + tuple(SkipRule("kind", f.reason, in_=f.spellings())
                          for f in vocabulary().families if f.reason and not f.ask)


def ask_rules(p: Profile) -> tuple[SkipRule, ...]:
    """Rows a person decides whatever else matches: the profile's ``[[ask]]``, then (with
    ``families``) the vocabulary's families marked ``ask`` (a bank's "credit")."""
    if not p.families:
        return p.ask
    return p.ask + tuple(SkipRule("kind", f.reason, in_=f.spellings())
                         for f in vocabulary().families if f.reason and f.ask)


def sales_rules(p: Profile) -> tuple[SalesRule, ...]:
    """What a sale is: the profile's rules, then (with ``families``) "the kind is in the sale
    family" — for a file with a kind column; a file without one passes it."""
    if not p.families:
        return p.sales
    sale = next(f for f in vocabulary().families if f.reason is None)
    return (*p.sales, SalesRule("kind", sale.spellings(), unknown=UNKNOWN_KIND, optional=True))


def _check_regex(pattern: str | None, where: str) -> None:
    if pattern is None:
        return
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"{where}: matches is not a valid regular expression ({exc})") from exc


def _dirs() -> list[Path]:
    s = settings()
    return [s.profiles_dir, s.data_dir / "profiles"]


def load_profiles() -> dict[str, Profile]:
    """Every profile by name: the shipped ones (an error in one is raised, naming the file), then
    the shared ones in ``KASUWA_DATA_DIR/profiles`` (one that does not parse is skipped with a
    logged reason). A shared profile may not shadow a shipped one."""
    out: dict[str, Profile] = {}
    shipped, shared = _dirs()
    # the default setup keeps both in data/profiles: then every file there is a shipped one
    folders = [(shipped, True)] + ([(shared, False)] if shared.resolve() != shipped.resolve() else [])
    for d, is_shipped in folders:
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*.toml")):
            try:
                p = _read_file(path)
            except ConfigError as exc:
                if is_shipped:
                    raise
                log.warning("shared profile skipped: %s", exc)
                continue
            if p.name in out:
                if not is_shipped:
                    log.warning("shared profile skipped: %s: the name %r belongs to a shipped profile", path, p.name)
                continue
            out[p.name] = p
    if "generic" not in out:
        raise ConfigError(f"No generic profile found in {shipped}.")
    return out


def _read_file(path: Path) -> Profile:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    p = parse_profile(doc, str(path))
    return with_vocabulary(Profile(**{**p.__dict__, "path": path}))


def get_profile(name: str) -> Profile:
    profiles = load_profiles()
    if name not in profiles:
        raise NotFound(N_("No profile %(name)s. Known profiles: %(profiles)s.", name=repr(name),
                          profiles=", ".join(sorted(profiles))))
    return profiles[name]


def index(headers: list[str]) -> HeaderIndex:
    return HeaderIndex(headers)


def _found(profile: Profile, idx: HeaderIndex) -> int:
    return sum(1 for alternatives in profile.detect if any(h in idx for h in alternatives))


def header_score(profiles: dict[str, Profile]) -> Any:
    """A scorer for candidate header rows: how many known header names a row contains (by shape)."""
    known = {shape(h) for p in profiles.values() for cands in p.columns.values() for h in cands}
    known |= {shape(h) for p in profiles.values() for alts in p.detect for h in alts}

    def score(cells: list[str]) -> float:
        return float(sum(1 for c in cells if shape(c) in known))

    return score


def resolves(profile: Profile, idx: HeaderIndex) -> bool:
    """The profile finds what a sale needs in these headers (or has a default for it): an
    amount and a time. A currency may come from the amounts' symbols or the creator's own."""
    def has(canon: str) -> bool:
        return any(c in idx for c in profile.columns.get(canon, ()))
    if not (has("gross") or has("unit_price")):
        return False
    return all(has(c) or c in profile.defaults for c in REQUIRED if c != "currency")


def candidates(headers: list[str], profiles: dict[str, Profile]) -> list[Detection]:
    """Every platform profile that could read these headers: at least ``DETECT_THRESHOLD`` of its
    identifying columns are there, and every column it needs."""
    idx = index(headers)
    out = []
    for p in profiles.values():
        if not p.detect:
            continue
        found = _found(p, idx)
        if found / len(p.detect) >= DETECT_THRESHOLD and resolves(p, idx):
            out.append(Detection(p, found, len(p.detect)))
    return out


def detect(headers: list[str], profiles: dict[str, Profile]) -> Detection:
    """The candidate that holds the largest share of its identifying columns (then priority,
    then the longer list), else generic (the vocabulary alone). Scoring a share rather than
    requiring every header lets a file read whose personal-data columns were deleted, or whose
    export had a column more or less in another year."""
    found = candidates(headers, profiles)
    if found:
        return max(found, key=lambda d: (d.found / d.expected, d.profile.priority, d.expected))
    return Detection(profiles["generic"], 0, 0)


_DUP = re.compile(r"^(.*) \((\d+)\)$")

#: what each meaning is, in the creator's words (a refusal names what was found and what is missing)
MEANING_WORDS = {
    "sold_at": N_("the date of the sale"),
    "gross": N_("the amount the buyer paid"),
    "currency": N_("the currency"),
    "order_id": N_("the order or receipt number"),
    "product": N_("the product sold"),
    "fees": N_("the fees"),
    "net": N_("the amount after fees"),
    "kind": N_("what kind of entry each row is"),
    "status": N_("the payment status"),
    "quantity": N_("the number of units"),
    "buyer_country": N_("the buyer's country"),
}


#: meanings whose column is used only when its values fit (a "Type" of products is no kind of entry)
MUST_FIT = frozenset({"kind", "currency"})


@dataclass
class Resolution:
    """Which column of the file holds each meaning, and how sure the reader is of it."""

    columns: dict[str, int]
    #: meanings found only by a header's shape or chosen among several candidates by their
    #: values: the app asks the creator to confirm them once
    unsure: list[str] = field(default_factory=list)
    #: meanings whose only candidate columns held values that do not fit (dates that are not dates …)
    refused: dict[str, list[str]] = field(default_factory=dict)


def resolve(profile: Profile, headers: list[str], mapping: dict[str, str], notes: list[str] | None = None,
            accept: Any = None) -> Resolution:
    """canonical column -> index in ``headers``; raises MappingNeeded naming, in words, what was
    found and what is missing. ``accept(canon, index)`` confirms a vocabulary choice by its
    values: a column it refuses is passed over for the next candidate. When a used header
    appears more than once in the file, ``notes`` gets a sentence saying which column was read."""
    idx = index(headers)
    res = Resolution({})
    out = res.columns
    for canon, header in mapping.items():
        if canon not in CANONICAL:
            raise InvalidInput(N_("--map %(canon)s=…: %(name)s is not a canonical column (%(columns)s).",
                                  canon=canon, name=repr(canon), columns=", ".join(CANONICAL)))
        if norm(header) not in idx.exact:
            raise MappingNeeded(N_("--map %(canon)s=%(header)s: the file has no column %(name)s.", canon=canon,
                                   header=header, name=repr(header)), [canon], headers)
        out[canon] = idx.exact[norm(header)]
    for canon, cands in profile.columns.items():
        if canon in out:
            continue
        present: dict[int, bool] = {}  # column -> found only by its shape, in candidate order
        for cand in cands:
            i = idx.find(cand)
            if i is not None and i not in present:
                present[i] = idx.by_shape(cand)
        if not present:
            continue
        first = next(iter(present))
        chosen: int | None = first
        # values decide only where they can change the choice: among several columns, or for a
        # meaning whose column must fit (each check reads the file's first rows)
        if canon in profile.vocabulary and accept is not None and (len(present) > 1 or canon in MUST_FIT):
            # the first column whose values fit the meaning; when none does, the first one all the
            # same (its rows are checked and flagged), except a kind, which must hold kinds
            fits = [i for i in present if accept(canon, i)]
            res.refused.update({canon: [headers[i] for i in present if i not in fits]} if len(fits) < len(present)
                               else {})
            chosen = fits[0] if fits else (None if canon in MUST_FIT else first)
        if chosen is None:
            continue
        out[canon] = chosen
        if canon in profile.vocabulary and (present[chosen] or chosen != first):
            res.unsure.append(canon)
    if notes is not None:
        repeated = {norm(m.group(1)) for h in headers if (m := _DUP.match(h))}
        for canon, i in out.items():
            if norm(headers[i]) in repeated:
                notes.append(N_("The file has more than one column named '%(column)s'; the first one (column "
                                "%(number)s) was read as %(field)s.", column=headers[i], number=i + 1,
                                field=BY_NAME[canon].label if canon in BY_NAME else canon))
    missing = [c for c in REQUIRED if c not in out and c not in profile.defaults and c != "currency"]
    if "gross" not in out and "unit_price" not in out:
        missing.insert(0, "gross")
    if missing:
        exc = MappingNeeded(refusal(profile, headers, out, missing, res.refused), missing, headers)
        exc.found = {c: headers[i] for c, i in out.items()}
        raise exc
    return res


def resolve_columns(profile: Profile, headers: list[str], mapping: dict[str, str],
                    notes: list[str] | None = None) -> dict[str, int]:
    """``resolve`` without value checks: canonical column -> index in ``headers``."""
    return resolve(profile, headers, mapping, notes).columns


def refusal(profile: Profile, headers: list[str], found: dict[str, int], missing: list[str],
            refused: dict[str, list[str]] | None = None) -> str:
    """Why a file cannot be read, in the creator's words: what was found, what is missing, what
    was passed over and why, and how to say which column holds it."""
    said = [N_("%(meaning)s in ‘%(column)s’", meaning=words, column=headers[found[c]])
            for c, words in MEANING_WORDS.items() if c in found]
    gone = [MEANING_WORDS.get(c, c) for c in missing]
    parts = [N_("Kasuwa could not find %(missing)s in this file.", missing=", ".join(gone))]
    if said:
        parts.append(N_("It found %(found)s.", found=", ".join(said)))
    for c, cols in (refused or {}).items():
        parts.append(N_("‘%(columns)s’ looked like %(meaning)s, but its values are not that.",
                        columns="’, ‘".join(cols), meaning=MEANING_WORDS.get(c, c)))
    hint = " ".join(f"--map {m}=<header>" for m in missing)
    parts.append(N_("The file's headers are: %(headers)s. Say which column holds it, e.g. kasuwa ingest FILE "
                    "--creator ID %(hint)s", headers=", ".join(headers[:30]), hint=hint))
    return " ".join(parts)

def _toml_str(s: str) -> str:
    """A TOML basic string: quotes, backslashes and every control character escaped (a header
    holding a tab or a NUL stays a valid file)."""
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif unicodedata.category(ch) in ("Cc", "Cs") or ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04X}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return _toml_str(v)
    return "[" + ", ".join(_toml_value(x) for x in v) + "]"


def profile_document(p: Profile) -> dict[str, Any]:
    """``p`` as the TOML document ``parse_profile`` reads back into an equal profile."""
    doc: dict[str, Any] = {"name": p.name, "title": p.title, "source": p.source,
                           "detect": [list(alts) for alts in p.detect], "priority": p.priority}
    read: dict[str, Any] = {"number_style": p.number_style, "date_order": p.date_order,
                            "amount_unit": p.amount_unit, "line_items": p.line_items,
                            "fill_down": list(p.fill_down), "timezone": p.timezone}
    if p.date_format:
        read["date_format"] = p.date_format
    doc["read"] = read
    doc["columns"] = {k: list(v) for k, v in p.columns.items()}
    doc["defaults"] = dict(p.defaults)
    for key, rules in (("skip", p.skip), ("ask", p.ask)):
        doc[key] = [{"column": r.column, "reason": r.reason, **({"in": list(r.in_)} if r.in_ else {}),
                     **({"not_in": list(r.not_in)} if r.not_in else {}),
                     **({"matches": r.matches} if r.matches is not None else {}),
                     **({"blank": True} if r.blank else {}), **({"negative": True} if r.negative else {}),
                     **({"kind_in": list(r.kind_in)} if r.kind_in else {})}
                    for r in rules]
    doc["sales"] = [{"column": r.column, "unknown": r.unknown, "optional": r.optional,
                     **({"in": list(r.in_)} if r.in_ else {}),
                     **({"not_in": list(r.not_in)} if r.not_in else {}),
                     **({"matches": r.matches} if r.matches is not None else {})} for r in p.sales]
    if p.suite:
        doc["suite"] = p.suite
    if p.families:
        doc["families"] = True
    if p.order_pattern:
        read["order_pattern"] = p.order_pattern
    return doc


def profile_toml(p: Profile, comment: str = "") -> str:
    doc = profile_document(p)
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    lines += [f"{k} = {_toml_value(doc[k])}" for k in ("name", "title", "source", "detect", "priority", "families")
              if k in doc]
    for table in ("read", "columns", "defaults"):
        lines += ["", f"[{table}]"] + [f"{_toml_str(k)} = {_toml_value(v)}" for k, v in doc[table].items()]
    for array in ("ask", "skip", "sales"):
        for rule in doc[array]:
            lines += ["", f"[[{array}]]"] + [f"{k} = {_toml_value(v)}" for k, v in rule.items()]
    if "suite" in doc:
        lines += ["", f"suite = {_toml_value(doc['suite'])}"]
    return "\n".join(lines) + "\n"


def write_shared_profile(p: Profile, comment: str = "") -> Path:
    """Write ``p`` to ``KASUWA_DATA_DIR/profiles/<name>.toml`` for every creator. The text is
    parsed back and compared with ``p`` before anything is written, then written to a temporary
    file and renamed over the target, so a reader sees the old file or the new one, never half."""
    if not _NAME.match(p.name):
        raise InvalidInput(_("A profile name is %(rule)s.", rule=_(NAME_RULE)))
    if p.name in load_profiles():
        raise InvalidInput(_("A profile named %(name)s exists already; choose another name.", name=repr(p.name)))
    text = profile_toml(p, comment)
    d = settings().data_dir / "profiles"
    path = d / f"{p.name}.toml"
    try:
        back = parse_profile(tomllib.loads(text), str(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: the profile would not read back ({exc}); nothing was saved.") from exc
    if profile_document(back) != profile_document(p):
        raise ConfigError(f"{path}: the profile would not read back as written; nothing was saved.")
    d.mkdir(parents=True, exist_ok=True)
    tmp = d / f".{p.name}.toml.{os.getpid()}.tmp"
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
