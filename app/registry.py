"""Every page of the app and the roles that may open it — one table, read by ``app/main.py``
to build ``st.navigation`` and by each page's own access check (pages can be opened by URL).
The role sets are ``warehouse.access``'s capabilities: who may open a page is decided there.
"""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.access import ADMIN_ROLES, METRICS_ROLES, OWN_DATA_ROLES, REVIEW_ROLES, UPLOAD_ROLES
from warehouse.i18n import N_


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to the project root
    title: str  # in English, marked for the catalogue; pages show _(title)
    icon: str
    roles: frozenset[str]


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/sales.py", N_("My sales"), ":material/monitoring:", OWN_DATA_ROLES),
    PageSpec("pages/payouts.py", N_("My payouts"), ":material/payments:", OWN_DATA_ROLES),
    PageSpec("pages/review.py", N_("Review queue"), ":material/fact_check:", REVIEW_ROLES),
    PageSpec("pages/upload.py", N_("Upload"), ":material/upload_file:", UPLOAD_ROLES),
    PageSpec("pages/regions.py", N_("Regions"), ":material/public:", METRICS_ROLES),
    PageSpec("pages/payouts_overview.py", N_("Payouts by region"), ":material/account_balance:", METRICS_ROLES),
    PageSpec("pages/admin.py", N_("Administration"), ":material/admin_panel_settings:", ADMIN_ROLES),
)


def pages_for(role: str) -> list[PageSpec]:
    return [p for p in PAGES if role in p.roles]


def spec(path: str) -> PageSpec:
    for p in PAGES:
        if p.path == path:
            return p
    raise KeyError(path)
