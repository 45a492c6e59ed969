"""Reading by meaning (issue 15): a file whose layout is no shipped profile is read through the
vocabulary of column meanings (data/vocabulary.toml), each choice confirmed by the values; a sale
needs an amount, a time and a currency and nothing more; kinds of transaction are read by their
families; and the profiles of newly known sources refine the vocabulary. Real DuckDB files and the
real suite; the small files here are written in the layouts each source documents (the real
exports of these sources are in tests/samples/real/)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import warehouse
from warehouse.ingest import ingest_file
from warehouse.ingest.vocabulary import plain, says_utc, shape, vocabulary

OP = Actor.operator()


@pytest.fixture(autouse=True)
def creators(data_dir):
    add_creator(OP, "ng-ada", "NG", "Ada")
    add_creator(OP, "sn-awa", "SN", "Awa")


def fates(upload_id: str, region: str = "west-africa") -> list[tuple[int, str, str]]:
    return warehouse(region).rows(
        "SELECT row_number, 'sale', '' FROM sales WHERE upload_id = $u"
        " UNION ALL SELECT row_number, 'ask', array_to_string(reasons, '; ') FROM flagged_rows WHERE upload_id = $u"
        " UNION ALL SELECT row_number, 'skip', reason FROM skipped_rows WHERE upload_id = $u"
        " ORDER BY 1", {"u": upload_id})


def kinds(upload_id: str) -> list[str]:
    return [k for _, k, _ in fates(upload_id)]


def gross(upload_id: str) -> dict[str, D]:
    return dict(warehouse("west-africa").rows(
        "SELECT currency, sum(gross) FROM sales WHERE upload_id = ? GROUP BY 1", [upload_id]))


def test_headers_are_compared_by_their_shape():
    assert shape("Created (UTC)") == shape("created_utc") == shape("Created") == "created"
    assert shape("Created date (UTC)") == "created date"
    assert shape("available_on_utc") == "available on"
    assert shape("TransactionType") == "transaction type"
    assert shape("Net Total ($)") == "net total"
    assert shape("\ufeffDate de création") == "date de création"
    assert plain("order_id") == plain("Order-ID") == plain("orderId") == "order id"
    assert says_utc("Created (UTC)") and says_utc("created_utc") and not says_utc("Created")


def test_the_vocabulary_has_every_language_and_kind_family():
    v = vocabulary()
    for word in ("fecha", "data", "datum", "date de création", "transactiedatum", "data di vendita"):
        assert word in v.columns["sold_at"], word
    for word in ("bruto", "montant", "betrag", "bedrag", "importo", "valor"):
        assert word in v.columns["gross"], word
    assert {f.name for f in v.families} >= {"sale", "refund", "fee", "payout", "transfer", "conversion", "hold",
                                            "adjustment", "tax"}
    assert v.family_of("Charge").name == "sale" and v.family_of("payout").name == "payout"
    assert v.family_of("Stripe Fee").name == "fee" and v.family_of("something else") is None


STRIPE_BALANCE = (
    "id,Type,Source,Amount,Fee,Net,Currency,Created (UTC),Available On (UTC),Description\n"
    "txn_1,charge,ch_1,25.00,1.03,23.97,usd,2024-03-01 10:00:00,2024-03-03 00:00:00,Logo pack\n"
    "txn_2,charge,ch_2,10.00,0.59,9.41,usd,2024-03-02 11:30:00,2024-03-04 00:00:00,Icon set\n"
    "txn_3,refund,re_1,-10.00,0.00,-10.00,usd,2024-03-05 09:00:00,2024-03-05 09:00:00,REFUND FOR CHARGE\n"
    "txn_4,payout,po_1,-23.97,0.00,-23.97,usd,2024-03-06 00:00:00,2024-03-07 00:00:00,STRIPE PAYOUT\n"
    "txn_5,stripe_fee,,-2.00,0.00,-2.00,usd,2024-03-07 00:00:00,2024-03-07 00:00:00,Billing\n"
    "txn_6,issuing_authorization_hold,,-5.00,0.00,-5.00,usd,2024-03-08 00:00:00,2024-03-08 00:00:00,Card\n"
)


def test_a_stripe_balance_history_is_read_with_its_kinds():
    res = ingest_file(OP, "ng-ada", "balance_history.csv", STRIPE_BALANCE.encode())
    assert (res.status, res.profile) == ("loaded", "stripe-balance")
    assert kinds(res.upload_id) == ["sale", "sale", "skip", "skip", "skip", "ask"]
    assert gross(res.upload_id) == {"USD": D("35.00")}
    reasons = [why for _, k, why in fates(res.upload_id) if k == "skip"]
    assert reasons[0].startswith("a refund to a buyer (refund)") and "paid out" in reasons[1]
    first = warehouse("west-africa").one("SELECT min(sold_at) FROM sales")[0]
    assert (first.year, first.month, first.day, first.hour, first.utcoffset().total_seconds()) == (2024, 3, 1, 10, 0)


def test_a_stripe_balance_report_with_snake_case_headers_is_read():
    data = ("balance_transaction_id,created_utc,available_on_utc,currency,gross,fee,net,reporting_category,"
            "source_id,description\n"
            "txn_a,2024-05-01 08:00:00,2024-05-03 00:00:00,eur,40.00,1.50,38.50,charge,ch_a,Course\n"
            "txn_b,2024-05-02 08:00:00,2024-05-02 08:00:00,eur,-38.50,0.00,-38.50,payout,po_a,\n"
            "txn_c,2024-05-03 08:00:00,2024-05-05 00:00:00,eur,12.00,0.65,11.35,charge,ch_c,\n")
    res = ingest_file(OP, "ng-ada", "itemized_balance.csv", data.encode())
    assert (res.status, res.profile, kinds(res.upload_id)) == ("loaded", "stripe-balance", ["sale", "skip", "sale"])
    assert gross(res.upload_id) == {"EUR": D("52.00")}
    products = warehouse("west-africa").rows("SELECT product FROM sales ORDER BY row_number")
    assert products == [("Course",), ("Stripe payment",)]


def test_shopify_payments_transactions_need_no_product_column():
    data = ("Transaction Date,Type,Order,Card Brand,Card Source,Payout Status,Payout Date,Available On,Amount,"
            "Fee,Net,Checkout,Payment Method Name,Presentment Amount,Presentment Currency,Currency\n"
            "2024-02-01 10:00:00 +0100,charge,#1001,visa,online,paid,2024-02-05,2024-02-05,30.00,1.20,28.80,c1,"
            "card,30.00,EUR,EUR\n"
            "2024-02-02 12:00:00 +0100,charge,#1002,mastercard,online,pending,,2024-02-06,15.00,0.70,14.30,c2,"
            "card,15.00,EUR,EUR\n"
            "2024-02-03 09:00:00 +0100,refund,#1001,visa,online,pending,,2024-02-06,-30.00,0.00,-30.00,c1,"
            "card,-30.00,EUR,EUR\n"
            "2024-02-05 00:00:00 +0100,payout,,,,paid,2024-02-05,,-28.80,0.00,-28.80,,,,,EUR\n")
    res = ingest_file(OP, "ng-ada", "payment_transactions_export.csv", data.encode())
    assert (res.status, res.profile, kinds(res.upload_id)) == ("loaded", "shopify-payments",
                                                              ["sale", "sale", "skip", "skip"])
    assert gross(res.upload_id) == {"EUR": D("45.00")}
    assert warehouse("west-africa").rows("SELECT product, fees FROM sales ORDER BY row_number") == \
        [("", D("1.20")), ("", D("0.70"))]
    assert any("names no product" in a for a in res.assumptions)


def test_shopify_order_transactions_count_money_received_only():
    data = ("Order,Name,Kind,Gateway,Created At,Status,Amount,Currency,Card Type\n"
            "5001,#1001,sale,shopify_payments,2024-04-01 10:00:00 +0000,success,20.00,USD,visa\n"
            "5002,#1002,authorization,paypal,2024-04-02 10:00:00 +0000,success,12.00,USD,\n"
            "5002,#1002,capture,paypal,2024-04-03 10:00:00 +0000,success,12.00,USD,\n"
            "5003,#1003,sale,shopify_payments,2024-04-04 10:00:00 +0000,failure,9.00,USD,visa\n"
            "5001,#1001,refund,shopify_payments,2024-04-05 10:00:00 +0000,success,5.00,USD,visa\n")
    res = ingest_file(OP, "ng-ada", "transactions_export.csv", data.encode())
    assert (res.status, res.profile) == ("loaded", "shopify-transactions")
    assert kinds(res.upload_id) == ["sale", "skip", "sale", "skip", "skip"]
    assert gross(res.upload_id) == {"USD": D("32.00")}


ETSY_STATEMENT = (
    '"Date","Type","Title","Info","Currency","Amount","Fees & Taxes","Net","Tax Details"\n'
    '"March 2, 2024","Sale","Payment for Order #3012345678","Order #3012345678","USD","$18.00","--","$18.00","--"\n'
    '"March 2, 2024","Fee","Transaction fee: Printable planner","Order #3012345678","USD","--","-$1.17","-$1.17","--"\n'
    '"March 3, 2024","Marketing","Etsy Ads","--","USD","--","-$0.80","-$0.80","--"\n'
    '"March 9, 2024","Sale","Payment for Order #3012349999","Order #3012349999","USD","$7.50","--","$7.50","--"\n'
    '"March 15, 2024","Deposit","$22.00 sent to your bank account","--","USD","--","--","-$22.00","--"\n'
    '"March 20, 2024","Refund","Refund to buyer for Order #3012349999","Order #3012349999","USD","-$7.50","--",'
    '"-$7.50","--"\n'
)


def test_an_etsy_statement_takes_its_order_numbers_from_the_text_and_meets_the_orders_export():
    res = ingest_file(OP, "ng-ada", "etsy_statement_2024_3.csv", ETSY_STATEMENT.encode())
    assert (res.status, res.profile) == ("loaded", "etsy-statement")
    assert kinds(res.upload_id) == ["sale", "skip", "skip", "sale", "skip", "skip"]
    assert gross(res.upload_id) == {"USD": D("25.50")}
    assert warehouse("west-africa").rows("SELECT order_id FROM sales ORDER BY row_number") == \
        [("3012345678",), ("3012349999",)]
    # the same order in the Sold Orders export (profile etsy): known, not counted twice
    orders = ("Sale Date,Order ID,Number of Items,Currency,Order Value,Order Total,Card Processing Fees,Order Net,"
              "Ship Country,Status\n"
              "03/02/24,3012345678,1,USD,18.00,18.00,0.79,17.21,Nigeria,Completed\n"
              "03/10/24,3012355555,1,USD,9.00,9.00,0.40,8.60,Ghana,Completed\n")
    second = ingest_file(OP, "ng-ada", "EtsySoldOrders2024.csv", orders.encode())
    assert (second.profile, second.rows_loaded, second.rows_known) == ("etsy", 1, 1)


def test_buy_me_a_coffee_without_a_currency_is_read_in_the_creators_own_and_says_so():
    data = ("Supporter Name,Coffee Count,Coffee Price,Total Amount,Support Date,Support Note\n"
            "A friend,3,5,15,2024-06-01 10:00:00,Thanks!\n"
            "Someone,1,5,5,2024-06-03 18:30:00,\n")
    res = ingest_file(OP, "sn-awa", "supporters.csv", data.encode())
    assert (res.status, res.profile, res.rows_loaded) == ("loaded", "buymeacoffee", 2)
    assert any("read as XOF, your own currency" in a for a in res.assumptions)
    assert warehouse("west-africa").rows("SELECT currency, gross, quantity FROM sales ORDER BY row_number") == \
        [("XOF", D("15"), 3), ("XOF", D("5"), 1)]


def test_paypal_ebay_auction_payments_are_sales():
    data = ('"Date","Time","TimeZone","Name","Type","Status","Currency","Gross","Fee","Net","Transaction ID",'
            '"Balance"\n'
            '"01/03/2015","10:00:00","PST","Buyer","eBay Auction Payment","Completed","USD","25.00","-1.03",'
            '"23.97","1AB","23.97"\n'
            '"01/04/2015","11:00:00","PST","Buyer","eBay Auction Payment","Completed","USD","12.00","-0.65",'
            '"11.35","2CD","35.32"\n'
            '"01/05/2015","12:00:00","PST","Bank","General Withdrawal","Completed","USD","-35.32","0.00",'
            '"-35.32","3EF","0.00"\n')
    res = ingest_file(OP, "ng-ada", "Download.CSV", data.encode())
    assert (res.profile, kinds(res.upload_id)) == ("paypal", ["sale", "sale", "skip"])


def test_a_file_without_order_ids_counts_each_line_once_across_overlapping_exports():
    head = "Date,Description,Amount,Currency\n"
    jan = ("2024-01-05,Pattern,1500.00,NGN\n2024-01-05,Pattern,1500.00,NGN\n"  # two equal sales on one day
           "2024-01-09,Course,9000.00,NGN\n")
    feb = "2024-02-01,Pattern,1500.00,NGN\n"
    first = ingest_file(OP, "ng-ada", "jan.csv", (head + jan).encode())
    assert (first.status, first.rows_loaded) == ("loaded", 3)
    assert any("gives no order number" in a for a in first.assumptions)
    both = ingest_file(OP, "ng-ada", "jan-feb.csv", (head + jan + feb).encode())
    assert (both.rows_total, both.rows_loaded, both.rows_known) == (4, 1, 3)
    assert warehouse("west-africa").one("SELECT count(*), sum(gross) FROM sales") == (4, D("13500.00"))


def test_a_paid_time_is_preferred_to_a_created_one_and_the_report_says_so():
    data = ("Created,Paid on,Reference,Item,Amount,Currency\n"
            "2024-03-01 09:00,2024-03-04 15:00,R1,Template,2000,NGN\n")
    res = ingest_file(OP, "ng-ada", "orders.csv", data.encode())
    assert res.columns["sold_at"] == "Paid on"
    assert any("timed when they were paid (‘Paid on’), not when they were created (‘Created’)" in a
               for a in res.assumptions)
    assert warehouse("west-africa").one("SELECT sold_at FROM sales")[0].day == 4


@pytest.mark.parametrize("header, rows", [
    ("Fecha;Referencia;Producto;Importe;Moneda", "12/03/2024;V-1;Curso;1.500,00;EUR"),
    ("Datum;Bestellnummer;Artikel;Betrag;Währung", "12.03.2024;V-1;Kurs;1.500,00;EUR"),
    ("Datum;Bestelnummer;Omschrijving;Bedrag;Valuta", "12-03-2024;V-1;Cursus;1.500,00;EUR"),
    ("Data;Numero ordine;Prodotto;Importo;Valuta", "12/03/2024;V-1;Corso;1.500,00;EUR"),
    ("Data;Número do pedido;Produto;Valor;Moeda", "12/03/2024;V-1;Curso;1.500,00;EUR"),
    ("Date de création;N° de commande;Produit;Montant;Devise", "12/03/2024;V-1;Cours;1 500,00;EUR"),
])
def test_headers_in_seven_languages_are_read_by_meaning(header: str, rows: str):
    res = ingest_file(OP, "ng-ada", "ventas.csv", f"{header}\n{rows}\n".encode())
    assert (res.status, res.profile, res.rows_loaded) == ("loaded", "generic", 1), res.message
    assert warehouse("west-africa").one("SELECT gross, currency, order_id FROM sales") == (D("1500.00"), "EUR", "V-1")


def test_a_type_column_is_read_as_a_kind_only_when_it_holds_kinds():
    products = ("Date,Type,Amount,Currency\n2024-03-01,Digital,10.00,USD\n2024-03-02,Printed,12.00,USD\n")
    res = ingest_file(OP, "ng-ada", "a.csv", products.encode())
    assert "kind" not in res.columns and kinds(res.upload_id) == ["sale", "sale"]
    entries = ("Date,Type,Amount,Currency\n2024-03-01,Sale,10.00,USD\n2024-03-02,Payout,-10.00,USD\n"
               "2024-03-03,Mystery,3.00,USD\n")
    res = ingest_file(OP, "ng-ada", "b.csv", entries.encode())
    assert res.columns["kind"] == "Type" and kinds(res.upload_id) == ["sale", "skip", "ask"]
    assert "a person decides" in fates(res.upload_id)[2][2]


def test_a_column_whose_values_do_not_fit_its_header_is_passed_over():
    # "Date" holds words, "Created" holds dates: the sale time is taken from "Created", and asked about
    data = "Date,Created,Amount,Currency\nsoon,2024-03-01,10.00,USD\nlater,2024-03-02,12.00,USD\n"
    res = ingest_file(OP, "ng-ada", "c.csv", data.encode())
    assert res.columns["sold_at"] == "Created" and "sold_at" in res.unsure
    assert res.rows_loaded == 2


def test_a_refusal_names_what_was_found_and_what_is_missing_in_words():
    data = "Jina,Amount,Currency\nA,10,USD\n"
    res = ingest_file(OP, "ng-ada", "d.csv", data.encode())
    assert res.status == "rejected" and res.missing == ["sold_at"]
    assert "Kasuwa could not find the date of the sale in this file." in res.message
    assert "It found the amount the buyer paid in ‘Amount’, the currency in ‘Currency’." in res.message


def test_a_flagged_row_of_a_file_without_products_is_approved_as_it_is():
    from warehouse.review import approve

    data = ("Transaction Date,Type,Order,Payout Status,Amount,Fee,Net,Currency\n"
            "2024-02-01 10:00:00 +0100,charge,#1001,paid,30.00,1.20,28.80,EUR\n"
            "2024-02-02 10:00:00 +0100,mystery_credit,#1002,paid,5.00,0.00,5.00,EUR\n")
    res = ingest_file(OP, "ng-ada", "payment_transactions_export.csv", data.encode())
    assert kinds(res.upload_id) == ["sale", "ask"]
    reviewer = Actor("rev@x", "reviewer", regions=frozenset({"west-africa"}))
    [(flag_id,)] = warehouse("west-africa").rows("SELECT flag_id FROM flagged_rows")
    approve(reviewer, "west-africa", flag_id, note="a credit from a buyer")
    assert warehouse("west-africa").rows("SELECT order_id, product, gross FROM sales ORDER BY row_number") == \
        [("#1001", "", D("30.00")), ("#1002", "", D("5.00"))]


def test_a_bank_like_type_column_sends_money_in_to_a_person_and_skips_money_out():
    data = ("Date,Type,Amount,Currency,Description\n2024-03-01,Credit,5000.00,NGN,Transfer from Chidi\n"
            "2024-03-02,Debit,1200.00,NGN,Airtime\n2024-03-03,Donation,1500.00,NGN,Coffee\n")
    res = ingest_file(OP, "ng-ada", "bank.csv", data.encode())
    assert res.columns["kind"] == "Type" and kinds(res.upload_id) == ["ask", "skip", "sale"]
    assert "a person decides" in fates(res.upload_id)[0][2]


def test_a_list_of_deposits_read_by_meaning_is_not_taken_for_sales():
    data = ("Date,Amount,Currency,Status,Deposit ID\n2024-03-04,120.00,USD,Deposited,dep_1\n"
            "2024-03-11,80.50,USD,Deposited,dep_2\n")
    res = ingest_file(OP, "ng-ada", "deposits.csv", data.encode())
    assert (res.rows_loaded, res.rows_flagged) == (0, 2) and "kind" in res.unsure
    assert "may list payouts or deposits" in fates(res.upload_id)[0][2]
    assert any("a person decides" in a for a in res.assumptions)
