"""The managers' board report and downloads, on real warehouses: the date range holds every
region's own today (a clock we set, at which Karachi is already on tomorrow's date), the PDF
says what the regions page shows, CSV files have headers people read and rounded values, and
partial periods are marked as such."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import streamlit.testing.v1.app_test as app_test_module
from sales_support import creator, flag, page, rate, sale, shown_text, upload
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from app import colours
from app.export import to_csv_bytes
from warehouse import report as board
from warehouse.access import Actor
from warehouse.queries import Period, metrics

MANAGER = Actor("boss@x", "manager")
CODES = ["west-africa", "east-africa", "south-asia"]
SA, WA = "south-asia", "west-africa"
#: today (UTC) at 19:30: in Karachi (UTC+5) it is already 00:30 tomorrow
NOW = datetime.combine(datetime.now(UTC).date(), datetime.min.time(), tzinfo=UTC) + timedelta(hours=19, minutes=30)
TODAY_UTC = NOW.date()
TOMORROW = TODAY_UTC + timedelta(days=1)
RULE = "expect_column_values_to_be_between:gross_minor"


@pytest.fixture
def clock(monkeypatch):
    """The metrics' clock set to NOW (every other part of the app runs as usual)."""
    monkeypatch.setattr(metrics, "utc_now", lambda: NOW)
    return NOW


@pytest.fixture
def evening():
    """The demo built at 19:30 UTC: a file each in West Africa (20:10 local, today) and South
    Asia (00:10 local, already tomorrow), each with flagged rows awaiting review."""
    creator("ng-ada", "NG", joined_at=NOW - timedelta(days=40), name="Ada")
    creator("pk-sana", "PK", joined_at=NOW - timedelta(days=40), name="Sana")
    for code, cur in ((WA, "NGN"), (SA, "PKR")):
        rate(code, TODAY_UTC - timedelta(days=60), cur, "0.004" if cur == "PKR" else "0.00065")
    received = NOW - timedelta(minutes=20)
    upload(WA, "wa-1", "ng-ada", received, received + timedelta(seconds=2.25), total=4, loaded=3, flagged=1)
    sale(WA, "ng-ada", 1, received - timedelta(days=3), "1000.00", "NGN", upload_id="wa-1")
    flag(WA, "wa-1", "ng-ada", 4, [RULE], created_at=received)
    upload(SA, "sa-1", "pk-sana", received, received + timedelta(seconds=1.44), total=10, loaded=2, flagged=8)
    sale(SA, "pk-sana", 1, received - timedelta(days=3), "5000.00", "PKR", upload_id="sa-1")
    for row in range(3, 11):
        flag(SA, "sa-1", "pk-sana", row, [RULE], created_at=received)


def region(report, code):
    return next(r for r in report.regions if r.region == code)


# --- the date range ------------------------------------------------------------------------------


def test_the_default_range_ends_on_the_latest_local_today_of_the_regions(clock):
    assert metrics.region_today(WA, NOW) == TODAY_UTC and metrics.region_today(SA, NOW) == TOMORROW
    assert metrics.latest_today(CODES) == TOMORROW
    assert metrics.latest_today([WA]) == TODAY_UTC
    assert metrics.default_period(CODES, 182) == Period(TOMORROW - timedelta(days=181), TOMORROW)


