"""The locale is the country's, not the region's: which locale a user gets (``locale_for``), and
money, numbers and dates written in it — XOF without decimals in French grouping, BDT with lakh
grouping in Bengali digits, PKR, NGN, KES — down to a Senegalese creator's sales page and her
payout statement."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from shutil import which

import pytest
from sales_support import OP, creator, page

from app.format import age, date_input_format, day, locale_for, moment, money, number, page_locale, percent
from warehouse import fx, locales
from warehouse.access import Actor
from warehouse.ingest import ingest_file
from warehouse.locales import DEFAULT_LANGUAGES, default_language, native_digits, numbering_system, user_locale
from warehouse.regions import get_region

NNBSP, NBSP = "\u202f", "\u00a0"


# --- which locale -------------------------------------------------------------------------------


@pytest.mark.parametrize(("country", "region_locale", "expected"), [
    ("SN", "en_NG", "fr_SN"), ("CI", "en_NG", "fr_CI"), ("BD", "en_PK", "bn_BD"), ("PK", "en_PK", "ur_PK"),
    ("NG", "en_NG", "en_NG"), ("KE", "en_KE", "en_KE"), ("GH", "en_NG", "en_GH"), ("UG", "en_KE", "en_UG"),
])
def test_a_creators_locale_comes_from_the_country_not_the_region(country, region_locale, expected):
    assert locale_for(None, country, region_locale) == expected


def test_the_language_chosen_later_plugs_in_and_odd_pairs_never_fail():
    assert default_language("sn") == "fr" and default_language("BD") == "bn" and default_language("PK") == "ur"
    assert default_language("NG") == "en" and default_language(None) == "en"
    assert set(DEFAULT_LANGUAGES) == {"SN", "CI", "BD", "PK"}
    assert locale_for("en", "PK", "en_PK") == "en_PK"  # English one click away in Pakistan
    assert locale_for("en", "SN", "en_NG") == "en_NG"  # CLDR has no en_SN: the region's, in English
    assert locale_for("fr-FR", "SN", "en_NG") == "fr_SN"  # an Accept-Language tag reduced to its language
    assert locale_for("fr", "NG", "en_NG") == "fr"  # CLDR has no fr_NG: the language alone
    assert locale_for("en", "ML", "en_NG") == "en_NG"  # no en_ML: the region's, which is English
    assert locale_for(None, None, "en_PK") == "en_PK"  # reviewers, managers, admins: the region's
    assert locale_for("bn", None, "en_PK") == "bn"
    assert locale_for("xx", "ZZ", "not a locale") == "en"


def test_a_signed_in_creator_gets_her_country_and_everyone_else_the_region():
    creator("sn-awa", "SN", name="Awa")
    creator("bd-rina", "BD", name="Rina")
    creator("ng-ada", "NG", name="Ada")
    awa = Actor("awa@x", "creator", creator_id="sn-awa")
    assert page_locale(awa, "west-africa") == "fr_SN"
    assert page_locale(Actor("rina@x", "creator", creator_id="bd-rina"), "south-asia") == "bn_BD"
    assert page_locale(Actor("ada@x", "creator", creator_id="ng-ada"), "west-africa") == "en_NG"
    reviewer = Actor("r@x", "reviewer", regions=frozenset({"west-africa"}))
    assert page_locale(reviewer, "west-africa") == "en_NG"  # uploading on Awa's behalf: the region's
    assert page_locale(Actor("m@x", "manager"), "south-asia") == "en_PK"
    assert user_locale("nobody", get_region("west-africa").locale) == "en_NG"  # unknown creator: region's


# --- money, numbers, dates per locale ---------------------------------------------------------


def test_xof_has_no_decimals_and_french_grouping_with_narrow_no_break_spaces():
    assert money(Decimal("1250000"), "XOF", "fr_SN") == f"1{NNBSP}250{NNBSP}000{NBSP}F{NNBSP}CFA"
    assert money(Decimal("1323500"), "XOF", "fr_CI") == f"1{NNBSP}323{NNBSP}500{NBSP}F{NNBSP}CFA"
    assert money(Decimal("-4500"), "XOF", "fr_SN") == f"-4{NNBSP}500{NBSP}F{NNBSP}CFA"
    assert money(Decimal("13.48"), "USD", "fr_SN") == f"13,48{NBSP}$US"
    # the region's locale, as before: the symbol glued in front, English grouping
    assert money(Decimal("1323500"), "XOF", "en_NG") == f"F{NNBSP}CFA1,323,500"


def test_bdt_is_written_with_lakh_grouping_and_bengali_digits():
    assert numbering_system("bn_BD") == "beng"
    assert money(Decimal("1234567.5"), "BDT", "bn_BD") == "১২,৩৪,৫৬৭.৫০৳"
    assert locales.money(Decimal("1234567.5"), "BDT", "bn_BD", latin_digits=True) == "12,34,567.50৳"
    assert number(1234567, "bn_BD") == "১২,৩৪,৫৬৭"
    assert number(Decimal("2.5"), "bn_BD", decimals=2) == "২.৫০"
    assert percent(Decimal("0.875"), "bn_BD") == "৮৭.৫%"
    assert native_digits("2025-02-03", "bn_BD") == "২০২৫-০২-০৩"


def test_pkr_ngn_and_kes_in_their_countries_locales():
    assert numbering_system("ur_PK") == "latn"  # CLDR: Urdu in Pakistan writes 0-9 (arabext is only "native")
    assert money(Decimal("1234567.5"), "PKR", "ur_PK") == "Rs1,234,567.50"
    assert money(Decimal("1234567.5"), "PKR", "en_PK") == "Rs1,234,567.50"
    assert money(Decimal("1234567.5"), "NGN", "en_NG") == "₦1,234,567.50"
    assert money(Decimal("1234567.5"), "KES", "en_KE") == "Ksh1,234,567.50"
    assert money(Decimal("1234567.5"), "GHS", "en_GH") == "GH₵1,234,567.50"
    assert number(1234567, "fr_SN") == f"1{NNBSP}234{NNBSP}567"
    assert percent(Decimal("0.875"), "fr_SN") == f"87,5{NBSP}%"


def test_dates_in_fr_sn_and_bn_bd():
    d = date(2025, 2, 3)
    assert day(d, "fr_SN") == "3 févr. 2025"
    assert day(d, "fr_SN", style="long") == "3 février 2025"
    assert day(d, "bn_BD") == "৩ ফেব, ২০২৫"
    assert day(d, "bn_BD", style="long") == "৩ ফেব্রুয়ারি, ২০২৫"
    assert day(d, "ur_PK") == "3 فروری، 2025"
    when = datetime(2025, 2, 3, 9, 5, tzinfo=UTC)
    assert moment(when, "bn_BD").startswith("৩ ফেব, ২০২৫") and "9" not in moment(when, "bn_BD")
    now = datetime(2025, 2, 6, tzinfo=UTC)
    assert age(now - timedelta(days=3), "fr_SN", now=now) == f"3{NBSP}jours"
    assert age(now - timedelta(days=3), "bn_BD", now=now) == "৩ দিন"


def test_date_pickers_take_the_locales_order_of_day_month_year():
    assert date_input_format("fr_SN") == "DD/MM/YYYY"
    assert date_input_format("bn_BD") == "DD/MM/YYYY"
    assert date_input_format("en_NG") == "DD/MM/YYYY"
    assert date_input_format("en") == "MM/DD/YYYY"
    assert date_input_format("de") == "DD.MM.YYYY"
    assert date_input_format("zh") == "YYYY/MM/DD"


# --- pages and statements -------------------------------------------------------------------


AWA_FILE = (
    b"order_id,date,product,quantity,amount,currency,buyer_country\n"
    b"S1,2025-02-03,Wax print dress,1,1250000,XOF,SN\n"
    b"S2,2025-02-04,Bogolan scarf,2,73500,XOF,CI\n"
)
AWA = Actor("awa@x", "creator", creator_id="sn-awa")


@pytest.fixture
def awa():
    creator("sn-awa", "SN", name="Awa")
    creator("ng-ada", "NG", name="Ada")
    fx.seed_demo_rates("west-africa", date(2025, 1, 1), date(2025, 3, 31))
    assert ingest_file(OP, "sn-awa", "awa.csv", AWA_FILE).rows_loaded == 2


def test_a_senegalese_creators_sales_page_writes_amounts_the_french_way(awa):
    at = page("pages/sales.py", AWA).run()
    assert not at.exception
    grid = next(d.value for d in at.dataframe if "currency" in d.value.columns)  # the per-currency table
    row = grid[grid["currency"] == "XOF"].iloc[0]
    assert row["gross"] == f"1{NNBSP}323{NNBSP}500{NBSP}F{NNBSP}CFA"
    assert "F CFA1" not in "".join(str(v) for v in grid.to_numpy().ravel())
    shown = {m.label: m.value for m in at.metric}
    assert shown["Gross sales (XOF)"].endswith(f"{NBSP}F{NNBSP}CFA")  # the creator's own currency first
    assert shown["Gross sales (USD)"].endswith(f"{NBSP}$US") and "," in shown["Gross sales (USD)"]  # 2 183,78 $US
    assert at.date_input[0].proto.format == "DD/MM/YYYY"


def test_a_nigerian_creator_keeps_the_nigerian_english_style(awa):
    ada_file = b"order_id,date,product,quantity,amount,currency,buyer_country\nA1,2025-02-03,Bag,1,1500.5,NGN,NG\n"
    assert ingest_file(OP, "ng-ada", "ada.csv", ada_file).rows_loaded == 1
    at = page("pages/sales.py", Actor("ada@x", "creator", creator_id="ng-ada")).run()
    assert not at.exception
    grid = next(d.value for d in at.dataframe if "currency" in d.value.columns)  # the per-currency table
    assert grid[grid["currency"] == "NGN"].iloc[0]["gross"] == "₦1,500.50"


@pytest.mark.skipif(which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_the_payout_statement_pdf_writes_money_in_the_creators_locale_and_the_csv_stays_plain(awa, tmp_path):
    from warehouse.payouts.statements import Statement, statement_csv, statement_pdf

    entries = [{"day": date(2025, 2, 3), "currency": "XOF", "kind": "sale", "note": "Wax print dress",
                "amount": Decimal("1250000"), "sale_id": "s1", "upload_id": "u1", "payout_id": None}]
    st = Statement("sn-awa", "Awa", "west-africa", 2025, 2, {"XOF": Decimal("0")}, {"XOF": Decimal("1250000")},
                   entries)
    (tmp_path / "s.pdf").write_bytes(statement_pdf(st))
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "s.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Closing balance: 1 250 000 F CFA" in text.replace(NNBSP, " ").replace(NBSP, " ")
    csv_text = statement_csv(st).decode("utf-8-sig")
    assert ",1250000," in csv_text and "CFA" not in csv_text


@pytest.mark.skipif(which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
@pytest.mark.parametrize(("language", "country", "closing", "amount"), [
    ("bn", "BD", "সমাপনী ব্যালেন্স", "১২,৩৪,৫৬৭.৫০৳"),  # Bengali words, Bengali digits, lakh grouping
    ("ur", "PK", "اختتامی بیلنس", "1,234,567.50"),  # Urdu words (shaped, right to left), Latin digits
])
def test_a_statement_pdf_is_written_in_bengali_or_urdu_with_the_creators_numbers(
        tmp_path, language, country, closing, amount):
    from warehouse.i18n import _, use_language
    from warehouse.payouts.statements import Statement, statement_pdf

    currency = {"BD": "BDT", "PK": "PKR"}[country]
    creator(f"{country.lower()}-x", country, name="X")
    entries = [{"day": date(2025, 2, 3), "currency": currency, "kind": "sale", "note": "Tutorial",
                "amount": Decimal("1234567.50"), "sale_id": "s1", "upload_id": "u1", "payout_id": None}]
    st = Statement(f"{country.lower()}-x", "X", "south-asia", 2025, 2, {currency: Decimal("0")},
                   {currency: Decimal("1234567.50")}, entries)
    with use_language(language):
        (tmp_path / "s.pdf").write_bytes(statement_pdf(st))
        title = _("Closing balance: %(amount)s", amount="")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "s.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert closing in title  # the catalogue's words, not English ...
    flat = "".join(ch for ch in text if not ch.isspace() and not 0x200E <= ord(ch) <= 0x202E)
    assert amount in flat  # ... and the creator's own number style in the PDF
    letters = {"bn": range(0x0980, 0x0A00), "ur": range(0x0600, 0x0700)}[language]
    assert sum(ord(ch) in letters for ch in text) > 100, text[:300]  # written in the script, not in English
    assert "Closing balance" not in text
