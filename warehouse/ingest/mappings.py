"""A person's column mappings, kept for the creator who made them (DESIGN invariant 8: no
creator's settings change how another creator's files are read).

Where they live: rows of ``saved_mappings`` in the control database (``control/mappings.py``),
not profile files. A
mapping is an account's own state, like the account itself: it is read for its creator alone
(``WHERE creator_id = ?``), written in one transaction, and a row that no longer makes sense
(a column renamed since, a hand-edited value) is skipped with a logged reason — where a bad
file in the profiles folder used to stop every ingest of every creator. A header is stored as
JSON text, so control characters in it are just characters. What an administrator shares with
everyone (``promote_mapping``) becomes a profile file like the shipped ones, validated and
written atomically (``profiles.write_shared_profile``).

What a mapping holds: only what the person chose — canonical column -> the file's header, or a
value for every row ("all these rows are in NGN": ``constants``) — plus the headers of the file
it was made on (its layout) and the profile it completes (``base``, usually generic), which
gives everything else: the other columns, how numbers and dates are read, which rows are not
sales. It is tried for its creator's files only, before any shared profile, and only for a
file that holds every header of its layout, so a wrong mapping can only misread its own
creator's files of that one layout.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from control import mappings as stored_mappings
from control.directory import creator_region

from ..access import Actor, require_creator, require_save_mapping, require_share_mapping, require_upload_for
from ..db import warehouse
from ..errors import InvalidInput, NotFound
from ..i18n import N_, _
from ..money import is_currency
from . import profiles
from .entry import ingest_file
from .pipeline import Progress
from .profiles import Detection, Profile, index, norm, resolves
from .result import IngestResult
from .sale import BY_NAME, CANONICAL

log = logging.getLogger("kasuwa.mappings")

#: columns a mapping may give one value for every row (what a profile's [defaults] fills)
CONSTANT_COLUMNS = ("currency", "buyer_country", "product", "channel", "quantity")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_MAX_CONSTANT = 200


class Constant(str):
    """In a ``mapping`` given to ``ingest_file``: not a header but the value of every row
    (``{"currency": Constant("NGN")}``)."""

    __slots__ = ()


def mapping_plain(mapping: dict[str, str] | None) -> dict[str, Any] | None:
    """``mapping`` as plain values for a job or an outbox record: a header stays a string, a
    ``Constant`` becomes ``{"constant": value}`` (``mapping_from_plain`` reads it back)."""
    if mapping is None:
        return None
    return {c: {"constant": str(v)} if isinstance(v, Constant) else str(v) for c, v in mapping.items()}


def mapping_from_plain(plain: dict[str, Any] | None) -> dict[str, str] | None:
    """The mapping ``mapping_plain`` was given."""
    if not plain:
        return None
    return {c: Constant(v["constant"]) if isinstance(v, dict) else str(v) for c, v in plain.items()}


@dataclass(frozen=True)
class SavedMapping:
    creator_id: str
    name: str
    base: str
    layout: tuple[str, ...]  # every header of the file it was made on
    columns: dict[str, str]  # canonical -> header
    constants: dict[str, str]  # canonical -> value for every row
    saved_by: str | None = None
    saved_at: datetime | None = None
    shared_as: str | None = None

    def describe(self) -> str:
        """What the mapping says, in words (for the administrator's list)."""
        parts = [_("%(field)s = column ‘%(column)s’", field=_(BY_NAME[c].label), column=h)
                 for c, h in self.columns.items() if c in BY_NAME]
        parts += [_("%(field)s = %(value)s on every row", field=_(BY_NAME[c].label), value=v)
                  for c, v in self.constants.items() if c in BY_NAME]
        return "; ".join(parts)


@dataclass(frozen=True)
class Attempt:
    """One try of the upload page: the ingest's result and, when asked, the name the mapping
    was saved under (or why it could not be)."""

    result: IngestResult
    saved_as: str | None = None
    save_error: str | None = None


# --- values for every row ------------------------------------------------------------------------


def check_constants(constants: dict[str, str]) -> dict[str, str]:
    """The constants cleaned (codes upper-cased), or InvalidInput saying which one is wrong."""
    out = {}
    for canon, raw in constants.items():
        value = " ".join(str(raw).split())
        if canon not in CONSTANT_COLUMNS:
            raise InvalidInput(_("Only these can be the same for every row: %(fields)s.",
                                 fields=", ".join(_(BY_NAME[c].label) for c in CONSTANT_COLUMNS)))
        if not value or len(value) > _MAX_CONSTANT:
            raise InvalidInput(_("Give the value of “%(field)s” for every row (1 to %(limit)s characters), or choose "
                                 "a column.", field=_(BY_NAME[canon].label), limit=_MAX_CONSTANT))
        if canon == "currency":
            value = value.upper()
            if not is_currency(value):
                raise InvalidInput(_("%(value)s is not a currency code Kasuwa knows; use a code such as NGN, KES or "
                                     "USD.", value=value))
        if canon == "quantity" and not (value.isdigit() and 1 <= int(value) <= 1_000_000):
            raise InvalidInput(_("%(value)s is not a number of units; give a whole number from 1 to 1,000,000.",
                                 value=value))
        if canon == "buyer_country":
            value = value.upper()
            if not _COUNTRY.match(value):
                raise InvalidInput(_("%(value)s is not a two-letter country code (NG, KE, SN …).", value=value))
        out[canon] = value
    return out


def split_constants(profile: Profile, mapping: dict[str, str]) -> tuple[Profile, dict[str, str]]:
    """Take the ``Constant`` values out of ``mapping`` into the profile's defaults (the column is
    then not looked for in the file); what remains maps canonical columns to headers."""
    given = {c: str(v) for c, v in mapping.items() if isinstance(v, Constant)}
    if not given:
        return profile, mapping
    consts = check_constants(given)
    prof = replace(profile, defaults={**profile.defaults, **consts},
                   columns={c: h for c, h in profile.columns.items() if c not in consts})
    return prof, {c: h for c, h in mapping.items() if not isinstance(h, Constant)}


# --- a saved mapping as a profile ------------------------------------------------------------


def complete(base: Profile, m: SavedMapping, *, name: str | None = None, title: str | None = None) -> Profile:
    """The profile ``m`` reads files with: ``base`` with the person's columns first (a header
    they assigned is not read as anything else), their constants as defaults, and the layout
    as the identifying headers."""
    mapped = {norm(h) for h in m.columns.values()}
    cols = {c: tuple(h for h in hs if norm(h) not in mapped)
            for c, hs in base.columns.items() if c not in m.constants and c not in m.columns}
    cols = {c: hs for c, hs in cols.items() if hs}
    cols.update({c: (h,) for c, h in m.columns.items()})
    # what the person chose is no longer the vocabulary's guess: it is neither re-checked nor asked again
    return replace(base, name=name or m.name, title=title or N_("your saved columns ‘%(name)s’", name=m.name),
                   detect=tuple((h,) for h in m.layout), columns=cols, priority=0,
                   defaults={**base.defaults, **m.constants}, path=None,
                   vocabulary=base.vocabulary - set(m.columns) - set(m.constants))


def _from_row(row: stored_mappings.MappingRow) -> SavedMapping:
    m = SavedMapping(row.creator_id, row.name, row.base, tuple(json.loads(row.layout)), dict(json.loads(row.columns)),
                     dict(json.loads(row.constants)), row.saved_by, row.saved_at, row.shared_as)
    _check(m)
    return m


def _check(m: SavedMapping) -> None:
    """Raise ValueError saying why ``m`` cannot be used."""
    if not profiles.valid_name(m.name):
        raise ValueError(f"the name {m.name!r} breaks the rule ({profiles.NAME_RULE})")
    if not m.layout or not all(isinstance(h, str) and h.strip() for h in m.layout):
        raise ValueError("its layout is empty or holds a blank header")
    if not m.columns and not m.constants:
        raise ValueError("it maps nothing")
    bad = [c for c in [*m.columns, *m.constants] if c not in CANONICAL]
    if bad:
        raise ValueError(f"not canonical columns: {', '.join(map(str, bad))}")
    layout = {norm(h) for h in m.layout}
    stray = [h for h in m.columns.values() if not isinstance(h, str) or norm(h) not in layout]
    if stray:
        raise ValueError(f"it maps headers its layout does not have: {stray}")
    try:
        check_constants(m.constants)
    except InvalidInput as exc:
        raise ValueError(str(exc)) from exc


def _load(creator_id: str | None = None, name: str | None = None) -> list[SavedMapping]:
    """Every usable stored mapping (all, a creator's, or one by name); a row that is not is
    logged and skipped."""
    out = []
    for row in stored_mappings.stored(creator_id, name):
        try:
            out.append(_from_row(row))
        except (ValueError, TypeError, AttributeError) as exc:  # json errors are ValueErrors
            log.warning("saved mapping %r of creator %r skipped: %s", row.name, row.creator_id, exc)
    return out


def saved_for_host(creator_id: str) -> list[dict[str, Any]]:
    """``creator_id``'s usable saved mappings as plain data, sent with an upload to a region on
    its own host: it has no copy of the control database, and reads the file with them exactly
    as a local region would (``creator_profiles(..., sent=...)``)."""
    return [{"name": m.name, "base": m.base, "layout": list(m.layout), "columns": dict(m.columns),
             "constants": dict(m.constants)} for m in _load(creator_id)]


def _from_sent(creator_id: str, sent: list[dict[str, Any]]) -> list[SavedMapping]:
    """The mappings a central side sent (``saved_for_host``), checked as stored ones are."""
    out = []
    for d in sent:
        try:
            m = SavedMapping(creator_id, str(d["name"]), str(d["base"]), tuple(d["layout"]), dict(d["columns"]),
                             dict(d["constants"]))
            _check(m)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("a saved mapping sent for creator %r skipped: %s", creator_id, exc)
            continue
        out.append(m)
    return out


def creator_profiles(creator_id: str, known: dict[str, Profile],
                     sent: list[dict[str, Any]] | None = None) -> list[Profile]:
    """The profiles made from ``creator_id``'s saved mappings (broken ones skipped, logged):
    those stored here, or ``sent`` with the upload by the central side (a region on its own host)."""
    out = []
    for m in _load(creator_id) if sent is None else _from_sent(creator_id, sent):
        base = known.get(m.base)
        if base is None:
            log.warning("saved mapping %r of creator %r skipped: its base profile %r no longer exists",
                        m.name, m.creator_id, m.base)
            continue
        out.append(complete(base, m))
    return out


def choose_profile(creator_id: str, headers: list[str], known: dict[str, Profile],
                   forced: str | None = None, sent: list[dict[str, Any]] | None = None) -> Detection:
    """The profile a creator's file is read with: ``forced`` (one of theirs or a shared one), else
    the creator's own saved mapping whose whole layout is in the file (the longest layout
    first), else what ``profiles.detect`` finds among the shared profiles, else generic.
    ``sent``: the creator's mappings as the central side sent them (see ``saved_for_host``)."""
    own = creator_profiles(creator_id, known, sent)
    if forced:
        mine = [p for p in own if p.name == forced]
        return Detection(mine[0] if mine else profiles.get_profile(forced), 0, 0, forced=True)
    idx = index(headers)
    fits = [p for p in own
            if all(any(norm(h) in idx.exact for h in alts) for alts in p.detect) and resolves(p, idx)]
    if fits:
        best = max(fits, key=lambda p: len(p.detect))
        return Detection(best, len(best.detect), len(best.detect))
    return profiles.detect(headers, known)


# --- names -----------------------------------------------------------------------------------


def _taken(creator_id: str) -> set[str]:
    return stored_mappings.names(creator_id) | set(profiles.load_profiles())


def propose_name(creator_id: str, file_name: str) -> str:
    """A free name made from the file's name (``Ventes Février.csv`` -> ``ventes-fevrier``)."""
    stem = Path(file_name).stem
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_stem).strip("-")
    slug = re.sub(r"^[^a-z]+", "", slug)[:30].strip("-")
    if len(slug) < 2:
        slug = "my-columns"
    taken = _taken(creator_id)
    name, n = slug, 2
    while name in taken:
        name, n = f"{slug}-{n}", n + 1
    return name


