"""Login CSRF: POST /login needs the signed token GET /login set in a cookie and the form."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import PASSWORD, csrf_of, login_csrf_token, make_user

HTML = {"Accept": "text/html"}


def _post(client: TestClient, username: str, token: str | None) -> httpx.Response:
    data = {"username": username, "password": PASSWORD, "next": "/"}
    if token is not None:
        data["csrf_token"] = token
    response: httpx.Response = client.post(
        "/login", data=data, headers=HTML, follow_redirects=False
    )
    return response


def test_login_form_carries_a_token_matching_its_cookie(client: TestClient) -> None:
    page = client.get("/login", headers=HTML)
    token = csrf_of(page.text)
    assert client.cookies.get("citybase_login_csrf") == token
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/login" in cookie


def test_login_with_the_token_signs_in(client: TestClient, session: Session) -> None:
    user = make_user(session)
    r = _post(client, user.username, login_csrf_token(client))
    assert r.status_code == 303
    assert "citybase_session=" in r.headers["set-cookie"]


def test_login_without_token_or_cookie_is_refused(client: TestClient, session: Session) -> None:
    user = make_user(session)
    # a forged cross-site form: no cookie, no token (the attacker's own credentials)
    r = _post(client, user.username, None)
    assert r.status_code == 403
    assert "登录表单已过期" in r.text
    assert "citybase_session=" not in r.headers.get("set-cookie", "")
    # the refusal page is a working sign-in form again
    assert _post(client, user.username, csrf_of(r.text)).status_code == 303


def test_a_token_that_is_not_ours_is_refused(client: TestClient, session: Session) -> None:
    user = make_user(session)
    forged = "attacker-nonce.0123456789abcdef0123456789abcdef"
    client.cookies.set("citybase_login_csrf", forged, path="/login")
    assert _post(client, user.username, forged).status_code == 403
    # and a good cookie with a different form value is refused too
    client.cookies.clear()
    good = login_csrf_token(client)
    assert _post(client, user.username, good[:-1] + "x").status_code == 403
