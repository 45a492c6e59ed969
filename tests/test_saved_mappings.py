"""Saved column mappings belong to the creator who saved them (issue 8 §1) and the upload page's
mapping step works for a creator (issue 10 §4): real DuckDB files, real GX, AppTest for the page.

Before: a mapping saved on the upload page became a profile file that detected for every
creator (a wrong "gross → quantity" broke everyone's ordinary files, a header with a control
character wrote a TOML file that stopped every ingest), the name was checked after loading, a
file without a currency column could not say "all these rows are in NGN", and every attempt left
a "rejected 0 0 0" upload record."""

from __future__ import annotations

import logging
import time
from decimal import Decimal as D

import pytest
from sales_support import OP, creator, page, shown_text
from test_remote_region import remote_region  # noqa: F401  (the fixture: a region served over Quack)

from control.db import control
from warehouse.access import Actor
from warehouse.db import init_all, warehouse
from warehouse.errors import InvalidInput, PermissionDenied
from warehouse.ingest import IngestResult, ingest_file, mappings, profiles

ADA = Actor("ada@x", "creator", creator_id="ng-ada")
BOLA = Actor("bola@x", "creator", creator_id="ng-bola")
ADMIN = Actor("admin@x", "admin")


def ordinary(prefix: str) -> bytes:
    """A file generic reads without asking, with a ``quantity`` column."""
    return (
        "order_id,date,product,quantity,amount,currency,buyer_country\n"
        f"{prefix}1,2025-02-03,Pagne,2,1500.00,NGN,NG\n"
        f"{prefix}2,2025-02-04,Perles,1,12.50,USD,US\n"
        f"{prefix}3,2025-02-05,Panier,1,-5.00,NGN,NG\n"
    ).encode()


#: a layout generic cannot read: no amount it knows, no date it knows
ODD = "Ref,When,Item,quantity,Devise\n{p}1,2025-02-03,Pagne,3,NGN\n{p}2,2025-02-04,Perles,4,NGN\n"
#: headers holding control characters (BEL, ESC sequences, DEL) — a TOML basic string refuses them raw
CTRL_HEADERS = ["N\x07o", "Jour\x1b[31m", "Chose\x7f", "Prix\x1b[0m", "Devise"]


def sales_of(creator_id: str, upload_id: str | None = None) -> list[tuple]:
    q = ("SELECT order_id, product, quantity, sold_at, currency, gross, net, buyer_country FROM sales"
         " WHERE creator_id = ?" + (" AND upload_id = ?" if upload_id else "") + " ORDER BY order_id")
    return warehouse("west-africa").rows(q, [creator_id, *([upload_id] if upload_id else [])])


def outcome(res: IngestResult) -> tuple:
    """What a load did, without its ids."""
    return (res.status, res.profile, res.rows_total, res.rows_loaded, res.rows_flagged, res.rows_skipped)


def strip_prefix(rows: list[tuple]) -> list[tuple]:
    return [(r[0][1:], *r[1:]) for r in rows]


@pytest.fixture
def shop():
    for cid in ("ng-ada", "ng-bola", "ng-chidi"):
        creator(cid, "NG", name=cid)


def save_wrong_and_control_character_mappings() -> None:
    """Ada maps gross to her column named ``quantity`` (deliberately wrong), then saves columns of
    a file whose headers hold control characters."""
    first = ingest_file(ADA, "ng-ada", "odd.csv", ODD.format(p="W").encode())
    assert first.status == "rejected" and set(first.missing) >= {"gross", "sold_at"}
    wrong = mappings.ingest_upload(ADA, "ng-ada", "odd.csv", ODD.format(p="W").encode(),
                                   columns={"gross": "quantity", "sold_at": "When"}, save_as="wrong")
    assert (wrong.result.status, wrong.saved_as) == ("loaded", "wrong"), wrong.result.message
    mappings.save_mapping(ADA, "ng-ada", "controls", CTRL_HEADERS,
                          {"order_id": "N\x07o", "sold_at": "Jour\x1b[31m", "product": "Chose\x7f",
                           "gross": "Prix\x1b[0m", "currency": "Devise"})


