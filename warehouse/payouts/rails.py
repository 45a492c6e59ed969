"""Payment rails as data: ``rails.toml`` read, validated (unknown keys rejected with the file,
the key and its line) and turned into ``Rail`` objects. No prices live in code. The same file
says who holds each source's money (``[custody.*]``, read by ``custody.py``) and the guard
rails' thresholds (``[guard]``).

A rail answers: may it pay into this country, in which currency, after how long (hold and
schedule), above which minimum, and what it charges on a sale and on a payout.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from warehouse.errors import ConfigError, NotFound
from warehouse.i18n import _
from warehouse.money import is_currency, to_minor
from warehouse.settings import settings

from .custody import Custody, GuardRules, parse_custody, parse_guard
from .fees import ZERO, Tariff

SCHEDULES = ("friday", "14th-28th", "1st-15th", "working-days", "daily", "instant")
_RAIL_KEYS = {
    "name",
    "custodial",
    "countries",
    "payout_currencies",
    "fallback_currency",
    "home_countries",
    "hold_days",
    "schedule",
    "minimum",
    "sale_fee",
    "payout_fee",
    "note",
}
_REQUIRED = {"name", "custodial", "countries", "payout_currencies", "hold_days", "schedule"}
_TARIFF_KEYS = {
    "currency",
    "buyers",
    "channel",
    "percent",
    "fixed",
    "fixed_waived_below",
    "cap",
    "free_up_to",
    "vat_percent",
    "stamp_duty",
    "stamp_duty_over",
    "note",
}
_AMOUNT_KEYS = ("fixed", "fixed_waived_below", "cap", "free_up_to", "stamp_duty", "stamp_duty_over")
_TOP_KEYS = {"rail", "local_currency", "custody", "guard"}
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def is_schedule_day(schedule: str, day: date) -> bool:
    """Whether a payout ``schedule`` of ``SCHEDULES`` pays on ``day`` (no public holidays)."""
    if schedule == "friday":
        return day.weekday() == 4
    if schedule == "14th-28th":
        return day.day in (14, 28)
    if schedule == "1st-15th":
        return day.day in (1, 15)
    if schedule == "working-days":
        return day.weekday() < 5
    return True  # daily, instant


@dataclass(frozen=True)
class Minimum:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Rail:
    code: str
    name: str
    custodial: bool
    countries: tuple[str, ...]
    payout_currencies: tuple[str, ...]
    hold_days: dict[str, int]  # currency (or "default") -> days
    schedule: str
    sale_fee: tuple[Tariff, ...] = ()
    payout_fee: tuple[Tariff, ...] = ()
    minimum: Minimum | None = None
    fallback_currency: str = "USD"  # a code or "local"
    home_countries: tuple[str, ...] = ()
    note: str = ""

    def hold_for(self, currency: str) -> int:
        """Days a sale in ``currency`` is held before it can be paid."""
        return self.hold_days.get(currency, self.hold_days.get("default", 0))

    def payout_currency(self, country: str, local: str | None) -> str:
        """The currency this rail pays a creator in ``country`` (local currency ``local``)."""
        if local and local in self.payout_currencies:
            return local
        return "USD" if "USD" in self.payout_currencies else self.payout_currencies[0]

    def is_payout_day(self, day: date) -> bool:
        """Whether the rail's schedule pays on ``day`` (public holidays are not modelled)."""
        return is_schedule_day(self.schedule, day)

    def next_payout_day(self, earliest: date) -> date:
        """The first payout day on or after ``earliest`` (public holidays are not modelled)."""
        day = earliest
        while not self.is_payout_day(day):
            day += timedelta(days=1)
        return day

    def paid_on(self, sold_on: date, currency: str) -> date:
        """When a sale made on ``sold_on`` is paid: first payout day on or after the hold ends."""
        return self.next_payout_day(sold_on + timedelta(days=self.hold_for(currency)))

    def is_domestic(self, buyer_country: str | None, creator_country: str) -> bool:
        """Whether the buyer counts as domestic (unknown buyer countries count as domestic)."""
        if not buyer_country:
            return True
        home = self.home_countries or (creator_country,)
        return buyer_country.upper() in home


