"""Rollups of a region's sales for the managers' page (table ``rollup_sales_daily``, migration
``region_004_rollups.sql``).

``refresh_rollups(region)`` re-aggregates exactly the uploads whose number of sales differs
from what the rollup holds — new loads, rows approved from review, purges — in one
transaction, so the rollup always equals an aggregate of some committed state of ``sales``.
A load that commits while a refresh runs is picked up by the next refresh. The ingest pipeline
calls it after each load; the metrics read calls it too when the totals disagree.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import UTC, datetime

from ..db import owner_client, warehouse
from .common import time_zone

_LOCKS: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
_GUARD = threading.Lock()


def _lock(region: str) -> threading.Lock:
    with _GUARD:
        return _LOCKS[region]


def refresh_rollups(region: str, full: bool = False) -> int:
    """Bring the region's rollups in step with its sales; returns how many uploads were
    re-aggregated. ``full=True`` rebuilds everything (after a time-zone change, say).

    Exposes nothing (it writes aggregates only), so it takes no actor; it is safe to call at
    any time and from several threads (one refresh per region runs at a time).
    """
    owner = owner_client(region)
    if owner is not None and owner.address.local:  # the lock below holds in the owner, where they run
        return int(owner.job("refresh_rollups", region, full))
    tz = time_zone(region)
    with _lock(region), warehouse(region).transaction() as cur:
        if full:
            cur.execute("DELETE FROM rollup_sales_daily")
            cur.execute("DELETE FROM rollup_uploads")
        changed = cur.execute(
            "WITH counts AS (SELECT upload_id, count(*) AS n FROM sales GROUP BY upload_id)"
            " SELECT coalesce(c.upload_id, r.upload_id) AS upload_id, coalesce(c.n, 0) AS n"
            " FROM counts c FULL OUTER JOIN rollup_uploads r ON r.upload_id = c.upload_id"
            " WHERE coalesce(c.n, 0) <> coalesce(r.sales, -1)"
        ).fetchall()
        if not changed:
            return 0
        ids = [str(u) for u, _ in changed]
        counts = [int(n) for _, n in changed]
        cur.execute(
            "DELETE FROM rollup_sales_daily WHERE upload_id IN (SELECT unnest(CAST($ids AS VARCHAR[])))",
            {"ids": ids},
        )
        cur.execute(
            "DELETE FROM rollup_uploads WHERE upload_id IN (SELECT unnest(CAST($ids AS VARCHAR[])))",
            {"ids": ids},
        )
        cur.execute(
            "INSERT INTO rollup_sales_daily"
            " SELECT upload_id, creator_id, CAST(timezone($tz, sold_at) AS DATE) AS day, source, currency,"
            "  count(*), coalesce(sum(quantity), 0),"
            "  sum(gross), sum(fees), sum(net), sum(refunded)"
            " FROM sales WHERE upload_id IN (SELECT unnest(CAST($ids AS VARCHAR[])))"
            " GROUP BY upload_id, creator_id, day, source, currency",
            {"tz": tz, "ids": ids},
        )
        cur.execute(
            "INSERT INTO rollup_uploads (upload_id, sales, refreshed_at)"
            " SELECT u, n, $now FROM (SELECT unnest(CAST($ids AS VARCHAR[])) AS u,"
            " unnest(CAST($n AS BIGINT[])) AS n) WHERE n > 0",
            {"ids": ids, "n": counts, "now": datetime.now(UTC)},
        )
    return len(ids)


def rollups_current(region: str) -> bool:
    """True when the rollup holds as many sales as the sales table (a cheap check)."""
    row = warehouse(region).one(
        "SELECT (SELECT count(*) FROM sales) = (SELECT coalesce(sum(sales), 0) FROM rollup_uploads)"
    )
    return bool(row and row[0])
