"""Monthly statements: opening balance, every ledger entry of the month, closing balance, per
currency — as CSV (spreadsheet-safe) and as PDF (fpdf2). The ledger holds only money the
programme holds (DESIGN.md invariant 10); the month's other sales follow in a part of their own,
"Not held by the programme", by where their money is (the creator's own account, a platform, a
reviewer's hold, or not known) — never in the balance.

For each currency ``opening + Σ entries of the month = closing`` exactly; the statement shows
amounts at the currency's minor unit (they are exact there: sales are stored in minor units
and every computed figure is rounded to them). The CSV keeps plain machine-readable numbers
(``-12.50``); the PDF writes amounts in the creator's own locale (``warehouse.locales``:
``1 250 000 F CFA`` for a creator in Senegal), in 0-9 where the PDF's font has no glyph for the
locale's digits, and as ``1,234.50 BDT`` where it lacks the symbol too. A PDF is written in
the reader's language: Latin scripts with DejaVu Sans, Bengali and Urdu with the Noto fonts
shipped in ``warehouse/fonts/`` (SIL OFL), shaped by HarfBuzz (``uharfbuzz``), Urdu right to left.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from warehouse import locales
from warehouse.access import Actor
from warehouse.db import warehouse
from warehouse.errors import InvalidInput
from warehouse.i18n import N_, _, current_language, is_rtl, use_language
from warehouse.locales import DIGITS, money, user_locale
from warehouse.money import quantum
from warehouse.regions import get_region

from ..cells import cell, conventions
from .custody import UNKNOWN, custody_of
from .ledger import ZERO, balances_before, entries_of, payee

#: where the money of a sale the programme does not hold is (custody, or a reviewer's hold)
WHERE_WORDS = {
    "own_account": N_("In your own account"),
    "platform": N_("Held by the platform, paid on its schedule"),
    "held": N_("Waiting for a reviewer"),
    UNKNOWN: N_("Not placed: Kasuwa cannot tell who holds it"),
}

KIND_WORDS = {
    "sale": N_("Sale"),
    "platform_fee": N_("Platform fee"),
    "adjustment": N_("Adjustment (export net)"),
    "refund": N_("Refund"),
    "fx_out": N_("Converted out"),
    "fx_in": N_("Converted in"),
    "payout": N_("Payout"),
    "rail_fee": N_("Rail fee"),
    "payout_return": N_("Payout returned"),
    "rail_fee_return": N_("Rail fee returned"),
    "undone_paid": N_("Paid sale of an upload since undone"),
    "undo_reversal": N_("Taken back: paid for sales since undone"),
}

_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
#: the fonts Kasuwa ships for scripts DejaVu Sans lacks: language -> (family, regular, bold)
SCRIPT_FONTS: dict[str, tuple[str, str, str]] = {
    "bn": ("NotoSansBengali", "NotoSansBengali-Regular.ttf", "NotoSansBengali-Bold.ttf"),
    "ur": ("NotoNastaliqUrdu", "NotoNastaliqUrdu-Regular.ttf", "NotoNastaliqUrdu-Bold.ttf"),
}
SCRIPT_FONTS_DIR = Path(__file__).resolve().parent.parent / "fonts"


@dataclass
class Statement:
    creator_id: str
    name: str
    region: str
    year: int
    month: int
    opening: dict[str, Decimal]
    closing: dict[str, Decimal]
    entries: list[dict[str, Any]] = field(default_factory=list)
    #: the month's sales the programme does not hold: where, name, currency, amount, sales
    elsewhere: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def currencies(self) -> list[str]:
        return sorted(set(self.opening) | set(self.closing))

    def totals(self, currency: str) -> dict[str, Decimal]:
        """Σ amount per entry kind of ``currency`` this month."""
        out: dict[str, Decimal] = {}
        for e in self.entries:
            if e["currency"] == currency:
                out[e["kind"]] = out.get(e["kind"], ZERO) + e["amount"]
        return out


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First and last day of ``year-month``; InvalidInput for a month that cannot exist."""
    if not (1 <= month <= 12 and 2000 <= year <= 2200):
        raise InvalidInput(_("%(year)s-%(month)s is not a month a statement can cover.",
                             year=year, month=format(month, "02d")))
    start = date(year, month, 1)
    end = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
    return start, end


