"""``kasuwa demo``: a believable programme to look at — three regions, creators from seven
countries, six months of sales written as the real platforms' exports (Gumroad, Paystack,
Stripe, M-Pesa, bKash, a French spreadsheet, a generic sheet in rupees, and the programme's own
store), ingested through the same pipeline as any upload (so some rows are flagged for review),
plus FX rates, one user per role and a payout run when those parts are installed.

The money is in all three places a sale's money can be (rails.toml ``[custody.*]``): Ada sells
through the programme's own store (the programme owes it and pays it: her history was held by
the guard rails and released by the reviewer); Tunde sells on Gumroad (on its way, then
received); Wanjiku (M-Pesa), Rahim (bKash), Kwame (his own Paystack) and Otieno (his own Stripe)
have it in their own accounts (received); Awa's and Sana's spreadsheets say nothing of who holds it.

Exports are generated into ``KASUWA_DATA_DIR/demo`` (``data/demo`` by default) with a fixed
seed and dates relative to today, so the demo always shows the last six months.
"""

from __future__ import annotations

import csv
import importlib
import io
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from .access import Actor
from .creators import add_creator
from .db import init_all
from .settings import settings


@dataclass(frozen=True)
class DemoCreator:
    creator_id: str
    name: str
    country: str
    joined_days_ago: float  # new creators joined hours ago and uploaded their history at once
    rail: str
    writer: str  # which export format their files use
    products: tuple[tuple[str, Decimal], ...]
    per_month: int
    profile: str | None = None  # named at ingest (the programme's store is never detected)
    #: other platforms the creator also sells on: (writer, products, sales a month)
    also: tuple[tuple[str, tuple[tuple[str, Decimal], ...], int], ...] = ()


CREATORS = (
    DemoCreator("ng-ada", "Ada Okafor Designs", "NG", 200, "paystack", "shopify",
                (("Lagos Wedding Planner Template", Decimal("15000")), ("Naija Recipe eBook", Decimal("4500")),
                 ("Brand Kit for Small Shops", Decimal("25000"))), 45, profile="programme-store",
                also=(("gumroad", (("Lagos Wedding Planner (digital)", Decimal("12")),), 6),)),
    DemoCreator("ng-tunde", "Tunde Beats", "NG", 185, "gumroad", "gumroad",
                (("Afrobeats Drum Kit", Decimal("19.99")), ("Mixing Masterclass", Decimal("49")),
                 ("Sample Pack Vol. 2", Decimal("9.5"))), 40),
    DemoCreator("gh-kwame", "Kwame Codes", "GH", 170, "paystack", "paystack",
                (("Python for Accra Startups", Decimal("350")), ("Excel Budget Sheet", Decimal("80"))), 25),
    DemoCreator("sn-awa", "Awa Ndiaye Studio", "SN", 160, "wave", "french",
                (("Guide du e-commerce", Decimal("10000")), ("Pack Canva Boutique", Decimal("6500")),
                 ("Formation Photo Mobile", Decimal("25000"))), 30,
                also=(("gumroad", (("Pack Canva Boutique (digital)", Decimal("15")),), 8),)),
    DemoCreator("ke-wanjiku", "Wanjiku Learns", "KE", 190, "mpesa", "mpesa",
                (("KCSE Revision Notes", Decimal("500")), ("Chama Accounts Template", Decimal("1200"))), 50),
    DemoCreator("ke-otieno", "Otieno Photo", "KE", 0.2, "payoneer", "stripe",
                (("Lightroom Presets Nairobi", Decimal("12")), ("Safari Photo Course", Decimal("45"))), 20),
    DemoCreator("pk-sana", "Sana Illustrates", "PK", 175, "bank_transfer", "generic_pk",
                (("Urdu Calligraphy Brushes", Decimal("1500")), ("Wedding Card Templates", Decimal("3500"))), 35),
    DemoCreator("bd-rahim", "Rahim Tutorials", "BD", 0.5, "bkash", "bkash",
                (("HSC Physics Notes", Decimal("300")), ("Freelancing Starter Guide", Decimal("850"))), 35),
)

