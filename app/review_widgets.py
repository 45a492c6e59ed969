"""The review page's pieces: filters, the queue table, the reviewer's choice of rows, a decision
on many rows shown and confirmed before it is made, and one row's detail with fix/approve and
reject forms. Each widget owns its ``rq_*`` session-state keys.

What the reviewer chose is held as row *identities* (flag ids, ``rq_chosen``), never as table
positions: the table's ticks are drawn from that set on every run, and a table is a new widget
whenever the rows it lists change (its key is a digest of their ids), so a tick can never slide
onto another row after a decision or a page change. Filters remember their values
(``rq_keep``) even when their choices are relabelled by new counts or a value has no rows left.

User-supplied text (raw values, products, notes, file names) is only ever drawn with
``st.dataframe``, ``st.text``, ``st.code`` or widget *values* — never as Markdown or HTML.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

import pandas as pd
import streamlit as st

from warehouse import review
from warehouse.access import Actor
from warehouse.errors import InvalidInput, KasuwaError
from warehouse.review import MAX_BULK, BulkPlan, ChoiceChanged, Decision, FlagDetail, QueueFilter, QueuePage, QueueRow

from .errors import show_error
from .format import age, number, plain
from .query_cache import data_changed

PAGE_SIZE = 50
ALL = "(all)"
_FLASH = "rq_flash"
_KEEP = "rq_keep"  # filter key -> the value the reviewer last chose
_CHOSEN = "rq_chosen"  # flag ids the reviewer chose, in the order chosen
_CHOSEN_REGION = "rq_chosen_region"
_DRAWN = "rq_drawn"  # table key -> the positions its ticks were drawn at
_LABELS = "rq_labels"  # filter key -> its choices and their labels as drawn last run
_PLAN = "rq_plan"  # the BulkPlan being shown for confirmation
_CLEAR_NOTE = "rq_clear_note"
_STATUSES = {"pending": "Pending", "approved": "Approved", "rejected": "Rejected", ALL: "Any status"}
_UPLOAD_FIELDS = {
    "file_name": "File",
    "source": "Platform",
    "profile": "Read as",
    "status": "Upload status",
    "received_at": "Received",
    "uploaded_by": "Sent by",
    "rows_total": "Rows in the file",
    "rows_loaded": "Loaded",
    "rows_flagged": "Sent to review",
    "rows_skipped": "Skipped (not sales)",
    "rows_known": "Already loaded before",
    "upload_id": "Upload",
}
_HISTORY_COLUMNS = {"decided_at": "When", "decided_by": "Who", "decision": "Decision", "note": "Note",
                    "fixes": "Values fixed", "sale_id": "Sale"}


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


def _sticky_select(container: Any, label: str, labels: dict[str, str], key: str, default: str = ALL) -> str:
    """A selectbox that keeps the reviewer's value until they change it.

    Streamlit holds a selectbox's value in the browser as the *label* shown, and the labels
    carry counts. When a decision changes a count, the browser would keep showing the old label
    and send it back on the next click, where it matches no choice and Streamlit would fall
    back to the first one, "(all)". So the value is taken from what the reviewer last picked
    (``rq_keep``), a value with no rows left stays offered (with 0), and whenever the chosen
    value's label changes the widget is set anew, so the browser shows the current count."""
    keep: dict[str, str] = st.session_state.setdefault(_KEEP, {})
    drawn: dict[str, dict[str, str]] = st.session_state.setdefault(_LABELS, {})
    before = drawn.get(key)
    incoming = st.session_state.get(key)  # read with the choices it was drawn with last run
    value = incoming if before is not None and incoming in before else keep.get(key, default)
    if value not in labels:
        labels = {**labels, value: f"{value} (0)"}
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
        nth = "" if seen[name] == 1 else f" ({_ordinal(seen[name])} file)"
        out[upload_id] = f"{name}{nth} ({n})"
    return out


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def queue_filters(actor: Actor, region: str) -> QueueFilter:
    """Status, creator, failed check, upload and age filters, each keeping its value."""
    cols = st.columns([1, 1, 2, 2, 1])
    status = _sticky_select(cols[0], "Status", dict(_STATUSES), "rq_status", default="pending")
    facets = review.queue_facets(actor, region, None if status == ALL else status)
    creators = {ALL: ALL, **{c: f"{c} ({n})" for c, n in facets.creators}}
    creator = _sticky_select(cols[1], "Creator", creators, "rq_creator")
    rules = {ALL: ALL, **{r: f"{review.rule_label(r)} ({n})" for r, n in facets.rules}}
    rule = _sticky_select(cols[2], "Failed check", rules, "rq_rule")
    uploads = {ALL: ALL, **_upload_labels(facets.uploads)}
    upload = _sticky_select(cols[3], "Upload", uploads, "rq_upload")
    min_age = cols[4].number_input("Older than (days)", min_value=0, value=0, step=1, key="rq_age")
    oldest = f", oldest flagged {age(facets.oldest)} ago" if facets.oldest else ""
    st.caption(f"{number(facets.total)} rows with this status in the region{oldest}.")
    return QueueFilter(
        status=None if status == ALL else status,
        creator_id=None if creator == ALL else creator,
        rule=None if rule == ALL else rule,
        upload_id=None if upload == ALL else upload,
        min_age_days=float(min_age) or None,
    )


