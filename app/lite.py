"""The lite page, ``/lite``: plain HTML without JavaScript, a few kB, for 2G and feature phones.

``GET /lite`` is a sign-in form; ``POST /lite`` signs in through
:func:`control.accounts.authenticate` (the same accounts and login throttle as the app) and
answers, for a creator, the balance, the next payout and the last 30 days, read through the
warehouse's own permission checks (``warehouse.access``: a creator reads only their own rows).
Nothing is remembered between two looks (no cookie, no session): each look signs in again,
and nothing in the answer is cached by the browser or a proxy. Served by ``app/serve.py``.
"""

from __future__ import annotations

import html
from datetime import timedelta
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from control import accounts, throttle
from warehouse.access import Actor
from warehouse.errors import KasuwaError
from warehouse.payouts.outlook import payout_outlook, today_in
from warehouse.queries.common import Period
from warehouse.queries.sales import creator_scope, kpis
from warehouse.regions import get_region

from .format import day, money, number, page_locale

MAX_BODY = 4096  # an email and a password; anything longer is not a sign-in
STYLE = ("body{font-family:sans-serif;max-width:30em;margin:1em auto;padding:0 .6em;line-height:1.4}"
         "input,button{font-size:1em;padding:.5em;margin:.2em 0;width:100%;box-sizing:border-box}"
         "td{padding:.2em .6em .2em 0}.err{color:#a00}")
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"}


def _page(body: str, status: int = 200) -> HTMLResponse:
    doc = ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
           '<meta name="viewport" content="width=device-width,initial-scale=1">'
           f"<title>Kasuwa lite</title><style>{STYLE}</style></head><body>{body}</body></html>")
    return HTMLResponse(doc, status_code=status, headers=NO_STORE)


def _form(message: str = "", email: str = "") -> str:
    note = f'<p class="err">{html.escape(message)}</p>' if message else ""
    return (
        "<h1>Kasuwa</h1><p>Your balance, next payout and last 30 days. For everything else open the "
        '<a href="/">full app</a>.</p>' + note
        + '<form method="post" action="/lite">'
        f'<label>Email<br><input name="email" type="email" autocomplete="username" value="{html.escape(email)}">'
        '</label><br><label>Password<br><input name="password" type="password" autocomplete="current-password">'
        '</label><br><button type="submit">Sign in</button></form>'
    )


def _rows(pairs: list[tuple[str, str]]) -> str:
    return "<table>" + "".join(f"<tr><td>{html.escape(k)}</td><td><b>{html.escape(v)}</b></td></tr>"
                               for k, v in pairs) + "</table>"


def creator_summary(actor: Actor) -> str:
    """The HTML body for a signed-in creator: balance, next payout, the last 30 days."""
    creator_id = str(actor.creator_id)
    region = creator_scope(actor, creator_id)
    locale = page_locale(actor, region)
    outlook = payout_outlook(actor, creator_id)
    today = today_in(get_region(region).time_zone)
    figures = kpis(actor, creator_id, Period(today - timedelta(days=29), today))
    now = figures.current
    balance = [(f"Balance ({code})", money(amount, code, locale)) for code, amount in sorted(outlook.balances.items())]
    if not balance:
        balance = [("Balance", "nothing yet")]
    if outlook.next_date and outlook.next_amount is not None:
        payout = [("Next payout", f"{money(outlook.next_amount, outlook.payout_currency, locale)} on "
                                  f"{day(outlook.next_date, locale)}")]
    else:
        payout = [("Next payout", "none planned yet")]
    why = "".join(f"<li>{html.escape(r)}</li>" for r in outlook.reasons[:3])
    last30 = [
        ("Sales", number(now.sales, locale)),
        ("Orders", number(now.orders, locale)),
        ("Gross (USD)", money(now.gross_usd, "USD", locale)),
        ("Net after fees (USD)", money(now.net_usd, "USD", locale)),
        ("Net, 30 days before (USD)", money(figures.previous.net_usd, "USD", locale)),
    ]
    period = f"{day(figures.period.start, locale)} – {day(figures.period.end, locale)}"
    return (
        f"<h1>Kasuwa</h1><p>Signed in as {html.escape(actor.user_id)}.</p>"
        f"<h2>Payouts</h2>{_rows(balance + payout)}" + (f"<ul>{why}</ul>" if why else "")
        + f"<h2>Last 30 days</h2><p>{html.escape(period)}</p>{_rows(last30)}"
        '<p><a href="/lite">Sign out</a> · <a href="/">Full app</a></p>'
    )


def _client(request: Request) -> str:
    host = request.client.host if request.client else None
    reported = None if host in {None, "127.0.0.1", "::1", "localhost"} else host  # as Streamlit reports it
    headers = {h: request.headers.getlist(h) for h in throttle.PROXY_HEADERS}
    return throttle.client_of_request(reported, headers)


def _sign_in_and_summarise(email: str, password: str, client: str) -> tuple[str, int]:
    try:
        actor = accounts.authenticate(email, password, client=client)
    except KasuwaError as exc:
        return _form(str(exc), email), 403
    if not actor.creator_id:
        return _form("This page shows a creator's own sales and payouts. Reviewers, managers and "
                     "administrators: open the full app.", email), 403
    try:
        return creator_summary(actor), 200
    except KasuwaError as exc:
        return _form(f"{exc.title}: {exc}", email), 503


async def lite(request: Request) -> HTMLResponse:
    if request.method != "POST":
        return _page(_form())
    body = await request.body()
    if len(body) > MAX_BODY:
        return _page(_form("That was too long for a sign-in. Enter your email and password."), 413)
    fields = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=4)
    email = (fields.get("email") or [""])[0]
    password = (fields.get("password") or [""])[0]
    if not email or not password:
        return _page(_form("Enter your email and your password.", email), 400)
    try:
        client = _client(request)
    except KasuwaError as exc:
        return _page(_form(str(exc), email), 503)
    content, status = await run_in_threadpool(_sign_in_and_summarise, email, password, client)
    return _page(content, status)


ROUTES = [Route("/lite", lite, methods=["GET", "POST"])]
