"""Regional metrics for programme managers: aggregates only, computed inside each region.

Per region and per period (day, week or month): creators onboarded, in total and active (with
at least one sale), GMV in USD (gross, each day's sales at that day's rate), pipeline latency
p50/p95 (upload received → rows queryable), the share of new creators whose first data was
queryable within 24 h of joining, the data-quality pass rate (overall, per rule, per source)
and the review backlog and its age. No query here selects a buyer's or creator's personal
data, and every figure is a count, a sum or a percentile over many rows.

A region that cannot be reached (``RegionUnavailable``/``WarehouseBusy``) is reported with
``status="unavailable"`` and its reason; the other regions are computed as usual.

Days are each region's own calendar days. At 19:30 UTC it is already tomorrow in Karachi, so a
range "up to today" must end on the *latest* local today of the regions shown
(:func:`latest_today`); each region is then read up to its own today and no further, and a
period that today or the range's end cuts short is marked ``partial`` (its figures are "so far").
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ..access import Actor, manager_regions
from ..db import RegionWarehouse, warehouse
from ..errors import KasuwaError, RegionUnavailable, WarehouseBusy
from ..regions import get_region, region_codes
from .common import Period, bound, frame, grain_part, run, time_zone
from .rollups import refresh_rollups, rollups_current

__all__ = ["MetricsReport", "RegionMetrics", "default_period", "latest_today", "previous_period", "refresh_rollups",
           "region_metrics", "region_today", "totals", "utc_now"]

log = logging.getLogger(__name__)

_INTERVAL = {"day": "INTERVAL 1 DAY", "week": "INTERVAL 7 DAY", "month": "INTERVAL 1 MONTH"}
_PERIOD_INTERVAL = {"day": "INTERVAL 1 DAY", "week": "INTERVAL 1 WEEK", "month": "INTERVAL 1 MONTH"}

#: Columns of ``RegionMetrics.series`` (and of ``summary``), in order, with their meaning.
COLUMNS: dict[str, str] = {
    "period": "first day of the period (the whole range for the summary)",
    "creators_total": "creators who had joined by the end of the period",
    "onboarded": "creators who joined during the period",
    "active_creators": "creators with at least one sale in the period",
    "sales": "sale lines",
    "gmv_usd": "gross sales in USD at each sale day's rate",
    "unconverted_sales": "sale lines left out of GMV for want of a USD rate",
    "uploads": "files received",
    "uploads_loaded": "files loaded (not rejected, not duplicates)",
    "latency_p50_s": "median seconds from a file received to its rows queryable",
    "latency_p95_s": "95th percentile of the same",
    "new_creators_judged": "new creators joined 24 h ago or more, or with data already",
    "first_data_24h": "of those, creators whose first data was queryable within 24 h of joining",
    "first_data_24h_share": "first_data_24h / new_creators_judged",
    "rows_validated": "data rows checked by the expectations (total minus skipped)",
    "rows_flagged": "rows that failed at least one expectation",
    "pass_rate": "1 - rows_flagged / rows_validated",
    "backlog_at_end": "flagged rows still awaiting review at the end of the period",
    "partial": "the period is not over yet or the range cuts it short: its figures are so far",
}


@dataclass
class RegionMetrics:
    """One region's figures, or why there are none (``status`` ok | unavailable | error)."""

    region: str
    name: str
    status: str
    message: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    series: Any = None  # DataFrame, one row per period, COLUMNS
    rules: Any = None  # DataFrame: rule, reason (in words), failed_rows, rows_validated, pass_rate
    sources: Any = None  # DataFrame: source, uploads, rows_validated, rows_flagged, pass_rate
    backlog: dict[str, Any] = field(default_factory=dict)  # pending, oldest_hours, median_hours
    stale: bool = False  # rollups could not be refreshed; sales figures may lag
    through: date | None = None  # the last local day read: the range's end or the region's today


@dataclass
class MetricsReport:
    period: Period
    grain: str
    regions: list[RegionMetrics]
    now: datetime | None = None  # the instant the figures were computed at (UTC)

    def available(self) -> list[RegionMetrics]:
        return [r for r in self.regions if r.status == "ok"]


#: summary figures that add up across regions (counts and USD); the others are ratios or percentiles
ADDITIVE = ("creators_total", "onboarded", "active_creators", "sales", "gmv_usd", "unconverted_sales", "uploads",
            "uploads_loaded", "new_creators_judged", "first_data_24h", "rows_validated", "rows_flagged")


def previous_period(period: Period) -> Period:
    """The period of the same length just before ``period`` (what a change is measured against)."""
    days = (period.end - period.start).days + 1
    return Period(period.start - timedelta(days=days), period.start - timedelta(days=1))


