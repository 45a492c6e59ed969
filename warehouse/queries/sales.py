"""A creator's own sales: KPIs against the previous period, series over time, top products,
buyer countries, channels, amounts as sold and in USD, rows for download, uploads and the fate
of flagged rows.

Every function first resolves the creator's region and asks ``warehouse.access`` whether the
actor may see that creator (a creator: only themself; a reviewer: creators of their regions;
an admin: everyone; a manager: nobody — managers read aggregates in ``metrics``). The creator
id is always a bound parameter. USD amounts use the latest rate on or before each sale's local
date; sales without a known rate are counted in ``unconverted`` and left out of USD sums.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from control.directory import all_creators, creator_region

from ..access import Actor, can_upload_for, require_creator, require_uploader
from ..db import RegionWarehouse, warehouse
from ..errors import RegionUnavailable, WarehouseBusy
from .common import CONVERTED_SALES, Period, frame, grain_part, run, time_zone, usd

_INTERVAL = {"day": "INTERVAL 1 DAY", "week": "INTERVAL 7 DAY", "month": "INTERVAL 1 MONTH"}
_CREATOR_WHERE = "s.creator_id = $cid AND s.sold_at >= $lo AND s.sold_at < $hi"
MAX_ROWS = 1_000_000


def creator_scope(actor: Actor, creator_id: str) -> str:
    """The creator's region, once ``actor`` is known to be allowed to read their rows
    (:func:`warehouse.access.require_creator`; asked before and after the directory lookup, so
    a creator asking about another id learns nothing, not even whether it exists)."""
    require_creator(actor, creator_id, None)
    region = creator_region(creator_id)
    require_creator(actor, creator_id, region)
    return region


def _params(region: str, creator_id: str, period: Period) -> dict[str, Any]:
    tz = time_zone(region)
    lo, hi = period.bounds(tz)
    return {"tz": tz, "cid": creator_id, "lo": lo, "hi": hi}


def _df(region: str, sql: str, params: dict[str, Any]) -> Any:
    return run(warehouse(region), lambda d: frame(d, sql, params))


@dataclass(frozen=True)
class Figures:
    """Totals over one period. USD sums are exact, rounded to cents."""

    sales: int = 0
    orders: int = 0
    units: int = 0
    gross_usd: Decimal = Decimal(0)
    fees_usd: Decimal = Decimal(0)
    net_usd: Decimal = Decimal(0)
    refunded_usd: Decimal = Decimal(0)
    unconverted: int = 0  # sales with no known USD rate for their date


@dataclass(frozen=True)
class Kpis:
    period: Period
    previous_period: Period
    current: Figures
    previous: Figures

    def change(self, name: str) -> Decimal | None:
        """Relative change of figure ``name`` against the previous period (0.25 = +25 %);
        None when the previous period had none."""
        now, before = Decimal(getattr(self.current, name)), Decimal(getattr(self.previous, name))
        if before == 0:
            return None
        return (now - before) / before


_FIGURES_SQL = CONVERTED_SALES + """
    SELECT count(*) AS sales,
           count(DISTINCT (source, order_id)) AS orders,
           CAST(coalesce(sum(quantity), 0) AS BIGINT) AS units,
           coalesce(round(sum({gross}), 2), 0) AS gross_usd,
           coalesce(round(sum({fees}), 2), 0) AS fees_usd,
           coalesce(round(sum({net}), 2), 0) AS net_usd,
           coalesce(round(sum({refunded}), 2), 0) AS refunded_usd,
           count(*) FILTER (WHERE rate IS NULL) AS unconverted
    FROM conv