def monthly_statement(actor: Actor, creator_id: str, year: int, month: int) -> Statement:
    """The statement of ``year-month`` for ``creator_id`` (own data or admin)."""
    p = payee(actor, creator_id)
    start, end = month_bounds(year, month)
    with warehouse(p.region).cursor() as cur:
        opening = balances_before(cur, p, start)
        rows = entries_of(cur, p, start, end)
        others = cur.execute(
            "SELECT s.source, s.currency, sum(coalesce(s.net, s.gross) - s.refunded), count(*),"
            " bool_or(h.status IS NOT NULL) FROM sales s LEFT JOIN payout_holds h"
            " ON h.upload_id = s.upload_id AND h.status = 'held'"
            " WHERE s.creator_id = ? AND CAST(timezone(?, s.sold_at) AS DATE) BETWEEN ? AND ?"
            " AND s.sale_id NOT IN (SELECT sale_id FROM programme_sales WHERE creator_id = ?)"
            " GROUP BY ALL ORDER BY 1, 2",
            [creator_id, p.region.time_zone, start, end, creator_id],
        ).fetchall()
    closing = dict(opening)
    for e in rows:
        e["amount"] = Decimal(e["amount"])
        closing[e["currency"]] = closing.get(e["currency"], ZERO) + e["amount"]
    for c in closing:
        opening.setdefault(c, ZERO)
    elsewhere = []
    for source, currency, amount, n, held in others:
        c = custody_of(source)
        where = "held" if held else (c.holds if c.holds != "programme" else UNKNOWN)
        elsewhere.append({"where": where, "name": c.name if c.holds != UNKNOWN else N_("Other files"),
                          "currency": currency, "amount": Decimal(amount), "sales": int(n)})
    return Statement(creator_id, p.name, p.region.code, year, month, opening, closing, rows, elsewhere)


def statement_months(actor: Actor, creator_id: str) -> list[tuple[int, int]]:
    """Months (newest first) in which the creator's ledger has entries or they sold anything."""
    p = payee(actor, creator_id)
    rows = warehouse(p.region).rows(
        "SELECT DISTINCT year(day), month(day) FROM (SELECT coalesce(value_date,"
        " CAST(timezone(?, sold_at) AS DATE)) AS day FROM ledger WHERE creator_id = ?"
        " UNION ALL SELECT CAST(timezone(?, sold_at) AS DATE) FROM sales WHERE creator_id = ?) e"
        " ORDER BY 1 DESC, 2 DESC",
        [p.region.time_zone, creator_id, p.region.time_zone, creator_id],
    )
    return [(int(y), int(m)) for y, m in rows]


def fmt(amount: Decimal, currency: str) -> str:
    """Plain, locale-neutral text for files: 1234.5 NGN -> '1,234.50'."""
    return f"{amount.quantize(quantum(currency)):,}"


def _pdf_money(amount: Decimal, currency: str, locale: str, pdf: Any) -> str:
    """``amount`` in ``locale`` as the PDF's font can draw it: the locale's own text, else with
    0-9, else the locale-neutral ``1,234.50 CUR``."""
    cmap = set(getattr(pdf.current_font, "cmap", None) or ())
    for fallback in getattr(pdf, "_fallback_font_ids", None) or ():  # letters a fallback font draws
        cmap |= set(getattr(pdf.fonts.get(fallback), "cmap", None) or ())
    for text in (money(amount, currency, locale), money(amount, currency, locale, latin_digits=True)):
        if cmap and all(ord(ch) in cmap for ch in text):
            return text
    return f"{fmt(amount, currency)} {currency}"


def _pdf_fits(pdf: Any, *texts: str) -> str | None:
    """The first of ``texts`` the PDF's fonts draw whole (None when none)."""
    cmap = set(getattr(pdf.current_font, "cmap", None) or ())
    for fallback in getattr(pdf, "_fallback_font_ids", None) or ():
        cmap |= set(getattr(pdf.fonts.get(fallback), "cmap", None) or ())
    return next((t for t in texts if cmap and all(ord(ch) in cmap for ch in t)), None)


def _pdf_day(value: date, locale: str, pdf: Any) -> str:
    """A day in ``locale``'s words as the PDF's font can draw it, else ISO (a font with no letters)."""
    words = locales.day(value, locale)
    return _pdf_fits(pdf, words, words.translate(_LATIN_DIGITS)) or value.isoformat()


def _pdf_month(year: int, month: int, locale: str, pdf: Any) -> str:
    words = locales.month(date(year, month, 1), locale)
    return _pdf_fits(pdf, words, words.translate(_LATIN_DIGITS)) or f"{year:04d}-{month:02d}"


#: notes the payout runs store in English (a rail's name, an amount filled in), in the reader's words
_NOTES = (
    (re.compile(r"^paid via (?P<rail>.+)$"), N_("paid via %(rail)s")),
    (re.compile(r"^(?P<rail>.+) payout fee$"), N_("%(rail)s payout fee")),
    (re.compile(r"^converted from (?P<amount>.+)$"), N_("converted from %(amount)s")),
    (re.compile(r"^payout failed$"), N_("payout failed")),
    (re.compile(r"^payout reversed$"), N_("payout reversed")),
    (re.compile(r"^rail fee of a failed payout$"), N_("rail fee of a failed payout")),
)