def test_a_wrong_mapping_and_control_characters_change_nobody_elses_files(shop, caplog):
    # the baseline: the same files read before anybody saved anything (Chidi, same region)
    before_b = ingest_file(OP, "ng-chidi", "b.csv", ordinary("B"))
    before_a = ingest_file(OP, "ng-chidi", "a.csv", ordinary("A"))
    expected_b, expected_a = sales_of("ng-chidi", before_b.upload_id), sales_of("ng-chidi", before_a.upload_id)
    assert outcome(before_b) == ("loaded", "generic", 3, 2, 1, 0)

    save_wrong_and_control_character_mappings()
    with caplog.at_level(logging.WARNING):
        after_b = ingest_file(BOLA, "ng-bola", "b.csv", ordinary("B"))
        after_a = ingest_file(ADA, "ng-ada", "a.csv", ordinary("A"))  # Ada's own ordinary file too
    assert outcome(after_b) == outcome(before_b) and outcome(after_a) == outcome(before_a)
    assert sales_of("ng-bola") == expected_b
    assert sales_of("ng-ada", after_a.upload_id) == expected_a
    assert [r.levelname for r in caplog.records if r.name.startswith("kasuwa")] == []

    # nothing of Ada's is a profile for anyone, and no file was written
    assert not {"wrong", "controls"} & set(profiles.load_profiles())
    assert not list((control_dir := warehouse_data_dir()).glob("profiles/*.toml")), control_dir

    # Ada's next file of the mapped layout loads without asking, read her (wrong) way
    again = ingest_file(ADA, "ng-ada", "odd2.csv", ODD.format(p="X").encode())
    assert outcome(again) == ("loaded", "wrong", 2, 2, 0, 0), again.message
    assert "your saved columns ‘wrong’" in again.assumptions[0]
    assert [r[5] for r in sales_of("ng-ada", again.upload_id)] == [D(3), D(4)]
    # Bola's file of that layout still asks: Ada's mapping is Ada's
    bola_odd = ingest_file(BOLA, "ng-bola", "odd.csv", ODD.format(p="Y").encode())
    assert bola_odd.status == "rejected" and "gross" in bola_odd.missing

    # the control-character layout loads for Ada without asking
    ctrl = (",".join(CTRL_HEADERS) + "\nC1,2025-03-01,Kente,2500.00,NGN\n").encode()
    got = ingest_file(ADA, "ng-ada", "ctrl.csv", ctrl)
    assert got.headers == CTRL_HEADERS  # the reader keeps them, and so do the saved columns
    assert outcome(got) == ("loaded", "controls", 1, 1, 0, 0), got.message


def warehouse_data_dir():
    from warehouse.settings import settings

    return settings().data_dir


def test_a_broken_saved_mapping_is_skipped_with_a_logged_reason(shop, caplog):
    save_wrong_and_control_character_mappings()
    # rows no code path writes (a hand edit, a renamed column), written after the others
    with control().transaction() as cur:
        cur.execute("INSERT INTO saved_mappings (creator_id, name, base, layout, columns, saved_at) VALUES"
                    " ('ng-ada', 'bad-json', 'generic', '[\"Ref\"', '{}', ?),"
                    " ('ng-ada', 'Bad Name', 'generic', '[\"Ref\"]', '{\"gross\": \"Ref\"}', ?),"
                    " ('ng-ada', 'renamed', 'generic', '[\"Ref\"]', '{\"gross_amount\": \"Ref\"}', ?),"
                    " ('ng-ada', 'gone', 'no-such-profile', '[\"Ref\"]', '{\"gross\": \"Ref\"}', ?)",
                    [time.time()] * 4)
    with caplog.at_level(logging.WARNING, logger="kasuwa.mappings"):
        res = ingest_file(ADA, "ng-ada", "odd3.csv", ODD.format(p="Z").encode())
        plain = ingest_file(ADA, "ng-ada", "a.csv", ordinary("A"))
    assert outcome(res) == ("loaded", "wrong", 2, 2, 0, 0)
    assert outcome(plain) == ("loaded", "generic", 3, 2, 1, 0)
    skipped = " ".join(r.getMessage() for r in caplog.records)
    for name in ("bad-json", "Bad Name", "renamed", "gone"):
        assert f"saved mapping '{name}' of creator 'ng-ada' skipped" in skipped
    assert [m.name for m in mappings.list_mappings(ADA, "ng-ada")] == ["gone", "controls", "wrong"]


