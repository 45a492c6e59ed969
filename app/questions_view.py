"""Ask the creator (issue 21): the reviewer's question forms (one row, or the rows chosen) and the
creator's "Questions for you", answered with a tap. A reviewer's own words are shown as written,
as plain text (``st.text``), never as Markdown or HTML."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from app import format as fmt
from app import style
from app.errors import shown_errors
from app.query_cache import data_changed
from warehouse import questions as qs
from warehouse.access import Actor
from warehouse.i18n import _, ngettext

_ASKED = "kasuwa_asked"
_ANSWERED = "kasuwa_answered"
_OWN_LABEL = "own"


def _kind_labels() -> dict[str, str]:
    return {**{k: _(v) for k, v in qs.QUESTIONS.items()}, qs.OWN: _("A question in my own words")}


def ask_form(actor: Actor, region: str, flag_ids: list[str], key: str, title: str,
             after: Callable[[], None] | None = None) -> None:
    """A form that sends ``flag_ids`` back to their creator with one question (what it did is
    said by :func:`asked_flash` on the next run: the rows asked leave the pending queue)."""
    if not flag_ids:
        return
    labels = _kind_labels()
    with st.expander(title, icon=":material/contact_support:"), st.form(key=f"{key}_ask_form"):
        kind = st.radio(_("Question"), list(labels), format_func=labels.__getitem__, key=f"{key}_ask_kind")
        own = st.text_area(_("Your own question (shown to the creator exactly as written)"), key=f"{key}_ask_own",
                           max_chars=qs.MAX_WORDS)
        go = st.form_submit_button(_("Ask the creator"), icon=":material/send:")
    if go:
        with shown_errors():
            n = qs.ask_creator(actor, region, flag_ids, kind, own if kind == qs.OWN else "")
            if after is not None:  # the rows asked leave the pending queue (the open row closes)
                after()
            data_changed()
            st.session_state[_ASKED] = ngettext(
                "%(count)s row was sent to the creator with your question.",
                "%(count)s rows were sent to their creators with your question.", n, count=n)
            st.rerun()


def asked_flash() -> None:
    """Say what the last question sent did (once)."""
    done = st.session_state.pop(_ASKED, None)
    if done:
        st.success(done, icon=":material/contact_support:")


def exchange(question: dict[str, Any] | None) -> None:
    """The row's latest question and its answer, for the reviewer (as plain text)."""
    if not question:
        return
    with st.container(border=True, key="rq_question_box"):
        st.text(_("Question to the creator: %(question)s", question=question["question"]))
        if question["answered"]:
            st.text(_("The creator's answer: %(answer)s", answer=question["answer"]))
            if question["corrected"]:
                st.caption(_("Approving uses the value the creator gave, unless you change it."))
        else:
            st.caption(_("Waiting for the creator's answer."))


def creator_questions(actor: Actor, creator_id: str, locale: str) -> None:
    """The creator's open questions, each answered with a tap (or a few words)."""
    done = st.session_state.pop(_ANSWERED, None)
    with shown_errors():
        open_questions = qs.questions_for(actor, creator_id)
        if done:
            st.success(done, icon=":material/task_alt:")
        if not open_questions:
            return
        style.section(_("Questions for you"))
        st.caption(ngettext("A reviewer has a question about %(count)s row of your files. Your answer helps them "
                            "decide.", "A reviewer has questions about %(count)s rows of your files. Your answers "
                            "help them decide.", len(open_questions), count=fmt.number(len(open_questions), locale)))
        for n, q in enumerate(open_questions[:20]):
            with st.container(border=True, key=f"kasuwa-question-{n}"):
                st.text(q.text)
                st.caption(_("Line %(line)s of %(file)s", line=fmt.number(q.row_number, locale), file=q.file_name))
                if q.values:
                    st.text(q.values)
                if q.choices:
                    cols = st.columns(min(len(q.choices), 4))
                    for i, choice in enumerate(q.choices):
                        cols[i % len(cols)].button(qs.answer_words(choice), key=f"answer_{n}_{choice}",
                                                   on_click=_answer, args=(actor, creator_id, q.question_id, choice),
                                                   use_container_width=True)
                else:
                    with st.form(key=f"answer_form_{n}"):
                        words = st.text_input(_("Your answer"), key=f"answer_words_{n}", max_chars=qs.MAX_WORDS)
                        if st.form_submit_button(_("Send the answer")):
                            _answer(actor, creator_id, q.question_id, words)
                            st.rerun()


def _answer(actor: Actor, creator_id: str, question_id: str, answer: str) -> None:
    with shown_errors():
        qs.answer_question(actor, creator_id, question_id, answer)
        data_changed()
        st.session_state[_ANSWERED] = _("Thank you: your answer was sent to the reviewer.")