def note_words(note: Any, is_sale: bool) -> str:
    """A ledger entry's description for people: a sale's product as the file gave it; a payout's
    note ("paid via Bank transfer") in the reader's language, the rail named in it too."""
    from warehouse.i18n import translate_text

    text = "" if note is None else str(note)
    if is_sale:
        return text
    for pattern, msgid in _NOTES:
        m = pattern.match(text)
        if m:
            values = {k: translate_text(v) if k == "rail" else v for k, v in m.groupdict().items()}
            return _(msgid, **values)
    return translate_text(text)


def statement_csv(st: Statement, locale: str | None = None) -> bytes:
    """UTF-8 (with BOM, for Excel) CSV: one row per entry plus opening and closing rows, in the
    spreadsheet conventions of the reader's ``locale`` (``warehouse.cells``: a French reader
    gets ``;`` between cells, decimal commas and ``07/12/2026``; no locale: commas, dots, ISO).

    Amounts are numbers (``-12.50``), never text; every text cell is guarded against formulas.
    """
    conv = conventions(locale) if locale else None
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", delimiter=conv.delimiter if conv else ",")

    def row(values: list[Any]) -> None:
        w.writerow([cell(v, conv) for v in values])

    # headers and kinds in words; the references let an accountant trace an entry to its sale,
    # upload or payout
    row([_("Date"), _("Currency"), _("Entry"), _("Description"), _("Amount"), _("Balance"),
         _("Sale reference"), _("Upload reference"), _("Payout reference")])
    opening_words, closing_words = _("Opening balance"), _("Closing balance")
    for c in st.currencies:
        q = quantum(c)
        running = st.opening.get(c, ZERO)
        row([date(st.year, st.month, 1), c, opening_words, opening_words, None, running.quantize(q),
             None, None, None])
        for e in st.entries:
            if e["currency"] != c:
                continue
            running += e["amount"]
            row([e["day"], c, _kind(e["kind"]), note_words(e["note"], bool(e["sale_id"])), e["amount"].quantize(q),
                 running.quantize(q), e["sale_id"], e["upload_id"], e["payout_id"]])
        row([None, c, closing_words, closing_words, None, st.closing.get(c, ZERO).quantize(q), None, None, None])
    if st.elsewhere:  # a part of its own, after a blank line: never in the balance
        w.writerow([])
        row([_("Not held by the programme"), _("Currency"), _("Where the money is"), _("Source"), _("Amount"),
             _("Sales")])
        for o in st.elsewhere:
            row([st.label, o["currency"], _where(o["where"]), _name(o["name"]),
                 o["amount"].quantize(quantum(o["currency"])), o["sales"]])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _region_name(code: str) -> str:
    """A region's name from regions.toml in the reader's language (never its code)."""
    from warehouse.i18n import translate_text

    try:
        return translate_text(get_region(code).name)
    except Exception:  # a region no longer listed: its code is all there is
        return code


_LATIN_DIGITS = str.maketrans("".join(v for k, v in DIGITS.items() if k != "latn"),
                              "0123456789" * (len(DIGITS) - 1))


def _where(where: str) -> str:
    return _(WHERE_WORDS[where]) if where in WHERE_WORDS else where


def _name(name: str) -> str:
    from warehouse.i18n import translate_text

    return translate_text(name)


def _dejavu() -> tuple[Path, Path] | None:
    for d in _FONT_DIRS:
        regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return regular, bold
    return None


def _shapes_text() -> bool:
    """Whether HarfBuzz is there to shape Bengali conjuncts and Urdu's joined letters."""
    try:
        import uharfbuzz  # noqa: F401
    except ImportError:
        return False
    return True


def _font(pdf: Any) -> str:
    """The font family for a PDF in the current language (see :func:`pdf_language`): DejaVu Sans
    when the system has it (Unicode names), else Helvetica (Latin-1 only); for Bengali and Urdu
    the shipped Noto font, with DejaVu Sans for Latin letters and digits, and text shaping."""
    dejavu = _dejavu()
    if dejavu is None:
        return "Helvetica"
    pdf.add_font("DejaVu", "", str(dejavu[0]))
    pdf.add_font("DejaVu", "B", str(dejavu[1]))
    lang = current_language()
    if lang not in SCRIPT_FONTS:
        return "DejaVu"
    family, regular, bold = SCRIPT_FONTS[lang]
    pdf.add_font(family, "", str(SCRIPT_FONTS_DIR / regular))
    pdf.add_font(family, "B", str(SCRIPT_FONTS_DIR / bold))
    pdf.set_fallback_fonts(["DejaVu"])
    pdf.set_text_shaping(use_shaping_engine=True, direction="rtl" if is_rtl(lang) else "ltr")
    return family


def _text(value: Any, font: str, limit: int = 48) -> str:
    text = "" if value is None else str(value)
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    if font == "Helvetica":
        text = text.replace("…", "...").replace("−", "-").encode("latin-1", "replace").decode("latin-1")
    return text