def test_a_shared_profile_file_that_does_not_parse_is_skipped_not_fatal(shop, caplog):
    shared = warehouse_data_dir() / "profiles"
    shared.mkdir()
    (shared / "broken.toml").write_text('name = "broken"\ndetect = ["Jour\x07"]\n', encoding="utf-8")
    (shared / "generic.toml").write_text('name = "generic"\ntitle = "shadow"\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="kasuwa.profiles"):
        res = ingest_file(BOLA, "ng-bola", "b.csv", ordinary("B"))
    assert outcome(res) == ("loaded", "generic", 3, 2, 1, 0)
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "broken.toml" in text and "belongs to a shipped profile" in text


def test_the_name_rule_is_checked_before_anything_is_loaded_and_a_name_is_proposed(shop):
    data = ODD.format(p="N").encode()
    for bad, says in (("Ma Boutique!", "lowercase letters"), ("generic", "is taken"), ("x", "2 to 41")):
        with pytest.raises(InvalidInput, match=says):
            mappings.ingest_upload(ADA, "ng-ada", "odd.csv", data, columns={"gross": "quantity", "sold_at": "When"},
                                   save_as=bad)
    assert warehouse("west-africa").one("SELECT count(*) FROM uploads") == (0,)
    assert warehouse("west-africa").one("SELECT count(*) FROM sales") == (0,)
    assert mappings.propose_name("ng-ada", "Ventes Février 2025.csv") == "ventes-fevrier-2025"
    assert mappings.propose_name("ng-ada", "generic.csv") == "generic-2"
    assert mappings.propose_name("ng-ada", "2025.csv") == "my-columns"
    save_wrong_and_control_character_mappings()
    with pytest.raises(InvalidInput, match="is taken; choose another, for example ‘wrong-2’"):
        mappings.check_name("ng-ada", "wrong")
    mappings.check_name("ng-bola", "wrong")  # Bola's names are Bola's


def test_a_constant_currency_reads_a_file_without_one_and_is_remembered(shop):
    layout = "Ref,Date,Item,Amount\n{p}1,2025-02-03,Pagne,1500.00\n{p}2,2025-02-04,Perles,2500.00\n"
    # the upload page asks once: the file names no currency, so Kasuwa's reading (your own) is confirmed
    first = mappings.ingest_upload(ADA, "ng-ada", "nocur.csv", layout.format(p="K").encode(), confirm=True).result
    assert (first.status, first.confirm, first.unsure, first.missing) == ("rejected", True, ["currency"], [])
    assert first.preview[0] == ["K1", "2025-02-03", "Pagne", "1500.00"]
    with pytest.raises(InvalidInput, match="not a currency code"):
        mappings.ingest_upload(ADA, "ng-ada", "nocur.csv", layout.format(p="K").encode(),
                               constants={"currency": "naira"})
    tried = mappings.ingest_upload(ADA, "ng-ada", "nocur.csv", layout.format(p="K").encode(),
                                   constants={"currency": "ngn", "buyer_country": "ng"}, save_as="naira")
    assert (tried.result.status, tried.result.rows_loaded, tried.saved_as) == ("loaded", 2, "naira")
    assert {(r[4], r[7]) for r in sales_of("ng-ada")} == {("NGN", "NG")}
    [saved] = mappings.list_mappings(ADA, "ng-ada")
    assert (saved.columns, saved.constants) == ({}, {"currency": "NGN", "buyer_country": "NG"})
    assert saved.describe() == "Currency = NGN on every row; Buyer country = NG on every row"
    nxt = ingest_file(ADA, "ng-ada", "nocur2.csv", layout.format(p="L").encode())
    assert outcome(nxt) == ("loaded", "naira", 2, 2, 0, 0)
    assert [r[4] for r in sales_of("ng-ada", nxt.upload_id)] == ["NGN", "NGN"]
    # another creator's file of the same layout is not read with Ada's mapping: through the command
    # line (nobody to ask) it loads in Bola's own currency, and the report says so
    bola = ingest_file(BOLA, "ng-bola", "nocur.csv", layout.format(p="M").encode())
    assert (bola.status, bola.profile, bola.rows_loaded) == ("loaded", "generic", 2)
    assert any("read as NGN, your own currency" in a for a in bola.assumptions)


def uploads_of(sha: str) -> list[tuple]:
    return warehouse("west-africa").rows("SELECT status, rows_total FROM uploads WHERE sha256 = ?", [sha])


def test_one_upload_record_per_file_after_three_attempts_on_the_page(shop):
    at = page("pages/upload.py", ADA).run()
    data = ODD.format(p="P").encode()
    at.file_uploader[0].upload("odd.csv", data, "text/csv").run()
    assert not at.exception
    text = shown_text(at)
    assert "--map" not in text and "gross" not in text and "sold_at" not in text
    assert "could not tell which of this file's columns hold the amount the buyer paid and the date of the sale" \
        in text
    sha = warehouse("west-africa").one("SELECT sha256 FROM uploads")[0]
    assert uploads_of(sha) == [("rejected", 0)]

    # attempt 2: only the date given -> refused again, still one record
    next(s for s in at.selectbox if s.label == "Sold at").set_value("When")
    at.text_input(key=next(t.key for t in at.text_input if t.label == "Name for these columns")).input("odd-shop")
    next(b for b in at.button if b.label == "Load with these columns").click().run()
    assert not at.exception
    assert uploads_of(sha) == [("rejected", 0)]
    assert "could not tell which of this file's columns hold the amount the buyer paid" in shown_text(at)

    # attempt 3: the amount too -> loaded, one record, remembered
    next(s for s in at.selectbox if s.label == "Amount").set_value("quantity")
    next(b for b in at.button if b.label == "Load with these columns").click().run()
    assert not at.exception
    assert uploads_of(sha) == [("loaded", 2)]
    assert "Saved as profile **odd-shop**" in shown_text(at)

    # the next file of this layout loads without asking
    at2 = page("pages/upload.py", ADA).run()
    at2.file_uploader[0].upload("odd-march.csv", ODD.format(p="Q").encode(), "text/csv").run()
    assert not at2.exception
    assert "Loaded with the **odd-shop** profile" in shown_text(at2)
    assert not [b for b in at2.button if b.label == "Load with these columns"]


def test_the_page_offers_one_currency_for_every_row(shop):
    at = page("pages/upload.py", ADA).run()
    at.file_uploader[0].upload("nocur.csv", b"Ref,Date,Item,Amount\nK1,2025-02-03,Pagne,1500.00\n", "text/csv").run()
    # the file names no currency: Kasuwa proposes the creator's own, marked for checking, over the first rows
    currency = next(s for s in at.selectbox if s.label == "Currency (check)")
    assert "All these rows are in NGN" in currency.options and "--map" not in shown_text(at)
    assert str(currency.value) == "All these rows are in NGN"
    assert "Kasuwa read this file by what its columns mean" in shown_text(at)
    currency.set_value(next(o for o in currency.proto.options if o == "All these rows are in NGN"))
    at.checkbox[0].uncheck()
    next(b for b in at.button if b.label == "Load with these columns").click().run()
    assert not at.exception, at.exception
    assert [r[4] for r in sales_of("ng-ada")] == ["NGN"]
    assert mappings.list_mappings(ADA, "ng-ada") == []  # not remembered: the box was unticked


def test_one_upload_record_per_file_on_a_region_served_over_quack(remote_region):  # noqa: F811
    assert init_all()["west-africa"] == "ok"
    creator("ng-remote", "NG")
    data = ODD.format(p="R").encode()
    first = mappings.ingest_upload(OP, "ng-remote", "odd.csv", data)
    second = mappings.ingest_upload(OP, "ng-remote", "odd.csv", data, columns={"sold_at": "When"})
    assert first.result.status == second.result.status == "rejected"
    assert uploads_of(first.result.sha256) == [("rejected", 0)]
    third = mappings.ingest_upload(OP, "ng-remote", "odd.csv", data, columns={"sold_at": "When", "gross": "quantity"})
    assert third.result.status == "loaded"
    assert uploads_of(first.result.sha256) == [("loaded", 2)]


def test_an_admin_shares_a_mapping_as_a_profile_for_everyone(shop):
    save_wrong_and_control_character_mappings()
    with pytest.raises(PermissionDenied):
        mappings.promote_mapping(ADA, "ng-ada", "wrong", "odd-layout")
    with pytest.raises(PermissionDenied):
        mappings.list_mappings(ADA)
    path = mappings.promote_mapping(ADMIN, "ng-ada", "controls", "ctrl-layout", "Layout with odd headers")
    assert path.name == "ctrl-layout.toml"
    shared = profiles.load_profiles()["ctrl-layout"]  # the escaped control characters read back
    assert shared.columns["gross"] == ("Prix\x1b[0m",) and shared.detect[0] == ("N\x07o",)
    assert shared.columns["quantity"] == profiles.get_profile("generic").columns["quantity"]  # the rest: generic
    with pytest.raises(InvalidInput, match="exists already"):
        mappings.promote_mapping(ADMIN, "ng-ada", "wrong", "ctrl-layout")
    mappings.promote_mapping(ADMIN, "ng-ada", "wrong", "odd-layout")
    res = ingest_file(BOLA, "ng-bola", "odd.csv", ODD.format(p="S").encode())  # now Bola's too
    assert (res.status, res.profile) == ("loaded", "odd-layout")
    assert {m.name: m.shared_as for m in mappings.list_mappings(ADMIN)} == {"controls": "ctrl-layout",
                                                                           "wrong": "odd-layout"}
    plain = ingest_file(BOLA, "ng-bola", "b.csv", ordinary("B"))  # shared needs most of its layout
    assert outcome(plain) == ("loaded", "generic", 3, 2, 1, 0)


def test_the_admin_page_shares_saved_columns(shop):
    save_wrong_and_control_character_mappings()
    at = page("pages/admin.py", ADMIN).run()
    assert not at.exception
    table = next(d for d in at.dataframe if "What it says" in d.value.columns).value
    assert set(table["Name"]) == {"wrong", "controls"}
    assert "Amount = column ‘quantity’" in table.loc[table["Name"] == "wrong", "What it says"].iloc[0]
    at.selectbox(key="adm_share_which").set_value(("ng-ada", "wrong"))
    at.text_input(key="adm_share_name").input("odd-layout")
    next(b for b in at.button if b.label == "Share as a profile").click().run()
    assert not at.exception
    assert "Shared as profile odd-layout" in shown_text(at)
    assert "odd-layout" in profiles.load_profiles()


def test_a_constant_number_of_units_for_a_file_without_quantities(shop):
    layout = "Ref,Date,Item,Amount\n{p}1,2025-02-03,Pagne,1500.00\n{p}2,2025-02-04,Perles,2500.00\n"
    with pytest.raises(InvalidInput, match="not a number of units"):
        mappings.ingest_upload(ADA, "ng-ada", "units.csv", layout.format(p="Q").encode(),
                               constants={"currency": "NGN", "quantity": "0"})
    tried = mappings.ingest_upload(ADA, "ng-ada", "units.csv", layout.format(p="Q").encode(),
                                   constants={"currency": "NGN", "quantity": "3"})
    assert (tried.result.status, tried.result.rows_loaded) == ("loaded", 2)
    units = warehouse("west-africa").rows("SELECT quantity FROM sales WHERE upload_id = ?", [tried.result.upload_id])
    assert units == [(3,), (3,)]


def test_the_default_setup_with_one_data_folder_reads_every_shipped_profile(monkeypatch):
    # ./scripts/demo runs with KASUWA_DATA_DIR unset: data/ holds both the shipped profiles and
    # the shared ones, and every file there counts as shipped (read-only here)
    from warehouse.settings import PROJECT_ROOT

    monkeypatch.setenv("KASUWA_DATA_DIR", str(PROJECT_ROOT / "data"))
    monkeypatch.setenv("KASUWA_CONFIG_DIR", str(PROJECT_ROOT / "data"))
    known = profiles.load_profiles()
    assert {"generic", "paypal", "stripe", "shopify", "mpesa", "lemonsqueezy-api"} <= set(known)
