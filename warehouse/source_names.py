"""Sales sources by the names their makers give them, for every page, CSV and PDF.

The warehouse stores a source as a lower-case code (``shopify``, ``stripe``, ``generic``);
people read ``Shopify``, ``Stripe``, "own sales file". One table, used by the app
(``app.format.source_name``) and by the warehouse's own documents (the board report).
"""

from __future__ import annotations

from typing import Any

from .i18n import N_, _

#: payment sources by the names their makers give them (the warehouse stores lower-case codes)
SOURCE_NAMES = {
    "shopify": "Shopify", "stripe": "Stripe", "paypal": "PayPal", "etsy": "Etsy", "etsy-items": "Etsy",
    "gumroad": "Gumroad", "lemonsqueezy": "Lemon Squeezy", "mpesa": "M-Pesa", "bkash": "bKash",
    "flutterwave": "Flutterwave", "paystack": "Paystack", "wave": "Wave", "jazzcash": "JazzCash",
    "easypaisa": "Easypaisa", "buymeacoffee": "Buy Me a Coffee", "orange-money": "Orange Money",
    "selar": "Selar", "stan": "Stan", "payhip": "Payhip", "kofi": "Ko-fi", "nagad": "Nagad",
}
#: codes that mean "no named source or channel", in words
SOURCE_WORDS = {"generic": N_("own sales file"), "programme-store": N_("the programme's store"), "unknown": "",
                "": "", "none": "", "nan": ""}


def source_name(code: Any, channel: Any = None) -> str:
    """A sales source (and its channel) as people name it: ``Shopify``, ``Shopify · Flutterwave``,
    "own sales file" for the generic reader; an unknown channel is left out, never "unknown"."""
    def one(value: Any) -> str:
        text = "" if value is None else str(value).strip()
        key = text.lower()
        if key in SOURCE_NAMES:
            return SOURCE_NAMES[key]
        if key in SOURCE_WORDS:
            return _(SOURCE_WORDS[key]) if SOURCE_WORDS[key] else ""
        if "-" in key and key.split("-")[0] in SOURCE_NAMES:  # a profile's variant: stripe-balance
            return SOURCE_NAMES[key.split("-")[0]]
        return text[:1].upper() + text[1:] if text.islower() else text

    parts = [p for p in (one(code), one(channel)) if p]
    if len(parts) == 2 and parts[0] == parts[1]:
        parts = parts[:1]
    return " · ".join(parts) or _("source not given")