def test_south_asias_last_hours_count_though_its_date_is_already_tomorrow(evening):
    utc_day = Period(TODAY_UTC - timedelta(days=6), TODAY_UTC)  # the old default: up to the server's date
    old = region(metrics.region_metrics(MANAGER, utc_day, "day", now=NOW), SA).summary
    assert old["rows_flagged"] == 0 and board.rounded(old["latency_p50_s"], "seconds") is None
    assert board.rounded(old["pass_rate"], "rate") is None

    report = metrics.region_metrics(MANAGER, metrics.default_period(CODES, 7, NOW), "day", now=NOW)
    south, west = region(report, SA), region(report, WA)
    assert south.summary["rows_flagged"] == 8 and south.backlog["pending"] == 8
    assert south.summary["pass_rate"] == pytest.approx(0.2)
    assert south.summary["latency_p50_s"] == pytest.approx(1.44)
    assert west.summary["rows_flagged"] == 1 and west.summary["latency_p50_s"] == pytest.approx(2.25)
    # each region read up to its own today and no further; today is "so far"
    assert (west.through, south.through) == (TODAY_UTC, TOMORROW)
    assert list(west.series["period"])[-1] == TODAY_UTC and list(south.series["period"])[-1] == TOMORROW
    assert list(west.series["partial"])[-2:] == [False, True]
    assert list(south.series["partial"])[-2:] == [False, True]


def test_the_regions_page_shows_south_asias_figures_by_default(evening, clock):
    at = page("pages/regions.py", MANAGER).run()
    assert not at.exception and not at.error
    assert at.date_input[0].value[-1] == TOMORROW
    table = summary(at)
    assert table.loc["South Asia", "Flagged rows"] == 8 and table.loc["South Asia", "Awaiting review now"] == 8
    assert table.loc["South Asia", "Pass rate (%)"] == 20.0
    assert table.loc["South Asia", "Latency p50 (s)"] == 1.4
    assert table.loc["West Africa", "Latency p50 (s)"] == 2.3  # 2.25 s, half up to one decimal


def test_a_week_still_running_is_marked_so_far_and_not_drawn_as_a_fall(evening, clock):
    report = metrics.region_metrics(MANAGER, metrics.default_period(CODES, 60, NOW), "week", now=NOW)
    per = board.series_table(report)
    last = per.groupby("Region").tail(1)
    assert set(last["Complete"]) == {"so far"}
    assert set(per.groupby("Region").nth(1)["Complete"]) == {"yes"}
    at = page("pages/regions.py", MANAGER).run()
    at.date_input[0].set_value(((NOW - timedelta(days=59)).date(), TOMORROW)).run()
    at.segmented_control[0].set_value("week").run()
    [fig] = [c for c in at.get("plotly_chart") if "Active creators" in c.proto.spec]
    spec = fig.proto.spec
    assert "so far" in spec and '"dash":"dot"' in spec.replace(" ", "")
    for name in ("West Africa", "South Asia"):  # the solid line stops before the partial week
        line = next(t for t in _traces(spec) if t.get("name") == name)
        assert line["y"][-1] is None and line["line"]["color"] == colours.region_colour(
            {"West Africa": WA, "South Asia": SA}[name])


def _traces(spec: str) -> list[dict]:
    import json

    return json.loads(spec)["data"]


# --- the PDF -----------------------------------------------------------------------------------


def summary(at):
    [table] = [d.value for d in at.dataframe if "Region" in d.value.columns and "GMV (USD)" in d.value.columns]
    return table.set_index("Region")