def page_picker(total: int) -> int:
    """The page of the filtered queue to show (1-based)."""
    pages = max(1, -(-total // PAGE_SIZE))
    if pages == 1:
        return 1
    if int(st.session_state.get("rq_page", 1) or 1) > pages:
        st.session_state["rq_page"] = pages
    return int(st.number_input(f"Page (of {pages})", 1, pages, 1, key="rq_page"))


# --- the reviewer's choice of rows -------------------------------------------------------------


def chosen(region: str) -> list[str]:
    """The flag ids the reviewer chose in ``region`` (a region change starts a new choice)."""
    if st.session_state.get(_CHOSEN_REGION) != region:
        st.session_state[_CHOSEN_REGION] = region
        st.session_state[_CHOSEN] = []
        st.session_state.pop(_PLAN, None)
    return list(st.session_state.get(_CHOSEN, []))


def _set_chosen(ids: list[str]) -> None:
    st.session_state[_CHOSEN] = list(dict.fromkeys(ids))


def table_key(flag_ids: list[str]) -> str:
    """The table widget's key: one per list of rows, so its positions always mean these rows."""
    return "rq_table_" + hashlib.sha256("\n".join(flag_ids).encode()).hexdigest()[:16]


def take_table_choice(region: str, page: QueuePage) -> None:
    """Fold the ticks the reviewer changed in the table (as last drawn) into the chosen ids."""
    ids = [r.flag_id for r in page.rows]
    key = table_key(ids)
    drawn: dict[str, list[int]] = st.session_state.get(_DRAWN, {})
    incoming = st.session_state.get(key)
    if incoming is None or key not in drawn:
        return  # this table was not on screen last run: nothing was ticked in it
    rows = sorted(int(i) for i in (incoming.get("selection", {}).get("rows") or []) if 0 <= int(i) < len(ids))
    if rows == sorted(drawn[key]):
        return
    ticked = [ids[i] for i in rows]
    before = chosen(region)
    added = [i for i in ticked if i not in before]
    _set_chosen([c for c in before if c not in ids or c in ticked] + added)
    if added:
        st.session_state["rq_open"] = added[-1]


def _frame(rows: list[QueueRow] | tuple[QueueRow, ...]) -> pd.DataFrame:
    columns = ["Row", "Creator", "File", "Line", "Order", "Product", "Reasons", "Flagged", "Status",
               "Decided by", "Note"]
    return pd.DataFrame(
        [
            {
                "Row": r.flag_id,
                "Creator": r.creator_id,
                "File": r.file_name,
                "Line": r.row_number,
                "Order": r.order_id,
                "Product": r.product,
                "Reasons": "; ".join(r.reasons),
                "Flagged": r.flagged_at,
                "Status": r.status,
                "Decided by": r.reviewed_by,
                "Note": r.note,
            }
            for r in rows
        ],
        columns=columns,
    )


def queue_table(region: str, page: QueuePage) -> None:
    """The page of the queue as a table whose ticks are the chosen rows on it."""
    ids = [r.flag_id for r in page.rows]
    key = table_key(ids)
    mine = set(chosen(region))
    positions = [i for i, fid in enumerate(ids) if fid in mine]
    st.session_state[key] = {"selection": {"rows": positions, "columns": [], "cells": []}}
    st.session_state[_DRAWN] = {key: positions}
    st.dataframe(
        _frame(page.rows),
        hide_index=True,
        on_select="rerun",
        selection_mode="multi-row",
        key=key,
        column_config={"Flagged": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
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
            f"More than {MAX_BULK:,} rows match these filters; one decision takes at most {MAX_BULK:,}. "
            "Narrow the filters, or pick one upload and reject it whole."
        )
        return
    _set_chosen(chosen(region) + ids)


def _clear_choice() -> None:
    _set_chosen([])
    st.session_state.pop(_PLAN, None)


def choice_panel(actor: Actor, region: str, flt: QueueFilter, page: QueuePage, matching: int) -> None:
    """What is chosen (count and ids), ways to choose, and the decision forms for the choice."""
    mine = chosen(region)
    on_page = {r.flag_id for r in page.rows}
    c1, c2, c3 = st.columns(3)
    c1.button("Choose every row on this page", key="rq_choose_page", on_click=_choose_page,
              args=(region, [r.flag_id for r in page.rows]), disabled=not page.rows)
    c2.button(f"Choose all {number(matching)} rows matching these filters", key="rq_choose_all",
              on_click=_choose_matching, args=(actor, region, flt), disabled=not matching)
    c3.button("Clear the choice", key="rq_clear", on_click=_clear_choice, disabled=not mine)
    error = st.session_state.pop("rq_choice_error", None)
    if error is not None:
        show_error(error)
    if not mine:
        st.caption("Tick rows in the table, or use the buttons above, to decide several at once.")
    else:
        elsewhere = len([i for i in mine if i not in on_page])
        rows = f"{len(mine)} row{'s' if len(mine) != 1 else ''} chosen"
        st.markdown(f"**{rows}**" + (f" ({elsewhere} of them not on this page)" if elsewhere else ""))
        st.text("Chosen: " + ", ".join(mine))
    if st.session_state.pop(_CLEAR_NOTE, False):
        st.session_state.pop("rq_bulk_note", None)
    with st.form("rq_bulk"):
        note = st.text_input("Note (required to reject)", key="rq_bulk_note")
        a, r, u = st.columns(3)
        do_approve = a.form_submit_button("Approve chosen rows…", icon=":material/done_all:", disabled=not mine)
        do_reject = r.form_submit_button("Reject chosen rows…", icon=":material/remove_done:", disabled=not mine)
        do_upload = u.form_submit_button("Reject this whole upload…", icon=":material/delete_sweep:",
                                         disabled=not flt.upload_id,
                                         help="Every pending row of the upload picked in the Upload filter")
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
        st.warning("Your choice changed after the decision was shown, so nothing was decided. Decide again.")
        return
    verb = "approve" if plan.decision == "approve" else "reject"
    with st.container(border=True, key="rq_confirm_box"):
        st.markdown("**Please confirm this decision**")
        st.text(plan.describe())
        if plan.upload_id:
            st.text(f"The first {len(plan.shown)} of its {plan.count:,} pending rows:")
        else:
            st.text("Rows: " + ", ".join(plan.flag_ids))
        st.dataframe(_frame(plan.shown).drop(columns=["Status", "Decided by", "Note"]), hide_index=True,
                     key="rq_plan_rows")
        ok, cancel = st.columns(2)
        go = ok.button(f"Confirm: {verb} {plan.count:,} rows", type="primary", key="rq_confirm")
        stop = cancel.button("Cancel", key="rq_cancel")
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
        _set_flash(f"Done: {plan.count:,} rows of {plan.file_name} rejected.")
    _set_flash(_summary(decisions), [f"{d.flag_id}: {'; '.join(d.reasons)}" for d in decisions if not d.ok])


def _summary(decisions: list[Decision]) -> str:
    counts = Counter(d.outcome for d in decisions)
    words = {
        "approved": "approved",
        "rejected": "rejected",
        "invalid": "still failing checks (kept)",
        "conflict": "already decided by someone else",
        "missing": "not found",
    }
    return "Done: " + ", ".join(f"{n} {words.get(k, k)}" for k, n in counts.items()) + "."


# --- one row -----------------------------------------------------------------------------------


def pick_row(page: QueuePage) -> str | None:
    """Which row to open: the one ticked last, or chosen here."""
    options = [r.flag_id for r in page.rows]
    if not options:
        return None
    if st.session_state.get("rq_open") not in options:
        st.session_state["rq_open"] = options[0]
    return str(st.selectbox("Open row", options, key="rq_open"))


def _kv(mapping: dict[str, Any], key: str = "Column", value: str = "Value") -> pd.DataFrame:
    return pd.DataFrame({key: list(mapping), value: ["" if v is None else str(v) for v in mapping.values()]})


def row_detail(actor: Actor, region: str, detail: FlagDetail) -> None:
    """Raw values, reasons, the upload and the history; decision forms while pending."""
    st.subheader("Row detail")
    st.text(
        f"{detail.flag_id} — line {detail.row_number} of the file, creator {detail.creator_id}, status {detail.status}"
    )
    st.markdown("**Why it was flagged**")
    for reason in detail.reasons:
        st.text(f"• {reason}")
    left, right = st.columns(2)
    with left:
        st.markdown("**As in the file**")
        st.dataframe(_kv(detail.raw), hide_index=True, key="rq_raw")
    with right:
        st.markdown("**The upload it came from**")
        upload = {label: detail.upload[k] for k, label in _UPLOAD_FIELDS.items() if k in detail.upload}
        st.dataframe(_kv(upload, "Field"), hide_index=True, key="rq_upload_info")
    st.markdown("**Decisions**")
    if detail.history:
        history = pd.DataFrame(detail.history).drop(columns=["audit_id"], errors="ignore")
        st.dataframe(history.rename(columns=_HISTORY_COLUMNS), hide_index=True, key="rq_history")
    else:
        st.text("No decision yet.")
    if detail.status == "pending":
        _approve_form(actor, region, detail)
        _reject_form(actor, region, detail)


def _approve_form(actor: Actor, region: str, detail: FlagDetail) -> None:
    with st.form(f"rq_fix_{detail.flag_id}"):
        st.markdown("**Fix and approve** — the row is checked again before it loads")
        cols = st.columns(3)
        typed = {
            name: cols[i % 3].text_input(review.field_label(name), value=detail.value(name),
                                         key=f"rq_fix_{detail.flag_id}_{name}")
            for i, name in enumerate(detail.fields)
        }
        note = st.text_input("Note (optional)", key=f"rq_fix_note_{detail.flag_id}")
        go = st.form_submit_button("Approve", type="primary", icon=":material/check:")
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
        _set_flash(f"Row {detail.flag_id} approved and loaded into the sales.")
    show_error(InvalidInput("The row still does not pass the checks, so it stays in the queue."))
    for reason in decision.reasons:
        st.text(f"• {reason}")


def _drop_chosen(flag_id: str) -> None:
    _set_chosen([i for i in st.session_state.get(_CHOSEN, []) if i != flag_id])


def _reject_form(actor: Actor, region: str, detail: FlagDetail) -> None:
    with st.form(f"rq_reject_{detail.flag_id}"):
        st.markdown("**Reject** — the row will not be loaded")
        note = st.text_input("Why (required)", key=f"rq_reject_note_{detail.flag_id}")
        go = st.form_submit_button("Reject", icon=":material/close:")
    if not go:
        return
    try:
        review.reject(actor, region, detail.flag_id, note)
    except KasuwaError as exc:
        show_error(exc)
        return
    _drop_chosen(detail.flag_id)
    _set_flash(f"Row {detail.flag_id} rejected.")
