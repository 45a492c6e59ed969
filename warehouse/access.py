"""Who may do what. Every warehouse function that reads or writes takes an ``Actor`` and asks
this module; pages cannot bypass it because they never hold a connection themselves.

Roles:
- ``creator``: own rows only (``creator_id``), in the creator's region.
- ``reviewer``: flagged rows and uploads of the regions in ``regions``; may upload for a creator there.
- ``manager``: region aggregates only — never row-level sales, never a buyer's data.
- ``admin``: everything, including users, regions and payouts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import PermissionDenied

ROLES = ("creator", "reviewer", "manager", "admin")


@dataclass(frozen=True)
class Actor:
    user_id: str
    role: str
    creator_id: str | None = None
    regions: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise PermissionDenied(f"Unknown role {self.role!r}.")
        if self.role == "creator" and not self.creator_id:
            raise PermissionDenied("A creator account must be linked to a creator.")

    @staticmethod
    def operator() -> Actor:
        """The person at the machine running the ``kasuwa`` command (full rights)."""
        return Actor("cli-operator", "admin")


def can_see_creator(actor: Actor, creator_id: str, region: str) -> bool:
    if actor.role == "admin":
        return True
    if actor.role == "creator":
        return actor.creator_id == creator_id
    if actor.role == "reviewer":
        return region in actor.regions
    return False  # managers read aggregates only


def require_creator(actor: Actor, creator_id: str, region: str) -> None:
    """Row-level access to one creator's data (sales, uploads, payouts)."""
    if not can_see_creator(actor, creator_id, region):
        raise PermissionDenied("You can only see your own data.")


def can_upload_for(actor: Actor, creator_id: str, region: str) -> bool:
    return can_see_creator(actor, creator_id, region)


def require_review(actor: Actor, region: str) -> None:
    if actor.role == "admin" or (actor.role == "reviewer" and region in actor.regions):
        return
    raise PermissionDenied(f"You do not review region {region}.")


def require_manager(actor: Actor) -> None:
    if actor.role not in ("manager", "admin"):
        raise PermissionDenied("Regional metrics are for programme managers.")


def manager_regions(actor: Actor, all_codes: list[str]) -> list[str]:
    """Regions whose aggregates ``actor`` may read: a manager with no regions listed sees all."""
    require_manager(actor)
    if actor.role == "admin" or not actor.regions:
        return list(all_codes)
    return [c for c in all_codes if c in actor.regions]


def require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise PermissionDenied("Only an administrator can do this.")
