"""Ask the creator (issue 21): a reviewer sends one flagged row, or a filtered set, back to the
creator with a question; the creator answers; the row comes back to the queue marked answered.

States of a flagged row: pending → asked → answered → approved | rejected (a reviewer may also
decide an asked row without waiting, or ask again). Every change is a conditional UPDATE (of two
people acting on one row at once exactly one wins) and a row of ``review_audit`` (decision
``asked`` or ``answered``), so the row's history shows each step; ``row_questions`` keeps the
question and the answer.

The standard questions (:data:`QUESTIONS`) are stored by kind and shown in the reader's language;
a reviewer's own question is stored and shown exactly as written (pages show it as text, never
as HTML or Markdown). An answer is a tap (yes / no, or a currency) or, for the reviewer's own
question, a few words; a currency answer is also a corrected value, which an approval uses
unless the reviewer fixes that column themself.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .access import Actor, require_answer_for, require_review
from .db import warehouse
from .errors import Conflict, InvalidInput, NotFound
from .i18n import N_, _
from .money import is_currency

#: the standard questions, by kind (shown in the reader's language)
QUESTIONS = {
    "is_sale": N_("Is this a sale?"),
    "currency": N_("Which currency is this amount in?"),
    "discount": N_("Is this a discount on the same order?"),
}
OWN = "own"
KINDS = (*QUESTIONS, OWN)
YES_NO = ("yes", "no")
ANSWER_WORDS = {"yes": N_("Yes"), "no": N_("No")}
#: statuses a reviewer can still act on (ask, approve, reject)
OPEN = ("pending", "asked", "answered")
MAX_ASK = 1000
MAX_WORDS = 500


@dataclass(frozen=True)
class Question:
    """One open question to a creator, as the creator sees it (``question_id`` is for the answer
    call only, never shown). ``choices``: the answers offered as taps (codes); empty for a
    question in the reviewer's own words (answered in words)."""

    question_id: str
    region: str
    file_name: str
    received_at: datetime | None
    row_number: int
    values: str
    kind: str
    text: str
    choices: tuple[str, ...]
    asked_at: datetime | None


def question_text(kind: str, own_words: str | None) -> str:
    """The question in the reader's language (a standard one) or as the reviewer wrote it."""
    if kind in QUESTIONS:
        return _(QUESTIONS[kind])
    return own_words or ""


def _audit_id() -> str:
    return f"{time.time_ns():020d}-{secrets.token_hex(4)}"


def ask_creator(actor: Actor, region: str, flag_ids: Iterable[str], kind: str, own_words: str = "") -> int:
    """Send ``flag_ids`` (one row or a filtered set) back to their creators with one question.
    Rows already decided are left alone; returns how many rows were asked. One transaction."""
    require_review(actor, region)
    if kind not in KINDS:
        raise InvalidInput(_("Choose one of the questions, or write your own."))
    own_words = (own_words or "").strip()
    if kind == OWN and not own_words:
        raise InvalidInput(_("Write the question you want to ask."))
    if len(own_words) > MAX_WORDS:
        raise InvalidInput(_("Keep the question under %(limit)s characters.", limit=MAX_WORDS))
    ids = list(dict.fromkeys(str(i) for i in flag_ids))
    if not ids:
        raise InvalidInput(_("Choose the rows to ask about first."))
    if len(ids) > MAX_ASK:
        raise InvalidInput(_("Ask about at most %(limit)s rows at once (%(count)s chosen).", limit=MAX_ASK,
                             count=len(ids)))
    note = own_words if kind == OWN else QUESTIONS[kind]
    prefix = _audit_id() + "-"
    with warehouse(region).transaction() as cur:
        rows = cur.execute(
            "SELECT flag_id, upload_id, creator_id FROM flagged_rows"
            " WHERE flag_id IN (SELECT unnest(CAST(? AS VARCHAR[]))) AND status IN ('pending', 'answered')"
            " ORDER BY flag_id",
            [ids],
        ).fetchall()
        if not rows:
            raise Conflict(_("None of these rows is waiting for a decision any more; refresh the queue."))
        chosen = [str(r[0]) for r in rows]
        cur.execute(
            "UPDATE flagged_rows SET status = 'asked' WHERE flag_id IN (SELECT unnest(CAST(? AS VARCHAR[])))"
            " AND status IN ('pending', 'answered')",
            [chosen],
        )
        cur.executemany(
            "INSERT INTO row_questions (question_id, flag_id, upload_id, creator_id, kind, own_words, asked_by,"
            " asked_at) VALUES (?, ?, ?, ?, ?, ?, ?, current_timestamp)",
            [(f"{prefix}{n:06d}", f, u, c, kind, own_words or None, actor.user_id) for n, (f, u, c) in enumerate(rows)],
        )
        cur.executemany(
            "INSERT INTO review_audit (audit_id, flag_id, upload_id, creator_id, decision, decided_by, decided_at,"
            " note) VALUES (?, ?, ?, ?, 'asked', ?, current_timestamp, ?)",
            [(f"{prefix}{n:06d}", f, u, c, actor.user_id, note) for n, (f, u, c) in enumerate(rows)],
        )
    return len(rows)


def _choices(kind: str, currencies: list[str]) -> tuple[str, ...]:
    if kind == "currency":
        return tuple(currencies)
    return YES_NO if kind in QUESTIONS else ()


