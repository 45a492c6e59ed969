"""Browser-test support: the data the server runs on (made through the warehouse API, no SQL)
and small helpers that drive the app like a person would."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from warehouse import accounts, review
from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.ingest import ingest_file

IMG = "<img src=x onerror=window.__xss=1>"
LINK = "[x](javascript:window.__xss=2)"
OP = Actor.operator()


@dataclass(frozen=True)
class Seeded:
    users: dict[str, tuple[str, str]]  # role -> (email, password)
    fix_flag: str  # flagged row to fix and approve (order A2, amount unreadable)
    xss_flag: str  # flagged row whose product is an HTML payload
    link_flag: str  # flagged row whose product is a Markdown javascript: link
    noted_flag: str  # flagged row rejected with a note holding both payloads


def seed() -> Seeded:
    """Creators, one demo account per role, and an upload of ng-ada's with flagged rows."""
    add_creator(OP, "ng-ada", "NG", "Ada")
    add_creator(OP, "gh-xss", "GH", IMG)
    users = {role: (email, password) for email, password, role in accounts.create_demo_users()}
    data = (
        "order_id,date,product,quantity,amount,currency,buyer_country\n"
        "A1,2024-05-01,Beads,1,1500.00,NGN,NG\n"
        "A2,2024-05-02,Indigo cloth,2,abc,NGN,NG\n"
        f"A3,2024-05-03,{IMG},1,oops,NGN,NG\n"
        f"A4,2024-05-04,{LINK},1,n/a,NGN,NG\n"
        "A5,2024-05-05,Soap,1,?,NGN,NG\n"
        f"A6,2024-05-06,{IMG},1,700.00,NGN,NG\n"
    ).encode()
    result = ingest_file(OP, "ng-ada", "ada.csv", data)
    assert result.rows_flagged == 4, result.message
    upload = result.upload_id
    noted = f"{upload}:5"
    review.reject(OP, "west-africa", noted, f"{IMG} {LINK}")
    return Seeded(users, f"{upload}:2", f"{upload}:3", f"{upload}:4", noted)


# --- driving the app ---------------------------------------------------------------------------

WAIT_MS = 30_000


def sign_in(page: Page, url: str, email: str, password: str) -> None:
    """Open the app and sign in; returns once the signed-in sidebar is drawn."""
    page.goto(url)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").wait_for(timeout=WAIT_MS)


def _title(link_text: str) -> str:
    return link_text.strip().splitlines()[-1].strip()  # the icon's ligature name comes first


def nav_titles(page: Page) -> list[str]:
    """The page titles in the sidebar navigation (icons stripped), once it is drawn."""
    links = page.get_by_test_id("stSidebarNavLink")
    links.first.wait_for(timeout=WAIT_MS)
    return [_title(t) for t in links.all_inner_texts()]


def active_page(page: Page) -> str:
    """The title of the navigation entry marked as the current page."""
    current = page.locator('[data-testid="stSidebarNavLink"][aria-current="page"]')
    current.wait_for(timeout=WAIT_MS)
    return _title(current.inner_text())


def navigate_in_session(page: Page, path: str) -> None:
    """Go to ``/path`` the way the app's own links do (same tab, same Streamlit session)."""
    page.evaluate(
        "p => { window.history.pushState({}, '', p); window.dispatchEvent(new PopStateEvent('popstate')); }",
        f"/{path}",
    )


def open_nav(page: Page, title: str, heading: str | None = None) -> None:
    """Click a sidebar link and wait for the page's heading."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    page.get_by_role("heading", name=heading or title).wait_for(timeout=WAIT_MS)


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label``."""
    page.get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def dismiss_not_found(page: Page) -> bool:
    """Close Streamlit's "Page not found" dialog; True if it was shown."""
    dialog = page.get_by_role("dialog").filter(has_text="Page not found")
    try:
        dialog.wait_for(timeout=WAIT_MS)
    except PlaywrightTimeout:
        return False
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden", timeout=WAIT_MS)
    return True