def _kind(kind: str) -> str:
    return _(KIND_WORDS[kind]) if kind in KIND_WORDS else kind


#: languages whose script DejaVu Sans draws (Latin); Bengali and Urdu need SCRIPT_FONTS
PDF_LANGUAGES = frozenset({"en", "fr"})


def pdf_language() -> str:
    """The language a PDF is written in: the reader's when the PDF fonts draw its script (Latin
    with DejaVu Sans; Bengali and Urdu with the shipped fonts, DejaVu Sans and HarfBuzz all
    there), else English."""
    lang = current_language()
    if lang in PDF_LANGUAGES:
        return lang
    if lang in SCRIPT_FONTS and _dejavu() is not None and _shapes_text():
        return lang
    return "en"


def statement_pdf(st: Statement) -> bytes:
    """A printable A4 statement: per currency a summary by kind and every entry of the month, in
    the reader's language when the PDF fonts draw it (:func:`pdf_language`), else in English."""
    with use_language(pdf_language()):
        return _statement_pdf(st)


def _statement_pdf(st: Statement) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    font = _font(pdf)
    locale = user_locale(st.creator_id, get_region(st.region).locale)
    pdf.add_page()
    pdf.set_font(font, "B", 15)
    pdf.cell(0, 9, _text(_("Kasuwa payout statement — %(month)s", month=_pdf_month(st.year, st.month, locale, pdf)),
                         font, 90), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, "", 10)
    pdf.cell(
        0,
        6,
        _text(_("Creator: %(name)s · region %(region)s", name=st.name, region=_region_name(st.region)), font, 120),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if not st.currencies:
        pdf.cell(0, 8, _text(_("No money moved this month."), font, 90), new_x="LMARGIN", new_y="NEXT")
    widths = (22, 34, 62, 36, 36)
    for c in st.currencies:
        pdf.ln(4)
        pdf.set_font(font, "B", 12)
        pdf.cell(0, 8, c, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(font, "", 10)
        opening = _pdf_money(st.opening.get(c, ZERO), c, locale, pdf)
        pdf.cell(0, 6, _text(_("Opening balance: %(amount)s", amount=opening), font, 90), new_x="LMARGIN",
                 new_y="NEXT")
        for kind, total in st.totals(c).items():
            pdf.cell(
                0,
                6,
                _text(_("%(kind)s: %(amount)s", kind=_kind(kind), amount=_pdf_money(total, c, locale, pdf)), font, 90),
                new_x="LMARGIN",
                new_y="NEXT",
            )
        pdf.set_font(font, "B", 10)
        closing = _pdf_money(st.closing.get(c, ZERO), c, locale, pdf)
        pdf.cell(0, 6, _text(_("Closing balance: %(amount)s", amount=closing), font, 90), new_x="LMARGIN",
                 new_y="NEXT")
        pdf.ln(2)
        for head, wd in zip((_("Date"), _("Kind"), _("Description"), _("Amount"), _("Reference")), widths,
                            strict=True):
            pdf.cell(wd, 6, _text(head, font, 30), border="B")
        pdf.ln()
        pdf.set_font(font, "", 9)
        for e in st.entries:
            if e["currency"] != c:
                continue
            ref = e["payout_id"] or e["sale_id"] or ""
            cells = (
                _pdf_day(e["day"], locale, pdf),
                _kind(e["kind"]),
                _text(note_words(e["note"], bool(e["sale_id"])), font, 34),
                _pdf_money(e["amount"], c, locale, pdf),
                _text(ref, font, 20),
            )
            for i, (value, wd) in enumerate(zip(cells, widths, strict=True)):
                pdf.cell(wd, 5.5, _text(value, font), align="R" if i == 3 else "L")
            pdf.ln()
    if st.elsewhere:
        pdf.ln(4)
        pdf.set_font(font, "B", 12)
        pdf.cell(0, 8, _text(_("Not held by the programme (not part of the balance)"), font, 90), new_x="LMARGIN",
                 new_y="NEXT")
        pdf.set_font(font, "", 10)
        for o in st.elsewhere:
            line = _("%(source)s — %(where)s: %(amount)s (%(count)s sales)", source=_name(o["name"]),
                     where=_where(o["where"]), amount=_pdf_money(o["amount"], o["currency"], locale, pdf),
                     count=o["sales"])
            pdf.cell(0, 6, _text(line, font, 110), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(font, "", 8)
    pdf.multi_cell(
        0,
        4,
        _text(
            _("Fees are rounded half-up to the currency's minor unit on each sale or payout; conversions use the "
              "latest rate on or before the payout day and are rounded once. Opening + entries = closing, exactly."),
            font,
            400,
        ),
    )
    return bytes(pdf.output())