def questions_for(actor: Actor, creator_id: str) -> list[Question]:
    """The creator's open questions, oldest first (the creator themself only)."""
    from control.directory import creator_region

    from .queries.sales import readable_values
    from .regions import get_region

    require_answer_for(actor, creator_id)
    region = creator_region(creator_id)
    rows = warehouse(region).dicts(
        "SELECT q.question_id, q.kind, q.own_words, q.asked_at, f.row_number, CAST(f.raw AS VARCHAR) AS raw,"
        " json_extract_string(f.parsed, '$.currency') AS currency, u.file_name, u.received_at"
        " FROM row_questions q JOIN flagged_rows f ON f.flag_id = q.flag_id AND f.status = 'asked'"
        " LEFT JOIN uploads u ON u.upload_id = q.upload_id"
        " WHERE q.creator_id = ? AND q.answered_at IS NULL"
        " AND q.question_id = (SELECT max(question_id) FROM row_questions x WHERE x.flag_id = q.flag_id)"
        " ORDER BY q.asked_at, f.row_number",
        [creator_id],
    )
    own = list(get_region(region).currencies)
    out = []
    for r in rows:
        currencies = list(dict.fromkeys([*([r["currency"]] if r["currency"] and is_currency(r["currency"]) else []),
                                         *own, "USD"]))
        out.append(Question(str(r["question_id"]), region, str(r["file_name"] or ""), r["received_at"],
                            int(r["row_number"]), readable_values(r["raw"]), str(r["kind"]),
                            question_text(str(r["kind"]), r["own_words"]), _choices(str(r["kind"]), currencies),
                            r["asked_at"]))
    return out


def answer_words(answer: str | None) -> str:
    """An answer in the reader's words: yes/no translated, a currency code or the creator's words as
    they are."""
    if answer in ANSWER_WORDS:
        return _(ANSWER_WORDS[answer])
    return answer or ""


def answer_question(actor: Actor, creator_id: str, question_id: str, answer: str) -> None:
    """The creator answers one question: a tap (``yes``/``no``, a currency code) or their own words
    (for a question in the reviewer's own words). The row returns to the queue marked answered."""
    from control.directory import creator_region

    require_answer_for(actor, creator_id)
    region = creator_region(creator_id)
    wh = warehouse(region)
    found = wh.dicts(
        "SELECT q.question_id, q.flag_id, q.upload_id, q.kind, q.answered_at, f.status FROM row_questions q"
        " JOIN flagged_rows f ON f.flag_id = q.flag_id WHERE q.question_id = ? AND q.creator_id = ?",
        [question_id, creator_id],
    )
    if not found:
        raise NotFound(_("This question is no longer waiting for your answer."))
    q = found[0]
    answer = (answer or "").strip()
    corrected: dict[str, str] | None = None
    if q["kind"] == "currency":
        answer = answer.upper()
        if not is_currency(answer):
            raise InvalidInput(_("Choose the currency the amount is in."))
        corrected = {"currency": answer}
    elif q["kind"] in QUESTIONS:
        if answer not in YES_NO:
            raise InvalidInput(_("Answer yes or no."))
    elif not answer:
        raise InvalidInput(_("Write your answer first."))
    answer = answer[:MAX_WORDS]
    with wh.transaction() as cur:
        done = cur.execute(
            "UPDATE row_questions SET answer = ?, corrected = ?, answered_by = ?, answered_at = current_timestamp"
            " WHERE question_id = ? AND answered_at IS NULL",
            [answer, json.dumps(corrected) if corrected else None, actor.user_id, question_id],
        ).fetchone()
        moved = cur.execute(
            "UPDATE flagged_rows SET status = 'answered' WHERE flag_id = ? AND status = 'asked'", [q["flag_id"]]
        ).fetchone()
        if not done or int(done[0]) != 1 or not moved or int(moved[0]) != 1:
            raise Conflict(_("This question was already answered, or a reviewer decided the row meanwhile."))
        cur.execute(
            "INSERT INTO review_audit (audit_id, flag_id, upload_id, creator_id, decision, decided_by, decided_at,"
            " note, fixes) VALUES (?, ?, ?, ?, 'answered', ?, current_timestamp, ?, ?)",
            [_audit_id(), q["flag_id"], q["upload_id"], creator_id, actor.user_id, answer,
             json.dumps(corrected) if corrected else None],
        )


def latest_exchange(region: str, flag_id: str) -> dict[str, Any] | None:
    """The row's latest question and its answer (for the reviewer): kind, question in words,
    answer in words, corrected values; None when the creator was never asked."""
    rows = warehouse(region).dicts(
        "SELECT kind, own_words, answer, corrected, asked_by, answered_at FROM row_questions WHERE flag_id = ?"
        " ORDER BY question_id DESC LIMIT 1",
        [flag_id],
    )
    if not rows:
        return None
    r = rows[0]
    return {"question": question_text(str(r["kind"]), r["own_words"]), "answer": answer_words(r["answer"]),
            "answered": r["answered_at"] is not None, "corrected": json.loads(r["corrected"]) if r["corrected"]
            else {}}


def creator_corrections(cur: Any, flag_id: str) -> dict[str, str]:
    """What the creator's latest answer corrected (canonical column -> value), for an approval."""
    row = cur.execute(
        "SELECT corrected FROM row_questions WHERE flag_id = ? AND answered_at IS NOT NULL"
        " ORDER BY question_id DESC LIMIT 1",
        [flag_id],
    ).fetchone()
    return json.loads(row[0]) if row and row[0] else {}
