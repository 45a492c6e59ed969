"""The upload page's pieces: choosing the creator, ingesting each new file once with a progress
bar, the per-file report, and the columns step for files whose layout is no platform's: Kasuwa's
reading of each column over the file's first rows, confirmed or corrected once by the person
(and remembered for their next files of that layout), or the columns it could not find.
Session-state keys used here start with ``up_``.

User text (file names, headers, products, raw values, messages that quote them) is drawn with
``st.text``, ``st.dataframe`` or widget values, or escaped with ``format.plain``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from warehouse.access import Actor
from warehouse.errors import KasuwaError
from warehouse.i18n import N_, _, headers, translate_text
from warehouse.ingest import IngestResult
from warehouse.ingest.mappings import check_constants, check_name, ingest_upload, propose_name
from warehouse.ingest.profiles import MEANING_WORDS, NAME_RULE
from warehouse.ingest.sale import BY_NAME
from warehouse.queries import sales as q
from warehouse.regions import get_region

from . import format as fmt
from . import style
from .charts import country_name
from .errors import show_error
from .query_cache import data_changed

RESULTS = "up_results"  # file key -> IngestResult (or the KasuwaError text)
NOT_IN_FILE = N_("— not in this file —")  # option values (English); shown translated
NO_COUNTRY = N_("As in the file")
_WORLD_CURRENCIES = ("USD", "EUR", "GBP")
#: the meanings the columns step shows, in this order (what a sale needs first)
_STEP_FIELDS = ("sold_at", "gross", "currency", "order_id", "product", "kind", "fees", "net", "refunded",
                "quantity", "unit_price", "buyer_country", "status")


@dataclass(frozen=True)
class EveryRow:
    """A mapping-step choice that is not a column: one value for every row of the file."""

    column: str
    value: str
    label: str

    def __str__(self) -> str:
        return self.label


def _option_labels() -> Any:
    """The options' labels, the two fixed ones in this run's language (made now: Streamlit may
    call a ``format_func`` outside the run)."""
    fixed = {NOT_IN_FILE: _(NOT_IN_FILE), NO_COUNTRY: _(NO_COUNTRY)}
    return lambda option: fixed[option] if isinstance(option, str) and option in fixed else str(option)


def _field(canon: str) -> str:
    """A canonical column's name for people, in the reader's language."""
    return _(BY_NAME[canon].label) if canon in BY_NAME else canon


def _ask(canon: str) -> str:
    """What the columns step asks for ``canon``, in words (the refusal's own words for a meaning)."""
    return _(MEANING_WORDS[canon]) if canon in MEANING_WORDS else _field(canon).lower()
_STAGES = {
    "landing": N_("Keeping a copy of the file"),
    "reading": N_("Reading the file"),
    "parsing": N_("Reading numbers and dates"),
    "validating": N_("Checking every row"),
    "loading": N_("Loading into the warehouse"),
    "done": N_("Done"),
}


def _css_string(text: str) -> str:
    """``text`` as a CSS string: every character but letters, digits and spaces hex-escaped, so
    that nothing in a translation can end the string or the rule."""
    return '"' + "".join(c if c.isalnum() or c == " " else f"\\{ord(c):06x}" for c in text) + '"'


def upload_limit() -> int:
    """The largest file accepted, in bytes: the smaller of Kasuwa's own limit
    (``KASUWA_MAX_UPLOAD_MB``) and Streamlit's ``server.maxUploadSize``."""
    from warehouse.settings import settings

    streamlit_mb = int(st.get_option("server.maxUploadSize") or 200)
    return min(settings().max_upload_bytes, streamlit_mb * 1024 * 1024)


def size_words(size: int, locale: str | None) -> str:
    """``200 MB``, ``200 Mo`` (fr), ``২০০ MB`` (bn): a size in whole megabytes (MiB) by Babel."""
    from babel.units import format_unit

    from warehouse import locales

    mb = max(1, size // (1024 * 1024))
    return locales.native_digits(format_unit(mb, "digital-megabyte", length="short",
                                             locale=locales.parse(locale)), locale)


def file_picker(key: str, locale: str | None) -> list[Any]:
    """Streamlit's file uploader in the reader's language. Streamlit 1.67 writes its button
    ("Upload") and its line under it ("200MB per file") in English and takes no words for them:
    the line is hidden and the button's word replaced by ours (CSS ``content``, every character
    escaped; the button's ``aria-label`` set to the same words for a screen reader), and a caption
    says what to do and the real limit. No user text is involved."""
    word = _css_string(_("Choose files"))
    st.html(
        "<style>"
        ".st-key-kasuwa-uploader [data-testid='stFileUploaderDropzoneInstructions']{display:none}"
        ".st-key-kasuwa-uploader [data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p"
        "{font-size:0;line-height:0}"
        ".st-key-kasuwa-uploader [data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer']"
        f"::after{{content:{word}}}"
        "</style>"
    )
    # the button's name for a screen reader, in the same words (Streamlit takes none for it)
    style.run_script(
        "(()=>{window.kasuwaUploadWord=" + json.dumps(_("Choose files")) + ";if(window.kasuwaUploadSeen)return;"
        "window.kasuwaUploadSeen=1;const f=()=>document.querySelectorAll(\".st-key-kasuwa-uploader "
        "[data-testid='stFileUploaderDropzone'] button\").forEach(b=>{if(b.getAttribute('aria-label')!=="
        "window.kasuwaUploadWord)b.setAttribute('aria-label',window.kasuwaUploadWord)});f();"
        "new MutationObserver(f).observe(document.body,{childList:true,subtree:true})})()", key="kasuwa-upload-word")
    with st.container(key="kasuwa-uploader"):
        files = st.file_uploader(
            _("Sales exports"), accept_multiple_files=True, key=key,
            help=_("The same file uploaded twice is recognised and not counted again."),
        ) or []
    st.caption(_("Drop your files on the box above or press “%(button)s”: CSV, TSV or Excel, up to %(size)s per "
                 "file.", button=_("Choose files"), size=size_words(upload_limit(), locale)))
    return list(files)


def pick_creator(actor: Actor) -> str | None:
    """A creator uploads for themself; a reviewer or admin first picks a creator of their
    regions. Returns the creator id, or None while none is chosen."""
    if actor.role == "creator":
        return actor.creator_id
    targets = q.upload_targets(actor)
    if not targets:
        st.info(_("There are no creators in your regions yet."))
        return None
    labels = {t["creator_id"]: f"{t['name']} ({t['creator_id']}, {t['region']})" for t in targets}
    return st.selectbox(
        _("Upload on behalf of"), list(labels), format_func=labels.__getitem__, index=None,
        placeholder=_("Choose a creator"), key="up_creator",
    )


def results() -> dict[str, Any]:
    if RESULTS not in st.session_state:
        st.session_state[RESULTS] = {}
    return st.session_state[RESULTS]


def file_key(creator_id: str, file: Any) -> str:
    return f"{creator_id}:{file.file_id}"


def saved_key(key: str) -> str:
    """Session-state key of what became of a file's mapping: ``(saved name, None)`` or
    ``(None, why it could not be saved)``."""
    return f"up_saved_{key}"


def run_ingest(actor: Actor, creator_id: str, file: Any, number: int, of: int, *,
               columns: dict[str, str] | None = None, constants: dict[str, str] | None = None,
               save_as: str | None = None) -> IngestResult | str:
    """Ingest one uploaded file with a live progress bar; a KasuwaError comes back as text.
    Earlier refused tries of the same file are forgotten (one upload record per file), and the
    mapping is saved for the creator when ``save_as`` is given and the file loaded."""
    label = _("File %(number)s of %(total)s: %(name)s", number=number, total=of, name=fmt.plain(file.name))
    with st.status(label, expanded=True) as status:
        bar = st.progress(0.0, text=_("Starting"))

        def progress(stage: str, fraction: float) -> None:
            text = _(_STAGES[stage]) if stage in _STAGES else fmt.plain(stage.replace("_", " ").capitalize())
            bar.progress(min(max(float(fraction), 0.0), 1.0), text=text)

        try:
            attempt = ingest_upload(actor, creator_id, file.name, file.getvalue(), columns=columns,
                                    constants=constants, save_as=save_as, progress=progress, confirm=True)
            result: IngestResult | str = attempt.result
            if attempt.saved_as or attempt.save_error:
                st.session_state[saved_key(file_key(creator_id, file))] = (attempt.saved_as, attempt.save_error)
        except KasuwaError as exc:
            result = str(exc)
        ok = isinstance(result, IngestResult) and result.status in ("loaded", "duplicate", "waiting")
        waits = isinstance(result, IngestResult) and result.status == "waiting"
        asks = isinstance(result, IngestResult) and result.confirm
        status.update(label=(_("%(file)s — kept, loads when its region is back", file=label) if waits else
                             _("%(file)s — check its columns below", file=label) if asks else
                             _("%(file)s — done", file=label) if ok else
                             _("%(file)s — needs attention", file=label)),
                      state="complete" if ok else "error", expanded=False)
    if isinstance(result, IngestResult) and result.status == "loaded":
        data_changed()
    return result


def _counts(res: IngestResult, locale: str) -> None:
    items = [(_("Rows in file"), res.rows_total), (_("Loaded"), res.rows_loaded),
             (_("Flagged for review"), res.rows_flagged), (_("Skipped (not sales)"), res.rows_skipped),
             (_("Already known"), res.rows_known)]
    for col, (label, n) in zip(st.columns(len(items)), items, strict=True):
        col.metric(label, fmt.number(n, locale))


def _words(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its (English msgid) headers in the reader's language, kept unique."""
    return df.set_axis(headers(df.columns), axis=1)


def _validation_table(res: IngestResult) -> None:
    """Each check as the rows it looks for ("Rows where the amount is negative") and how many it
    found: a count of none reads as a pass without phrasing a failure next to "pass"."""
    if not res.validation:
        return
    st.caption(_("Checks run on every row"))
    rows = [{
        N_("Rows where …"): translate_text(o.description),
        N_("Found"): _("✅ none") if o.success else f"⚠️ {o.unexpected_count}",
        N_("For example"): ", ".join(_("(blank)") if e is None else str(e) for e in o.examples[:5]),
    } for o in res.validation]
    st.dataframe(_words(pd.DataFrame(rows)), hide_index=True)


def _flagged_table(res: IngestResult, locale: str | None = None) -> None:
    """The first flagged rows with their reasons in full: a grid on a wide screen, cards on a
    phone (a grid cell cut "date is missing or not und…" at 390 px)."""
    if not res.flagged_examples:
        return
    st.caption(_("Flagged rows (first %(count)s), with the reasons", count=len(res.flagged_examples)))
    rows = [{
        N_("Row"): fmt.number(f.get("row_number"), locale),
        N_("Why"): "; ".join(translate_text(str(r)) for r in f.get("reasons", [])),
        N_("Values in the file"): q.readable_values(json.dumps(f.get("raw", {}), ensure_ascii=False, default=str)),
    } for f in res.flagged_examples]
    df = _words(pd.DataFrame(rows))
    style.table(df, f"flagged-{res.upload_id}", {c: c for c in df.columns}, title=df.columns[0],
                grid_key=f"up_flagged_{res.upload_id}",
                column_config={df.columns[1]: st.column_config.TextColumn(width="large")})


def profile_words(profile: str | None) -> str:
    """How a file was read, in words: a platform profile's title ("Stripe payments export"), the
    generic reader's, or the name a creator gave their saved columns — never a bare code."""
    from warehouse.ingest.profiles import get_profile

    try:
        title = get_profile(profile or "generic").title
    except KasuwaError:
        title = None
    return translate_text(title) if title else (profile or "")


def span_block(res: IngestResult, locale: str, creator_view: bool) -> None:
    """The file's sales from the first day to the last (the reader's locale) and, for the creator,
    a button that opens My sales on exactly those days: a file whose sales lie outside the
    period chosen there would otherwise seem to show nothing new."""
    if res.first_sale is None or res.last_sale is None:
        return
    if res.first_sale == res.last_sale:
        words = _("This file's sales are from %(day)s.", day=fmt.when(res.first_sale, locale))
    else:
        words = _("This file's sales run from %(first)s to %(last)s.", first=fmt.when(res.first_sale, locale),
                  last=fmt.when(res.last_sale, locale))
    st.markdown(fmt.plain(words))
    if creator_view and st.button(_("See these sales"), icon=":material/monitoring:",
                                  key=f"up_span_{res.upload_id}"):
        open_sales_on(res.first_sale, res.last_sale)


def open_sales_on(first: Any, last: Any) -> None:
    """Open My sales with its dates set to ``first``–``last`` (``pickers.period_picker`` takes them)."""
    from pathlib import Path

    from streamlit.errors import StreamlitAPIException

    from .pickers import go_to_period

    go_to_period("sales_period", first, last)
    try:  # by its file (the navigation's pages are named relative to app/main.py)
        st.switch_page(Path(__file__).resolve().parent.parent / "pages" / "sales.py")
    except StreamlitAPIException:  # a page run outside the app's navigation (a page test)
        st.caption(_("My sales opens on these days."))


def _lines(title: str, lines: list[str]) -> None:
    if lines:
        st.caption(title)
        st.text("\n".join(f"• {line}" for line in lines))


def report(res: IngestResult | str, file_name: str, locale: str, creator_view: bool = False) -> None:
    """What happened to one file: outcome, counts, the days its sales cover (with a button to see
    them, for the creator), checks, flagged rows, assumptions, next steps."""
    st.text(f"📄 {file_name}")
    if isinstance(res, str):
        st.error(fmt.plain(translate_text(res)), icon=":material/block:")
        return
    if res.status == "waiting":  # a region on its own host that cannot be reached: kept, loads later
        st.info(fmt.plain(translate_text(res.message)), icon=":material/schedule:")
    elif res.status == "duplicate":
        # its stored message names the earlier upload's id and an ISO moment: the sentence says it all
        st.info(_("Already loaded: this exact file was uploaded before, so nothing was loaded again."),
                icon=":material/content_copy:")
    elif res.status == "rejected" and res.confirm:
        return  # the columns step below says what to do
    elif res.status == "rejected" and res.missing:
        st.error(fmt.plain(needs_mapping_message(res.missing)), icon=":material/table_edit:")
        return
    elif res.status == "rejected":
        st.error(fmt.plain(translate_text(res.message)), icon=":material/block:")
    else:
        st.success(_("Loaded with the **%(profile)s** profile.", profile=fmt.plain(profile_words(res.profile))),
                   icon=":material/check_circle:")
        _counts(res, locale)
        span_block(res, locale, creator_view)
        _validation_table(res)
        _flagged_table(res, locale)
        if res.skipped_reasons:
            st.caption(_("Rows skipped because they are not sales"))
            st.dataframe(_words(pd.DataFrame([{N_("Reason"): translate_text(k), N_("Rows"): v}
                                              for k, v in res.skipped_reasons.items()])), hide_index=True)
    _lines(_("What Kasuwa assumed while reading"), [translate_text(a) for a in res.assumptions])
    _lines(_("Next steps"), [translate_text(s) for s in res.next_steps])


def needs_mapping_message(missing: list[str]) -> str:
    """What to do when Kasuwa cannot find some columns, in words (no command-line syntax)."""
    wanted = [_ask(c) for c in missing]
    listed = wanted[0] if len(wanted) == 1 else _("%(items)s and %(last)s", items=", ".join(wanted[:-1]),
                                                   last=wanted[-1])
    return _("Kasuwa could not tell which of this file's columns hold %(columns)s. Choose them below, then press "
             "‘Load with these columns’. Nothing from this file was loaded yet; the file itself is kept.",
             columns=listed)


def _options(canon: str, headers: list[str], region: str | None) -> list[Any]:
    options: list[Any] = [NOT_IN_FILE, *headers]
    if canon == "currency":
        codes = [*(get_region(region).currencies if region else ()), *_WORLD_CURRENCIES]
        options += [EveryRow("currency", c, _("All these rows are in %(currency)s", currency=c))
                    for c in dict.fromkeys(codes)]
    elif canon == "product":
        options.append(EveryRow("product", "", _("The same product on every row (type its name below)")))
    return options


def _preset(canon: str, options: list[Any], res: IngestResult) -> int:
    """The option Kasuwa proposes for ``canon``: the column it read, or its one value for every row."""
    header = res.columns.get(canon)
    if header in options:
        return options.index(header)
    value = res.proposed.get(canon)
    for i, o in enumerate(options):
        if isinstance(o, EveryRow) and o.column == canon and o.value == value:
            return i
    return 0


def _preview(res: IngestResult) -> None:
    """The file's first rows, with Kasuwa's reading of each column above it ("Date of the sale")."""
    if not res.preview:
        return
    read_as = {h: _field(c) for c, h in res.columns.items()}
    names = [f"{h} → {read_as[h]}" if h in read_as else h for h in res.headers]
    width = len(res.headers)
    rows = [(r + [""] * width)[:width] for r in res.preview]
    st.caption(_("The first rows of your file, with what Kasuwa read in each column"))
    st.dataframe(pd.DataFrame(rows, columns=pd.Index(names)), hide_index=True)


def columns_step(actor: Actor, creator_id: str, key: str, res: IngestResult, file: Any,
                 locale: str | None = None) -> None:
    """Kasuwa's reading of the file's columns (each preset to what it read), over the file's first
    rows: the person confirms it or corrects it — a column, or one value for every row (a
    currency, a product, the buyers' country) — and the file is loaded with that and, unless they
    untick it, remembered for their next files of this layout. When columns are missing, they are
    asked first. The name is checked before anything is loaded."""
    if res.confirm:
        st.info(_("Kasuwa read this file by what its columns mean. Check its reading below — the columns marked "
                  "“check” most of all — and press ‘Load with these columns’. It remembers your answer for your "
                  "next files with the same columns."), icon=":material/fact_check:")
    else:
        st.warning(_("Kasuwa does not know this file's layout yet. Tell it which of your columns holds what; it "
                     "remembers your answer for your next files with the same columns."), icon=":material/table_edit:")
    _preview(res)
    region = res.region
    # what earlier tries asked stays on the form with its answer, so a second try keeps the first's
    asked_key = f"up_map_{key}_asked"
    asked = list(dict.fromkeys([*st.session_state.get(asked_key, []), *res.missing]))
    st.session_state[asked_key] = asked
    shown = [*asked, *(c for c in _STEP_FIELDS
                       if c not in asked and (c in res.columns or c in res.unsure or c in res.proposed))]
    labels = _option_labels()
    with st.form(key=f"up_map_{key}"):
        chosen = {}
        for canon in shown:
            options = _options(canon, res.headers, region)
            label = _field(canon)
            if canon in res.unsure:
                label = _("%(field)s (check)", field=label)
            chosen[canon] = st.selectbox(
                label, options, index=_preset(canon, options, res), format_func=labels,
                key=f"up_map_{key}_{canon}", help=_("The column holding %(what)s.", what=_ask(canon)))
        product_name = ""
        if "product" in asked or ("product" in shown and "product" not in res.columns):
            product_name = st.text_input(_("Product name for every row (when your file has no product column)"),
                                         key=f"up_map_{key}_product_name", max_chars=200)
        countries = [EveryRow("buyer_country", c, _("All buyers are in %(country)s", country=country_name(c, locale)))
                     for c in (get_region(region).countries if region else ())]
        country = st.selectbox(
            _("Buyers' country"), [NO_COUNTRY, *countries],
            format_func=labels, key=f"up_map_{key}_country",
            help=_("Used for rows whose country is blank, or every row when the file has no country column."))
        units = 1
        if "quantity" not in res.columns:
            units = int(st.number_input(_("Units in every row (your file has no quantity column)"), min_value=1,
                                        max_value=1_000_000, value=1, step=1, key=f"up_map_{key}_units"))
        save = st.checkbox(_("Remember these columns for my next files like this one"), value=True,
                           key=f"up_map_{key}_save")
        name = st.text_input(_("Name for these columns"), value=propose_name(creator_id, file.name),
                             key=f"up_map_{key}_name", max_chars=41, help=_(NAME_RULE) + ".")
        submitted = st.form_submit_button(_("Load with these columns"), type="primary")
    if not submitted:
        return
    columns = {c: v for c, v in chosen.items() if isinstance(v, str) and v != NOT_IN_FILE}
    constants = {c: v.value for c, v in chosen.items() if isinstance(v, EveryRow)}
    if "product" in constants:
        constants["product"] = product_name.strip()
    if isinstance(country, EveryRow):
        constants["buyer_country"] = country.value
    if units != 1:
        constants["quantity"] = str(units)
    if not columns and not constants:
        st.error(_("Choose one of your columns, or a value for every row, for at least one of the questions above."))
        return
    try:
        check_constants(constants)
        save_as = check_name(creator_id, name) if save else None  # before anything is loaded
    except KasuwaError as exc:
        show_error(exc)
        return
    results()[key] = run_ingest(actor, creator_id, file, 1, 1, columns=columns, constants=constants, save_as=save_as)
    st.rerun()
