"""The upload page's pieces: choosing the creator, ingesting each new file once with a progress
bar, the per-file report, and the column-mapping step for files whose headers match no
profile. Session-state keys used here start with ``up_``.

User text (file names, headers, products, raw values, messages that quote them) is drawn with
``st.text``, ``st.dataframe`` or widget values, or escaped with ``format.plain``.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from warehouse.access import Actor
from warehouse.errors import KasuwaError
from warehouse.ingest import IngestResult, ingest_file, save_profile_from_mapping
from warehouse.queries import sales as q

from . import format as fmt
from .errors import show_error
from .query_cache import data_changed

RESULTS = "up_results"  # file key -> IngestResult (or the KasuwaError text)
NOT_IN_FILE = "— not in this file —"
_STAGES = {
    "landing": "Keeping a copy of the file",
    "reading": "Reading the file",
    "parsing": "Reading numbers and dates",
    "validating": "Checking every row",
    "loading": "Loading into the warehouse",
}


def pick_creator(actor: Actor) -> str | None:
    """A creator uploads for themself; a reviewer or admin first picks a creator of their
    regions. Returns the creator id, or None while none is chosen."""
    if actor.role == "creator":
        return actor.creator_id
    targets = q.upload_targets(actor)
    if not targets:
        st.info("There are no creators in your regions yet.")
        return None
    labels = {t["creator_id"]: f"{t['name']} ({t['creator_id']}, {t['region']})" for t in targets}
    return st.selectbox(
        "Upload on behalf of", list(labels), format_func=labels.__getitem__, index=None,
        placeholder="Choose a creator", key="up_creator",
    )


def results() -> dict[str, Any]:
    if RESULTS not in st.session_state:
        st.session_state[RESULTS] = {}
    return st.session_state[RESULTS]


def file_key(creator_id: str, file: Any) -> str:
    return f"{creator_id}:{file.file_id}"


def run_ingest(actor: Actor, creator_id: str, file: Any, number: int, of: int,
               mapping: dict[str, str] | None = None) -> IngestResult | str:
    """Ingest one uploaded file with a live progress bar; a KasuwaError comes back as text."""
    label = f"File {number} of {of}: {fmt.plain(file.name)}"
    with st.status(label, expanded=True) as status:
        bar = st.progress(0.0, text="Starting")

        def progress(stage: str, fraction: float) -> None:
            text = _STAGES.get(stage, fmt.plain(stage.replace("_", " ").capitalize()))
            bar.progress(min(max(float(fraction), 0.0), 1.0), text=text)

        try:
            result: IngestResult | str = ingest_file(
                actor, creator_id, file.name, file.getvalue(), mapping=mapping, progress=progress,
            )
        except KasuwaError as exc:
            result = str(exc)
        ok = isinstance(result, IngestResult) and result.status in ("loaded", "duplicate")
        status.update(label=label + (" — done" if ok else " — needs attention"),
                      state="complete" if ok else "error", expanded=False)
    if isinstance(result, IngestResult) and result.status == "loaded":
        data_changed()
    return result


def _counts(res: IngestResult, locale: str) -> None:
    items = [("Rows in file", res.rows_total), ("Loaded", res.rows_loaded), ("Flagged for review", res.rows_flagged),
             ("Skipped (not sales)", res.rows_skipped), ("Already known", res.rows_known)]
    for col, (label, n) in zip(st.columns(len(items)), items, strict=True):
        col.metric(label, fmt.number(n, locale))


def _validation_table(res: IngestResult) -> None:
    if not res.validation:
        return
    st.caption("Checks run on every row")
    rows = [{
        "result": "✅ pass" if o.success else "❌ fail",
        "check": o.description,
        "column": o.column or "",
        "rows failing": o.unexpected_count,
        "examples": ", ".join(json.dumps(e, ensure_ascii=False, default=str) for e in o.examples[:5]),
    } for o in res.validation]
    st.dataframe(pd.DataFrame(rows), hide_index=True)


def _flagged_table(res: IngestResult) -> None:
    if not res.flagged_examples:
        return
    st.caption(f"Flagged rows (first {len(res.flagged_examples)}), with the reasons")
    rows = [{
        "row": f.get("row_number"),
        "reasons": "; ".join(str(r) for r in f.get("reasons", [])),
        "values in the file": json.dumps(f.get("raw", {}), ensure_ascii=False, default=str),
    } for f in res.flagged_examples]
    st.dataframe(pd.DataFrame(rows), hide_index=True)


def _lines(title: str, lines: list[str]) -> None:
    if lines:
        st.caption(title)
        st.text("\n".join(f"• {line}" for line in lines))


def report(res: IngestResult | str, file_name: str, locale: str) -> None:
    """What happened to one file: outcome, counts, checks, flagged rows, assumptions, next steps."""
    st.text(f"📄 {file_name}")
    if isinstance(res, str):
        st.error(fmt.plain(res), icon=":material/block:")
        return
    if res.status == "duplicate":
        st.info("Already loaded: this exact file was uploaded before, so nothing was loaded again.",
                icon=":material/content_copy:")
        st.text(res.message)
    elif res.status == "rejected":
        st.error(fmt.plain(res.message), icon=":material/block:")
    else:
        st.success(f"Loaded with the **{fmt.plain(res.profile or 'generic')}** profile.",
                   icon=":material/check_circle:")
        _counts(res, locale)
        _validation_table(res)
        _flagged_table(res)
        if res.skipped_reasons:
            st.caption("Rows skipped because they are not sales")
            st.dataframe(pd.DataFrame([{"reason": k, "rows": v} for k, v in res.skipped_reasons.items()]),
                         hide_index=True)
    _lines("What Kasuwa assumed while reading", res.assumptions)
    _lines("Next steps", res.next_steps)


def mapping_step(actor: Actor, creator_id: str, key: str, res: IngestResult, file: Any) -> None:
    """Let the person say which header holds each missing column, re-run the ingest with that
    mapping and, if asked, save it as a profile for the next file like it."""
    st.warning("Kasuwa does not know this file's layout. Tell it which column holds what.",
               icon=":material/table_edit:")
    with st.form(key=f"up_map_{key}"):
        chosen = {
            canon: st.selectbox(canon.replace("_", " ").capitalize(), [NOT_IN_FILE, *res.headers],
                                key=f"up_map_{key}_{canon}")
            for canon in res.missing
        }
        save = st.checkbox("Save this mapping as a profile for next time", key=f"up_map_{key}_save")
        name = st.text_input("Profile name", key=f"up_map_{key}_name", max_chars=60)
        submitted = st.form_submit_button("Load with this mapping", type="primary")
    if not submitted:
        return
    mapping = {canon: header for canon, header in chosen.items() if header != NOT_IN_FILE}
    if not mapping:
        st.error("Choose at least one column.")
        return
    if save and not name.strip():
        st.error("Give the profile a name, or untick ‘Save this mapping’.")
        return
    new = run_ingest(actor, creator_id, file, 1, 1, mapping=mapping)
    results()[key] = new
    if save and isinstance(new, IngestResult) and new.status == "loaded":
        try:
            save_profile_from_mapping(actor, name.strip(), res.headers, mapping, creator_id=creator_id)
            st.session_state[f"up_saved_{key}"] = name.strip()
        except KasuwaError as exc:
            show_error(exc)
            return
    st.rerun()