"""


def _figures(db: RegionWarehouse, params: dict[str, Any]) -> Figures:
    sql = _FIGURES_SQL.format(
        where=_CREATOR_WHERE, gross=usd("gross"), fees=usd("fees"), net=usd("net"),
        refunded=usd("refunded"),
    )
    row = db.one(sql, params) or ()
    values = dict(zip([f.name for f in fields(Figures)], row, strict=True))
    return Figures(
        sales=int(values["sales"]), orders=int(values["orders"]), units=int(values["units"]),
        gross_usd=Decimal(values["gross_usd"]), fees_usd=Decimal(values["fees_usd"]),
        net_usd=Decimal(values["net_usd"]), refunded_usd=Decimal(values["refunded_usd"]),
        unconverted=int(values["unconverted"]),
    )


def kpis(actor: Actor, creator_id: str, period: Period) -> Kpis:
    """Sales, orders, units and USD gross/fees/net/refunds for ``period`` and the period of the
    same length just before it."""
    region = creator_scope(actor, creator_id)
    prev = period.previous()
    db = warehouse(region)
    now = run(db, lambda d: _figures(d, _params(region, creator_id, period)))
    before = run(db, lambda d: _figures(d, _params(region, creator_id, prev)))
    return Kpis(period, prev, now, before)


def sales_span(actor: Actor, creator_id: str) -> tuple[date, date] | None:
    """Local dates of the creator's first and last sale, or None when there is none yet."""
    region = creator_scope(actor, creator_id)
    row = run(warehouse(region), lambda d: d.one(
        "SELECT CAST(timezone($tz, min(sold_at)) AS DATE), CAST(timezone($tz, max(sold_at)) AS DATE)"
        " FROM sales WHERE creator_id = $cid", {"tz": time_zone(region), "cid": creator_id},
    ))
    if not row or row[0] is None:
        return None
    return row[0], row[1]


def series(actor: Actor, creator_id: str, period: Period, grain: str = "day") -> Any:
    """One row per ``grain`` (day, week or month) in the period, empty ones included:
    ``period`` (first day), sales, orders, units, gross_usd, net_usd."""
    part = grain_part(grain)
    region = creator_scope(actor, creator_id)
    sql = CONVERTED_SALES.format(where=_CREATOR_WHERE) + f"""
        , per AS (
            SELECT CAST(date_trunc('{part}', day) AS DATE) AS period, count(*) AS sales,
                   count(DISTINCT (source, order_id)) AS orders, CAST(sum(quantity) AS BIGINT) AS units,
                   round(sum({usd("gross")}), 2) AS gross_usd, round(sum({usd("net")}), 2) AS net_usd
            FROM conv GROUP BY 1
        ),
        cal AS (
            SELECT CAST(g AS DATE) AS period FROM generate_series(
                CAST(date_trunc('{part}', CAST($start AS DATE)) AS TIMESTAMP),
                CAST($end AS TIMESTAMP), {_INTERVAL[grain]}) t(g)
        )
        SELECT cal.period, coalesce(sales, 0) AS sales, coalesce(orders, 0) AS orders,
               coalesce(units, 0) AS units,
               coalesce(gross_usd, 0) AS gross_usd, coalesce(net_usd, 0) AS net_usd
        FROM cal LEFT JOIN per USING (period) ORDER BY cal.period
    """
    params = _params(region, creator_id, period) | {"start": period.start, "end": period.end}
    return _df(region, sql, params)


def top_products(actor: Actor, creator_id: str, period: Period, limit: int = 10) -> Any:
    """The products with the highest USD gross: product, sales, units, gross_usd, net_usd."""
    region = creator_scope(actor, creator_id)
    sql = CONVERTED_SALES.format(where=_CREATOR_WHERE) + f"""
        SELECT product, count(*) AS sales, CAST(sum(quantity) AS BIGINT) AS units,
               round(sum({usd("gross")}), 2) AS gross_usd, round(sum({usd("net")}), 2) AS net_usd
        FROM conv GROUP BY product ORDER BY gross_usd DESC NULLS LAST, product LIMIT $limit
    """
    return _df(region, sql, _params(region, creator_id, period) | {"limit": max(1, int(limit))})


