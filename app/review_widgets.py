"""The review page's pieces: filters, the queue table, the reviewer's choice of rows, a decision
on many rows shown and confirmed before it is made, and one row's detail with fix/approve and
reject forms. Each widget owns its ``rq_*`` session-state keys.

A reviewer reads rows as people know them — creator, order, product, amount, what is wrong —
and never an internal id: a row opens by a tap or click on it in the table (single-row
selection). What is open (``rq_open``) and what is chosen for a decision on many rows
(``rq_chosen``) are held as row *identities*, never as table positions: the table's selection is
drawn from ``rq_open`` on every run, and a table is a new widget whenever the rows it lists
change (its key is a digest of their ids), so a selection can never slide onto another row after
a decision or a page change. Filters remember their values
(``rq_keep``) even when their choices are relabelled by new counts or a value has no rows left.

User-supplied text (raw values, products, notes, file names) is only ever drawn with
``st.dataframe``, ``st.text``, ``st.code`` or widget *values* — never as Markdown or HTML.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
import streamlit as st

from warehouse import review
from warehouse.access import Actor
from warehouse.errors import InvalidInput, KasuwaError
from warehouse.i18n import N_, _, headers, ngettext, translate_text
from warehouse.questions import OPEN, answer_words
from warehouse.review import MAX_BULK, BulkPlan, ChoiceChanged, Decision, FlagDetail, QueueFilter, QueuePage, QueueRow

from .errors import show_error
from .format import age, for_people, money, number, plain, source_name, when
from .query_cache import data_changed
from .questions_view import ask_form, exchange

PAGE_SIZE = 50
ALL = "(all)"  # the filters' "any" value; shown as _("(all)")
_FLASH = "rq_flash"
_KEEP = "rq_keep"  # filter key -> the value the reviewer last chose
_CHOSEN = "rq_chosen"  # flag ids the reviewer chose, in the order chosen
_CHOSEN_REGION = "rq_chosen_region"
_DRAWN = "rq_drawn"  # table key -> the positions its ticks were drawn at
_LABELS = "rq_labels"  # filter key -> its choices and their labels as drawn last run
_PLAN = "rq_plan"  # the BulkPlan being shown for confirmation
_CLEAR_NOTE = "rq_clear_note"
_OPEN = "rq_open"  # the flag id of the row open below the table
_LOCALE = "rq_locale"  # the locale the page is drawn in (money, ages)
#: keyboard shortcuts of the row's decisions (Streamlit's button shortcuts; "R" is reserved)
KEYS = {"approve": "Alt+A", "reject": "Alt+X", "next": "Alt+N"}
_STATUSES = {"pending": N_("Pending"), "asked": N_("Asked the creator"), "answered": N_("Answered by the creator"),
             "approved": N_("Approved"), "rejected": N_("Rejected"), ALL: N_("Any status")}
_UPLOAD_FIELDS = {
    "file_name": N_("File"),
    "source": N_("Platform"),
    "profile": N_("Read as"),
    "status": N_("Upload status"),
    "received_at": N_("Received"),
    "uploaded_by": N_("Sent by"),
    "rows_total": N_("Rows in the file"),
    "rows_loaded": N_("Loaded"),
    "rows_flagged": N_("Sent to review"),
    "rows_skipped": N_("Skipped (not sales)"),
    "rows_known": N_("Already loaded before"),
    "upload_id": N_("Upload"),
}
_HISTORY_COLUMNS = {"decided_at": N_("When"), "decided_by": N_("Who"), "decision": N_("Decision"), "note": N_("Note"),
                    "fixes": N_("Values fixed"), "sale_id": N_("Sale")}
#: words for the codes stored in the queue (statuses, decisions, upload statuses)
_CODE_WORDS = {"pending": N_("Pending"), "approved": N_("Approved"), "rejected": N_("Rejected"),
               "approve": N_("Approve"), "reject": N_("Reject"), "loaded": N_("Loaded"),
               "duplicate": N_("Duplicate"), "edit": N_("Edit"), "asked": N_("Asked the creator"),
               "answered": N_("Answered by the creator"), "undone": N_("Undone")}


def _word(code: Any) -> Any:
    """A stored code (status, decision) in the reader's words; anything else as it is."""
    return _(_CODE_WORDS[code]) if isinstance(code, str) and code in _CODE_WORDS else code


