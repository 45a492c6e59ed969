"""Source profiles: how to recognise an export, how to read it, how its columns map to the
canonical sale. Profiles are TOML files in ``data/profiles`` (shipped) and
``KASUWA_DATA_DIR/profiles`` (saved from the app's mapping step); adding a platform is
adding a file. Unknown keys are errors naming the file.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InvalidInput, MappingNeeded, NotFound
from ..settings import settings

#: canonical columns a profile may map, with what each means
CANONICAL: dict[str, str] = {
    "order_id": "order or transaction reference",
    "line": "line number within the order",
    "sold_at": "date (and time) of the sale",
    "sold_time": "time of the sale, when the export keeps it in its own column",
    "product": "product or item name",
    "quantity": "units sold (blank means 1)",
    "unit_price": "price of one unit (gross = unit price x quantity when there is no total)",
    "gross": "amount the buyer paid",
    "fees": "fees taken by the platform or processor",
    "net": "amount left after fees",
    "refunded": "amount refunded to the buyer",
    "refunded_flag": "yes/no (1/0) whether the sale was refunded in full",
    "currency": "ISO 4217 currency code or symbol",
    "buyer_country": "buyer's country (code or name)",
    "channel": "payment method or sales channel",
    "status": "payment status",
}
REQUIRED = ("order_id", "sold_at", "product", "currency")  # and gross or unit_price

_TOP = {"name", "title", "source", "detect", "priority", "read", "columns", "defaults", "skip",
        "suite", "notes"}
_READ = {"number_style", "date_order", "amount_unit", "line_items", "fill_down", "timezone",
         "date_format"}
_SKIP = {"column", "in", "not_in", "matches", "blank", "reason"}
_NAME = re.compile(r"^[a-z][a-z0-9_-]{1,40}$")


@dataclass(frozen=True)
class SkipRule:
    """Rows whose ``column`` (canonical name or header) meets the condition are not sales."""

    column: str
    reason: str
    in_: tuple[str, ...] = ()
    not_in: tuple[str, ...] = ()
    matches: str | None = None
    blank: bool = False


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    source: str
    detect: tuple[str, ...]
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
    suite: str | None = None  # extra expectation suite in expectations/
    path: Path | None = None


def _norm(header: str) -> str:
    # NFC: Bengali headers come with U+09DF (য়) precomposed or as U+09AF U+09BC; both must match
    return unicodedata.normalize("NFC", " ".join(header.replace("\ufeff", "").split())).casefold()


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
    rules = []
    for i, rule in enumerate(doc.get("skip", []), start=1):
        if set(rule) - _SKIP or "column" not in rule or "reason" not in rule:
            raise ConfigError(f"{where}: skip rule #{i} needs column and reason; allowed keys {sorted(_SKIP)}")
        rules.append(SkipRule(rule["column"], rule["reason"], tuple(rule.get("in", ())),
                              tuple(rule.get("not_in", ())), rule.get("matches"), bool(rule.get("blank"))))
    for key, allowed in (("number_style", {"auto", "dot", "comma"}), ("date_order", {"auto", "dmy", "mdy", "ymd"}),
                         ("amount_unit", {"major", "minor"})):
        if read.get(key, "auto" if key != "amount_unit" else "major") not in allowed:
            raise ConfigError(f"{where}: [read] {key} must be one of {sorted(allowed)}")
    return Profile(
        name=name,
        title=doc.get("title", name),
        source=doc.get("source", name),
        detect=tuple(doc.get("detect", ())),
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
        suite=doc.get("suite"),
    )


def _dirs() -> list[Path]:
    s = settings()
    return [s.profiles_dir, s.data_dir / "profiles"]


def load_profiles() -> dict[str, Profile]:
    """Every profile by name; a saved profile may not shadow a shipped one."""
    out: dict[str, Profile] = {}
    for d in _dirs():
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*.toml")):
            try:
                doc = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{path}: {exc}") from exc
            p = parse_profile(doc, str(path))
            if p.name in out:
                continue
            out[p.name] = Profile(**{**p.__dict__, "path": path})
    if "generic" not in out:
        raise ConfigError(f"No generic profile found in {_dirs()[0]}.")
    return out


def get_profile(name: str) -> Profile:
    profiles = load_profiles()
    if name not in profiles:
        raise NotFound(f"No profile {name!r}. Known profiles: {', '.join(sorted(profiles))}.")
    return profiles[name]


def _index(headers: list[str]) -> dict[str, int]:
    idx: dict[str, int] = {}
    for i, h in enumerate(headers):
        idx.setdefault(_norm(h), i)
    return idx


def _matches(profile: Profile, idx: dict[str, int]) -> bool:
    return bool(profile.detect) and all(_norm(h) in idx for h in profile.detect)


def header_score(profiles: dict[str, Profile]) -> Any:
    """A scorer for candidate header rows: how many known header names a row contains."""
    known = {_norm(h) for p in profiles.values() for cands in p.columns.values() for h in cands}
    known |= {_norm(h) for p in profiles.values() for h in p.detect}

    def score(cells: list[str]) -> float:
        return float(sum(1 for c in cells if _norm(c) in known))

    return score


def detect(headers: list[str], profiles: dict[str, Profile]) -> Profile:
    """The most specific profile whose ``detect`` headers are all present, else generic."""
    idx = _index(headers)
    found = [p for p in profiles.values() if _matches(p, idx)]
    if found:
        return max(found, key=lambda p: (p.priority, len(p.detect)))
    return profiles["generic"]


def resolve_columns(profile: Profile, headers: list[str], mapping: dict[str, str]) -> dict[str, int]:
    """canonical column -> index in ``headers``; raises MappingNeeded naming what is missing."""
    idx = _index(headers)
    out: dict[str, int] = {}
    for canon, header in mapping.items():
        if canon not in CANONICAL:
            raise InvalidInput(f"--map {canon}=…: {canon!r} is not a canonical column "
                               f"({', '.join(CANONICAL)}).")
        if _norm(header) not in idx:
            raise MappingNeeded(f"--map {canon}={header}: the file has no column {header!r}.",
                                [canon], headers)
        out[canon] = idx[_norm(header)]
    for canon, candidates in profile.columns.items():
        if canon in out:
            continue
        for cand in candidates:
            if _norm(cand) in idx:
                out[canon] = idx[_norm(cand)]
                break
    missing = [c for c in REQUIRED if c not in out and c not in profile.defaults]
    if "gross" not in out and "unit_price" not in out:
        missing.insert(0, "gross")
    if missing:
        shown = ", ".join(headers[:30])
        hint = " ".join(f"--map {m}=<header>" for m in missing)
        raise MappingNeeded(
            f"Columns not found for {', '.join(missing)} (profile {profile.name}). The file's headers are: "
            f"{shown}. Map them, e.g. kasuwa ingest FILE --creator ID {hint}",
            missing, headers,
        )
    return out


def save_profile(name: str, title: str, headers: list[str], mapping: dict[str, str],
                 defaults: dict[str, str] | None = None) -> Path:
    """Write a mapping made by a person as a new profile in ``KASUWA_DATA_DIR/profiles``."""
    if not _NAME.match(name):
        raise InvalidInput("A profile name uses lowercase letters, digits, '-' or '_' (2-41 characters).")
    if name in load_profiles():
        raise InvalidInput(f"A profile named {name!r} exists already; choose another name.")
    bad = [c for c in mapping if c not in CANONICAL]
    if bad:
        raise InvalidInput(f"Not canonical columns: {', '.join(bad)}.")
    def q(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    lines = [f"name = {q(name)}", f"title = {q(title)}", f"source = {q(name)}",
             "detect = [" + ", ".join(q(h) for h in mapping.values()) + "]", "", "[columns]"]
    lines += [f"{c} = [{q(h)}]" for c, h in mapping.items()]
    if defaults:
        lines += ["", "[defaults]"] + [f"{k} = {q(v)}" for k, v in defaults.items()]
    d = settings().data_dir / "profiles"
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    parse_profile(tomllib.loads(path.read_text(encoding="utf-8")), str(path))
    return path
