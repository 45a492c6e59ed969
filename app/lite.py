"""The lite page, ``/lite``: plain HTML without JavaScript, a few kB, for 2G and feature phones.

``GET /lite`` is a sign-in form; ``POST /lite`` signs in through
:func:`control.accounts.authenticate` (the same accounts and login throttle as the app) and
answers, for a creator, the balance, the next payout and the last 30 days, read through the
warehouse's own permission checks (``warehouse.access``: a creator reads only their own rows).
Nothing is remembered between two looks (no cookie, no session): each look signs in again,
and nothing in the answer is cached by the browser or a proxy. Served by ``app/serve.py``.
The sign-in form speaks the browser's language (``Accept-Language``), the answer the creator's;
Urdu pages are laid out right to left (``<html dir="rtl">``).
"""

from __future__ import annotations

import html
from datetime import timedelta
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from app.bodies import bounded_body
from control import accounts, throttle
from warehouse.access import Actor
from warehouse.errors import KasuwaError
from warehouse.i18n import _, current_language, is_rtl, negotiate, translate_text, use_language
from warehouse.payouts.outlook import payout_outlook, today_in
from warehouse.queries.common import Period
from warehouse.queries.sales import creator_scope, kpis
from warehouse.questions import questions_for
from warehouse.regions import get_region

from .format import day, money, number, page_locale

MAX_BODY = 4096  # an email and a password; anything longer is not a sign-in
STYLE = ("body{font-family:sans-serif;max-width:30em;margin:1em auto;padding:0 .6em;line-height:1.4}"
         "input,button{font-size:1em;padding:.5em;margin:.2em 0;width:100%;box-sizing:border-box}"
         "td{padding:.2em .6em .2em 0}.err{color:#a00}"
         # Nastaliq: room above and below each line, so lines and captions never overlap
         "html[dir=rtl] body{line-height:2.2}html[dir=rtl] td{padding:.2em 0 .2em .6em}"
         "html[dir=rtl] button,html[dir=rtl] input{line-height:2}")
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"}