BUYER_COUNTRIES = {
    "NG": ["NG", "NG", "NG", "GH", "US", "GB"], "GH": ["GH", "GH", "NG", "US"],
    "SN": ["SN", "SN", "CI", "FR"], "KE": ["KE", "KE", "UG", "TZ", "US"],
    "PK": ["PK", "PK", "AE", "GB"], "BD": ["BD", "BD", "IN"],
}
COUNTRY_NAMES = {"NG": "Nigeria", "GH": "Ghana", "US": "United States", "GB": "United Kingdom",
                 "SN": "Sénégal", "CI": "Côte d'Ivoire", "FR": "France", "KE": "Kenya", "UG": "Uganda",
                 "TZ": "Tanzania", "PK": "Pakistan", "AE": "United Arab Emirates", "BD": "Bangladesh", "IN": "India"}


@dataclass
class Sale:
    ref: str
    when: datetime
    product: str
    price: Decimal
    quantity: int
    buyer_country: str
    refunded: bool = False
    status: str = "ok"  # ok | failed | bad_amount | bad_date | bad_currency


def _sales(c: DemoCreator, rng: random.Random, start: date, end: date) -> list[Sale]:
    out = []
    day = start
    n = 0
    while day <= end:
        growth = 0.6 + 0.8 * (day - start).days / max(1, (end - start).days)
        for _ in range(rng.choices([0, 1, 2, 3], weights=[4, 4, 2, 1])[0]):
            if rng.random() > growth * c.per_month / 45:
                continue
            n += 1
            product, price = rng.choice(c.products)
            when = datetime(day.year, day.month, day.day, rng.randint(7, 22), rng.randint(0, 59),
                            rng.randint(0, 59), tzinfo=UTC)
            s = Sale(f"{c.creator_id[:2].upper()}{n:05d}", when, product, price, rng.choice([1, 1, 1, 2]),
                     rng.choice(BUYER_COUNTRIES[c.country]))
            r = rng.random()
            if r < 0.03:
                s.status = "failed"
            elif r < 0.045:
                s.status = "bad_amount"
            elif r < 0.055:
                s.status = "bad_date"
            elif r < 0.065:
                s.refunded = True
            out.append(s)
        day += timedelta(days=1)
    if not any(s.when.date() == end and s.status == "ok" for s in out):
        # every creator sold on the demo's last day: its pages always have money on its way
        # (a payout due today), whatever day of the year the demo is built
        n += 1
        product, price = rng.choice(c.products)
        out.append(Sale(f"{c.creator_id[:2].upper()}{n:05d}", datetime(end.year, end.month, end.day, 12, 0, 0,
                                                                        tzinfo=UTC),
                        product, price, 1, rng.choice(BUYER_COUNTRIES[c.country])))
    return out


def _csv(rows: list[list[Any]], delimiter: str = ",", quote_all: bool = False) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
                   lineterminator="\n")
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _money(v: Decimal, places: int = 2) -> str:
    return f"{v:.{places}f}"


def write_paystack(c: DemoCreator, sales: list[Sale]) -> bytes:
    rows: list[list[Any]] = [["id", "reference", "amount", "currency", "status", "channel", "gateway_response",
                              "paid_at", "created_at", "fees", "customer_email"]]
    ccy = "NGN" if c.country == "NG" else "GHS"
    for s in sales:
        kobo = int(s.price * s.quantity * 100)
        if s.status == "bad_amount":
            kobo = -kobo
        fee = min(int(kobo * Decimal("0.015")) + (10000 if ccy == "NGN" and kobo >= 250000 else 0), 200000)
        status = "failed" if s.status == "failed" else ("reversed" if s.refunded else "success")
        paid = "" if s.status == "bad_date" else s.when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        rows.append([4099260000 + len(rows), s.ref, kobo, ccy, status,
                     random.Random(s.ref).choice(["card", "bank", "ussd"]),
                     "Declined" if status == "failed" else "Approved", paid,
                     s.when.strftime("%Y-%m-%dT%H:%M:%S.000Z"), abs(fee), f"buyer{s.ref[-3:]}@example.com"])
    return _csv(rows)