def pdf_text(data: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (apt-get install poppler-utils) is needed to read the PDF's text")
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_the_pdf_holds_the_figures_the_page_shows_for_the_same_range(evening, clock, tmp_path):
    period = Period(TODAY_UTC - timedelta(days=30), TOMORROW)
    at = page("pages/regions.py", MANAGER).run()
    at.date_input[0].set_value((period.start, period.end)).run()
    assert not at.exception
    shown = summary(at)
    assert next(b.label for b in at.get("download_button")) == "Board report (PDF)"

    report = metrics.region_metrics(MANAGER, period, str(at.segmented_control[0].value))
    data = board.board_report_pdf(report, colours.colours_for(CODES))
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    lines: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip():
            first, *rest = re.split(r"\s{2,}", line.strip())
            lines.setdefault(first, rest)  # the table comes before the definitions
    assert lines["Figure"] == list(shown.index) == ["West Africa", "East Africa", "South Asia"]
    for f in board.SUMMARY:
        expected = [v if f.kind == "usd" else board.text(v, f.kind) for v in shown[f.header]]
        # pdftotext sometimes reads "0 h" as "0h": compare without spaces
        assert [c.replace(" ", "") for c in lines[f.header]] == [e.replace(" ", "") for e in expected if e], f.header
    assert lines["Pass rate (%)"] == ["75.0%", "20.0%"] and lines["GMV (USD)"][0] == "$0.65"
    flat = " ".join(text.split())
    for _title, sentence in board.DEFINITIONS:  # every figure explained, on the page and in the PDF
        assert " ".join(sentence.split()) in flat
        assert sentence in shown_text(at)
    assert "8 flagged rows await review" in flat and f"Dates: {board.period_words(period)}" in flat
    assert "expect_column" not in flat and "gross_minor" not in flat
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", flat)  # no ISO day anywhere


def test_the_pdf_charts_are_drawn_in_each_regions_colour(evening, tmp_path):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (apt-get install poppler-utils) is needed to look at the PDF")
    from PIL import Image

    report = metrics.region_metrics(MANAGER, metrics.default_period(CODES, 30, NOW), "day", now=NOW)
    (tmp_path / "r.pdf").write_bytes(board.board_report_pdf(report, colours.colours_for(CODES)))
    subprocess.run(["pdftoppm", "-r", "60", "-f", "2", "-l", "2", "-png", str(tmp_path / "r.pdf"),
                    str(tmp_path / "p")], check=True)
    [png] = list(tmp_path.glob("p*.png"))
    pixels = set(Image.open(png).convert("RGB").getdata())
    for code in CODES:
        hexc = colours.region_colour(code).lstrip("#")
        assert tuple(int(hexc[i:i + 2], 16) for i in (0, 2, 4)) in pixels, code


def test_every_region_has_one_colour_on_every_page():
    assert len({colours.region_colour(c) for c in CODES}) == 3
    assert colours.region_colour("central-asia") == colours.region_colour("central-asia")
    assert colours.colours_for(["south-asia", "west-africa"]) == {
        "south-asia": colours.region_colour("south-asia"), "west-africa": colours.region_colour("west-africa")}


# --- CSV downloads -----------------------------------------------------------------------------


@pytest.fixture
def media(monkeypatch):
    """The media files each AppTest run offers for download (Streamlit's own in-memory store)."""
    stores: list[MemoryMediaFileStorage] = []

    class Recording(MemoryMediaFileStorage):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            stores.append(self)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Recording)
    return stores


def downloaded(at, stores) -> dict[str, bytes]:
    """label → bytes of every download button whose file was sent with the page."""
    out = {}
    for button in at.get("download_button"):
        url = button.proto.url
        if url:
            out[button.proto.label] = stores[-1].get_file(url.rsplit("/", 1)[-1]).content
    return out


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def readable(header: list[str]) -> bool:
    return all(h and h[0].isupper() and "_" not in h and not re.search(r"[a-z][A-Z]", h) for h in header)


def test_the_regions_csv_files_have_readable_headers_and_rounded_values(evening, clock, media):
    at = page("pages/regions.py", MANAGER).run()
    assert not at.exception
    files = downloaded(at, media)
    assert set(files) == {"Summary (CSV)", "Per week (CSV)", "Pass rate per check (CSV)", "Pass rate per source (CSV)"}
    for label, data in files.items():
        assert readable(rows(data)[0]), (label, rows(data)[0])
    head, *body = rows(files["Summary (CSV)"])
    south = dict(zip(head, next(r for r in body if r[0] == "South Asia"), strict=True))
    assert south["Pass rate (%)"] == "20.0" and south["Latency p50 (s)"] == "1.4" and south["Flagged rows"] == "8"
    assert south["GMV (USD)"] == "20.00" and south["Latency p95 (s)"] == "1.4"
    west = dict(zip(head, next(r for r in body if r[0] == "West Africa"), strict=True))
    assert west["Latency p50 (s)"] == "2.3" and west["First data ≤ 24 h (%)"] == "0.0"  # joined 40 days ago
    head, *body = rows(files["Pass rate per check (CSV)"])
    assert head == ["Region", "Check", "Rows failing", "Rows checked", "Pass rate (%)"]
    assert body and all("_" not in r[1] for r in body)
    head, *body = rows(files["Per week (CSV)"])
    assert head[:3] == ["Region", "Period", "Complete"] and {r[2] for r in body} <= {"yes", "so far"}
    for r in body:
        for h, v in zip(head, r, strict=True):
            if h.endswith("(%)") or h.endswith("(s)"):
                assert re.fullmatch(r"|\d+\.\d", v), (h, v)


