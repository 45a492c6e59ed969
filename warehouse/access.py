"""Who may do what — the one module that answers permission questions. Every warehouse function
that reads or writes takes an ``Actor`` and asks one of the ``can_*`` questions below (or the
``require_*`` form that raises :class:`~warehouse.errors.PermissionDenied` with a sentence saying
what to do instead); pages cannot bypass it because they never hold a connection themselves.
The page registry (``app/registry.py``) takes its role sets from the ``*_ROLES`` constants here.

Roles:
- ``creator``: own rows only (``creator_id``), in the creator's region.
- ``reviewer``: flagged rows and uploads of the regions in ``regions``; may upload for a creator there.
- ``manager``: region aggregates only — never row-level sales, never a buyer's data; a manager with
  no regions listed reads every region.
- ``admin``: everything, including users, regions and payouts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import PermissionDenied
from .i18n import _

ROLES = ("creator", "reviewer", "manager", "admin")

#: Who holds each capability. Page access and every check below are derived from these sets.
OWN_DATA_ROLES = frozenset({"creator"})  # "my sales", "my payouts": a creator's own pages
REVIEW_ROLES = frozenset({"reviewer", "admin"})
UPLOAD_ROLES = frozenset({"creator", "reviewer", "admin"})
METRICS_ROLES = frozenset({"manager", "admin"})
ADMIN_ROLES = frozenset({"admin"})


@dataclass(frozen=True)
class Actor:
    user_id: str
    role: str
    creator_id: str | None = None
    regions: frozenset[str] = field(default_factory=frozenset)
    language: str | None = None  # the account's chosen language (users.language); None: the default

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise PermissionDenied(_("Unknown role %(role)s.", role=repr(self.role)))
        if self.role == "creator" and not self.creator_id:
            raise PermissionDenied(_("A creator account must be linked to a creator."))

    @staticmethod
    def operator() -> Actor:
        """The person at the machine running the ``kasuwa`` command (full rights)."""
        return Actor("cli-operator", "admin")

    def plain(self) -> dict[str, Any]:
        """This actor as plain values (a job's argument, an outbox record)."""
        return {"user_id": self.user_id, "role": self.role, "creator_id": self.creator_id,
                "regions": sorted(self.regions), "language": self.language}

    @staticmethod
    def from_plain(d: dict[str, Any]) -> Actor:
        """The actor ``plain()`` described."""
        return Actor(str(d["user_id"]), str(d["role"]), d.get("creator_id"), frozenset(d.get("regions") or ()),
                     d.get("language"))


# --- administration ----------------------------------------------------------------------------


def is_admin(actor: Actor) -> bool:
    return actor.role in ADMIN_ROLES


def require_admin(actor: Actor) -> None:
    if not is_admin(actor):
        raise PermissionDenied(_("Only an administrator can do this."))


def can_set_language(actor: Actor, email: str) -> bool:
    """Whether ``actor`` may choose the language of ``email``'s account: their own; admins any."""
    return is_admin(actor) or actor.user_id == email


def require_language(actor: Actor, email: str) -> None:
    if not can_set_language(actor, email):
        raise PermissionDenied(_("You can only choose the language of your own account."))


# --- one creator's rows ------------------------------------------------------------------------


def can_read_creator(actor: Actor, creator_id: str, region: str) -> bool:
    """Row-level access to one creator's data (sales, uploads, flagged rows): the creator
    themself, a reviewer of the creator's region, an administrator. Never a manager."""
    if is_admin(actor):
        return True
    if actor.role == "creator":
        return actor.creator_id == creator_id
    if actor.role == "reviewer":
        return region in actor.regions
    return False


def could_read_creator(actor: Actor, creator_id: str) -> bool:
    """:func:`can_read_creator` as far as it can be answered before the creator's region is
    looked up: asked first, a refusal tells nothing about which creators exist."""
    if actor.role == "creator":
        return actor.creator_id == creator_id
    return is_admin(actor) or actor.role == "reviewer"


def require_creator(actor: Actor, creator_id: str, region: str | None) -> None:
    """Raise unless ``actor`` may read ``creator_id``'s rows (see :func:`can_read_creator`);
    ``region=None`` asks :func:`could_read_creator` (before the region is known)."""
    allowed = could_read_creator(actor, creator_id) if region is None else can_read_creator(actor, creator_id, region)
    if allowed:
        return
    if actor.role in METRICS_ROLES:
        raise PermissionDenied(_("Managers see regional aggregates only, not a creator's sales."))
    raise PermissionDenied(_("You can only see your own data."))


def can_upload_for(actor: Actor, creator_id: str, region: str) -> bool:
    """Whether ``actor`` may send a file in for ``creator_id`` (themself; a reviewer for the
    creators of their regions; an administrator for anyone)."""
    return actor.role in UPLOAD_ROLES and can_read_creator(actor, creator_id, region)


def require_upload_for(actor: Actor, creator_id: str, region: str) -> None:
    if not can_upload_for(actor, creator_id, region):
        if actor.role not in UPLOAD_ROLES:
            raise PermissionDenied(_("Managers read regional aggregates; they do not upload for creators."))
        raise PermissionDenied(_("You can only upload files for yourself or for the creators of your regions."))


def require_uploader(actor: Actor) -> None:
    """Raise unless ``actor``'s role uploads files at all (before listing whom for)."""
    if actor.role not in UPLOAD_ROLES:
        raise PermissionDenied(_("Managers read regional aggregates; they do not upload for creators."))


def can_save_mapping(actor: Actor, creator_id: str | None, region: str | None) -> bool:
    """Whether ``actor`` may save a column mapping: for a creator they may upload for; with no
    creator (a mapping not tied to one creator) only reviewers and administrators."""
    if creator_id:
        return can_upload_for(actor, creator_id, region or "")
    return actor.role in REVIEW_ROLES


def require_save_mapping(actor: Actor, creator_id: str | None, region: str | None) -> None:
    if not can_save_mapping(actor, creator_id, region):
        raise PermissionDenied(_("You can only save column mappings for your own files."))


def can_share_mapping(actor: Actor) -> bool:
    """Whether ``actor`` may list every creator's saved mappings and share one with every
    creator as a profile: administrators only (a shared profile reads everyone's files)."""
    return is_admin(actor)


def require_share_mapping(actor: Actor) -> None:
    if not can_share_mapping(actor):
        raise PermissionDenied(_("Only an administrator can share a creator's saved columns with everyone."))


def can_see_payouts(actor: Actor, creator_id: str) -> bool:
    """A creator's payout details (balance, statements, rail): the creator and administrators."""
    return is_admin(actor) or (actor.role == "creator" and actor.creator_id == creator_id)


def require_payouts(actor: Actor, creator_id: str) -> None:
    if not can_see_payouts(actor, creator_id):
        raise PermissionDenied(_("Payout details are for the creator and administrators; managers see totals."))


# --- a region's review queue -------------------------------------------------------------------


def can_review_region(actor: Actor, region: str) -> bool:
    """Whether ``actor`` may read and decide the flagged rows of ``region``."""
    return is_admin(actor) or (actor.role in REVIEW_ROLES and region in actor.regions)


def require_review(actor: Actor, region: str) -> None:
    if not can_review_region(actor, region):
        raise PermissionDenied(_("You do not review region %(region)s. Ask an administrator to assign it to you.",
                                 region=region))


def reviewable_regions(actor: Actor, all_codes: Iterable[str]) -> list[str]:
    """The regions of ``all_codes`` whose queue ``actor`` may work, in the given order."""
    if actor.role not in REVIEW_ROLES:
        raise PermissionDenied(_("The review queue is for reviewers."))
    return [c for c in all_codes if can_review_region(actor, c)]


# --- a region's aggregates ---------------------------------------------------------------------


def can_see_region_metrics(actor: Actor, region: str) -> bool:
    """Aggregates of ``region`` (managers: their regions, or all when none is listed; admins: all)."""
    if is_admin(actor):
        return True
    return actor.role in METRICS_ROLES and (not actor.regions or region in actor.regions)


def require_manager(actor: Actor) -> None:
    if actor.role not in METRICS_ROLES:
        raise PermissionDenied(_("Regional metrics are for programme managers."))


def manager_regions(actor: Actor, all_codes: list[str]) -> list[str]:
    """Regions whose aggregates ``actor`` may read: a manager with no regions listed sees all."""
    require_manager(actor)
    return [c for c in all_codes if can_see_region_metrics(actor, c)]


def can_see_region_activity(actor: Actor, region: str, own_region: str | None = None) -> bool:
    """Whether ``actor`` may learn that data of ``region`` changed (the cache's data version):
    anyone who reads something there — a creator only for their own region (``own_region``),
    reviewers for their regions, managers for the regions whose aggregates they read."""
    if actor.role == "creator":
        return own_region is not None and own_region == region
    return can_review_region(actor, region) or can_see_region_metrics(actor, region)


# --- undoing an upload ---------------------------------------------------------------------------


def can_undo_upload(actor: Actor, creator_id: str, region: str, uploaded_by: str | None, age_days: float,
                    window_days: int) -> bool:
    """Whether ``actor`` may undo an upload of ``creator_id`` made by ``uploaded_by``
    ``age_days`` ago: the creator who made it, within ``window_days`` (the programme's setting);
    a reviewer of the region; an administrator. Never a manager."""
    if is_admin(actor) or can_review_region(actor, region):
        return True
    return (actor.role == "creator" and actor.creator_id == creator_id and actor.user_id == uploaded_by
            and age_days <= window_days)


def require_undo_upload(actor: Actor, creator_id: str, region: str, uploaded_by: str | None, age_days: float,
                        window_days: int) -> None:
    if can_undo_upload(actor, creator_id, region, uploaded_by, age_days, window_days):
        return
    if actor.role == "creator" and actor.creator_id == creator_id and actor.user_id == uploaded_by:
        raise PermissionDenied(_("This upload is older than %(days)s days, so you can no longer undo it yourself. "
                                 "Ask a reviewer of your region to undo it.", days=window_days))
    if actor.role == "creator" and actor.creator_id == creator_id:
        raise PermissionDenied(_("Someone else made this upload for you. Ask a reviewer of your region to undo it."))
    raise PermissionDenied(_("You can only undo your own uploads, or the uploads of the regions you review."))


def own_creator_id(actor: Actor) -> str | None:
    """The creator whose own data ``actor`` acts on (a creator account), else None."""
    return actor.creator_id if actor.role in OWN_DATA_ROLES else None


def can_answer_for(actor: Actor, creator_id: str) -> bool:
    """Whether ``actor`` answers the reviewers' questions about ``creator_id``'s rows: the creator
    themself only (the person who knows what the row was)."""
    return actor.role in OWN_DATA_ROLES and actor.creator_id == creator_id


def require_answer_for(actor: Actor, creator_id: str) -> None:
    if not can_answer_for(actor, creator_id):
        raise PermissionDenied(_("Only the creator can answer questions about their own rows."))
