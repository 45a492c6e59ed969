"""The managers' Regions page with Streamlit's AppTest, fed by real ingests in two regions."""

from __future__ import annotations

from datetime import date

import pytest
from sales_support import OP, creator, markdown_sources, page, shown_text

from warehouse import fx
from warehouse.access import Actor
from warehouse.db import close_all, region_path
from warehouse.ingest import ingest_file
from warehouse.queries.metrics import latest_today
from warehouse.regions import get_region, region_codes

MANAGER = Actor("boss@x", "manager")
ADMIN = Actor("root@x", "admin")


def export(product: str, order: str, amount: str, currency: str, day: str = "2025-02-03") -> bytes:
    return ("order_id,date,product,quantity,amount,currency,buyer_country\n"
            f"{order},{day},{product},1,{amount},{currency},NG\n"
            f"{order}-bad,{day},{product},1,-1.00,{currency},NG\n").encode()


@pytest.fixture
def programme():
    """A creator in West and East Africa with one load each (one flagged row each) and rates."""
    creator("ng-ada", "NG", name="Ada")
    creator("ke-wanjiru", "KE", name="Wanjiru")
    for code in ("west-africa", "east-africa"):
        fx.seed_demo_rates(code, date(2024, 12, 1), date(2025, 12, 31))
    ingest_file(OP, "ng-ada", "ada.csv", export("<img src=x onerror=alert(1)>", "A1", "1000.00", "NGN"))
    ingest_file(OP, "ke-wanjiru", "w.csv", export("buyer@example.com", "W1", "1000.00", "KES"))


def summary(at):
    [table] = [d.value for d in at.dataframe if "Region" in d.value.columns and "GMV (USD)" in d.value.columns]
    return table.set_index("Region")


def open_regions(actor=MANAGER, start=date(2025, 1, 1), end=None):
    """The page over ``start``..``end`` (default: the latest local today of the regions, so
    today's uploads count in every region, whichever date its clock shows)."""
    at = page("pages/regions.py", actor).run()
    at.date_input[0].set_value((start, end or latest_today(region_codes()))).run()
    return at


def test_a_manager_sees_every_region_per_period_with_charts_and_exports(programme):
    at = open_regions()
    assert not at.exception and not at.warning
    table = summary(at)
    assert list(table.index) == ["West Africa", "East Africa", "South Asia"]
    assert table.loc["West Africa", "GMV (USD)"] == "$0.65"  # 1,000 NGN at 0.00065
    assert table.loc["East Africa", "GMV (USD)"] == "$7.75"  # 1,000 KES at 0.00775
    assert table.loc["West Africa", "Active creators"] == 1 and table.loc["South Asia", "Sales"] == 0
    assert table.loc["West Africa", "Pass rate (%)"] == 50.0
    assert table.loc["East Africa", "Awaiting review now"] == 1
    assert len(at.get("plotly_chart")) >= 8
    assert [b.label for b in at.get("download_button")] == [
        "Board report (PDF)", "Summary (CSV)", "Per week (CSV)", "Pass rate per check (CSV)",
        "Pass rate per source (CSV)"]
    assert "Gross merchandise value" in shown_text(at)


def test_no_buyer_or_product_text_reaches_the_page(programme):
    at = open_regions()
    everything = shown_text(at) + "".join(str(d.value.to_dict()) for d in at.dataframe)
    everything += "".join(c.proto.spec for c in at.get("plotly_chart"))
    assert "buyer@example.com" not in everything and "img src" not in everything and "ng-ada" not in everything


def test_a_region_that_is_down_gets_a_notice_and_the_others_still_show(programme):
    close_all()
    region_path(get_region("east-africa")).write_bytes(b"not a warehouse" * 64)
    at = open_regions()
    assert not at.exception
    [notice] = [w.value for w in at.warning]
    assert "East Africa is unavailable right now" in notice.replace("\\", "")
    assert list(summary(at).index) == ["West Africa", "South Asia"]
    for source in markdown_sources(at):
        assert "<" not in source.replace("\\<", "")


@pytest.mark.parametrize("actor", [Actor("a@x", "creator", creator_id="ng-ada"),
                                   Actor("r@x", "reviewer", regions=frozenset({"west-africa"}))])
def test_creators_and_reviewers_are_refused(programme, actor):
    at = page("pages/regions.py", actor).run()
    assert [e.value for e in at.error] == ["This page is not available to your account."]
    assert not at.dataframe


def test_a_new_load_shows_on_the_next_run(programme):
    at = open_regions(ADMIN)
    assert summary(at).loc["West Africa", "Sales"] == 1
    ingest_file(OP, "ng-ada", "more.csv", export("Beads", "A2", "2000.00", "NGN", "2025-03-01"))
    at.run()
    assert summary(at).loc["West Africa", "Sales"] == 2
    assert summary(at).loc["West Africa", "GMV (USD)"] == "$1.95"


def test_the_period_and_grain_can_be_chosen(programme):
    at = open_regions(start=date(2025, 3, 1), end=date(2025, 3, 31))
    assert summary(at).loc["West Africa", "Sales"] == 0
    at.segmented_control[0].set_value("week").run()
    assert not at.exception


def test_the_manager_sees_every_region_together_against_the_period_before(programme):
    at = open_regions(start=date(2025, 1, 1))
    kpis = {m.label: m for m in at.metric}
    assert kpis["GMV (USD)"].value == "$8.40"  # $0.65 + $7.75
    assert kpis["Active creators"].value == "2" and kpis["Awaiting review now"].value == "2"
    assert kpis["Pass rate (%)"].value == "50.0%"  # 2 of 4 rows, not an average of rates
    assert "All 3 regions together" in [h.value for h in at.header]
    assert "the period of the same length just before" in shown_text(at)
    table = summary(at)
    assert list(table.columns[:3]) == ["GMV (USD)", "Pass rate (%)", "Active creators"]  # a phone keeps them


def test_totals_add_counts_and_recompute_rates_from_them():
    from decimal import Decimal

    from warehouse.queries.common import Period
    from warehouse.queries.metrics import MetricsReport, RegionMetrics, previous_period, totals

    a = RegionMetrics("a", "A", "ok", summary={"gmv_usd": Decimal("1.10"), "rows_validated": 10, "rows_flagged": 1,
                                               "active_creators": 2}, backlog={"pending": 3})
    b = RegionMetrics("b", "B", "ok", summary={"gmv_usd": Decimal("2.20"), "rows_validated": 90, "rows_flagged": 9,
                                               "active_creators": 5}, backlog={"pending": 4})
    down = RegionMetrics("c", "C", "unavailable")
    period = Period(date(2025, 3, 1), date(2025, 3, 31))
    t = totals(MetricsReport(period, "month", [a, b, down]))
    assert t["regions"] == 2 and t["gmv_usd"] == Decimal("3.30") and t["active_creators"] == 7
    assert t["pass_rate"] == 0.9 and t["backlog_pending"] == 7
    assert previous_period(period) == Period(date(2025, 1, 29), date(2025, 2, 28))