def _page(body: str, status: int = 200, lang: str = "en") -> HTMLResponse:
    direction = "rtl" if is_rtl(lang) else "ltr"  # lang comes from the allow-list of warehouse.i18n
    title = _("Kasuwa lite")  # outside the f-string: the extractor does not look inside those
    doc = (f'<!doctype html><html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
           '<meta name="viewport" content="width=device-width,initial-scale=1">'
           f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>")
    return HTMLResponse(doc, status_code=status, headers=NO_STORE)


def _form(message: str = "", email: str = "") -> str:
    note = f'<p class="err">{html.escape(message)}</p>' if message else ""
    full_app = _("full app")
    link = f'<a href="/">{html.escape(full_app)}</a>'
    intro = html.escape(_("Your balance, next payout and last 30 days. For everything else open the %(link)s."))
    return (
        f"<h1>Kasuwa</h1><p>{intro % {'link': link}}</p>" + note
        + '<form method="post" action="/lite">'
        f'<label>{html.escape(_("Email"))}<br><input name="email" type="email" autocomplete="username" '
        f'value="{html.escape(email)}"></label><br><label>{html.escape(_("Password"))}<br><input name="password" '
        f'type="password" autocomplete="current-password"></label><br><button type="submit">'
        f'{html.escape(_("Sign in"))}</button></form>'
    )


def _rows(pairs: list[tuple[str, str]]) -> str:
    # values (amounts, dates) are isolated so right-to-left text around them cannot reorder their digits
    return "<table>" + "".join(f"<tr><td>{html.escape(k)}</td><td><b><bdi>{html.escape(v)}</bdi></b></td></tr>"
                               for k, v in pairs) + "</table>"


def creator_summary(actor: Actor) -> str:
    """The HTML body for a signed-in creator: balance, next payout, the last 30 days."""
    creator_id = str(actor.creator_id)
    region = creator_scope(actor, creator_id)
    locale = page_locale(actor, region)
    outlook = payout_outlook(actor, creator_id, locale=locale)
    today = today_in(get_region(region).time_zone)
    figures = kpis(actor, creator_id, Period(today - timedelta(days=29), today))
    now = figures.current
    balance = [(_("Balance (%(currency)s)", currency=code), money(amount, code, locale))
               for code, amount in sorted(outlook.balances.items())]
    if not balance:
        balance = [(_("Balance"), _("nothing yet"))]
    if outlook.next_date and outlook.next_amount is not None:
        payout = [(_("Next payout"), _("%(amount)s on %(day)s",
                                       amount=money(outlook.next_amount, outlook.payout_currency, locale),
                                       day=day(outlook.next_date, locale)))]
    else:
        payout = [(_("Next payout"), _("none planned yet"))]
    why = "".join(f"<li>{html.escape(translate_text(r))}</li>" for r in outlook.reasons[:3])
    last30 = [
        (_("Sales"), number(now.sales, locale)),
        (_("Orders"), number(now.orders, locale)),
        (_("Gross (USD)"), money(now.gross_usd, "USD", locale)),
        (_("Net after fees (USD)"), money(now.net_usd, "USD", locale)),
        (_("Net, 30 days before (USD)"), money(figures.previous.net_usd, "USD", locale)),
    ]
    period = f"{day(figures.period.start, locale)} – {day(figures.period.end, locale)}"
    asked = questions_for(actor, creator_id)
    questions = ""
    if asked:  # a reviewer's own words are escaped like everything else: shown as written, never as HTML
        where = [_("line %(line)s of %(file)s", line=number(q.row_number, locale), file=q.file_name) for q in asked]
        items = "".join(f"<li><bdi>{html.escape(q.text)}</bdi> ({html.escape(w)})</li>"
                        for q, w in list(zip(asked, where, strict=True))[:10])
        title, hint = _("Questions for you"), _("Answer them in the full app: one tap each.")
        questions = f"<h2>{html.escape(title)}</h2><ul>{items}</ul><p>{html.escape(hint)}</p>"
    # the words outside the f-strings below: the catalogue's extractor does not look inside those
    signed_in, last_30 = _("Signed in as %(email)s.", email=actor.user_id), _("Last 30 days")
    sign_out, full_app = _("Sign out"), _("Full app")
    return (
        f"<h1>Kasuwa</h1><p>{html.escape(signed_in)}</p>{questions}"
        f"<h2>{html.escape(_('Payouts'))}</h2>{_rows(balance + payout)}" + (f"<ul>{why}</ul>" if why else "")
        + f"<h2>{html.escape(last_30)}</h2><p><bdi>{html.escape(period)}</bdi></p>{_rows(last30)}"
        f'<p><a href="/lite">{html.escape(sign_out)}</a> · <a href="/">{html.escape(full_app)}</a></p>'
    )


def _client(request: Request) -> str:
    host = request.client.host if request.client else None
    reported = None if host in {None, "127.0.0.1", "::1", "localhost"} else host  # as Streamlit reports it
    headers = {h: request.headers.getlist(h) for h in throttle.PROXY_HEADERS}
    return throttle.client_of_request(reported, headers)


def _sign_in_and_summarise(email: str, password: str, client: str, lang: str) -> tuple[str, int, str]:
    """(HTML body, status, language): the browser's language until the account says its own."""
    with use_language(lang):
        try:
            actor = accounts.authenticate(email, password, client=client)
        except KasuwaError as exc:
            return _form(translate_text(str(exc)), email), 403, lang
        if not actor.creator_id:
            return _form(_("This page shows a creator's own sales and payouts. Reviewers, managers and "
                           "administrators: open the full app."), email), 403, lang
    from warehouse.locales import user_language

    try:
        mine = user_language(actor.language, actor.creator_id)
    except KasuwaError:
        mine = lang
    with use_language(mine):
        try:
            return creator_summary(actor), 200, current_language()
        except KasuwaError as exc:
            return _form(_("%(title)s: %(message)s", title=_(exc.title), message=translate_text(str(exc))),
                         email), 503, current_language()


async def lite(request: Request) -> HTMLResponse:
    lang = negotiate(request.headers.get("accept-language"))
    with use_language(lang):
        if request.method != "POST":
            return _page(_form(), lang=lang)
        body = await bounded_body(request, MAX_BODY)  # never read whole: invariant 13
        if body is None:
            return _page(_form(_("That was too long for a sign-in. Enter your email and password.")), 413, lang)
        fields = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=4)
        email = (fields.get("email") or [""])[0]
        password = (fields.get("password") or [""])[0]
        if not email or not password:
            return _page(_form(_("Enter your email and your password."), email), 400, lang)
        try:
            client = _client(request)
        except KasuwaError as exc:
            return _page(_form(translate_text(str(exc)), email), 503, lang)
    content, status, shown_in = await run_in_threadpool(_sign_in_and_summarise, email, password, client, lang)
    with use_language(shown_in):
        return _page(content, status, shown_in)


ROUTES = [Route("/lite", lite, methods=["GET", "POST"])]
