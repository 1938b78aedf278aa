"""Ops pages for those who shape and measure the work: routing rules with the test bench
("where would this report go?") and the indicators with charts, exports and hot spots."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from citybase.errors import CitybaseError, PermissionDenied, ValidationFailed
from citybase.identity import service as identity_service
from citybase.identity.deps import CurrentUser, SessionDep
from citybase.identity.models import User
from citybase.ops import channels, indicators, service
from citybase.ops.pages_common import (
    city_map,
    error_of,
    labels,
    number,
    require_staff,
    settings_of,
    text,
)
from citybase.ops.schemas import RuleBody
from citybase.web.i18n import request_locale
from citybase.web.templating import render

router = APIRouter(include_in_schema=False)


def _admin(user: User) -> None:
    if not identity_service.is_admin(user):
        raise PermissionDenied("Routing rules are kept by platform administrators.")


def _codes(raw: str) -> list[str]:
    return [p.strip() for p in raw.replace("，", ",").split(",") if p.strip()]


def _rules_page(
    request: Request, db_session: Any, values: dict[str, Any] | None = None, **extra: Any
) -> Response:
    locale = request_locale(request)
    status = int(extra["error"]["status"]) if extra.get("error") else 200
    return render(
        request, "ops/rules.html",
        {**labels(request), "rules": service.list_rules(db_session=db_session),
         "departments": list(channels.department_names(db_session, locale).items()),
         "v": values or {}, "map": city_map(db_session), **extra},
        status_code=status,
    )  # fmt: skip


@router.get("/ops/rules")
def rules(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    _admin(user)
    return _rules_page(request, db_session)


RULE_FIELDS = ("name", "position", "categories", "area_codes", "keywords", "hours",
               "department", "grid_code")  # fmt: skip


@router.post("/ops/rules")
async def create_rule(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    _admin(user)
    form = await request.form()
    values = {k: text(form, k) for k in RULE_FIELDS}
    try:
        body = RuleBody(
            name=values["name"], position=int(number(form, "position") or 100),
            categories=_codes(values["categories"]), area_codes=_codes(values["area_codes"]),
            keywords=_codes(values["keywords"]), hours=values["hours"],
            department=values["department"], grid_code=values["grid_code"] or None,
        )  # fmt: skip
        service.create_rule(
            db_session=db_session, settings=settings_of(request), actor=user, body=body
        )
        db_session.commit()
    except (CitybaseError, ValidationError) as exc:
        db_session.rollback()
        return _rules_page(request, db_session, values, error=error_of(exc))
    return RedirectResponse("/ops/rules", status_code=303)


@router.post("/ops/rules/{rule_id}/delete")
async def delete_rule(
    request: Request, rule_id: int, user: CurrentUser, db_session: SessionDep
) -> Response:
    _admin(user)
    try:
        service.delete_rule(db_session=db_session, actor=user, rule_id=rule_id)
        db_session.commit()
    except CitybaseError as exc:
        db_session.rollback()
        return _rules_page(request, db_session, error=error_of(exc))
    return RedirectResponse("/ops/rules", status_code=303)


@router.post("/ops/rules/test")
async def test_bench(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    """试派: where would this report go, by which rule, why earlier rules missed."""
    _admin(user)
    form = await request.form()
    probe = {k: text(form, k) for k in ("category", "text", "lon", "lat")}
    settings = settings_of(request)
    try:
        service.get_category(settings, probe["category"])
        found, district, street = service.test_route(
            db_session=db_session, settings=settings, category=probe["category"],
            text=probe["text"], lon=number(form, "lon"), lat=number(form, "lat"),
        )  # fmt: skip
    except CitybaseError as exc:
        return _rules_page(request, db_session, probe=probe, error=error_of(exc))
    outcome = {"route": found, "district": district, "street": street}
    return _rules_page(request, db_session, probe=probe, outcome=outcome)


# --- indicators --------------------------------------------------------------------------


def _day(raw: str, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(raw) if raw else default
    except ValueError:
        raise ValidationFailed(f"from: '{raw}' is not a date (YYYY-MM-DD).", field="from") from None


@router.get("/ops/indicators")
def indicators_page(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    """结案率, 按期结案率 … by a grouping, as a table and bars; CSV/XLSX; hot spots."""
    require_staff(user)
    q = request.query_params
    today = dt.date.today()
    error = None
    rows: list[Any] = []
    group = q.get("group") or "department"
    date_from, date_to = today - dt.timedelta(days=30), today
    try:
        date_from = _day(q.get("from", ""), date_from)
        date_to = _day(q.get("to", ""), date_to)
        department = service.indicator_scope(viewer=user, department=q.get("department") or None)
        rows = indicators.compute(
            db_session=db_session, date_from=date_from, date_to=date_to, group=group,
            department=department,
        )  # fmt: skip
    except CitybaseError as exc:
        error = error_of(exc)
    spots = service.hot_spots(db_session=db_session)
    query = f"from={date_from}&to={date_to}&group={group}"
    return render(
        request, "ops/indicators.html",
        {**labels(request), "rows": rows, "group": group, "groups": indicators.GROUPS,
         "date_from": date_from, "date_to": date_to, "query": query, "error": error,
         "spots": spots, "map": city_map(db_session, spots=spots)},
        status_code=int(error["status"]) if error else 200,
    )  # fmt: skip