def test_the_payouts_overview_offers_its_tables_as_csv(media):
    from payouts_support import scenario

    scenario()
    at = page("pages/payouts_overview.py", MANAGER).run()
    assert not at.exception and not at.error
    files = downloaded(at, media)
    assert set(files) == {"Payouts per month (CSV)", "Fees per rail (CSV)", "Waiting on a minimum (CSV)",
                          "Where creators' money is (CSV)"}
    head, *body = rows(files["Where creators' money is (CSV)"])
    assert readable(head) and {"In creators' own accounts", "Held by platforms", "Owed by the programme"} <= set(head)
    head, *body = rows(files["Payouts per month (CSV)"])
    assert readable(head) and head[:3] == ["Region", "Month", "Currency"]
    assert "Paid or scheduled (USD)" in head and {r[0] for r in body} == {"West Africa"}
    for r in body:  # NGN and USD: two decimals, as their minor unit
        assert re.fullmatch(r"\d+\.\d{2}", r[head.index("Paid or scheduled")]), r
    head, *body = rows(files["Fees per rail (CSV)"])
    assert readable(head) and {"Gumroad", "Paystack"} <= {r[head.index("Rail")] for r in body}
    head, *body = rows(files["Waiting on a minimum (CSV)"])
    assert readable(head) and body[0][head.index("Creators")] == "1"
    everything = b"".join(files.values()).decode("utf-8-sig")
    assert "Ada" not in everything and "west-africa" not in everything and "gumroad" not in everything


def test_the_summary_csv_is_the_table_the_page_shows(evening):
    report = metrics.region_metrics(MANAGER, metrics.default_period(CODES, 7, NOW), "day", now=NOW)
    table = board.summary_table(report)
    head, *body = rows(to_csv_bytes(table))
    assert head == list(table.columns) and len(body) == 3
    assert board.shown(0.87549, "rate") == "87.5%" and board.shown(0.00049, "rate") == "0.0%"
    assert board.shown(12.25, "seconds") == "12.3 s" and board.shown(None, "seconds") == ""
    assert board.shown(1234.5, "usd") == "$1,234.50" and board.shown(3.5, "hours") == "4 h"


def test_the_pdf_says_which_region_is_down_and_draws_empty_charts_in_words(tmp_path):
    from warehouse.db import close_all, region_path
    from warehouse.regions import get_region

    creator("ng-ada", "NG", name="Ada")
    close_all()
    region_path(get_region("east-africa")).write_bytes(b"not a warehouse" * 64)
    report = metrics.region_metrics(MANAGER, metrics.default_period(CODES, 30, NOW), "week", now=NOW)
    flat = " ".join(pdf_text(board.board_report_pdf(report, colours.colours_for(CODES)), tmp_path).split())
    assert "East Africa could not be read: its figures are missing." in flat
    assert "duckdb" not in flat.lower() and "Error" not in flat
    assert "Figure West Africa South Asia" in flat
    # no chart without figures: a sentence says so instead of an empty frame (the one creator's
    # joining may draw its own chart, depending on the day the week starts)
    assert "GMV in USD: zero in every period." in flat and "Active creators: zero in every period." in flat
    assert "Pipeline latency p50 (seconds): no figures in this period." in flat
    assert "No row failed a check in this period." in flat and "West Africa: no flagged row awaits review." in flat