def totals(report: MetricsReport) -> dict[str, Any]:
    """The figures of every region read, together: counts and GMV summed; the pass rate and the
    share of new creators with data within 24 h recomputed from the summed counts (never an
    average of rates); the review backlog summed. ``regions``: how many regions are in it."""
    rows = report.available()
    out: dict[str, Any] = {"regions": len(rows)}
    for key in ADDITIVE:
        values = [r.summary.get(key) for r in rows if r.summary.get(key) is not None]
        if not values:
            out[key] = None
        elif key == "gmv_usd":
            out[key] = sum((Decimal(str(v)) for v in values), Decimal(0))
        else:
            out[key] = sum(int(v) for v in values)
    validated, flagged = out.get("rows_validated"), out.get("rows_flagged")
    out["pass_rate"] = 1 - flagged / validated if validated else None
    judged, quick = out.get("new_creators_judged"), out.get("first_data_24h")
    out["first_data_24h_share"] = quick / judged if judged else None
    pending = [r.backlog.get("pending") for r in rows if r.backlog.get("pending") is not None]
    out["backlog_pending"] = sum(pending) if pending else None
    return out


def utc_now() -> datetime:
    """The current instant (UTC): the one clock of the regional metrics."""
    return datetime.now(UTC)


def region_today(code: str, now: datetime | None = None) -> date:
    """The calendar date in ``code``'s own time zone at ``now`` (default: the current instant)."""
    return (now or utc_now()).astimezone(ZoneInfo(time_zone(code))).date()


def latest_today(codes: list[str], now: datetime | None = None) -> date:
    """The latest of the regions' own local dates: a range ending on it holds every region's
    uploads of the last hours, whichever day their own clocks already show."""
    when = now or utc_now()
    return max((region_today(c, when) for c in codes), default=when.date())


def default_period(codes: list[str], days: int, now: datetime | None = None) -> Period:
    """The ``days`` days up to :func:`latest_today` of ``codes``."""
    end = latest_today(codes, now)
    return Period(end - timedelta(days=days - 1), end)


def _next_period(start: date, grain: str) -> date:
    """The first day after the ``grain`` period that begins on ``start``."""
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    return date(start.year + (start.month == 12), start.month % 12 + 1, 1)


def _partial(periods: Any, grain: str, period: Period, today: date) -> list[bool]:
    """For each period's first day: True when the range starts after it, or when it ends after
    the range's last day or after the region's today (today itself is not over)."""
    stop = min(period.end + timedelta(days=1), today)
    return [bool(p < period.start or _next_period(p, grain) > stop) for p in periods]


def _bucket(expr: str, part: str | None) -> str:
    """SQL putting a local DATE expression into its period (or the one summary period)."""
    return f"CAST(date_trunc('{part}', {expr}) AS DATE)" if part else "CAST($start AS DATE)"