def use_locale(locale: str) -> None:
    """The locale this page is drawn in (amounts, ages, counts of the queue's widgets)."""
    st.session_state[_LOCALE] = locale


def flash() -> None:
    """Show (once) the outcome of the decision made before the last rerun."""
    message = st.session_state.pop(_FLASH, None)
    if message:
        st.success(plain(message[0]), icon=":material/check_circle:")
        for line in message[1]:
            st.text(line)


def _set_flash(title: str, lines: list[str] | None = None) -> None:
    st.session_state[_FLASH] = (title, lines or [])
    data_changed()
    st.rerun()


# --- filters -----------------------------------------------------------------------------------


def _sticky_select(container: Any, label: str, labels: dict[str, str], key: str, default: str = ALL,
                   word: Any = None) -> str:
    """A selectbox that keeps the reviewer's value until they change it.

    Streamlit holds a selectbox's value in the browser as the *label* shown, and the labels
    carry counts. When a decision changes a count, the browser would keep showing the old label
    and send it back on the next click, where it matches no choice and Streamlit would fall
    back to the first one, "(all)". So the value is taken from what the reviewer last picked
    (``rq_keep``), a value with no rows left stays offered (with 0, in words: ``word`` turns a
    value into its label, never a stored code), and whenever the chosen
    value's label changes the widget is set anew, so the browser shows the current count."""
    keep: dict[str, str] = st.session_state.setdefault(_KEEP, {})
    drawn: dict[str, dict[str, str]] = st.session_state.setdefault(_LABELS, {})
    before = drawn.get(key)
    incoming = st.session_state.get(key)  # read with the choices it was drawn with last run
    value = incoming if before is not None and incoming in before else keep.get(key, default)
    if value not in labels:
        shown = _(ALL) if value == ALL else (word(value) if word else value)
        labels = {**labels, value: _("%(value)s (0)", value=shown)}
    options = list(labels)
    index = options.index(value)
    if before is not None and (incoming != value or before.get(value) != labels[value]):
        st.session_state[key] = value  # the browser gets the value with its current label
        index = 0  # the value comes from Session State this run; a default would only warn
    picked = str(container.selectbox(label, options, index=index, format_func=lambda v: labels.get(v, str(v)),
                                     key=key))
    if picked not in labels:  # a stale label no choice matches: keep the remembered value
        picked = value
    keep[key] = picked
    drawn[key] = labels
    return picked


def _upload_labels(uploads: list[tuple[str, str, int]]) -> dict[str, str]:
    """An upload by its file name and count; a name sent more than once gets "(2nd)", "(3rd)" … in
    the order the files came, never the upload's internal id."""
    seen: Counter[str] = Counter()
    out = {}
    for upload_id, name, n in uploads:
        seen[name] += 1
        if seen[name] == 1:
            out[upload_id] = _("%(file)s (%(count)s)", file=name, count=n)
        else:
            out[upload_id] = _("%(file)s (file no. %(nth)s) (%(count)s)", file=name, nth=seen[name], count=n)
    return out


def queue_filters(actor: Actor, region: str) -> QueueFilter:
    """Status, creator, failed check, upload and age filters, each keeping its value."""
    cols = st.columns([1, 1, 2, 2, 1])
    status = _sticky_select(cols[0], _("Status"), {k: _(v) for k, v in _STATUSES.items()}, "rq_status",
                            default="pending")
    facets = review.queue_facets(actor, region, None if status == ALL else status)
    every = _(ALL)
    kept = st.session_state.get(_KEEP, {}).get("rq_creator")
    names = review.creator_names(actor, region, [c for c, _n in facets.creators] + ([kept] if kept else []))
    creators = {ALL: every, **{c: _("%(value)s (%(count)s)", value=names.get(c, c), count=number(n))
                               for c, n in facets.creators}}
    creator = _sticky_select(cols[1], _("Creator"), creators, "rq_creator", word=lambda c: names.get(c, c))
    rules = {ALL: every, **{r: _("%(value)s (%(count)s)", value=rule_words(r), count=number(n))
                            for r, n in facets.rules}}
    rule = _sticky_select(cols[2], _("Failed check"), rules, "rq_rule", word=rule_words)
    uploads = {ALL: every, **_upload_labels(facets.uploads)}
    upload = _sticky_select(cols[3], _("Upload"), uploads, "rq_upload")
    min_age = cols[4].number_input(_("Older than (days)"), min_value=0, value=0, step=1, key="rq_age")
    return QueueFilter(
        status=None if status == ALL else status,
        creator_id=None if creator == ALL else creator,
        rule=None if rule == ALL else rule,
        upload_id=None if upload == ALL else upload,
        min_age_days=float(min_age) or None,
    )


