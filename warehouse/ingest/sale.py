"""The canonical sale, declared once.

Every other list of sale fields derives from ``FIELDS``: the columns a profile may map
(``CANONICAL``), the ones an upload must provide (``REQUIRED``), the ones a reviewer may correct
(``EDITABLE``, in form order), the columns written to ``sales`` (``STORED``) and the checked
columns handed to the expectation suite (``FRAME_COLUMNS``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..i18n import N_


@dataclass(frozen=True)
class Field:
    name: str
    meaning: str  # what the column holds, in words (the mapping step shows it); a catalogue msgid
    label: str  # the name a person reads (review form, tables); a catalogue msgid, shown as _(label)
    sql_type: str | None = None  # type in ``sales``; None: read from the file, not stored as such
    required: bool = False  # from the file or the profile's [defaults]
    editable: bool = False  # a reviewer may correct it
    checked: bool = False  # handed to the expectation suite as it is


FIELDS: tuple[Field, ...] = (
    Field("order_id", N_("order or transaction reference"), N_("Order or receipt"), "VARCHAR", False, True, True),
    Field("line", N_("line number within the order"), N_("Line"), "INTEGER", editable=True),
    Field("sold_at", N_("date (and time) of the sale"), N_("Sold at"), "TIMESTAMPTZ", True, True),
    Field("sold_time", N_("time of the sale, when the export keeps it in its own column"), N_("Time")),
    Field("timezone", N_("time zone of the date and time (PST, CET, Africa/Lagos …), when the export says"),
          N_("Time zone")),
    Field("product", N_("product or item name"), N_("Product"), "VARCHAR", False, True, True),
    Field("quantity", N_("units sold (blank means 1)"), N_("Quantity"), "INTEGER", editable=True, checked=True),
    Field("unit_price", N_("price of one unit (gross = unit price x quantity when there is no total)"),
          N_("Unit price")),
    Field("gross", N_("amount the buyer paid"), N_("Amount"), "DECIMAL(18,4)", True, True),
    Field("fees", N_("fees taken by the platform or processor"), N_("Fees"), "DECIMAL(18,4)", editable=True),
    Field("fee_currency", N_("currency of the fees, when the export states them in another currency"),
          N_("Fee currency"), "VARCHAR", editable=True),
    Field("net", N_("amount left after fees"), N_("Net"), "DECIMAL(18,4)", editable=True),
    Field("refunded", N_("amount refunded to the buyer"), N_("Refunded"), "DECIMAL(18,4)", editable=True),
    Field("refunded_flag", N_("yes/no (1/0) whether the sale was refunded in full"), N_("Refunded in full")),
    Field("currency", N_("ISO 4217 currency code or symbol"), N_("Currency"), "VARCHAR", True, True, True),
    # a name or code Kasuwa does not know leaves it blank (and the report says so): it describes a
    # sale, it does not decide whether there was one
    Field("buyer_country", N_("buyer's country (code or name)"), N_("Buyer country"), "VARCHAR", editable=True),
    Field("channel", N_("payment method or sales channel"), N_("Channel"), "VARCHAR", editable=True),
    Field("account", N_("the creator's account the export belongs to, when receipts of two accounts can repeat"),
          N_("Account"), "VARCHAR", editable=True),
    Field("status", N_("payment status"), N_("Status")),
    Field("kind", N_("what kind of transaction the row is (payment received, withdrawal, …)"), N_("Kind")),
)

BY_NAME = {f.name: f for f in FIELDS}
#: canonical column -> meaning: what a profile's [columns] and ``--map`` may name
CANONICAL: dict[str, str] = {f.name: f.meaning for f in FIELDS}
#: what a sale needs besides its amount (DESIGN invariant 11): a time and a currency — from the file,
#: the profile's [defaults] or (currency) the creator's own; gross may come as unit_price x quantity.
#: A missing product is "not named in the file"; a missing order id becomes a line key made from
#: the row's own content (``sql.line_key``), so overlapping exports still count each line once.
REQUIRED: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required and f.name != "gross")
#: what a reviewer may correct, in form order
EDITABLE: tuple[str, ...] = tuple(f.name for f in FIELDS if f.editable)
#: columns of ``sales`` that come from the parsed row (ids, creator, upload are added by the load)
STORED: tuple[str, ...] = tuple(f.name for f in FIELDS if f.sql_type)
MONEY: tuple[str, ...] = tuple(f.name for f in FIELDS if f.sql_type and f.sql_type.startswith("DECIMAL"))
#: derived columns the parse query computes for the suite (see sql.parse_sql)
DERIVED_CHECKS: tuple[str, ...] = (
    "order_key_count", "sold_at_age_days", "sold_at_year", "gross_minor", "net_minor", "amounts_readable",
    "amounts_fit_currency", "cells_ok", "text_ok",
)
#: the frame handed to Great Expectations
FRAME_COLUMNS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.checked) + DERIVED_CHECKS
