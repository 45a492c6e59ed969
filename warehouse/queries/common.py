"""What the query modules share: periods in a region's time zone, the allow-listed time grains,
the SQL that converts sales to USD, and the data version that caches key on.

Timestamps leave the warehouse as naive local times of the region (DuckDB's Python client
needs pytz to hand out TIMESTAMPTZ values, and people read local times anyway).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import duckdb

from ..access import Actor, can_see_region_activity
from ..db import RegionWarehouse, warehouse
from ..errors import InvalidInput, KasuwaError, PermissionDenied, RegionUnavailable
from ..i18n import _
from ..regions import get_region

#: grain name -> DuckDB date_trunc part. Only these reach SQL.
GRAINS: dict[str, str] = {"day": "day", "week": "week", "month": "month"}

T = TypeVar("T")

# keys the data-version digest, so nobody can recover counts from it by trying small numbers
_VERSION_KEY = secrets.token_bytes(16)


@dataclass(frozen=True)
class Period:
    """Calendar days ``start``..``end`` inclusive, in the time zone of the region asked about."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput(_("The period ends (%(end)s) before it starts (%(start)s).",
                                 end=self.end, start=self.start))
        if (self.end - self.start).days > 366 * 20:
            raise InvalidInput(_("Choose a period of at most twenty years."))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length that ends the day before this one starts."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)

    def bounds(self, time_zone: str) -> tuple[datetime, datetime]:
        """[first instant, instant after the last day) as aware datetimes in ``time_zone``."""
        tz = ZoneInfo(time_zone)
        lo = datetime.combine(self.start, time(), tzinfo=tz)
        hi = datetime.combine(self.end + timedelta(days=1), time(), tzinfo=tz)
        return lo, hi


def grain_part(grain: str) -> str:
    """The SQL date part for ``grain``, from the allow-list only."""
    try:
        return GRAINS[grain]
    except KeyError as exc:
        raise InvalidInput(_("Unknown grain %(grain)s; choose one of %(items)s.",
                             grain=repr(grain), items=', '.join(GRAINS))) from exc


def require_signed_in(actor: Actor) -> None:
    if not isinstance(actor, Actor):
        raise InvalidInput(_("A signed-in user is required."))


def run(db: RegionWarehouse, fn: Callable[[RegionWarehouse], T]) -> T:
    """Run ``fn(db)``, turning DuckDB errors into the project's own (a remote region that
    drops mid-query is *unavailable*; anything else is a query fault reported in words)."""
    try:
        return fn(db)
    except KasuwaError:
        raise
    except (duckdb.IOException, duckdb.HTTPException, duckdb.ConnectionException) as exc:
        raise RegionUnavailable(
            _("%(name)s stopped answering: %(value)s. Other regions are unaffected.",
              name=db.region.name, value=str(exc).splitlines()[0])
        ) from exc
    except duckdb.Error as exc:
        raise KasuwaError(
            _("A query on the %(name)s warehouse failed: %(value)s",
              name=db.region.name, value=str(exc).splitlines()[0])
        ) from exc