def _metrics_sql(grain: str | None) -> str:
    """The per-period metrics query; ``grain=None`` gives one row for the whole period."""
    part = grain_part(grain) if grain else None
    if part and grain:
        cal = (
            "SELECT CAST(g AS DATE) AS period FROM generate_series("
            f"CAST(date_trunc('{part}', CAST($start AS DATE)) AS TIMESTAMP), CAST($end AS TIMESTAMP),"
            f" {_INTERVAL[grain]}) t(g)"
        )
        period_end = f"least(timezone($tz, CAST(cal.period AS TIMESTAMP) + {_PERIOD_INTERVAL[grain]}), $hi)"
    else:
        cal = "SELECT CAST($start AS DATE) AS period"
        period_end = "$hi"
    local = "CAST(timezone($tz, {}) AS DATE)".format
    return f"""
    WITH cal AS ({cal}),
    cal_end AS (SELECT period, {period_end} AS period_end FROM cal),
    roll AS (
        SELECT {_bucket('day', part)} AS period, creator_id, currency, day, sales, gross
        FROM rollup_sales_daily WHERE day BETWEEN $start AND $end
    ),
    conv AS (
        SELECT r.*, CASE WHEN r.currency = 'USD' THEN CAST(1 AS DECIMAL(18,10)) ELSE fx.usd_rate END AS rate
        FROM roll r ASOF LEFT JOIN fx_rates fx ON fx.currency = r.currency AND r.day >= fx.rate_date
    ),
    gmv AS (
        SELECT period, CAST(sum(sales) AS BIGINT) AS sales, count(DISTINCT creator_id) AS active_creators,
               round(sum(gross * rate), 2) AS gmv_usd,
               CAST(coalesce(sum(sales) FILTER (WHERE rate IS NULL), 0) AS BIGINT) AS unconverted_sales
        FROM conv GROUP BY period
    ),
    firsts AS (
        SELECT creator_id, min(loaded_at) AS first_data FROM uploads
        WHERE status = 'loaded' AND rows_loaded > 0 AND loaded_at IS NOT NULL GROUP BY creator_id
    ),
    joined AS (
        SELECT {_bucket(local('c.joined_at'), part)} AS period, c.joined_at, f.first_data
        FROM creators c LEFT JOIN firsts f USING (creator_id)
        WHERE c.joined_at >= $lo AND c.joined_at < $hi
    ),
    onboard AS (
        SELECT period, count(*) AS onboarded,
               count(*) FILTER (WHERE first_data IS NOT NULL OR joined_at <= $now - INTERVAL 24 HOUR)
                   AS new_creators_judged,
               count(*) FILTER (WHERE first_data <= joined_at + INTERVAL 24 HOUR) AS first_data_24h
        FROM joined GROUP BY period
    ),
    totals AS (
        SELECT ce.period, count(c.creator_id) AS creators_total
        FROM cal_end ce LEFT JOIN creators c ON c.joined_at < ce.period_end GROUP BY ce.period
    ),
    up AS (
        SELECT {_bucket(local('received_at'), part)} AS period, status, received_at, loaded_at,
               rows_total, rows_skipped, rows_flagged
        FROM uploads WHERE received_at >= $lo AND received_at < $hi
    ),
    pipe AS (
        SELECT period, count(*) AS uploads, count(*) FILTER (WHERE status = 'loaded') AS uploads_loaded,
               quantile_cont(epoch(loaded_at) - epoch(received_at), 0.5)
                   FILTER (WHERE status = 'loaded' AND loaded_at IS NOT NULL) AS latency_p50_s,
               quantile_cont(epoch(loaded_at) - epoch(received_at), 0.95)
                   FILTER (WHERE status = 'loaded' AND loaded_at IS NOT NULL) AS latency_p95_s,
               CAST(coalesce(sum(rows_total - rows_skipped) FILTER (WHERE status = 'loaded'), 0) AS BIGINT)
                   AS rows_validated,
               CAST(coalesce(sum(rows_flagged) FILTER (WHERE status = 'loaded'), 0) AS BIGINT) AS rows_flagged
        FROM up GROUP BY period
    ),
    backlog AS (
        SELECT ce.period, count(f.flag_id) AS backlog_at_end
        FROM cal_end ce LEFT JOIN flagged_rows f
          ON f.created_at < ce.period_end
          AND (f.status IN ('pending', 'asked', 'answered') OR f.reviewed_at >= ce.period_end)
        GROUP BY ce.period
    )
    SELECT cal.period,
           coalesce(creators_total, 0) AS creators_total, coalesce(onboarded, 0) AS onboarded,
           coalesce(active_creators, 0) AS active_creators, coalesce(sales, 0) AS sales,
           coalesce(gmv_usd, 0) AS gmv_usd, coalesce(unconverted_sales, 0) AS unconverted_sales,
           coalesce(uploads, 0) AS uploads, coalesce(uploads_loaded, 0) AS uploads_loaded,
           latency_p50_s, latency_p95_s,
           coalesce(new_creators_judged, 0) AS new_creators_judged, coalesce(first_data_24h, 0) AS first_data_24h,
           CASE WHEN new_creators_judged > 0 THEN first_data_24h / new_creators_judged END AS first_data_24h_share,
           coalesce(rows_validated, 0) AS rows_validated, coalesce(rows_flagged, 0) AS rows_flagged,
           CASE WHEN rows_validated > 0 THEN 1 - rows_flagged / rows_validated END AS pass_rate,
           coalesce(backlog_at_end, 0) AS backlog_at_end
    FROM cal LEFT JOIN gmv USING (period) LEFT JOIN onboard USING (period) LEFT JOIN totals USING (period)
         LEFT JOIN pipe USING (period) LEFT JOIN backlog USING (period)
    ORDER BY cal.period
    """


_RULES_SQL = """
    WITH up AS (SELECT upload_id, rows_total, rows_skipped FROM uploads
                WHERE status = 'loaded' AND received_at >= $lo AND received_at < $hi),
    validated AS (SELECT CAST(coalesce(sum(rows_total - rows_skipped), 0) AS BIGINT) AS n FROM up),
    fails AS (
        -- a row that failed one rule only tells that rule's reason in words
        SELECT rule, count(DISTINCT flag_id) AS failed_rows, any_value(reason) AS reason FROM (
            SELECT f.flag_id, unnest(f.rules) AS rule,
                   CASE WHEN len(f.rules) = 1 AND len(f.reasons) = 1 THEN f.reasons[1] END AS reason
            FROM flagged_rows f
            WHERE f.upload_id IN (SELECT upload_id FROM up)
        ) GROUP BY rule
    )
    SELECT rule, coalesce(reason, rule) AS reason, failed_rows, validated.n AS rows_validated,
           CASE WHEN validated.n > 0 THEN 1 - failed_rows / validated.n END AS pass_rate
    FROM fails, validated ORDER BY pass_rate, rule
"""

