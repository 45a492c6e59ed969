"""Every page of the app and the roles that may open it — one table, read by ``app/main.py``
to build ``st.navigation`` and by each page's own access check (pages can be opened by URL).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to the project root
    title: str
    icon: str
    roles: frozenset[str]


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/sales.py", "My sales", ":material/monitoring:", frozenset({"creator"})),
    PageSpec("pages/payouts.py", "My payouts", ":material/payments:", frozenset({"creator"})),
    PageSpec("pages/review.py", "Review queue", ":material/fact_check:", frozenset({"reviewer", "admin"})),
    PageSpec("pages/upload.py", "Upload", ":material/upload_file:", frozenset({"creator", "reviewer", "admin"})),
    PageSpec("pages/regions.py", "Regions", ":material/public:", frozenset({"manager", "admin"})),
    PageSpec(
        "pages/payouts_overview.py", "Payouts by region", ":material/account_balance:",
        frozenset({"manager", "admin"}),
    ),
    PageSpec("pages/admin.py", "Administration", ":material/admin_panel_settings:", frozenset({"admin"})),
)


def pages_for(role: str) -> list[PageSpec]:
    return [p for p in PAGES if role in p.roles]


def spec(path: str) -> PageSpec:
    for p in PAGES:
        if p.path == path:
            return p
    raise KeyError(path)
