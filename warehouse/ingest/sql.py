"""Builds the SQL that turns ``stg`` (text cells) into ``parsed`` (canonical, typed values,
a skip reason, and the derived columns the expectation suite checks).

Identifiers come only from the staging table's own ``c<i>`` names and the canonical column
allow-list; values from profiles (defaults, skip lists) are bound as parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .parse import DateChoice, date_sql
from .profiles import CANONICAL, Profile, SalesRule, SkipRule, ask_rules, norm, sales_rules, skip_rules
from .sale import MONEY


@dataclass
class ParsePlan:
    profile: Profile
    columns: dict[str, int]  # canonical -> staging column index
    headers: list[str]
    comma: dict[str, bool] = field(default_factory=dict)  # money column -> decimal comma?
    dates: DateChoice | None = None
    replaced_chars: bool = False
    continued: bool = False  # ``kw_continued`` holds orders whose first lines are loaded already
    source: str = "stg"  # the staged table it reads (``Staged.table``)
    target: str = "parsed"  # the table the parse query creates (``pipeline.Parsed.table``)
    params: list[Any] = field(default_factory=list)

    def bind(self, value: Any) -> str:
        self.params.append(value)
        return "?"


#: text columns a profile's [defaults] may fill when the file has no such column or the cell is
#: blank (currency has its own chain: column, then the symbol in the amount, then the default)
TEXT_DEFAULTS = ("product", "channel", "buyer_country")


def _t(plan: ParsePlan, canon: str) -> str:
    present = canon in plan.columns or (canon in TEXT_DEFAULTS and canon in plan.profile.defaults)
    return f"t_{canon}" if present else "NULL::VARCHAR"


def datetime_text(date_expr: str, time_expr: str) -> str:
    """The date and time cells joined, or the time cell alone when it already holds the date
    (Gumroad's 'Purchase Time (UTC timezone)' is a whole timestamp: ``2024-05-01 10:00:00 UTC``)."""
    return (f"CASE WHEN regexp_matches(coalesce({time_expr}, ''), '^\\s*[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}')"
            f" THEN {time_expr} ELSE concat_ws(' ', {date_expr}, {time_expr}) END")


def _skip_column(plan: ParsePlan, rule: SkipRule | SalesRule) -> str | None:
    if rule.column in CANONICAL:
        present = rule.column in plan.columns or (rule.column in TEXT_DEFAULTS and rule.column in plan.profile.defaults)
        return _t(plan, rule.column) if present else None
    idx = {norm(h): i for i, h in reversed(list(enumerate(plan.headers)))}.get(norm(rule.column))
    return None if idx is None else f"c{idx}"


def _reason(plan: ParsePlan, reason: str, col: str | None) -> str:
    """A reason in words; ``{value}`` in it becomes the cell's text ("status: failed")."""
    if "{value}" not in reason or col is None:
        return plan.bind(reason)
    return f"replace({plan.bind(reason)}, '{{value}}', coalesce(kw_text({col}), 'blank'))"


def _skip_reason(plan: ParsePlan, rule: SkipRule) -> str:
    return _reason(plan, rule.reason, _skip_column(plan, rule))


def _value_conditions(plan: ParsePlan, col: str, in_: tuple[str, ...], matches: str | None) -> list[str]:
    """SQL conditions "the cell is one of ``in_``" (case and spacing ignored) and "the cell matches
    ``matches``", binding their values in that order (skip rules and sales rules share them)."""
    conds = []
    if in_:
        conds.append(f"lower(trim({col})) IN ({', '.join(plan.bind(v.lower()) for v in in_)})")
    if matches:
        conds.append(f"regexp_matches(coalesce({col}, ''), {plan.bind(matches)})")
    return conds


def _skip_expr(plan: ParsePlan, rule: SkipRule) -> str:
    """A boolean SQL expression for one skip rule, on the canonical text or a named header."""
    col = _skip_column(plan, rule)
    if col is None:
        return "false"
    val = f"lower(trim({col}))"
    conds = _value_conditions(plan, col, rule.in_, None)
    if rule.not_in:
        conds.append(f"({val} IS NULL OR {val} NOT IN ({', '.join(plan.bind(v.lower()) for v in rule.not_in)}))")
    if rule.matches:
        conds += _value_conditions(plan, col, (), rule.matches)
    if rule.blank:
        conds.append(f"({col} IS NULL OR trim({col}) = '')")
    if rule.negative:
        if rule.column not in MONEY or rule.column not in plan.columns:
            return "false"
        conds.append(f"coalesce({_num(plan, rule.column)} < 0, false)")
    if rule.kind_in:
        if "kind" not in plan.columns:
            return "false"
        kinds = ", ".join(plan.bind(v.lower()) for v in rule.kind_in)
        conds.append(f"coalesce(lower(trim(t_kind)) IN ({kinds}), false)")
    return " AND ".join(conds) if conds else "false"


def _ask_expr(plan: ParsePlan) -> str:
    """Why a row that is not a known non-sale still cannot be called a sale (NULL: it can):
    its kind is not on the profile's list of sales."""
    cases = []
    for rule in sales_rules(plan.profile):
        col = _skip_column(plan, rule)
        if col is None:
            if rule.optional:
                continue
            header = " or ".join(f"'{h}'" for h in plan.profile.columns.get(rule.column, (rule.column,))[:3])
            reason = (f"the file has no column saying what kind of entry each row is ({header}), so Kasuwa "
                      "cannot tell its sales from other money: a person decides")
            cases.append(f"WHEN true THEN {plan.bind(reason)}")
            continue
        ok = _value_conditions(plan, col, rule.in_, rule.matches)
        if rule.not_in:
            ok.append(f"(trim(coalesce({col}, '')) = '' OR lower(trim({col})) NOT IN"
                      f" ({', '.join(plan.bind(v.lower()) for v in rule.not_in)}))")
        cases.append(f"WHEN NOT coalesce({' OR '.join(ok)}, false) THEN {_reason(plan, rule.unknown, col)}")
    if not cases:
        return "NULL::VARCHAR"
    return "CASE " + " ".join(cases) + " END"


_YES = "'1', 'true', 'yes', 'y', 'oui', 'refunded'"


#: the cells whose text, not a sale's own identity, may change between two exports of the same
#: line (a later export shows a refund, a new status, a payout date): never part of a line key
_NOT_IDENTITY = frozenset({"refunded", "refunded_flag", "status", "order_id", "line"})


def line_key(plan: ParsePlan) -> str:
    """The key of a line in a file that gives no order id: ``row-`` and the md5 of the cells that
    say what the line is (time, amount, currency, product, kind …) — the same line in the same
    export uploaded again, or in an overlapping export, gets the same key (DESIGN invariant 11)."""
    cells = [f"coalesce(trim(t_{c}), '')" for c in sorted(plan.columns) if c not in _NOT_IDENTITY]
    return f"'row-' || md5(concat_ws('|', {', '.join(cells) or repr('')}))"


def _blank_amount(expr: str) -> str:
    """An optional amount's cell says "nothing": blank, or dashes only (Etsy's ``--``)."""
    return f"({expr} IS NULL OR regexp_full_match(trim({expr}), '[-–—]*'))"


def _num(plan: ParsePlan, canon: str) -> str:
    comma = "true" if plan.comma.get(canon) else "false"
    return f"kw_num(t_{canon}, {comma})"


def parse_sql(plan: ParsePlan, ncols: int) -> str:
    """CREATE TEMP TABLE parsed AS …, reading every row of ``stg``."""
    p = plan.profile
    texts = ", ".join(f"c{i} AS t_{canon}" for canon, i in plan.columns.items()
                      if not (canon in TEXT_DEFAULTS and canon in p.defaults))
    # profile defaults for text columns; bound first because the src CTE comes first in the query
    for canon in TEXT_DEFAULTS:
        if canon in p.defaults:
            value = plan.bind(p.defaults[canon])
            i = plan.columns.get(canon)
            expr = f"CAST({value} AS VARCHAR)" if i is None else \
                f"CASE WHEN c{i} IS NULL OR trim(c{i}) = '' THEN CAST({value} AS VARCHAR) ELSE c{i} END"
            texts += (", " if texts else "") + f"{expr} AS t_{canon}"
    # a CASE stops at the first non-blank cell (usually the first); an AND of every cell's trim()
    # costs 7x more
    blank = ("CASE " + " ".join(f"WHEN c{i} IS NOT NULL AND trim(c{i}) <> '' THEN false" for i in range(ncols))
             + " ELSE true END") if ncols else "true"
    text_ok = "true"
    if plan.replaced_chars:
        text_ok = "NOT contains(concat_ws('|', " + ", ".join(f"c{i}" for i in range(ncols)) + "), '\ufffd')"
    extra = []  # headers named by skip rules (not canonical) stay available as c<i>
    for rule in skip_rules(p):
        if rule.column not in CANONICAL:
            extra.append(rule.column)
    raw_cols = ", ".join(f"c{i}" for i in range(ncols))

    filled = "src"
    if p.fill_down and "order_id" in plan.columns:
        repl = ", ".join(
            f"coalesce(t_{c}, last_value(t_{c} IGNORE NULLS) OVER w) AS t_{c}"
            for c in p.fill_down if c in plan.columns
        )
        if repl:
            filled = (f"(SELECT * REPLACE ({repl}) FROM src WINDOW w AS (PARTITION BY t_order_id ORDER BY _row"
                      " ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))")

    # an [[ask]] rule that matches stops the skip rules (the row goes to a person)
    skip_cases = " ".join([f"WHEN {_skip_expr(plan, r)} THEN NULL" for r in ask_rules(p)]
                          + [f"WHEN {_skip_expr(plan, r)} THEN {_skip_reason(plan, r)}" for r in skip_rules(p)])
    skip = f"CASE WHEN _blank THEN 'empty row' {skip_cases} ELSE NULL END"
    # parameters are positional: each expression is built (and binds its values) in the order it
    # appears in the query below
    # [[ask]] rules first: their conditions come before the sales rules' in the query's text
    asked = " ".join(f"WHEN {_skip_expr(plan, r)} THEN {_skip_reason(plan, r)}" for r in ask_rules(p))
    ask = _ask_expr(plan)
    if asked:
        ask = f"CASE {asked} ELSE {ask} END"

    date_text = _t(plan, "sold_at")
    if "sold_time" in plan.columns and "sold_at" in plan.columns:
        date_text = datetime_text("t_sold_at", "t_sold_time")
    zone = "t_timezone" if "timezone" in plan.columns else None
    sold_at = date_sql(date_text, plan.dates, p.timezone, zone) if plan.dates else "NULL::TIMESTAMPTZ"
    zone_join = ("LEFT JOIN kw_zones kz ON kz.abbr = upper(trim(t_timezone))"
                 " LEFT JOIN kw_zone_names kn ON kn.key = lower(trim(t_timezone))") if zone else ""
    # lines that continue an order whose first lines came in an earlier export (Shopify splits an
    # order across two files): they take the order's values and line numbers from the loaded sale
    continued = plan.continued and "order_id" in plan.columns

    default_ccy = plan.bind(p.defaults["currency"]) if "currency" in p.defaults else "NULL"
    ccy_parts = []
    if "currency" in plan.columns:
        ccy_parts.append("kw_currency(t_currency)")
    if "gross" in plan.columns:
        ccy_parts.append("kw_currency(kw_symbol(t_gross))")
    elif "unit_price" in plan.columns:
        ccy_parts.append("kw_currency(kw_symbol(t_unit_price))")
    ccy_parts.append(default_ccy)
    # CASE, not coalesce: the symbol look-up (a regular expression) runs only where needed
    currency = ccy_parts[-1]
    for part in reversed(ccy_parts[:-1]):
        currency = f"CASE WHEN {part} IS NOT NULL THEN {part} ELSE {currency} END"

    # a blank quantity cell is 1; a file without the column takes the profile's default (a person
    # said "every row is 3 units") or 1
    qty_default = f"TRY_CAST({plan.bind(p.defaults['quantity'])} AS INTEGER)" if "quantity" in p.defaults else "1"
    # the number is read once, below typed0 (n_quantity); a cell that reads as one is never blank
    n_quantity = _num(plan, "quantity") if "quantity" in plan.columns else "NULL::DECIMAL(18,6)"
    qty = ("CASE WHEN n_quantity IS NOT NULL THEN TRY_CAST(CASE WHEN n_quantity = floor(n_quantity)"
           f" THEN n_quantity END AS INTEGER) WHEN t_quantity IS NULL OR trim(t_quantity) = '' THEN {qty_default}"
           " END") if "quantity" in plan.columns else qty_default
    if "gross" in plan.columns:
        gross = _num(plan, "gross")
    else:
        gross = f"{_num(plan, 'unit_price')} * quantity"

    def amount(canon: str, absolute: bool = False) -> str:
        """A blank cell means 0; text that is not a number stays NULL (and gets flagged)."""
        if canon not in plan.columns:
            return "0::DECIMAL(18,6)"
        expr = _num(plan, canon)
        expr = f"abs({expr})" if absolute else expr
        return f"(CASE WHEN {_blank_amount(f't_{canon}')} THEN 0 ELSE {expr} END)"

    if "refunded" in plan.columns:
        refunded = amount("refunded", absolute=True)
    elif "refunded_flag" in plan.columns:
        refunded = f"CASE WHEN lower(trim(t_refunded_flag)) IN ({_YES}) THEN gross_raw ELSE 0 END"
    else:
        refunded = "0::DECIMAL(18,6)"
    net = (f"CASE WHEN {_blank_amount('t_net')} THEN gross_raw - fees_raw ELSE net_raw END"
           if "net" in plan.columns else "gross_raw - fees_raw")
    def major(expr: str, exponent: str = "cx.exponent") -> str:
        """Minor units (kobo, cents) to major by the currency's exponent. Each branch is cast back
        to DECIMAL(18,6): DuckDB keeps an int64 product at width 18, so multiplying by one CASE of
        every scale (scale 10) would overflow from 10^8 up and reject the whole file."""
        if p.amount_unit != "minor":
            return expr
        branches = " ".join(f"WHEN {e} THEN CAST(({expr}) * {f} AS DECIMAL(18,6))"
                            for e, f in ((1, "0.1"), (2, "0.01"), (3, "0.001"), (4, "0.0001")))
        return f"CASE coalesce({exponent}, 2) WHEN 0 THEN CAST({expr} AS DECIMAL(18,6)) {branches} END"

    def micro(expr: str) -> str:
        """Exact int64 millionths of a DECIMAL with at most 6 places, without the int64 overflow
        of ``expr * 1000000`` from 10^6 up (and without slow 128-bit decimal maths)."""
        return (f"(CAST(trunc({expr}) AS BIGINT) * 1000000"
                f" + CAST(({expr} - trunc({expr})) * 1000000 AS BIGINT))")

    refunded_v = refunded if "refunded" not in plan.columns else major("refunded_raw", "exponent")
    if "refunded" in plan.columns and "refunded_flag" in plan.columns:
        # a full-refund flag refunds the whole sale; otherwise the partial refund amount counts
        refunded_v = (f"CASE WHEN lower(trim(t_refunded_flag)) IN ({_YES}) THEN gross_raw"
                      f" ELSE {refunded_v} END")
    line = "1"
    if "order_id" not in plan.columns:
        # identical lines of one file (two equal sales on one day) are lines 1, 2 … of their key
        line = "row_number() OVER (PARTITION BY skip_reason IS NULL, order_id ORDER BY _row)"
    elif "line" in plan.columns:
        line = "coalesce(TRY_CAST(trim(t_line) AS INTEGER), 1)"
    elif p.line_items:
        line = "row_number() OVER (PARTITION BY skip_reason IS NULL, order_id ORDER BY _row)"
        if continued:
            line += " + coalesce(cont_offset, 0)"
    text_present = " AND ".join(
        f"({_blank_amount(_t(plan, c))} OR {c}_raw IS NOT NULL)"
        for c in ("fees", "net", "refunded")
        if c in plan.columns
    ) or "true"

    order_id = f"kw_text({_t(plan, 'order_id')})"
    if "order_id" in plan.columns and p.order_pattern:
        # the order number inside a longer text ("Payment for Order #1234"); other cells keep theirs
        order_id = (f"coalesce(nullif(regexp_extract(coalesce(t_order_id, ''), {plan.bind(p.order_pattern)}, 1), ''),"
                    f" {order_id})")
    if "order_id" not in plan.columns:
        order_id = line_key(plan)
    else:
        # a spreadsheet that opened the file wrote long numeric ids as 1,23456765432346E+021: every
        # such id is the same number, so the row's own cells (date, time, amount, balance …)
        # identify it instead — the same row in an overlapping export gets the same identity
        mangled = ("contains(t_order_id, 'E+') AND regexp_full_match(trim(t_order_id),"
                   " '[0-9][.,][0-9]+[Ee]\\+[0-9]+')")
        # coalesce, not CASE … ELSE: kw_text under a CASE branch costs twice as much
        order_id = f"coalesce(CASE WHEN {mangled} THEN 'row-' || md5(concat_ws('|', {raw_cols})) END, {order_id})"
    damage = "_damage"  # every reader says why a row cannot be trusted (NULL: it can)
    # a file that names no product: '' is "not named in the file" (shown so on every page); a
    # blank cell in a product column is still a question for the suite
    product = f"kw_text({_t(plan, 'product')})" if _t(plan, "product") != "NULL::VARCHAR" else "''"
    if p.defaults.get("product") == "":  # "no product named" is a value (a reviewer's check of such a row)
        product = f"coalesce({product}, '')"
    fee_currency = "kw_currency(t_fee_currency)" if "fee_currency" in plan.columns else "NULL::VARCHAR"
    fill = [c for c in p.fill_down if c in plan.columns]
    cont_first = ("(" + " AND ".join(f"(t_{c} IS NULL OR trim(t_{c}) = '')" for c in fill) + ")") \
        if continued and fill else "false"
    if continued and fill:
        orphan = plan.bind("these lines continue an order whose first lines are in an earlier export that is not "
                           "loaded yet: upload that export first, or a person decides")
        cont_join = "LEFT JOIN kw_continued kco ON t0.cont_first_blank AND kco.order_id = t0.order_id"
        is_cont = "(t0.cont_first_blank AND NOT t0._blank)"
        skip_v = f"CASE WHEN {is_cont} OR damage0 IS NOT NULL THEN NULL ELSE skip_reason0 END"
        cont_cols = f"""{skip_v} AS skip_reason,
           CASE WHEN {skip_v} IS NOT NULL THEN NULL WHEN damage0 IS NOT NULL THEN damage0
                WHEN {is_cont} AND kco.order_id IS NOT NULL THEN NULL
                WHEN {is_cont} THEN {orphan} ELSE ask_reason0 END AS ask_reason,
           coalesce(sold_at0, kco.sold_at) AS sold_at, coalesce(currency0, kco.currency) AS currency,
           coalesce(buyer_country0, kco.buyer_country) AS buyer_country, coalesce(channel0, kco.channel) AS channel,
           kco.line_offset AS cont_offset,"""
    else:
        cont_join = ""
        # a damaged row is never skipped: its cells may be cut or merged, so a person looks at it
        cont_cols = """CASE WHEN damage0 IS NOT NULL AND NOT _blank THEN NULL ELSE skip_reason0 END AS skip_reason,
           CASE WHEN damage0 IS NOT NULL AND NOT _blank THEN damage0
                WHEN skip_reason0 IS NOT NULL THEN NULL ELSE ask_reason0 END AS ask_reason,
           sold_at0 AS sold_at, currency0 AS currency, buyer_country0 AS buyer_country, channel0 AS channel,
           NULL::INTEGER AS cont_offset,"""
    # the second currency look-up only where the export states fees in a currency of their own
    fee_join = "LEFT JOIN kw_currencies cf ON cf.code = coalesce(t.fee_currency, t.currency)" \
        if "fee_currency" in plan.columns else ""
    fee_exponent = "cf.exponent" if fee_join else "cx.exponent"
    cont_cols += """
           CASE WHEN fee_currency0 IS NULL OR fee_currency0 = coalesce(currency0, '') THEN NULL
                ELSE fee_currency0 END AS fee_currency"""

    return f"""
CREATE OR REPLACE TEMP TABLE {plan.target} AS
WITH src AS (
    SELECT _row, _cells, {texts + ',' if texts else ''} ({blank}) AS _blank, {text_ok} AS text_ok,
           {damage} AS damage0, {raw_cols}
    FROM {plan.source}
), typed0 AS (
    SELECT _row, _blank, text_ok, _cells IS NULL AS cells_ok, damage0,
           {skip} AS skip_reason0,
           {ask} AS ask_reason0,
           {order_id} AS order_id,
           {product} AS product,
           {sold_at} AS sold_at0,
           {currency} AS currency0,
           {fee_currency} AS fee_currency0,
           {qty} AS quantity,
           kc.code AS buyer_country0,
           CASE WHEN kc.code IS NULL THEN kw_text({_t(plan, 'buyer_country')}) IS NOT NULL ELSE false END
             AS country_unknown,
           kw_text({_t(plan, 'channel')}) AS channel0,
           kw_text({_t(plan, 'account')}) AS account,
           {cont_first} AS cont_first_blank,
           {', '.join(f't_{c}' for c in plan.columns)}
    FROM (SELECT *, {n_quantity} AS n_quantity FROM {filled}) f
    LEFT JOIN kw_country_keys kc ON kc.key = lower(trim({_t(plan, 'buyer_country')}))
    {zone_join}
), typed AS (
    SELECT t0.*,
           {cont_cols}
    FROM typed0 t0 {cont_join}
), amounts AS (
    SELECT t.*, cx.exponent AS exponent, {fee_exponent} AS fee_exponent,
           {major(gross)} AS gross_raw,
           {major(amount('fees', absolute=True), fee_exponent)} AS fees_raw,
           {major(_num(plan, 'net')) if 'net' in plan.columns else 'NULL::DECIMAL(18,6)'} AS net_raw,
           {refunded if 'refunded' in plan.columns else 'NULL::DECIMAL(18,6)'} AS refunded_raw
    FROM typed t LEFT JOIN kw_currencies cx ON cx.code = t.currency
    {fee_join}
), final AS (
    SELECT *, CASE WHEN fee_currency IS NOT NULL THEN NULL ELSE {net} END AS net_v,
           {refunded_v} AS refunded_v,
           -- DECIMAL(18,6) as exact int64 millionths; integer maths from here on is fast and exact
           CAST(pow(10, 6 - coalesce(exponent, 2)) AS BIGINT) AS per_minor,
           CAST(pow(10, 6 - coalesce(fee_exponent, 2)) AS BIGINT) AS fee_per_minor
    FROM amounts
), micro AS (
    SELECT *, {line} AS line,
           {micro('gross_raw')} AS gross_micro, {micro('fees_raw')} AS fees_micro,
           {micro('net_v')} AS net_micro, {micro('refunded_v')} AS refunded_micro
    FROM final
)
SELECT _row, skip_reason, ask_reason, country_unknown, m.order_id, m.line, product, sold_at, currency,
       fee_currency, quantity, buyer_country, channel, m.account, text_ok, cells_ok,
       gross_raw AS gross, fees_raw AS fees, net_v AS net, refunded_v AS refunded,
       ((epoch(current_timestamp) - epoch(sold_at)) // 86400)::INTEGER AS sold_at_age_days,
       -- the year in UTC from the instant's microseconds: AT TIME ZONE costs 20x more
       year(make_timestamp(epoch_us(sold_at)))::INTEGER AS sold_at_year,
       gross_micro // per_minor AS gross_minor,
       -- a net in another currency than the fees is not computed (NULL in net); 0 here tells the
       -- suite's "net is a number" check that there is nothing to check
       CASE WHEN fee_currency IS NOT NULL THEN 0 ELSE net_micro // per_minor END AS net_minor,
       ({text_present}) AS amounts_readable,
       coalesce(gross_micro % per_minor = 0 AND fees_micro % fee_per_minor = 0
                AND coalesce(net_micro % per_minor = 0, true) AND coalesce(refunded_micro % per_minor = 0, true),
                true) AS amounts_fit_currency
FROM micro m
"""


def dups_sql(plan: ParsePlan) -> str:
    """``<target>_dups``: the order keys that more than one row of the file gives. Counted on the
    parsed table, not inside the parse query: there the count read every row twice and joined
    them all back."""
    # joined on the key alone (checks_sql): a condition on skip_reason in the ON clause turns the
    # hash join into a nested-loop join, quadratic in the duplicated keys (minutes for 100k of
    # them); skipped rows get no count from the CASE in the view
    return (f"CREATE OR REPLACE TEMP TABLE {plan.target}_dups AS SELECT order_id, line, account, count(*) AS n"
            f" FROM {plan.target} WHERE skip_reason IS NULL AND ask_reason IS NULL GROUP BY ALL HAVING count(*) > 1")


def checks_sql(plan: ParsePlan, any_dups: bool) -> str:
    """The view ``<target>_checks`` the suite reads: the parsed rows with the count of their order
    key (``order_key_count``). Without duplicated keys (``<target>_dups`` empty, nearly every file)
    every count is 1 and the view joins nothing: the join costs as much as reading the rows."""
    t = plan.target
    if not any_dups:
        return (f"CREATE OR REPLACE TEMP VIEW {t}_checks AS SELECT *,"
                f" CASE WHEN skip_reason IS NULL THEN 1 END::BIGINT AS order_key_count FROM {t}")
    return (f"CREATE OR REPLACE TEMP VIEW {t}_checks AS SELECT p.*,"
            " CASE WHEN p.skip_reason IS NULL THEN coalesce(d.n, 1) END AS order_key_count"
            f" FROM {t} p LEFT JOIN {t}_dups d ON d.order_id = p.order_id AND d.line = p.line"
            " AND d.account IS NOT DISTINCT FROM p.account")
