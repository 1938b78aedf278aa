from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybase.identity.enums import Role
from tests.factories import PASSWORD, login_csrf_token, make_user


def _login(client: TestClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "next": "/",
            "csrf_token": login_csrf_token(client),
        },
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )


def test_browser_login_sets_http_only_cookie_and_shows_modules(
    client: TestClient, session: Session
) -> None:
    make_user(session, role=Role.platform_admin, username="boss")
    r = _login(client, "boss")
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "citybase_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = client.get("/", headers={"Accept": "text/html"})
    assert home.status_code == 200
    assert 'data-module="audit"' in home.text and 'data-module="users"' in home.text


def test_home_shows_only_what_the_role_may_use(client: TestClient, session: Session) -> None:
    make_user(session, role=Role.officer, username="clerk")
    _login(client, "clerk")
    home = client.get("/", headers={"Accept": "text/html"}).text
    assert 'data-module="audit"' not in home
    assert 'data-module="users"' not in home
    assert 'data-module="departments"' in home


def test_wrong_password_page_says_so_without_traceback(
    client: TestClient, session: Session
) -> None:
    make_user(session, username="someone")
    r = _login(client, "someone", "bad-password")
    assert r.status_code == 401
    assert "用户名或密码错误" in r.text and "Traceback" not in r.text


def test_cookie_post_without_csrf_token_is_refused(client: TestClient, session: Session) -> None:
    make_user(session, username="csrfuser")
    _login(client, "csrfuser")
    r = client.post("/tokens", data={"name": "x", "days": "5"}, headers={"Accept": "text/html"})
    assert r.status_code == 403
    assert "CSRF" in r.text


def test_open_redirect_is_refused(client: TestClient, session: Session) -> None:
    make_user(session, username="redir")
    r = client.post(
        "/login",
        data={
            "username": "redir",
            "password": PASSWORD,
            "next": "https://evil.example/",
            "csrf_token": login_csrf_token(client),
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_logged_out_page_redirects_to_login(client: TestClient) -> None:
    r = client.get("/audit", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_english_can_be_switched_on(client: TestClient, session: Session) -> None:
    make_user(session, username="eng")
    _login(client, "eng")
    r = client.get("/?lang=en", headers={"Accept": "text/html"})
    assert "Sign out" in r.text
    # remembered by cookie
    assert "Sign out" in client.get("/", headers={"Accept": "text/html"}).text


def test_unknown_page_renders_readable_error(client: TestClient) -> None:
    r = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert r.status_code == 404 and "出错了" in r.text
    api = client.get("/api/no/such")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