_NAMED = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def bound(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``params`` that ``sql`` names as ``$name`` (DuckDB rejects extra ones)."""
    used = set(_NAMED.findall(sql))
    return {k: v for k, v in params.items() if k in used}


def frame(db: RegionWarehouse, sql: str, params: dict[str, Any]) -> Any:
    """Run ``sql`` and return a pandas DataFrame in which DECIMAL columns hold ``Decimal``
    objects (DuckDB's own ``.df()`` turns them into floats), dates ``datetime.date`` and
    timestamps naive datetimes. Only the parameters ``sql`` names are bound."""
    with db.cursor() as cur:
        return cur.execute(sql, bound(sql, params)).to_arrow_table().to_pandas()


def time_zone(region: str) -> str:
    return get_region(region).time_zone


# Sales of alias ``s`` with their local sale day and USD rate. ``{where}`` is built by the
# caller from fixed text only; values are bound as $named parameters ($tz, $lo, $hi, ...).
CONVERTED_SALES = """
    WITH base AS (
        SELECT s.*, CAST(timezone($tz, s.sold_at) AS DATE) AS day
        FROM sales s
        WHERE {where}
    ),
    conv0 AS (
        SELECT b.*,
               CASE WHEN b.currency = 'USD' THEN CAST(1 AS DECIMAL(18,10)) ELSE r.usd_rate END AS rate
        FROM base b ASOF LEFT JOIN fx_rates r ON r.currency = b.currency AND b.day >= r.rate_date
    ),
    -- fees an export states in another currency (Stripe: the settlement currency) take that
    -- currency's rate; the second look-up runs only for those rows
    conv AS (
        SELECT c.*, CASE WHEN c.fee_currency IS NULL THEN c.rate WHEN c.fee_currency = 'USD'
                         THEN CAST(1 AS DECIMAL(18,10)) ELSE f.usd_rate END AS fee_rate
        FROM conv0 c ASOF LEFT JOIN (SELECT * FROM fx_rates WHERE currency IN
                                     (SELECT DISTINCT fee_currency FROM base WHERE fee_currency IS NOT NULL)) f
          ON f.currency = c.fee_currency AND c.day >= f.rate_date
    )
"""

#: A money column of ``conv`` in USD, exact (DECIMAL(38,14)); NULL when no rate is known.
def usd(column: str) -> str:
    """Fees use their own currency's rate; a net the export could not give in one currency (its
    fees in another) is gross less fees, each converted at its own rate."""
    if column not in {"gross", "fees", "net", "refunded"}:
        raise InvalidInput(_("Not a money column: %(column)s", column=repr(column)))
    if column == "fees":
        return "CAST(fees AS DECIMAL(38,4)) * fee_rate"
    if column == "net":
        return ("coalesce(CAST(net AS DECIMAL(38,4)) * rate,"
                " CAST(gross AS DECIMAL(38,4)) * rate - CAST(fees AS DECIMAL(38,4)) * fee_rate)")
    return f"CAST({column} AS DECIMAL(38,4)) * rate"


def data_version(actor: Actor, region: str) -> str:
    """A short opaque text that changes whenever a load, a review decision, a new creator or a
    rates load changes what the region's queries return. Caches key on it.

    It is a digest: it tells nobody the region's counts or where its file lives. Only someone who
    reads something in ``region`` may ask (:func:`warehouse.access.can_see_region_activity`: a
    creator for their own region only)."""
    require_signed_in(actor)
    own = None
    if actor.creator_id:  # only creator accounts are linked to a creator
        from control.directory import creator_region

        own = creator_region(actor.creator_id)
    if not can_see_region_activity(actor, region, own):
        raise PermissionDenied(_("You can only see the activity of your own region."))
    db = warehouse(region)

    def q(d: RegionWarehouse) -> Any:
        # UNION ALL of small scans: DuckDB plans many scalar subqueries in one SELECT slowly.
        return d.rows(
            "SELECT 1 AS k, count(*), CAST(max(epoch_us(coalesce(loaded_at, received_at))) AS VARCHAR)"
            " FROM uploads"
            " UNION ALL SELECT 2, count(*), NULL FROM sales"
            " UNION ALL SELECT 3, count(*), CAST(count(*) FILTER (WHERE status <> 'pending') AS VARCHAR)"
            " FROM flagged_rows"
            " UNION ALL SELECT 4, 0, CAST(max(epoch_us(reviewed_at)) AS VARCHAR) FROM flagged_rows"
            " UNION ALL SELECT 5, count(*), NULL FROM creators"
            " UNION ALL SELECT 6, count(*), CAST(sum(usd_rate) AS VARCHAR) FROM fx_rates"
            " ORDER BY k"
        )

    rows = run(db, q)
    text = db.key[1] + "|" + "|".join(f"{n}/{extra}" for _, n, extra in rows)
    return hashlib.blake2b(text.encode(), digest_size=12, key=_VERSION_KEY).hexdigest()
