"""Currencies and exact money: ISO 4217 codes and their minor-unit exponents.

Money is ``decimal.Decimal`` in Python and ``DECIMAL(18,4)`` in the warehouse (four places
hold every ISO 4217 exponent). An amount with more decimals than its currency has is an
error to flag, never something to round quietly.
"""

from __future__ import annotations

from decimal import Decimal

# Active ISO 4217 codes (2024 list). Exponent 2 unless listed in _EXPONENTS.
ISO_4217 = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
    BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN
    ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD
    JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
    MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
    QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XOF XPF
    YER ZAR ZMW ZWG""".split()
)

_EXPONENTS = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    "CLF": 4,
    "UYW": 4,
}

#: Scale of every money column in the warehouse.
MONEY_SQL_TYPE = "DECIMAL(18,4)"


def is_currency(code: str) -> bool:
    return code.upper() in ISO_4217


def exponent(code: str) -> int:
    """ISO 4217 minor-unit exponent: NGN 2, XOF 0, KWD 3."""
    code = code.upper()
    if code not in ISO_4217:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return _EXPONENTS.get(code, 2)


def exponents_table() -> list[tuple[str, int]]:
    """(code, exponent) for every currency, to load into SQL as a lookup table."""
    return [(c, _EXPONENTS.get(c, 2)) for c in sorted(ISO_4217)]


def quantum(code: str) -> Decimal:
    """The smallest amount of ``code``: Decimal('0.01') for NGN, Decimal('1') for XOF."""
    return Decimal(1).scaleb(-exponent(code))


def to_minor(amount: Decimal, code: str) -> int:
    """Exact conversion to integer minor units; raises if ``amount`` has too many decimals."""
    scaled = amount.scaleb(exponent(code))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {code} has more decimals than {code} allows ({exponent(code)})")
    return int(scaled)


def from_minor(minor: int, code: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(code))


# --- how people write currencies ----------------------------------------------------------------

#: symbols and local spellings -> ISO 4217, upper case (a currency cell is compared upper-cased,
#: spaces collapsed). The one place this knowledge lives: the parsers derive their patterns from it.
SYMBOLS: dict[str, str] = {
    "$": "USD", "US$": "USD", "₦": "NGN", "N": "NGN", "GH₵": "GHS", "GH¢": "GHS", "₵": "GHS", "GHC": "GHS",
    "KSH": "KES", "KSHS": "KES", "FCFA": "XOF", "F CFA": "XOF", "CFA": "XOF", "RS": "PKR", "RS.": "PKR",
    "₨": "PKR", "৳": "BDT", "TK": "BDT", "€": "EUR", "£": "GBP",
}
#: spellings that are written next to an amount ("₦1,500", "1 234 F CFA", "Rs. 500", "Tk 90")
_IN_AMOUNTS = ("GH₵", "GH¢", "KSh", "Ksh", "F CFA", "FCFA", "CFA", "Rs.", "Rs", "Tk")
_SINGLE = "".join(k for k in SYMBOLS if len(k) == 1 and not k.isalpha())


def _spelling_pattern() -> str:
    parts = []
    for s in sorted(_IN_AMOUNTS, key=len, reverse=True):
        p = "".join(r"\s*" if ch == " " else ("\\" + ch if ch in ".$" else ch) for ch in s)
        parts.append(p)
    return "|".join(parts) + f"|[{_SINGLE.replace('$', chr(92) + '$')}]"


#: a currency written in an amount, as a regular expression (Python ``re`` and DuckDB's RE2 alike)
SYMBOL_PATTERN = _spelling_pattern()
#: the same, plus a three-letter code standing alone ("USD 12.50")
SYMBOL_OR_CODE_PATTERN = SYMBOL_PATTERN + r"|\b[A-Z]{3}\b"
#: local spellings of three letters that are not ISO codes (the fast ISO path must not take them)
LOCAL_THREE_LETTER = tuple(k for k in SYMBOLS if len(k) == 3 and k.isalpha())
