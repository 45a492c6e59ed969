"""The region registry: ``regions.toml`` read once, validated, unknown keys rejected."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import ConfigError, NotFound
from .settings import settings

_KEYS = {"code", "name", "countries", "currencies", "time_zone", "locale", "location"}
_CODE = re.compile(r"^[a-z][a-z0-9-]{1,40}$")


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    countries: tuple[str, ...]
    currencies: tuple[str, ...]
    time_zone: str
    locale: str
    location: str  # "file", a path, "kasuwa://host:port" (its owner on its own host) or "quack:host:port"

    @property
    def is_remote(self) -> bool:
        """Attached over Quack (``quack:host:port``)."""
        return self.location.startswith("quack:")

    @property
    def owner_url(self) -> str:
        """``kasuwa://host:port`` when the region's owner runs on its own host, else ""."""
        return self.location if self.location.startswith("kasuwa://") else ""


def _parse(path: Path) -> tuple[Region, ...]:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: region catalogue not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    regions = []
    seen_countries: dict[str, str] = {}
    for i, entry in enumerate(doc.get("region", []), start=1):
        where = f"{path}: region #{i}"
        unknown = set(entry) - _KEYS
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_KEYS)}")
        missing = {"code", "name", "countries", "currencies", "time_zone"} - set(entry)
        if missing:
            raise ConfigError(f"{where}: missing {sorted(missing)}")
        code = entry["code"]
        if not _CODE.match(code):
            raise ConfigError(f"{where}: code {code!r} must be lowercase letters, digits and dashes")
        for cc in entry["countries"]:
            if cc in seen_countries:
                raise ConfigError(f"{where}: country {cc} already belongs to {seen_countries[cc]}")
            seen_countries[cc] = code
        regions.append(
            Region(
                code=code,
                name=entry["name"],
                countries=tuple(c.upper() for c in entry["countries"]),
                currencies=tuple(c.upper() for c in entry["currencies"]),
                time_zone=entry["time_zone"],
                locale=entry.get("locale", "en"),
                location=entry.get("location", "file"),
            )
        )
    if not regions:
        raise ConfigError(f"{path}: no [[region]] entries")
    return tuple(regions)


@lru_cache(maxsize=8)
def _load(path: Path, mtime: float) -> tuple[Region, ...]:
    return _parse(path)


def all_regions() -> tuple[Region, ...]:
    """Every configured region, in file order."""
    path = settings().config_dir / "regions.toml"
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: region catalogue not found") from exc
    return _load(path, mtime)


def region_codes() -> list[str]:
    return [r.code for r in all_regions()]


def get_region(code: str) -> Region:
    for r in all_regions():
        if r.code == code:
            return r
    raise NotFound(f"Unknown region {code!r}. Known regions: {', '.join(region_codes())}.")


def region_for_country(country: str) -> Region:
    """The region a creator from ``country`` (ISO alpha-2) belongs to."""
    cc = country.strip().upper()
    for r in all_regions():
        if cc in r.countries:
            return r
    raise NotFound(
        f"No region serves country {cc!r}. Add it to a region's countries in regions.toml."
    )