def check_name(creator_id: str, name: str) -> str:
    """``name`` stripped, or InvalidInput saying what is wrong and proposing a free name. Asked
    before anything is loaded."""
    name = name.strip()
    if not profiles.valid_name(name):
        raise InvalidInput(_("A name for saved columns is %(rule)s: for example ‘%(example)s’.",
                             rule=_(profiles.NAME_RULE), example=propose_name(creator_id, name or "my-columns")))
    if name in _taken(creator_id):
        raise InvalidInput(_("The name ‘%(name)s’ is taken; choose another, for example ‘%(example)s’.", name=name,
                             example=propose_name(creator_id, name)))
    return name


# --- saving, listing, sharing -----------------------------------------------------------------


def save_mapping(actor: Actor, creator_id: str, name: str, headers: list[str], columns: dict[str, str],
                 constants: dict[str, str] | None = None, base: str = "generic") -> SavedMapping:
    """Save what a person chose for ``creator_id``'s files of this layout (``headers``)."""
    require_save_mapping(actor, creator_id, creator_region(creator_id))
    name = check_name(creator_id, name)
    known = profiles.load_profiles()
    if base not in known:
        base = "generic"
    m = SavedMapping(creator_id, name, base, tuple(headers), dict(columns), check_constants(constants or {}))
    try:
        _check(m)
    except ValueError as exc:
        raise InvalidInput(_("These columns cannot be saved: %(reason)s.", reason=exc)) from exc
    complete(known[base], m)
    stored_mappings.insert(creator_id, name, base, json.dumps(list(m.layout), ensure_ascii=False),
                           json.dumps(m.columns, ensure_ascii=False), json.dumps(m.constants, ensure_ascii=False),
                           actor.user_id)
    return m