def write_shopify(c: DemoCreator, sales: list[Sale]) -> bytes:
    """Shopify orders: one row per line item; order-level columns only on an order's first row."""
    rows: list[list[Any]] = [["Name", "Email", "Financial Status", "Paid at", "Currency", "Subtotal", "Total",
                              "Lineitem quantity", "Lineitem name", "Lineitem price", "Billing Country",
                              "Payment Method", "Refunded Amount", "Id"]]
    for s in sales:
        n = int(s.ref[2:])  # the same sale keeps its order number in overlapping exports
        lines = [(s.product, s.price, s.quantity)]
        rng = random.Random(s.ref)
        if rng.random() < 0.25:
            other, price = rng.choice(c.products)
            lines.append((other, price, 1))
        total = sum(p * q for _, p, q in lines)
        status = "voided" if s.status == "failed" else ("refunded" if s.refunded else "paid")
        paid = "" if s.status == "bad_date" else s.when.strftime("%Y-%m-%d %H:%M:%S +0100")
        for i, (product, price, qty) in enumerate(lines):
            shown = _money(-price if s.status == "bad_amount" else price)
            if i == 0:
                rows.append([f"#{1000 + n}", f"b{n}@example.com", status, paid, "NGN", _money(total), _money(total),
                             qty, product, shown, s.buyer_country, rng.choice(["Paystack", "Flutterwave"]),
                             _money(total if s.refunded else Decimal(0)), 5600000000 + n])
            else:
                rows.append([f"#{1000 + n}", "", "", "", "", "", "", qty, product, shown, "", "", "", ""])
    return _csv(rows)


def write_gumroad(c: DemoCreator, sales: list[Sale]) -> bytes:
    head = ["Purchase ID", "Item Name", "Buyer Name", "Purchase Email", "Buyer Country", "Purchase Date",
            "Purchase Time (UTC timezone)", "Subtotal ($)", "Taxes ($)", "Shipping ($)", "Sale Price ($)",
            "Fees ($)", "Net Total ($)", "Tip ($)", "Tax Included in Price?", "Refunded?", "Partial Refund ($)",
            "Fully Refunded?", "Disputed?", "Order Number", "Quantity", "Payment Type", "Buyer Currency"]
    rows: list[list[Any]] = [head]
    total = Decimal(0)
    for s in sales:
        if s.status == "failed":
            continue
        price = s.price * s.quantity
        fee = (price * Decimal("0.10") + Decimal("0.50")).quantize(Decimal("0.01"))
        total += price
        rows.append([s.ref, s.product, "Buyer", f"b{s.ref[-3:]}@example.com", COUNTRY_NAMES[s.buyer_country],
                     "" if s.status == "bad_date" else s.when.strftime("%Y-%m-%d"), s.when.strftime("%H:%M:%S"),
                     _money(price), "0.0", "0.0", "12,O0" if s.status == "bad_amount" else _money(price),
                     _money(fee), _money(price - fee), "0.0", "0", "1" if s.refunded else "0", "0.0",
                     "1" if s.refunded else "0", "0", s.ref[2:], s.quantity, "card", "usd"])
    rows.append(["Totals", "", "", "", "", "", "", _money(total), "", "", _money(total), "", "", "", "", "", "",
                 "", "", "", "", "", ""])
    return _csv(rows)


def write_french(c: DemoCreator, sales: list[Sale]) -> bytes:
    rows: list[list[Any]] = [["Date", "Référence", "Produit", "Quantité", "Montant", "Devise", "Pays"]]
    for s in sales:
        if s.status == "failed":
            continue
        amount = s.price * s.quantity
        text = f"{int(amount):,}".replace(",", "\u202f") + " F CFA"
        if s.status == "bad_amount":
            text = f"{amount},50"  # XOF has no minor unit: flagged, never rounded
        rows.append(["" if s.status == "bad_date" else s.when.strftime("%d/%m/%Y"), s.ref, s.product, s.quantity,
                     text, "XOF", COUNTRY_NAMES[s.buyer_country]])
    return _csv(rows, delimiter=";")


