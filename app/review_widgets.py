"""The review page's pieces: filters, the queue table, one row's detail with fix/approve and
reject forms, and bulk decisions. Each widget owns its ``rq_*`` session-state keys.

User-supplied text (raw values, products, notes, file names) is only ever drawn with
``st.dataframe``, ``st.text``, ``st.code`` or widget *values* — never as Markdown or HTML.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
import streamlit as st

from warehouse import review
from warehouse.access import Actor
from warehouse.errors import InvalidInput, KasuwaError
from warehouse.review import Decision, FlagDetail, QueueFilter, QueuePage

from .errors import show_error
from .format import age, number, plain
from .query_cache import data_changed

PAGE_SIZE = 50
ALL = "(all)"
_FLASH = "rq_flash"
_STATUSES = {"pending": "Pending", "approved": "Approved", "rejected": "Rejected", ALL: "Any status"}


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


def queue_filters(actor: Actor, region: str) -> tuple[QueueFilter, int]:
    """Status, creator, rule, upload and age filters; returns the filter and the page number."""
    cols = st.columns([1, 1, 2, 2, 1])
    status = cols[0].selectbox("Status", list(_STATUSES), format_func=_STATUSES.__getitem__, key="rq_status")
    facets = review.queue_facets(actor, region, None if status == ALL else status)
    creators = [ALL] + [c for c, _ in facets.creators]
    creator = cols[1].selectbox("Creator", creators, key="rq_creator")
    rules: dict[str, str] = {ALL: ALL, **{r: f"{r} ({n})" for r, n in facets.rules}}
    rule = cols[2].selectbox("Failed check", list(rules), format_func=rules.__getitem__, key="rq_rule")
    uploads: dict[str, str] = {ALL: ALL, **{u: f"{name} · {u} ({n})" for u, name, n in facets.uploads}}
    upload = cols[3].selectbox("Upload", list(uploads), format_func=uploads.__getitem__, key="rq_upload")
    min_age = cols[4].number_input("Older than (days)", min_value=0, value=0, step=1, key="rq_age")
    flt = QueueFilter(
        status=None if status == ALL else status,
        creator_id=None if creator == ALL else creator,
        rule=None if rule == ALL else rule,
        upload_id=None if upload == ALL else upload,
        min_age_days=float(min_age) or None,
    )
    pages = max(1, -(-facets.total // PAGE_SIZE))
    page = 1
    if pages > 1:
        page = int(st.number_input(f"Page (of {pages})", 1, pages, 1, key="rq_page"))
    oldest = f", oldest flagged {age(facets.oldest)} ago" if facets.oldest else ""
    st.caption(f"{number(facets.total)} rows with this status in the region{oldest}.")
    return flt, page


def queue_table(page: QueuePage) -> list[str]:
    """The queue as a table with row selection; returns the selected flag ids."""
    frame = pd.DataFrame(
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
            for r in page.rows
        ],
        columns=[
            "Row",
            "Creator",
            "File",
            "Line",
            "Order",
            "Product",
            "Reasons",
            "Flagged",
            "Status",
            "Decided by",
            "Note",
        ],
    )
    event: Any = st.dataframe(
        frame,
        hide_index=True,
        on_select="rerun",
        selection_mode="multi-row",
        key="rq_table",
        column_config={"Flagged": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
    )
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    return [frame.iloc[i]["Row"] for i in rows if 0 <= i < len(frame)]


def pick_row(page: QueuePage, selected: list[str]) -> str | None:
    """Which row to open: follows the table selection, or chosen here."""
    options = [r.flag_id for r in page.rows]
    if not options:
        return None
    if selected and st.session_state.get("rq_last_selected") != selected:
        st.session_state["rq_open"] = selected[-1]
    st.session_state["rq_last_selected"] = selected
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
        st.dataframe(_kv(detail.upload, "Field"), hide_index=True, key="rq_upload_info")
    st.markdown("**Decisions**")
    if detail.history:
        history = pd.DataFrame(detail.history).drop(columns=["audit_id"], errors="ignore")
        st.dataframe(history, hide_index=True, key="rq_history")
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
            name: cols[i % 3].text_input(name, value=detail.value(name), key=f"rq_fix_{detail.flag_id}_{name}")
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
        _set_flash(f"Row {detail.flag_id} approved and loaded into the sales.")
    show_error(InvalidInput("The row still does not pass the checks, so it stays in the queue."))
    for reason in decision.reasons:
        st.text(f"• {reason}")


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
    _set_flash(f"Row {detail.flag_id} rejected.")


def bulk_panel(actor: Actor, region: str, selected: list[str]) -> None:
    """Approve (as they are) or reject, with one note, every selected row."""
    if not selected:
        st.caption("Select rows in the table to approve or reject several at once.")
        return
    with st.form("rq_bulk"):
        st.markdown(f"**{len(selected)} selected rows**")
        note = st.text_input("Note (required to reject)", key="rq_bulk_note")
        a, r = st.columns(2)
        do_approve = a.form_submit_button("Approve selected", icon=":material/done_all:")
        do_reject = r.form_submit_button("Reject selected", icon=":material/remove_done:")
    if not (do_approve or do_reject):
        return
    try:
        if do_approve:
            decisions = review.bulk_approve(actor, region, selected, note)
        else:
            decisions = review.bulk_reject(actor, region, selected, note)
    except KasuwaError as exc:
        show_error(exc)
        return
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