def rule_words(rule: str) -> str:
    """A failed check in the reader's words (its suite's reason), never its rule name."""
    return translate_text(review.rule_label(rule))


def queue_caption(matching: int, oldest: Any) -> None:
    """How many rows the filters leave, oldest first, and how long the oldest has waited."""
    loc = st.session_state.get(_LOCALE)
    if oldest is not None and matching:
        st.caption(ngettext("%(count)s row matches these filters; oldest first — the oldest has waited %(age)s.",
                            "%(count)s rows match these filters; oldest first — the oldest has waited %(age)s.",
                            matching, count=number(matching, loc), age=age(oldest, loc)))
    else:
        st.caption(ngettext("%(count)s row matches these filters.", "%(count)s rows match these filters.",
                            matching, count=number(matching, loc)))


def page_picker(total: int) -> int:
    """The page of the filtered queue to show (1-based)."""
    pages = max(1, -(-total // PAGE_SIZE))
    if pages == 1:
        return 1
    if int(st.session_state.get("rq_page", 1) or 1) > pages:
        st.session_state["rq_page"] = pages
    return int(st.number_input(_("Page (of %(pages)s)", pages=pages), 1, pages, 1, key="rq_page"))


# --- the reviewer's choice of rows -------------------------------------------------------------


def chosen(region: str) -> list[str]:
    """The flag ids the reviewer chose in ``region`` (a region change starts a new choice)."""
    if st.session_state.get(_CHOSEN_REGION) != region:
        st.session_state[_CHOSEN_REGION] = region
        st.session_state[_CHOSEN] = []
        st.session_state.pop(_PLAN, None)
        st.session_state.pop(_OPEN, None)
    return list(st.session_state.get(_CHOSEN, []))


def _set_chosen(ids: list[str]) -> None:
    st.session_state[_CHOSEN] = list(dict.fromkeys(ids))


def table_key(flag_ids: list[str]) -> str:
    """The table widget's key: one per list of rows, so its positions always mean these rows."""
    return "rq_table_" + hashlib.sha256("\n".join(flag_ids).encode()).hexdigest()[:16]


def take_table_open(page: QueuePage) -> None:
    """The row the reviewer tapped in the table (as last drawn) becomes the open row; a tap on the
    open row again closes it."""
    ids = [r.flag_id for r in page.rows]
    key = table_key(ids)
    drawn: dict[str, list[int]] = st.session_state.get(_DRAWN, {})
    incoming = st.session_state.get(key)
    if incoming is None or key not in drawn:
        return  # this table was not on screen last run: nothing was tapped in it
    rows = [int(i) for i in (incoming.get("selection", {}).get("rows") or []) if 0 <= int(i) < len(ids)]
    if rows == drawn[key]:
        return
    st.session_state[_OPEN] = ids[rows[0]] if rows else None


def open_row(page: QueuePage) -> str | None:
    """The flag id of the row open below the table, if it is on this page."""
    fid = st.session_state.get(_OPEN)
    return fid if fid in {r.flag_id for r in page.rows} else None


def _amount(r: QueueRow) -> str:
    """The row's amount in the reader's locale, exact, or as the file had it when it is not a number."""
    if r.gross in (None, ""):
        return ""
    try:
        return money(Decimal(str(r.gross)), r.currency or "", st.session_state.get(_LOCALE))
    except (InvalidOperation, ValueError):
        return " ".join(str(x) for x in (r.gross, r.currency) if x)


def row_words(r: QueueRow) -> str:
    """One row as a person names it: its order and creator, or its line in its file."""
    if r.order_id:
        return _("order %(order)s of %(creator)s", order=r.order_id, creator=r.creator)
    return _("line %(line)s of %(file)s", line=number(r.row_number, st.session_state.get(_LOCALE)),
             file=r.file_name or "?")


_FRAME_COLUMNS = (
    N_("Creator"), N_("Order"), N_("Amount"), N_("What is wrong"), N_("Product"), N_("Waiting"), N_("Status"),
    N_("File"), N_("Line"), N_("Decided by"), N_("Note"),
)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _frame(rows: list[QueueRow] | tuple[QueueRow, ...], decided: bool = True) -> pd.DataFrame:
    """The rows as a table with headers in the reader's language: what a person asks about a row
    first, never an internal id, never "None"."""
    loc = st.session_state.get(_LOCALE)
    frame = pd.DataFrame(
        [
            (r.creator, _text(r.order_id), _amount(r), "; ".join(translate_text(x) for x in r.reasons),
             _text(r.product), age(r.flagged_at, loc), _word(r.status),
             _text(r.file_name), number(r.row_number, loc), _text(r.reviewed_by), _text(r.note))
            for r in rows
        ],
        columns=headers(_FRAME_COLUMNS),
    )
    if not decided:
        frame = frame.drop(columns=headers([N_("Decided by"), N_("Note")]))
    return frame


def queue_table(region: str, page: QueuePage) -> None:
    """The page of the queue; a tap on a row opens it (the open row is drawn selected)."""
    ids = [r.flag_id for r in page.rows]
    key = table_key(ids)
    fid = st.session_state.get(_OPEN)
    positions = [ids.index(fid)] if fid in ids else []
    st.session_state[key] = {"selection": {"rows": positions, "columns": [], "cells": []}}
    st.session_state[_DRAWN] = {key: positions}
    st.caption(_("Tap or click a row to open it."))
    st.dataframe(
        _frame(page.rows, decided=any(r.status != "pending" for r in page.rows)),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=key,
    )


def _choose_page(region: str, ids: list[str]) -> None:
    _set_chosen(chosen(region) + ids)


def _choose_matching(actor: Actor, region: str, flt: QueueFilter) -> None:
    try:
        ids = review.matching_flag_ids(actor, region, flt, limit=MAX_BULK + 1)
    except KasuwaError as exc:
        st.session_state["rq_choice_error"] = exc
        return
    if len(ids) > MAX_BULK:
        st.session_state["rq_choice_error"] = InvalidInput(
            _("More than %(limit)s rows match these filters; one decision takes at most %(limit)s. Narrow the "
              "filters, or pick one upload and reject it whole.", limit=number(MAX_BULK))
        )
        return
    _set_chosen(chosen(region) + ids)


def _clear_choice() -> None:
    _set_chosen([])
    st.session_state.pop(_PLAN, None)


def _toggle_chosen(region: str, flag_id: str) -> None:
    mine = chosen(region)
    _set_chosen([i for i in mine if i != flag_id] if flag_id in mine else [*mine, flag_id])


def choice_panel(actor: Actor, region: str, flt: QueueFilter, page: QueuePage, matching: int) -> None:
    """What is chosen (how many, and which rows in words), ways to choose, and the decision forms."""
    mine = chosen(region)
    on_page = {r.flag_id for r in page.rows}
    c1, c2, c3 = st.columns(3)
    c1.button(_("Choose every row on this page"), key="rq_choose_page", on_click=_choose_page,
              args=(region, [r.flag_id for r in page.rows]), disabled=not page.rows)
    c2.button(ngettext("Choose the %(count)s row matching these filters",
                       "Choose all %(count)s rows matching these filters", matching, count=number(matching)),
              key="rq_choose_all", on_click=_choose_matching, args=(actor, region, flt), disabled=not matching)
    c3.button(_("Clear the choice"), key="rq_clear", on_click=_clear_choice, disabled=not mine)
    error = st.session_state.pop("rq_choice_error", None)
    if error is not None:
        show_error(error)
    if not mine:
        st.caption(_("Use the buttons above, or “Add to the choice” on an open row, to decide several at once."))
    else:
        elsewhere = len([i for i in mine if i not in on_page])
        rows = ngettext("%(count)s row chosen", "%(count)s rows chosen", len(mine), count=number(len(mine)))
        st.markdown(f"**{rows}**" + (" " + ngettext("(%(count)s of them not on this page)",
                                                     "(%(count)s of them not on this page)", elsewhere,
                                                     count=number(elsewhere)) if elsewhere else ""))
        with st.expander(_("The rows chosen")):
            st.dataframe(_frame(review.rows_by_id(actor, region, mine), decided=False), hide_index=True,
                         key="rq_chosen_rows")
    if st.session_state.pop(_CLEAR_NOTE, False):
        st.session_state.pop("rq_bulk_note", None)
    with st.form("rq_bulk"):
        note = st.text_input(_("Note (required to reject)"), key="rq_bulk_note")
        a, r, u = st.columns(3)
        do_approve = a.form_submit_button(_("Approve chosen rows…"), icon=":material/done_all:", disabled=not mine)
        do_reject = r.form_submit_button(_("Reject chosen rows…"), icon=":material/remove_done:", disabled=not mine)
        do_upload = u.form_submit_button(_("Reject this whole upload…"), icon=":material/delete_sweep:",
                                         disabled=not flt.upload_id,
                                         help=_("Every pending row of the upload picked in the Upload filter"))
    try:
        if do_approve or do_reject:
            st.session_state[_PLAN] = review.plan_bulk(actor, region, mine, "approve" if do_approve else "reject", note)
            st.rerun()
        if do_upload and flt.upload_id:
            st.session_state[_PLAN] = review.plan_upload_rejection(actor, region, flt.upload_id, note)
            st.rerun()
    except ChoiceChanged as exc:
        _set_chosen([i for i in mine if i not in exc.flag_ids])
        show_error(exc)
    except KasuwaError as exc:
        show_error(exc)


def confirm_panel(actor: Actor, region: str) -> None:
    """The planned decision, exactly as it will be made, with Confirm and Cancel."""
    plan: BulkPlan | None = st.session_state.get(_PLAN)
    if plan is None:
        return
    mine = chosen(region)
    if plan.region != region or (not plan.upload_id and list(plan.flag_ids) != mine):
        st.session_state.pop(_PLAN, None)
        st.warning(_("Your choice changed after the decision was shown, so nothing was decided. Decide again."))
        return
    with st.container(border=True, key="rq_confirm_box"):
        st.markdown(f"**{_('Please confirm this decision')}**")
        st.text(plan.describe())
        if plan.upload_id:
            st.text(ngettext("The first %(shown)s of its %(count)s pending row:",
                             "The first %(shown)s of its %(count)s pending rows:", plan.count,
                             shown=number(len(plan.shown)), count=number(plan.count)))
        st.dataframe(_frame(plan.shown, decided=False).drop(columns=[_("Status")]), hide_index=True,
                     key="rq_plan_rows")
        ok, cancel = st.columns(2)
        if plan.decision == "approve":
            confirm = ngettext("Confirm: approve %(count)s row", "Confirm: approve %(count)s rows", plan.count,
                               count=number(plan.count))
        else:
            confirm = ngettext("Confirm: reject %(count)s row", "Confirm: reject %(count)s rows", plan.count,
                               count=number(plan.count))
        go = ok.button(confirm, type="primary", key="rq_confirm")
        stop = cancel.button(_("Cancel"), key="rq_cancel")
    if stop:
        st.session_state.pop(_PLAN, None)
        st.rerun()
    if not go:
        return
    st.session_state.pop(_PLAN, None)
    try:
        decisions = review.confirm_bulk(actor, plan)
    except ChoiceChanged as exc:
        _set_chosen([i for i in mine if i not in exc.flag_ids])
        show_error(exc)
        return
    except KasuwaError as exc:
        show_error(exc)
        return
    done = set(plan.flag_ids)  # a decision carried out ends that choice, whatever each row's outcome
    _set_chosen([i for i in mine if i not in done])
    st.session_state[_CLEAR_NOTE] = True
    if plan.upload_id:
        _set_flash(ngettext("Done: %(count)s row of %(file)s rejected.", "Done: %(count)s rows of %(file)s rejected.",
                            plan.count, count=number(plan.count), file=plan.file_name))
    words = {r.flag_id: row_words(r) for r in plan.shown}
    _set_flash(_summary(decisions),
               [f"{words.get(d.flag_id, '?')}: {'; '.join(translate_text(r) for r in d.reasons)}"
                for d in decisions if not d.ok])


def _outcome(kind: str, n: int) -> str:
    count = number(n)
    if kind == "approved":
        return ngettext("%(count)s approved", "%(count)s approved", n, count=count)
    if kind == "rejected":
        return ngettext("%(count)s rejected", "%(count)s rejected", n, count=count)
    if kind == "invalid":
        return ngettext("%(count)s still failing checks (kept)", "%(count)s still failing checks (kept)", n,
                        count=count)
    if kind == "conflict":
        return ngettext("%(count)s already decided by someone else", "%(count)s already decided by someone else",
                        n, count=count)
    if kind == "missing":
        return ngettext("%(count)s not found", "%(count)s not found", n, count=count)
    return f"{count} {kind}"


def _summary(decisions: list[Decision]) -> str:
    counts = Counter(d.outcome for d in decisions)
    return _("Done: %(outcomes)s.", outcomes=", ".join(_outcome(k, n) for k, n in counts.items()))


# --- one row -----------------------------------------------------------------------------------


def _kv(mapping: dict[str, Any], key: str | None = None, words: bool = False) -> pd.DataFrame:
    """Name/value pairs as a table; ``words`` shows stored codes (statuses) in words, never a
    file's own values."""
    loc = st.session_state.get(_LOCALE)
    return pd.DataFrame({key or _("Column"): list(mapping),
                         _("Value"): ["" if v is None else when(v, loc) if isinstance(v, datetime)
                                      else str(_word(v) if words else v) for v in mapping.values()]})


def _next_row(page: QueuePage, flag_id: str) -> str | None:
    """The row after ``flag_id`` on the page (the one before it when it is the last)."""
    ids = [r.flag_id for r in page.rows]
    if flag_id not in ids:
        return ids[0] if ids else None
    i = ids.index(flag_id)
    rest = ids[i + 1:] or ids[:i][-1:]
    return rest[0] if rest else None


def _open(flag_id: str | None) -> None:
    st.session_state[_OPEN] = flag_id


def row_detail(actor: Actor, region: str, detail: FlagDetail, page: QueuePage) -> None:
    """What is wrong, the fix form (the flagged fields first), reject, the raw values, the upload
    and the history — the decisions first, since they are what the reviewer came for."""
    row = next(r for r in page.rows if r.flag_id == detail.flag_id)
    following = _next_row(page, detail.flag_id)
    with st.container(border=True, key="rq_row_box"):
        st.header(_("The open row"), anchor=False)
        where = _("line %(line)s of %(file)s", line=number(row.row_number, st.session_state.get(_LOCALE)),
                  file=row.file_name or "?")
        parts = [row_words(row), *([where] if row.order_id else []), _amount(row) or _("no amount"),
                 str(_word(detail.status))]
        st.text(" · ".join(parts))
        st.markdown(f"**{_('What is wrong')}**")
        for reason in detail.reasons:
            st.text(f"• {translate_text(reason)}")
        mine = chosen(region)
        a, b = st.columns(2)
        a.button(_("Next row"), key="rq_next", icon=":material/arrow_downward:", on_click=_open, args=(following,),
                 disabled=following is None, shortcut=KEYS["next"])
        b.button(_("Take out of the choice") if detail.flag_id in mine else _("Add to the choice"),
                 key="rq_toggle_chosen", on_click=_toggle_chosen, args=(region, detail.flag_id))
        exchange(detail.question)
        if detail.status in OPEN:
            st.caption(_("Keys: %(approve)s approves, %(reject)s rejects, %(next)s opens the next row.",
                         approve=KEYS["approve"], reject=KEYS["reject"], next=KEYS["next"]))
            _approve_form(actor, region, detail, following)
            _reject_form(actor, region, detail, following)
            ask_form(actor, region, [detail.flag_id], "rq_row", _("Ask the creator about this row"),
                     after=lambda: (_drop_chosen(detail.flag_id), _open(following)))
    with st.expander(_("As in the file, and where it came from")):
        st.dataframe(_kv(detail.raw), hide_index=True, key="rq_raw")
        shown = [k for k in _UPLOAD_FIELDS if k in detail.upload and k != "upload_id"]
        values = (source_name(detail.upload[k]) if k in ("source", "profile") else detail.upload[k] for k in shown)
        upload = dict(zip(headers(_UPLOAD_FIELDS[k] for k in shown), values, strict=True))
        st.dataframe(_kv(upload, _("Field"), words=True), hide_index=True, key="rq_upload_info")
    st.markdown(f"**{_('Decisions')}**")
    if detail.history:
        history = pd.DataFrame(detail.history).drop(columns=["audit_id", "sale_id"], errors="ignore")
        if "decision" in history and "note" in history:  # a question and an answer, in words
            history["note"] = [answer_words(n) if d == "answered" else translate_text(n) if d == "asked" and n else n
                               for d, n in zip(history["decision"], history["note"], strict=True)]
        if "decision" in history:
            history["decision"] = [_word(v) for v in history["decision"]]
        history = for_people(history, st.session_state.get(_LOCALE))
        history = history.set_axis(headers(_HISTORY_COLUMNS.get(c, c) for c in history.columns), axis=1)
        st.dataframe(history, hide_index=True, key="rq_history")
    else:
        st.text(_("No decision yet."))


def _fix_input(container: Any, detail: FlagDetail, name: str, suggested: tuple[str, str] | None) -> str:
    label = _(review.field_label(name))
    value = detail.value(name)
    if suggested:
        help_text = _("Suggested: %(value)s (%(why)s). The file had: %(was)s", value=suggested[0],
                      why=_(suggested[1]), was=value or _("nothing"))
        return str(container.text_input(label, value=suggested[0], key=f"rq_fix_{detail.flag_id}_{name}",
                                        help=help_text))
    return str(container.text_input(label, value=value, key=f"rq_fix_{detail.flag_id}_{name}"))


def _approve_form(actor: Actor, region: str, detail: FlagDetail, following: str | None) -> None:
    suggestions = detail.suggestions()
    flagged = detail.flagged
    with st.form(f"rq_fix_{detail.flag_id}"):
        st.markdown(_("**Fix and approve** — the row is checked again before it loads"))
        typed: dict[str, str] = {}
        for name in flagged:  # the fields the row was flagged for, first and full width
            typed[name] = _fix_input(st, detail, name, suggestions.get(name))
            if name in suggestions:
                st.caption(_("Suggested from the row itself: %(why)s; the file had “%(was)s”.",
                             why=_(suggestions[name][1]), was=detail.value(name) or _("nothing")))
        others = [n for n in detail.fields if n not in flagged]
        with st.expander(_("Other fields"), expanded=not flagged):
            for start in range(0, len(others), 3):  # row by row, so a phone stacks them in order
                cols = st.columns(3)
                for col, name in zip(cols, others[start:start + 3], strict=False):
                    typed[name] = _fix_input(col, detail, name, suggestions.get(name))
        note = st.text_input(_("Note (optional)"), key=f"rq_fix_note_{detail.flag_id}")
        go = st.form_submit_button(_("Approve"), type="primary", icon=":material/check:", shortcut=KEYS["approve"])
    if not go:
        return
    fixes = {k: v for k, v in typed.items() if v != detail.value(k)}
    try:
        decision = review.approve(actor, region, detail.flag_id, fixes or None, note)
    except KasuwaError as exc:
        show_error(exc)
        return
    if decision.outcome == "approved":
        _drop_chosen(detail.flag_id)
        _open(following)
        _set_flash(_("Approved and loaded into the sales: %(row)s.", row=_words_of(actor, detail)))
    show_error(InvalidInput(_("The row still does not pass the checks, so it stays in the queue.")))
    for reason in decision.reasons:
        st.text(f"• {translate_text(reason)}")


def _words_of(actor: Actor, detail: FlagDetail) -> str:
    order = detail.parsed.get("order_id")
    creator = review.creator_names(actor, detail.region, [detail.creator_id]).get(detail.creator_id)
    if order:
        return _("order %(order)s of %(creator)s", order=order, creator=creator or detail.creator_id)
    return _("line %(line)s of %(file)s", line=number(detail.row_number, st.session_state.get(_LOCALE)),
             file=detail.upload.get("file_name") or "?")


def _drop_chosen(flag_id: str) -> None:
    _set_chosen([i for i in st.session_state.get(_CHOSEN, []) if i != flag_id])


def _reject_form(actor: Actor, region: str, detail: FlagDetail, following: str | None) -> None:
    with st.form(f"rq_reject_{detail.flag_id}"):
        st.markdown(_("**Reject** — the row will not be loaded"))
        note = st.text_input(_("Why (required)"), key=f"rq_reject_note_{detail.flag_id}")
        go = st.form_submit_button(_("Reject"), icon=":material/close:", shortcut=KEYS["reject"])
    if not go:
        return
    try:
        review.reject(actor, region, detail.flag_id, note)
    except KasuwaError as exc:
        show_error(exc)
        return
    _drop_chosen(detail.flag_id)
    _open(following)
    _set_flash(_("Rejected: %(row)s.", row=_words_of(actor, detail)))
