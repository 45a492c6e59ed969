"""The canonical sale, declared once.

Every other list of sale fields derives from ``FIELDS``: the columns a profile may map
(``CANONICAL``), the ones an upload must provide (``REQUIRED``), the ones a reviewer may correct
(``EDITABLE``, in form order), the columns written to ``sales`` (``STORED``) and the checked
columns handed to the expectation suite (``FRAME_COLUMNS``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    meaning: str  # what the column holds, in words (the mapping step shows it)
    label: str  # the name a person reads (review form, tables)
    sql_type: str | None = None  # type in ``sales``; None: read from the file, not stored as such
    required: bool = False  # from the file or the profile's [defaults]
    editable: bool = False  # a reviewer may correct it
    checked: bool = False  # handed to the expectation suite as it is


FIELDS: tuple[Field, ...] = (
    Field("order_id", "order or transaction reference", "Order or receipt", "VARCHAR", True, True, True),
    Field("line", "line number within the order", "Line", "INTEGER", editable=True),
    Field("sold_at", "date (and time) of the sale", "Sold at", "TIMESTAMPTZ", True, True),
    Field("sold_time", "time of the sale, when the export keeps it in its own column", "Time"),
    Field("timezone", "time zone of the date and time (PST, CET, Africa/Lagos …), when the export says",
          "Time zone"),
    Field("product", "product or item name", "Product", "VARCHAR", True, True, True),
    Field("quantity", "units sold (blank means 1)", "Quantity", "INTEGER", editable=True, checked=True),
    Field("unit_price", "price of one unit (gross = unit price x quantity when there is no total)", "Unit price"),
    Field("gross", "amount the buyer paid", "Amount", "DECIMAL(18,4)", True, True),
    Field("fees", "fees taken by the platform or processor", "Fees", "DECIMAL(18,4)", editable=True),
    Field("fee_currency", "currency of the fees, when the export states them in another currency",
          "Fee currency", "VARCHAR", editable=True),
    Field("net", "amount left after fees", "Net", "DECIMAL(18,4)", editable=True),
    Field("refunded", "amount refunded to the buyer", "Refunded", "DECIMAL(18,4)", editable=True),
    Field("refunded_flag", "yes/no (1/0) whether the sale was refunded in full", "Refunded in full"),
    Field("currency", "ISO 4217 currency code or symbol", "Currency", "VARCHAR", True, True, True),
    # a name or code Kasuwa does not know leaves it blank (and the report says so): it describes a
    # sale, it does not decide whether there was one
    Field("buyer_country", "buyer's country (code or name)", "Buyer country", "VARCHAR", editable=True),
    Field("channel", "payment method or sales channel", "Channel", "VARCHAR", editable=True),
    Field("account", "the creator's account the export belongs to, when receipts of two accounts can repeat",
          "Account", "VARCHAR", editable=True),
    Field("status", "payment status", "Status"),
    Field("kind", "what kind of transaction the row is (payment received, withdrawal, …)", "Kind"),
)

BY_NAME = {f.name: f for f in FIELDS}
#: canonical column -> meaning: what a profile's [columns] and ``--map`` may name
CANONICAL: dict[str, str] = {f.name: f.meaning for f in FIELDS}
#: from the file or the profile's [defaults]; gross may come as unit_price x quantity instead
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