@pytest.mark.parametrize("language", ["bn", "ur"])
def test_the_board_report_is_written_in_bengali_or_urdu_for_a_manager_who_reads_it(evening, clock, tmp_path,
                                                                                   language):
    from warehouse.i18n import use_language

    period = Period(TODAY_UTC - timedelta(days=30), TOMORROW)
    report = metrics.region_metrics(MANAGER, period, "week")
    with use_language(language):
        data = board.board_report_pdf(report, colours.colours_for(CODES))
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    letters = {"bn": range(0x0980, 0x0A00), "ur": range(0x0600, 0x0700)}[language]
    assert sum(ord(ch) in letters for ch in text) > 200  # in the manager's script, not in English
    assert "Pass rate" not in text and "expect_column" not in text


def test_the_pdf_opens_with_the_period_in_brief_and_labels_everything_in_words(evening, clock, tmp_path):
    from sales_support import flag as flag_row

    flag_row(SA, "sa-1", "pk-sana", 11, ["kind_unknown", RULE], created_at=NOW - timedelta(minutes=20))
    period = Period(TODAY_UTC - timedelta(days=30), TOMORROW)
    report = metrics.region_metrics(MANAGER, period, "week")
    previous = metrics.region_metrics(MANAGER, metrics.previous_period(period), "week")
    words = board.summary_paragraph(report, previous)
    # totals across the regions, the change against the period before, what needs attention
    assert words.startswith(f"{board.period_words(period)}, 3 regions together: GMV $20.65 from 2 sales")
    assert f"Against {board.period_words(previous.period)}: nothing to compare (no sales then)." in words
    assert "10 flagged rows await review" in words
    assert "few rows pass every check in West Africa (75.0%), South Asia (" in words
    flat = " ".join(pdf_text(board.board_report_pdf(report, colours.colours_for(CODES), previous=previous),
                             tmp_path).split())
    assert flat.index("The period in brief") < flat.index("Figures per region")
    assert "3 regions together" in flat
    # one dot per region is no chart: sentences instead ("one figure only")
    assert "Rows passing every check (%): one period with figures: West Africa 75.0%; South Asia 20.0%." in flat
    assert "Creators who joined: zero in every period." in flat
    assert "amount is negative" in flat and "expect column" not in flat
    # sources and checks in words, never their codes
    assert "own sales file" in flat and "generic" not in flat
    assert "kind_unknown" not in flat and "check on" not in flat
    assert "rows Kasuwa could not tell were sales" in board.check_words("kind_unknown")


def test_a_french_board_report_writes_its_figures_as_french_readers_do(evening, clock, tmp_path):
    from sales_support import flag as flag_row

    from warehouse.i18n import use_language

    flag_row(SA, "sa-1", "pk-sana", 11, ["kind_unknown", RULE], created_at=NOW - timedelta(minutes=20))
    report = metrics.region_metrics(MANAGER, Period(TODAY_UTC - timedelta(days=30), TOMORROW), "week")
    with use_language("fr"):
        words = board.summary_paragraph(report, None, "fr")
        flat = " ".join(pdf_text(board.board_report_pdf(report, colours.colours_for(CODES)), tmp_path).split())
    # decimal commas, the currency after the amount, a space before the percent sign
    assert "20,65" in words and "$US" in words and "$20.65" not in words
    assert "75,0" in words and "75.0%" not in words
    assert "20,65" in flat and "$20.65" not in flat and "75.0%" not in flat


def test_a_chart_speaks_only_with_two_figures_not_all_zero():
    assert board.has_story([1.0, 2.0]) and board.has_story([None, 0.0, 3.0])
    assert not board.has_story([5.0]) and not board.has_story([0.0, 0.0, None]) and not board.has_story([])