def write_mpesa(c: DemoCreator, sales: list[Sale]) -> bytes:
    rows: list[list[Any]] = [["Receipt No.", "Completion Time", "Details", "Transaction Status", "Paid In",
                              "Withdrawn", "Balance"]]
    balance = Decimal(0)
    for i, s in enumerate(sales):
        amount = s.price * s.quantity
        balance += amount
        status = "Failed" if s.status == "failed" else "Completed"
        paid_in = f"{amount:,.2f}" if s.status != "bad_amount" else "-" + f"{amount:,.2f}"
        rows.append([f"Q{s.ref}", "" if s.status == "bad_date" else s.when.strftime("%Y-%m-%d %H:%M:%S"),
                     f"Merchant Payment from {s.product}", status, paid_in, "", f"{balance:,.2f}"])
        if i % 15 == 14:
            out = Decimal(2000)
            balance -= out
            rows.append([f"W{s.ref}", s.when.strftime("%Y-%m-%d %H:%M:%S"), "Customer Withdrawal At Agent",
                         "Completed", "", f"-{out:,.2f}", f"{balance:,.2f}"])
    return _csv(rows)


def write_stripe(c: DemoCreator, sales: list[Sale]) -> bytes:
    rows: list[list[Any]] = [["id", "Created date (UTC)", "Amount", "Amount Refunded", "Currency", "Captured",
                              "Converted Amount", "Fee", "Mode", "Status", "Description", "Customer Email",
                              "Card Address Country"]]
    for s in sales:
        amount = s.price * s.quantity
        fee = (amount * Decimal("0.029") + Decimal("0.30")).quantize(Decimal("0.01"))
        status = "Failed" if s.status == "failed" else ("Refunded" if s.refunded else "Paid")
        rows.append([f"ch_{s.ref}", "bad date" if s.status == "bad_date" else s.when.strftime("%Y-%m-%d %H:%M"),
                     _money(-amount if s.status == "bad_amount" else amount),
                     _money(amount if s.refunded else Decimal(0)),
                     "usd", "true", _money(amount), _money(fee), "Live", status, s.product,
                     f"b{s.ref[-3:]}@example.com", s.buyer_country])
    return _csv(rows)


def write_generic_pk(c: DemoCreator, sales: list[Sale]) -> bytes:
    rows: list[list[Any]] = [["Order No", "Order Date", "Product", "Qty", "Amount", "Currency", "Country", "Status"]]
    for s in sales:
        amount = s.price * s.quantity
        rows.append([s.ref, "" if s.status == "bad_date" else s.when.strftime("%d/%m/%Y"), s.product, s.quantity,
                     f"Rs {amount:,.2f}" if s.status != "bad_amount" else "Rs -" + f"{amount:,.2f}",
                     "PKR", s.buyer_country, "cancelled" if s.status == "failed" else "paid"])
    return _csv(rows)


_BN = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")