_SOURCES_SQL = """
    SELECT coalesce(source, profile, 'unknown') AS source, count(*) AS uploads,
           CAST(sum(rows_total - rows_skipped) AS BIGINT) AS rows_validated,
           CAST(sum(rows_flagged) AS BIGINT) AS rows_flagged,
           CASE WHEN sum(rows_total - rows_skipped) > 0
                THEN 1 - sum(rows_flagged) / sum(rows_total - rows_skipped) END AS pass_rate
    FROM uploads WHERE status = 'loaded' AND received_at >= $lo AND received_at < $hi
    GROUP BY 1 ORDER BY pass_rate, source
"""

_BACKLOG_SQL = """
    SELECT count(*) AS pending,
           (epoch($now) - epoch(min(created_at))) / 3600.0 AS oldest_hours,
           quantile_cont((epoch($now) - epoch(created_at)) / 3600.0, 0.5) AS median_hours
    FROM flagged_rows WHERE status IN ('pending', 'asked', 'answered')
"""


def _ensure_rollups(code: str) -> bool:
    """Refresh the rollups when they lag behind the sales; False when that was impossible."""
    try:
        if not rollups_current(code):
            refresh_rollups(code)
        return True
    except (RegionUnavailable, WarehouseBusy):
        raise
    except Exception as exc:  # a busy writer, a read-only remote: read what the rollup holds
        log.warning("rollups of %s not refreshed: %s", code, exc)
        return False


def _params(code: str, period: Period, now: datetime) -> dict[str, Any]:
    lo, hi = period.bounds(time_zone(code))
    return {"tz": time_zone(code), "start": period.start, "end": period.end, "lo": lo, "hi": hi, "now": now}


def _region(code: str, period: Period, grain: str, now: datetime) -> RegionMetrics:
    fresh = _ensure_rollups(code)
    today = region_today(code, now)
    # read up to the region's own today, not into days its clock has not reached
    own = Period(period.start, max(period.start, min(period.end, today)))
    p = _params(code, own, now)
    db = warehouse(code)

    def compute(d: RegionWarehouse) -> RegionMetrics:
        series = frame(d, _metrics_sql(grain), p)
        series["partial"] = _partial(series["period"], grain, period, today)
        summary_df = frame(d, _metrics_sql(None), p)
        rules = frame(d, _RULES_SQL, p)
        sources = frame(d, _SOURCES_SQL, p)
        backlog = d.dicts(_BACKLOG_SQL, bound(_BACKLOG_SQL, p))[0]
        summary = summary_df.iloc[0].to_dict() if len(summary_df) else {}
        return RegionMetrics(
            region=code, name=get_region(code).name, status="ok", summary=summary, series=series,
            rules=rules, sources=sources, backlog=backlog, stale=not fresh, through=own.end,
        )

    return run(db, compute)


def region_metrics(
    actor: Actor, period: Period, grain: str = "month", regions: list[str] | None = None,
    now: datetime | None = None,
) -> MetricsReport:
    """Every metric of ``COLUMNS`` per region the actor may read (managers and admins only),
    per ``grain`` period and for the whole ``period``; plus pass rate per rule and per source
    and the review backlog now. Each region is read up to its own local today at ``now``
    (default :func:`utc_now`). Regions are computed side by side; one that fails is reported
    with its reason and does not stop the others."""
    allowed = manager_regions(actor, region_codes())
    grain_part(grain)
    codes = [c for c in allowed if regions is None or c in regions]
    when = now or utc_now()

    def one(code: str) -> RegionMetrics:
        name = get_region(code).name
        try:
            return _region(code, period, grain, when)
        except (RegionUnavailable, WarehouseBusy) as exc:
            return RegionMetrics(code, name, "unavailable", str(exc))
        except KasuwaError as exc:
            return RegionMetrics(code, name, "error", str(exc))

    if len(codes) <= 1:
        results = [one(c) for c in codes]
    else:
        with ThreadPoolExecutor(max_workers=min(4, len(codes))) as pool:
            results = list(pool.map(one, codes))
    return MetricsReport(period, grain, results, when)