@dataclass(frozen=True)
class RailBook:
    rails: dict[str, Rail]
    local_currency: dict[str, str] = field(default_factory=dict)
    custody: dict[str, Custody] = field(default_factory=dict)  # source -> who holds its money
    guard: GuardRules = field(default_factory=GuardRules)

    def get(self, code: str) -> Rail:
        try:
            return self.rails[code]
        except KeyError:
            raise NotFound(_("Unknown payment rail %(code)s. Known rails: %(items)s.",
                             code=repr(code), items=', '.join(self.rails))) from None

    def for_country(self, country: str) -> list[Rail]:
        """Rails that can pay into ``country``, in file order."""
        return [r for r in self.rails.values() if country.upper() in r.countries]

    def local(self, country: str) -> str | None:
        """The local currency of ``country`` from ``[local_currency]``, or None."""
        return self.local_currency.get(country.upper())


def _line_of(text: str, key: str, after: str | None = None) -> int | None:
    lines = text.splitlines()
    start = 0
    if after:
        for i, line in enumerate(lines):
            if after in line:
                start = i
                break
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=|[{{,]\s*{re.escape(key)}\s*=")
    for i in range(start, len(lines)):
        if pattern.search(lines[i]):
            return i + 1
    return None


class _Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text

    def fail(self, where: str, message: str, key: str | None = None, after: str | None = None) -> ConfigError:
        line = _line_of(self.text, key, after) if key else None
        at = f"{self.path}:{line}" if line else str(self.path)
        return ConfigError(f"{at}: {where}: {message}")

    def check_keys(self, table: dict[str, Any], allowed: set[str], where: str, after: str) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(where, f"unknown key {key!r}; allowed: {', '.join(sorted(allowed))}", key, after)

    def decimal(self, value: Any, where: str, key: str, after: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.fail(where, f'{key} must be a string like "1.5" (exact decimal), not {value!r}', key, after)
        try:
            d = Decimal(str(value).strip())
        except InvalidOperation:
            raise self.fail(where, f"{key} = {value!r} is not a number", key, after) from None
        if not d.is_finite() or d < 0:
            raise self.fail(where, f"{key} = {value!r} must be zero or more", key, after)
        return d

    def currency(self, value: Any, where: str, key: str, after: str, star: bool = False) -> str:
        code = str(value).upper()
        if (star and code == "*") or is_currency(code):
            return code
        raise self.fail(where, f"{key} = {value!r} is not an ISO 4217 currency code", key, after)

    def countries(self, value: Any, where: str, key: str, after: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(c, str) and _COUNTRY.match(c) for c in value):
            raise self.fail(where, f'{key} must be a list of ISO 3166 alpha-2 codes like "NG"', key, after)
        return tuple(value)

    def tariff(self, t: dict[str, Any], where: str, after: str) -> Tariff:
        self.check_keys(t, _TARIFF_KEYS, where, after)
        if "currency" not in t:
            raise self.fail(where, "missing currency")
        cur = self.currency(t["currency"], where, "currency", after, star=True)
        amounts: dict[str, Decimal | None] = {}
        for key in _AMOUNT_KEYS:
            if key not in t:
                continue
            if cur == "*":
                raise self.fail(where, f'{key} needs a currency; a "*" tariff takes percentages only', key, after)
            amount = self.decimal(t[key], where, key, after)
            try:
                to_minor(amount, cur)
            except ValueError as exc:
                raise self.fail(where, f"{key}: {exc}", key, after) from None
            amounts[key] = amount
        buyers = t.get("buyers", "any")
        if buyers not in ("any", "domestic", "international"):
            raise self.fail(where, "buyers must be any, domestic or international", "buyers", after)
        return Tariff(
            currency=cur,
            percent=self.decimal(t.get("percent", "0"), where, "percent", after),
            fixed=amounts.get("fixed") or ZERO,
            fixed_waived_below=amounts.get("fixed_waived_below"),
            cap=amounts.get("cap"),
            free_up_to=amounts.get("free_up_to"),
            vat_percent=self.decimal(t.get("vat_percent", "0"), where, "vat_percent", after),
            stamp_duty=amounts.get("stamp_duty") or ZERO,
            stamp_duty_over=amounts.get("stamp_duty_over"),
            buyers=buyers,
            channel=str(t["channel"]).lower() if t.get("channel") else None,
            note=str(t.get("note", "")),
        )

    def rail(self, code: str, r: Any) -> Rail:
        where, after = f"rail {code}", f"[rail.{code}]"
        if not isinstance(r, dict):
            raise self.fail(where, "must be a table")
        self.check_keys(r, _RAIL_KEYS, where, after)
        missing = _REQUIRED - set(r)
        if missing:
            raise self.fail(where, f"missing {', '.join(sorted(missing))}")
        if r["schedule"] not in SCHEDULES:
            raise self.fail(where, f"schedule must be one of {', '.join(SCHEDULES)}", "schedule", after)
        if not isinstance(r["custodial"], bool):
            raise self.fail(where, "custodial must be true or false", "custodial", after)
        hold = r["hold_days"]
        holds = hold if isinstance(hold, dict) else {"default": hold}
        for k, v in holds.items():
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise self.fail(where, f"hold_days {k} must be a whole number of days", "hold_days", after)
            if k != "default":
                self.currency(k, where, "hold_days", after)
        payout_currencies = tuple(self.currency(c, where, "payout_currencies", after) for c in r["payout_currencies"])
        if not payout_currencies:
            raise self.fail(where, "payout_currencies is empty", "payout_currencies", after)
        minimum = None
        if "minimum" in r:
            m = r["minimum"]
            if not isinstance(m, dict) or set(m) != {"amount", "currency"}:
                raise self.fail(where, 'minimum must be { amount = "10", currency = "USD" }', "minimum", after)
            minimum = Minimum(
                self.decimal(m["amount"], where, "minimum", after),
                self.currency(m["currency"], where, "minimum", after),
            )
        fallback = str(r.get("fallback_currency", "USD"))
        if fallback != "local":
            fallback = self.currency(fallback, where, "fallback_currency", after)
        sale = tuple(
            self.tariff(t, f"{where} sale_fee #{i}", after) for i, t in enumerate(r.get("sale_fee", []), start=1)
        )
        payout = tuple(
            self.tariff(t, f"{where} payout_fee #{i}", after) for i, t in enumerate(r.get("payout_fee", []), start=1)
        )
        return Rail(
            code=code,
            name=str(r["name"]),
            custodial=r["custodial"],
            countries=self.countries(r["countries"], where, "countries", after),
            payout_currencies=payout_currencies,
            hold_days={str(k): int(v) for k, v in holds.items()},
            schedule=r["schedule"],
            sale_fee=sale,
            payout_fee=payout,
            minimum=minimum,
            fallback_currency=fallback,
            home_countries=self.countries(r.get("home_countries", []), where, "home_countries", after),
            note=str(r.get("note", "")),
        )


def parse_rails(path: Path) -> RailBook:
    """Read and validate ``path``; raises ConfigError naming the file, line and key at fault."""
    try:
        text = path.read_text(encoding="utf-8")
        doc = tomllib.loads(text)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: payment rails file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    reader = _Reader(path, text)
    for key in doc:
        if key not in _TOP_KEYS:
            raise reader.fail("top level", f"unknown table or key {key!r}; allowed: {', '.join(sorted(_TOP_KEYS))}",
                              key)
    local = {}
    for cc, cur in doc.get("local_currency", {}).items():
        if not _COUNTRY.match(cc):
            raise reader.fail("local_currency", f"{cc!r} is not an ISO 3166 alpha-2 code", cc)
        local[cc] = reader.currency(cur, "local_currency", cc, "[local_currency]")
    rails = {code: reader.rail(code, r) for code, r in doc.get("rail", {}).items()}
    if not rails:
        raise ConfigError(f"{path}: no [rail.<code>] tables")
    return RailBook(rails, local, parse_custody(reader, doc, rails), parse_guard(reader, doc))


@lru_cache(maxsize=8)
def _cached(path: Path, mtime: float) -> RailBook:
    return parse_rails(path)


def rail_book() -> RailBook:
    """The rails in force (``KASUWA_CONFIG_DIR/rails.toml``), re-read when the file changes."""
    path = settings().config_dir / "rails.toml"
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: payment rails file not found") from exc
    return _cached(path, mtime)


def get_rail(code: str) -> Rail:
    """The rail ``code`` from the rails in force; NotFound names the known rails."""
    return rail_book().get(code)