def list_mappings(actor: Actor, creator_id: str | None = None) -> list[SavedMapping]:
    """A creator's saved mappings (the creator, their reviewers, admins); every creator's for
    an administrator when ``creator_id`` is None."""
    if creator_id is None:
        require_share_mapping(actor)
        return _load()
    require_creator(actor, creator_id, creator_region(creator_id))
    return _load(creator_id)


def promote_mapping(actor: Actor, creator_id: str, name: str, shared_name: str, title: str | None = None) -> Path:
    """Share ``creator_id``'s mapping ``name`` with every creator as the profile ``shared_name``
    (administrators only): a file in ``KASUWA_DATA_DIR/profiles`` that detects files of that
    layout like a platform's export does."""
    require_share_mapping(actor)
    found = _load(creator_id, name)
    if not found:
        raise NotFound(_("Creator %(creator)s has no usable saved columns named ‘%(name)s’.", creator=creator_id,
                         name=name))
    m = found[0]
    shared_name = shared_name.strip()
    if not profiles.valid_name(shared_name):
        raise InvalidInput(_("A profile name is %(rule)s.", rule=_(profiles.NAME_RULE)))
    known = profiles.load_profiles()
    if m.base not in known:
        raise NotFound(_("The profile these columns complete (%(profile)s) no longer exists.", profile=m.base))
    p = complete(known[m.base], m, name=shared_name,
                 title=(title or "").strip() or N_("Shared layout %(name)s (from %(creator)s)", name=shared_name,
                                                    creator=creator_id))
    p = replace(p, source=shared_name if m.base == "generic" else p.source)
    path = profiles.write_shared_profile(
        p, f"Shared by {actor.user_id} from the columns creator {creator_id} saved as '{name}'.\n"
           "It completes the profile it was made on; edit it like any profile.")
    stored_mappings.mark_shared(creator_id, name, shared_name)
    return path