def buyer_countries(actor: Actor, creator_id: str, period: Period) -> Any:
    """Per buyer country (ISO alpha-2, 'unknown' when the export did not say): sales, orders,
    gross_usd — largest first."""
    region = creator_scope(actor, creator_id)
    sql = CONVERTED_SALES.format(where=_CREATOR_WHERE) + f"""
        SELECT coalesce(nullif(buyer_country, ''), 'unknown') AS buyer_country, count(*) AS sales,
               count(DISTINCT (source, order_id)) AS orders, round(sum({usd("gross")}), 2) AS gross_usd
        FROM conv GROUP BY 1 ORDER BY gross_usd DESC NULLS LAST, 1
    """
    return _df(region, sql, _params(region, creator_id, period))


def channels(actor: Actor, creator_id: str, period: Period) -> Any:
    """Per source and channel ('unknown' when the export did not say): sales, orders, gross_usd."""
    region = creator_scope(actor, creator_id)
    sql = CONVERTED_SALES.format(where=_CREATOR_WHERE) + f"""
        SELECT source, coalesce(nullif(channel, ''), 'unknown') AS channel, count(*) AS sales,
               count(DISTINCT (source, order_id)) AS orders, round(sum({usd("gross")}), 2) AS gross_usd
        FROM conv GROUP BY 1, 2 ORDER BY gross_usd DESC NULLS LAST, 1, 2
    """
    return _df(region, sql, _params(region, creator_id, period))


def by_currency(actor: Actor, creator_id: str, period: Period) -> Any:
    """Amounts as sold, per currency, beside their USD value: currency, sales, gross, fees,
    net, refunded (exact, in the currency) and gross_usd, net_usd, unconverted."""
    region = creator_scope(actor, creator_id)
    sql = CONVERTED_SALES.format(where=_CREATOR_WHERE) + f"""
        -- fees in another currency than the sale are not summed into this currency's fees, and
        -- its net is shown only when every sale has one (else it would look smaller than it is)
        SELECT currency, count(*) AS sales, sum(gross) AS gross,
               sum(fees) FILTER (WHERE fee_currency IS NULL) AS fees,
               CASE WHEN count(net) = count(*) THEN sum(net) END AS net,
               sum(refunded) AS refunded, round(sum({usd("gross")}), 2) AS gross_usd,
               round(sum({usd("net")}), 2) AS net_usd,
               count(*) FILTER (WHERE rate IS NULL) AS unconverted
        FROM conv GROUP BY currency ORDER BY currency
    """
    return _df(region, sql, _params(region, creator_id, period))


def sales_rows(actor: Actor, creator_id: str, period: Period, limit: int = MAX_ROWS) -> Any:
    """The creator's sale lines in the period, oldest first, for download: local sale time,
    source, order, product, quantity, amounts as sold, the USD rate used and gross in USD."""
    region = creator_scope(actor, creator_id)
    sql = CONVERTED_SALES.format(where=_CREATOR_WHERE) + f"""
        SELECT timezone($tz, sold_at) AS sold_at, source, order_id, line, product, quantity, currency,
               gross, fees, net, refunded, rate AS usd_rate, round({usd("gross")}, 2) AS gross_usd,
               buyer_country, channel, upload_id
        FROM conv ORDER BY sold_at, source, order_id, line LIMIT $limit
    """
    limit = max(1, min(int(limit), MAX_ROWS))
    return _df(region, sql, _params(region, creator_id, period) | {"limit": limit})


def uploads(actor: Actor, creator_id: str, limit: int = 200) -> Any:
    """The creator's uploads, newest first, with row accounting and local times."""
    region = creator_scope(actor, creator_id)
    sql = """
        SELECT upload_id, file_name, timezone($tz, received_at) AS received_at,
               timezone($tz, loaded_at) AS loaded_at, profile, source, status, rows_total, rows_loaded,
               rows_flagged, rows_skipped, rows_known, message
        FROM uploads WHERE creator_id = $cid ORDER BY received_at DESC LIMIT $limit
    """
    params = {"tz": time_zone(region), "cid": creator_id, "limit": max(1, int(limit))}
    return _df(region, sql, params)