def write_bkash(c: DemoCreator, sales: list[Sale]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["bKash Merchant Statement"])
    ws.append([f"Account: 01XXXXXXX{c.creator_id[-2:]}"])
    ws.append([])
    ws.append(["SL", "Trx Id", "Transaction Date", "Trx Type", "Sender", "Receiver", "Receiver Name",
               "Reference", "Transacted Amount", "Fee", "Balance"])
    balance = Decimal(0)
    for i, s in enumerate(sales, start=1):
        amount = s.price * s.quantity
        balance += amount
        kind = "Cash Out" if s.status == "failed" else "Payment Received"
        shown = f"{amount:,.2f}".translate(_BN) if i % 4 == 0 else f"{amount:.2f}"
        if s.status == "bad_amount":
            shown = "—"
        ws.append([i, f"B{s.ref}", "" if s.status == "bad_date" else s.when.strftime("%d-%b-%y %I:%M:%S %p"),
                   kind, "017XXXXXXXX", "01XXXXXXXXX", c.name, s.product, shown, "0.00", f"{balance:.2f}"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


WRITERS: dict[str, tuple[Callable[[DemoCreator, list[Sale]], bytes], str]] = {
    "paystack": (write_paystack, "csv"), "shopify": (write_shopify, "csv"), "gumroad": (write_gumroad, "csv"),
    "french": (write_french, "csv"),
    "mpesa": (write_mpesa, "csv"), "stripe": (write_stripe, "csv"), "generic_pk": (write_generic_pk, "csv"),
    "bkash": (write_bkash, "xlsx"),
}


def write_demo_exports(folder: Path, today: date | None = None) -> list[tuple[DemoCreator, Path]]:
    """Write each creator's exports (two overlapping files each: months 1–4 and 3–6)."""
    today = today or datetime.now(UTC).date()
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for c in CREATORS:
        rng = random.Random(c.creator_id)
        # six months of history; the newest creator has only sold for three weeks
        start = today - timedelta(days=21 if c.joined_days_ago < 0.3 else 182)
        sales = _sales(c, rng, start, today - timedelta(days=1))
        cut_a = len(sales) * 2 // 3
        cut_b = len(sales) // 2
        writer, ext = WRITERS[c.writer]
        for part, chunk in (("early", sales[:cut_a]), ("recent", sales[cut_b:])):
            kind = "store" if c.profile == "programme-store" else c.writer
            path = folder / f"{c.creator_id}-{kind}-{part}.{ext}"
            path.write_bytes(writer(c, chunk))
            files.append((c, path))
        for other, products, per_month in c.also:  # one export of a second platform, no profile named
            side = DemoCreator(c.creator_id, c.name, c.country, c.joined_days_ago, c.rail, other, products,
                               per_month)
            extra = [s for s in _sales(side, random.Random(f"{c.creator_id}-{other}"), start,
                                       today - timedelta(days=1)) if s.status in ("ok", "failed")]
            for i, s in enumerate(extra, start=1):
                s.ref = f"{c.creator_id[:2].upper()}G{i:04d}"
            write, ext2 = WRITERS[other]
            path = folder / f"{c.creator_id}-{other}.{ext2}"
            path.write_bytes(write(side, extra))
            files.append((side, path))
    return files


def _optional(module: str, fn: str) -> Callable[..., Any] | None:
    try:
        return getattr(importlib.import_module(module), fn, None)
    except ModuleNotFoundError:
        return None


def build_demo(progress: bool = False) -> dict[str, Any]:
    """Create the whole demo programme in KASUWA_DATA_DIR; returns what was made."""
    def say(msg: str) -> None:
        if progress:
            print(msg, file=sys.stderr)

    status = init_all()
    op = Actor.operator()
    now = datetime.now(UTC)
    for c in CREATORS:
        add_creator(op, c.creator_id, c.country, c.name, joined_at=now - timedelta(days=c.joined_days_ago),
                    rail=c.rail)
    summary: dict[str, Any] = {"regions": status, "uploads": []}
    seed_rates = _optional("warehouse.fx", "seed_demo_rates")
    if seed_rates:
        for code, state in status.items():
            if state == "ok":
                seed_rates(code, (now - timedelta(days=200)).date(), now.date())
    from .ingest import ingest_file

    files = write_demo_exports(settings().data_dir / "demo")
    for i, (c, path) in enumerate(files, start=1):
        res = ingest_file(op, c.creator_id, path.name, path, profile=c.profile)
        summary["uploads"].append(res.summary())
        say(f"[{i}/{len(files)}] {path.name}: {res.status} — {res.message}")
    release = _optional("warehouse.payouts.guard", "release_demo_holds")
    if release:
        release()
    from control.accounts import create_demo_users

    summary["users"] = create_demo_users(with_languages=True)
    run = _optional("warehouse.payouts.runs", "run_demo_payouts")
    if run:
        run()
    for email, password, role in summary["users"]:
        print(f"demo {role:9} {email:28} password: {password}")
    totals = {k: sum(u[k] for u in summary["uploads"]) for k in ("rows_total", "rows_loaded", "rows_flagged",
                                                                 "rows_skipped", "rows_known")}
    print(f"demo: {len(files)} exports ingested: {totals['rows_loaded']} sales loaded, {totals['rows_flagged']}"
          f" flagged for review, {totals['rows_skipped']} skipped, {totals['rows_known']} already known")
    return summary