# --- the upload page's attempts ----------------------------------------------------------------

_UPLOAD_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
_SHA = re.compile(r"^[0-9a-f]{64}$")


def forget_earlier_attempts(actor: Actor, creator_id: str, res: IngestResult) -> int:
    """Delete the records of earlier refused tries of the same file (same creator, same sha256)
    once ``res`` is recorded, so one file has one upload record however many tries it took.
    A region served over Quack takes no DELETE on attached tables: the statement runs on its
    host through ``quack_query``."""
    if not (res.upload_id and res.sha256 and res.region):
        return 0
    require_upload_for(actor, creator_id, res.region)
    wh = warehouse(res.region)
    with wh.cursor() as cur:
        # only tries received before this one: two tabs retrying at once keep the later record
        # (one scan per query: a region served over Quack allows no second one)
        own = cur.execute("SELECT received_at FROM uploads WHERE upload_id = ?", [res.upload_id]).fetchone()
        if not own:
            return 0
        where = "creator_id = ? AND sha256 = ? AND status = 'rejected' AND upload_id <> ? AND received_at <= ?"
        params = [creator_id, res.sha256, res.upload_id, own[0]]
        before = cur.execute(f"SELECT count(*) FROM uploads WHERE {where}", params).fetchone()
        n = int(before[0]) if before else 0
        if not n:
            return 0
        if not wh.region.is_remote:
            cur.execute(f"DELETE FROM uploads WHERE {where}", params)
            return n
        if not (_UPLOAD_ID.match(creator_id) and _SHA.match(res.sha256) and _UPLOAD_ID.match(res.upload_id)):
            return 0

        def lit(v: str) -> str:
            return "'" + v.replace("'", "''") + "'"

        inner = (f"DELETE FROM uploads WHERE creator_id = {lit(creator_id)} AND sha256 = {lit(res.sha256)}"
                 f" AND status = 'rejected' AND upload_id <> {lit(res.upload_id)}"
                 f" AND received_at <= TIMESTAMPTZ {lit(own[0].isoformat())}")
        cur.execute("FROM quack_query(?, ?)", [wh.region.location, inner]).fetchall()
        return n