def waiting_uploads(actor: Actor, creator_id: str) -> list[dict[str, Any]]:
    """The creator's uploads kept centrally because their region's host could not be reached
    (``warehouse/outbox.py``), oldest first: file name, when it was received (local time) and
    its size. They load by themselves once the region is back; asked without the region."""
    from zoneinfo import ZoneInfo

    from ..outbox import waiting

    region = creator_scope(actor, creator_id)
    zone = ZoneInfo(time_zone(region))
    return [{"file_name": w.file_name, "received_at": w.received_at.astimezone(zone), "size_bytes": w.size}
            for w in waiting(creator_id=creator_id, region=region)]


def flagged(actor: Actor, creator_id: str, status: str | None = None, limit: int = 1000) -> Any:
    """The creator's flagged rows and what became of them (pending, approved or rejected),
    newest first: file, row, reasons, status, reviewer's note, decision time, raw values."""
    region = creator_scope(actor, creator_id)
    where = "f.creator_id = $cid" + (" AND f.status = $status" if status else "")
    sql = f"""
        SELECT f.flag_id, u.file_name, f.row_number, array_to_string(f.reasons, '; ') AS reasons,
               f.status, f.note, timezone($tz, f.reviewed_at) AS reviewed_at,
               timezone($tz, f.created_at) AS flagged_at, CAST(f.raw AS VARCHAR) AS raw
        FROM flagged_rows f LEFT JOIN uploads u USING (upload_id)
        WHERE {where} ORDER BY f.created_at DESC, f.upload_id, f.row_number LIMIT $limit
    """
    params: dict[str, Any] = {"tz": time_zone(region), "cid": creator_id, "limit": max(1, int(limit))}
    if status:
        params["status"] = status
    df = _df(region, sql, params)
    if "raw" in df.columns:
        df["raw"] = df["raw"].map(readable_values)
    return df


def readable_values(raw: str | None, limit: int = 400) -> str:
    """A row's values as the file had them, for people: "Name: #1053 · Financial Status: paid · …"
    (the file's own column names, blank cells left out), not JSON."""
    if not raw:
        return ""
    try:
        values = json.loads(raw)
    except ValueError:
        return str(raw)[:limit]
    if not isinstance(values, dict):
        return str(values)[:limit]
    text = " · ".join(f"{k}: {v}" for k, v in values.items() if v not in (None, ""))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def flagged_summary(actor: Actor, creator_id: str) -> dict[str, int]:
    """How many of the creator's flagged rows are pending, approved and rejected."""
    region = creator_scope(actor, creator_id)
    rows = run(warehouse(region), lambda d: d.rows(
        "SELECT status, count(*) FROM flagged_rows WHERE creator_id = ? GROUP BY status", [creator_id]
    ))
    out = {"pending": 0, "approved": 0, "rejected": 0}
    for s, n in rows:  # rows asked of the creator or answered still await a reviewer's decision
        key = "pending" if s in ("asked", "answered") else str(s)
        out[key] = out.get(key, 0) + int(n)
    return out


def upload_targets(actor: Actor) -> list[dict[str, str]]:
    """Creators ``actor`` may upload for — themself for a creator, the creators of a
    reviewer's regions, everyone for an admin — as ``creator_id, name, region``, by name.
    Creators of a region that cannot be reached are left out."""
    require_uploader(actor)
    directory = all_creators()
    by_region: dict[str, list[str]] = {}
    for cid, region in directory:
        if can_upload_for(actor, str(cid), str(region)):
            by_region.setdefault(str(region), []).append(str(cid))
    out: list[dict[str, str]] = []
    for region, ids in by_region.items():
        try:
            names = dict(warehouse(region).rows(
                "SELECT creator_id, name FROM creators WHERE creator_id IN (SELECT unnest(CAST(? AS VARCHAR[])))",
                [ids],
            ))
        except (RegionUnavailable, WarehouseBusy):
            continue
        out += [{"creator_id": cid, "name": str(names.get(cid, cid)), "region": region} for cid in ids]
    return sorted(out, key=lambda t: (t["name"].lower(), t["creator_id"]))
