"""Real exports that other people committed to public repositories (tests/samples/real/, with
their provenance in each folder's SOURCES.md), ingested into a real warehouse with the real
suite and checked exactly against an expectation worked out by reading the file
(``<file>.expected.json``), never by running Kasuwa:

- the profile that reads it;
- every data row's fate in file order: a sale (loaded), a known non-sale (skipped with a
  reason) or a row a person must decide (flagged);
- the count and the sum of gross (and refunds) per currency of the sales;
- the first and the last sale time in UTC.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import warehouse
from warehouse.ingest import ingest_file

REAL = Path(__file__).parent / "samples" / "real"
EXPECTED = sorted(REAL.glob("*/*.expected.json"))
OP = Actor.operator()
KIND = {"loaded": "sale", "skipped": "not_sale", "flagged": "ask"}


def test_the_corpus_is_big_and_varied_enough():
    sources = {p.parent.name for p in EXPECTED}
    assert len(EXPECTED) >= 55, len(EXPECTED)
    assert len(sources) >= 13, sorted(sources)
    refused = [p for p in EXPECTED if json.loads(p.read_text(encoding="utf-8")).get("refused")]
    assert len(refused) <= 2, refused  # a file Kasuwa cannot read is the exception, each with its reason
    for folder in {p.parent for p in EXPECTED}:
        listed = (folder / "SOURCES.md").read_text(encoding="utf-8")
        for exp in folder.glob("*.expected.json"):
            assert f"## {exp.name.removesuffix('.expected.json')}" in listed, exp


def _fates(region: str, upload_id: str) -> list[tuple[int, str, str]]:
    """(row_number, fate, reason) of every row of an upload, in file order, blank rows left out."""
    return warehouse(region).rows(
        "SELECT row_number, 'loaded', '' FROM sales WHERE upload_id = $u"
        " UNION ALL SELECT row_number, 'flagged', array_to_string(reasons, '; ') FROM flagged_rows WHERE upload_id = $u"
        " UNION ALL SELECT row_number, 'skipped', reason FROM skipped_rows WHERE upload_id = $u"
        "   AND reason <> 'empty row'"
        " ORDER BY 1",
        {"u": upload_id},
    )


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@pytest.mark.parametrize("expected_path", EXPECTED, ids=lambda p: f"{p.parent.name}/{p.name[:-14]}")
def test_real_export_reads_exactly_as_worked_out_by_hand(expected_path: Path):
    exp = json.loads(expected_path.read_text(encoding="utf-8"))
    path = expected_path.with_name(expected_path.name.removesuffix(".expected.json"))
    add_creator(OP, "ng-real", "NG", "Real corpus")
    res = ingest_file(OP, "ng-real", path.name, path)
    if exp.get("refused"):  # a file a person must map (its folder's SOURCES.md says why): refused, in words
        assert "Expected to be refused" in (path.parent / "SOURCES.md").read_text(encoding="utf-8")
        assert (res.status, res.rows_loaded) == ("rejected", 0), res.message
        assert res.missing and "Kasuwa could not find" in res.message
        return
    assert res.status == "loaded", res.message
    assert res.profile == exp["profile"], res.assumptions
    fates = _fates(res.region, res.upload_id)
    got = [KIND[f] for _, f, _ in fates]
    want = [r["kind"] for r in sorted(exp.get("rows", []), key=lambda r: r["row"])]
    if len(want) == exp["data_rows"]:  # every row listed: compare row by row, with the reasons
        diffs = [(i + 1, w, g, why, exp_row["why"]) for i, (w, g, (_, _, why), exp_row)
                 in enumerate(zip(want, got, fates, sorted(exp["rows"], key=lambda r: r["row"]), strict=False))
                 if w != g]
        assert not diffs, diffs[:10]
    assert len(got) == exp["data_rows"]
    assert (got.count("sale"), got.count("not_sale"), got.count("ask")) == \
        (exp["sales"], exp["not_sales"], exp["ask"])
    wh = warehouse(res.region)
    sums = wh.rows("SELECT currency, sum(gross), sum(refunded), min(sold_at), max(sold_at) FROM sales"
                   " WHERE upload_id = ? GROUP BY currency ORDER BY currency", [res.upload_id])
    assert {c: Decimal(g) for c, g, *_ in sums} == {c: Decimal(v) for c, v in exp["gross"].items()}
    refunded = {c: r for c, _, r, *_ in sums if r}
    assert refunded == {c: Decimal(v) for c, v in (exp.get("refunded") or {}).items() if Decimal(v)}
    if exp["sales"]:
        assert min(s[3] for s in sums).astimezone(UTC) == _utc(exp["first_sale_utc"])
        assert max(s[4] for s in sums).astimezone(UTC) == _utc(exp["last_sale_utc"])