def ingest_upload(actor: Actor, creator_id: str, file_name: str, data: bytes | Path, *,
                  columns: dict[str, str] | None = None, constants: dict[str, str] | None = None,
                  save_as: str | None = None, progress: Progress | None = None, confirm: bool = False) -> Attempt:
    """One try at a file from the upload page: the name to save under (``save_as``) and the
    constants are checked before anything is read or loaded; then the file is ingested with the
    person's columns and constants, earlier refused tries of it are forgotten, and when it loaded
    the mapping is saved for ``creator_id``. ``confirm``: a file read by the meaning of its columns
    waits for the person to confirm the reading (``IngestResult.confirm``) before it loads."""
    region = creator_region(creator_id)
    require_upload_for(actor, creator_id, region)
    name = check_name(creator_id, save_as) if save_as is not None else None
    consts = check_constants(constants or {})
    mapping: dict[str, str] = {**(columns or {}), **{c: Constant(v) for c, v in consts.items()}}
    res = ingest_file(actor, creator_id, file_name, data, mapping=mapping or None, progress=progress,
                      confirm=confirm)
    forget_earlier_attempts(actor, creator_id, res)
    if not name or res.status != "loaded":
        return Attempt(res)
    try:
        m = save_mapping(actor, creator_id, name, res.headers, columns or {}, consts, base=res.profile or "generic")
    except InvalidInput as exc:
        return Attempt(res, save_error=str(exc))
    return Attempt(res, saved_as=m.name)
