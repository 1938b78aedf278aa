"""The reusable API test suite (NetBox's ``APIViewTestCases`` is the anchor).

Each ``/api`` operation is described once, declaratively, as an ``Endpoint``: its method and
path template, who may call it (``ok_as``, a role of tests/world.py) and with what body, who
must be refused (``refused_as``: a user of another department or without the role), a payload
with one bad field (``bad``) and whether a successful call is a write that must land in the
audit log. ``tests/core/test_api_suite.py`` turns the table into parametrised tests:

- anonymous → 401 (or 404 where existence must not leak, or 2xx for a public endpoint);
- ``refused_as`` → 403 or 404, with the one error body;
- ``bad`` → 422 whose ``error.field`` names the bad field;
- ``ok_as`` → the documented success status, and for a write one new ``AuditRecord``;
- every ``/api`` operation of ``create_app()`` is in ``ENDPOINTS`` or in ``PUBLIC`` with a
  reason, so a new endpoint without a description fails the suite.

A new domain adds its rows to ``ENDPOINTS`` (and its objects to tests/world.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tests.sharing.conftest import RESIDENTS_CSV
from tests.world import World

Body = Mapping[str, Any] | Callable[[World], Mapping[str, Any]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # the route's template; tests/world.py fills the {placeholders}
    anonymous: int = 401
    ok_as: str | None = None  # World attribute of a user who may call it
    ok_status: int = 200
    body: Body | None = None  # JSON body of the allowed call (and base of the bad one)
    params: Mapping[str, Any] | None = None  # query of the allowed call
    refused_as: str | None = None  # World attribute of a user who must be refused
    bad: tuple[Mapping[str, Any], str] | None = None  # (JSON body or query, field named)
    bad_in: str = "json"  # "json" or "query"
    write: bool | None = None  # default: every method but GET
    files: Mapping[str, tuple[str, bytes]] | None = None  # a multipart upload instead of JSON
    audited: bool | None = None  # default: every write; also a read of personal data
    scoped_list: bool = False  # refused_as gets 200 with none of the world's objects
    fill: Mapping[str, str] | None = None  # path parameter → World.ids key, where they differ

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_write(self) -> bool:
        return self.method != "GET" if self.write is None else self.write

    @property
    def is_audited(self) -> bool:
        return self.is_write if self.audited is None else self.audited

    def url(self, world: World) -> str:
        ids = dict(world.ids)
        for param, key in (self.fill or {}).items():
            ids[param] = world.ids[key]
        return self.path.format(**ids)

    def json_for(self, world: World) -> Mapping[str, Any] | None:
        return self.body(world) if callable(self.body) else self.body


def _until(days: int = 60) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


REQUEST = {
    "dataset": "woa-residents",
    "purpose": "低保资格复核",
    "legal_basis": "《示范市公共数据管理办法》第二十条",
    "valid_until": _until(),
}
REASON = {"reason": "用途与履职相关，符合最小必要原则"}
DATASET = {
    "name": "woa-suite-new",
    "title": "套件测试数据集",
    "description": "接口套件新建的数据集。",
    "theme": "population",
    "keywords": ["测试"],
    "update_frequency": "monthly",
    "licence": "gov-internal",
    "sharing_type": "conditional",
    "sharing_condition": "经审核后共享",
    "open_type": "not_open",
}
ASSESSMENT = {"city": {"code": "320100", "name": "示范市"}, "period": "2026", "values": {}}

E = Endpoint
GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"code": "320102", "name": "玄武区"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[118.7, 32.0], [118.9, 32.0], [118.9, 32.1], [118.7, 32.0]]],
            },
        }
    ],
}
NEW_USER = {
    "username": "suite_new_user",
    "display_name": "新用户",
    "password": "correct-horse-battery",
    "role": "officer",
    "department_code": "WOA",
}
ELEMENT = ("/api/datahub/elements/{code}", {"code": "element_code"})
DS = "/api/datahub/datasets/{name}"

DEID_POLICY = {
    "columns": {
        "公民身份号码": [{"op": "suppress"}],
        "姓名": [{"op": "suppress"}],
        "手机号码": [{"op": "suppress"}],
        "居住地址": [{"op": "suppress"}],
    }
}

ENDPOINTS: list[Endpoint] = [
    # --- sharing: the requesting department is WOB, the owning one WOA, "outsider" WOC ---
    E(
        "POST",
        "/api/sharing/requests",
        ok_as="other",
        ok_status=201,
        body=REQUEST,
        refused_as="applicant",
        bad=({**REQUEST, "valid_until": "not-a-date"}, "valid_until"),
    ),
    E("GET", "/api/sharing/requests", ok_as="other", refused_as="outsider", scoped_list=True),
    E("GET", "/api/sharing/requests/{request_id}", ok_as="owner", refused_as="outsider"),
    E(
        "POST",
        "/api/sharing/requests/{request_id}/approve",
        ok_as="owner",
        body=REASON,
        refused_as="other",  # the requesting department cannot approve its own request
        bad=({**REASON, "valid_until": "tomorrow"}, "valid_until"),
    ),
    E(
        "POST",
        "/api/sharing/requests/{request_id}/reject",
        ok_as="owner",
        body=REASON,
        refused_as="other_officer",
        bad=({"reason": 7}, "reason"),
    ),
    E(
        "POST",
        "/api/sharing/requests/{request_id}/withdraw",
        ok_as="other",
        refused_as="owner_officer",
    ),
    E("GET", "/api/sharing/requests/{request_id}/history", ok_as="owner", refused_as="outsider"),
    E(
        "POST",
        "/api/sharing/requests/{request_id}/extend",
        ok_as="owner",
        body=REASON,
        refused_as="other",  # only the deciding (owning) department extends its time limit
        bad=({"reason": 7}, "reason"),
    ),
    E("GET", "/api/sharing/grants", ok_as="other", refused_as="outsider", scoped_list=True),
    E("GET", "/api/sharing/grants/{grant_id}", ok_as="other", refused_as="outsider"),
    E(
        "POST",
        "/api/sharing/grants/{grant_id}/revoke",
        ok_as="owner",
        body=REASON,
        refused_as="other_officer",
        bad=({"reason": ["x"]}, "reason"),
    ),
    # The allowed call needs a citizen linked to an ID number: tests/sharing/test_tracker.py.
    E("GET", "/api/sharing/tracker/me", refused_as="other_officer"),
    E(
        "POST",
        "/api/sharing/tracker/lookup",
        ok_as="outsider",
        body={"id_number": "11010519491231002X", "purpose": "市民来电查询"},
        bad=({"id_number": "123", "purpose": "查询"}, "id_number"),
        write=False,  # any officer may look a citizen up for them at a counter ...
        audited=True,
    ),  # ... and that look-up of personal data is audited
    # --- events and jobs ------------------------------------------------------------------
    E("GET", "/api/events/failures", ok_as="admin", refused_as="owner"),
    # A stream never ends: only its refusal is checked here; tests/events/test_stream.py
    # reads it as a stream (audience, reconnect, keep-alive).
    E("GET", "/api/events/stream"),
    # No delivery has failed in this world: the retry itself is tested in
    # tests/events/test_delivery.py.
    E("POST", "/api/events/deliveries/{delivery_id}/retry", refused_as="owner"),
    E("GET", "/api/jobs/{job_id}", ok_as="owner", refused_as="outsider"),
    E("POST", "/api/jobs/{job_id}/cancel", ok_as="owner", refused_as="outsider"),
    # --- identity -----------------------------------------------------------------------
    E("GET", "/api/me", ok_as="other_officer"),
    E("GET", "/api/tokens", ok_as="other_officer"),
    E(
        "POST",
        "/api/tokens",
        ok_as="other_officer",
        ok_status=201,
        body={"name": "脚本", "days": 30},
        bad=({"name": "脚本", "days": "soon"}, "days"),
    ),
    E("DELETE", "/api/tokens/{token_id}", ok_as="owner_officer", refused_as="other_officer"),
    E("GET", "/api/departments", ok_as="other_officer"),
    E("GET", "/api/departments/{code}", fill={"code": "department_code"}, ok_as="outsider"),
    E(
        "POST",
        "/api/departments",
        ok_as="admin",
        ok_status=201,
        body={"code": "WOD", "name_zh": "新建测试局"},
        refused_as="owner",
        bad=({"code": "WOD", "name_zh": 5}, "name_zh"),
    ),
    E("GET", "/api/users", ok_as="admin", refused_as="other_officer"),
    E(
        "POST",
        "/api/users",
        ok_as="admin",
        ok_status=201,
        body=NEW_USER,
        refused_as="owner",
        bad=({**NEW_USER, "role": "king"}, "role"),
    ),
    E(
        "PATCH",
        "/api/users/{user_id}",
        ok_as="admin",
        body={"display_name": "改名"},
        refused_as="other_officer",
        bad=({"active": "perhaps"}, "active"),
    ),
    # --- geo (this world has no areas: allowed reads of one area are in tests/geo) --------
    E("GET", "/api/dashboard/layouts", ok_as="other_officer"),
    E("GET", "/api/dashboard/{layout}", ok_as="other_officer", refused_as="applicant"),
    E(
        "GET",
        "/api/dashboard/{layout}/data",
        ok_as="other_officer",
        refused_as="applicant",
        bad=({"widgets": "ops.nothing"}, "widgets"),
        bad_in="query",
    ),
    E("GET", "/api/geo/areas", ok_as="other_officer"),
    E("GET", "/api/geo/areas/{code}", fill={"code": "area_code"}),
    E("GET", "/api/geo/locate", bad=({"lon": 118.8, "lat": 123.0}, "lat"), bad_in="query"),
    E(
        "POST",
        "/api/geo/import",
        ok_as="admin",
        body=GEOJSON,
        params={"level": "district"},
        refused_as="other_officer",
        bad=({"level": "planet"}, "level"),
        bad_in="query",
    ),
    E("GET", "/api/geo/grids/{code}/workers", fill={"code": "area_code"}),
    E(
        "POST",
        "/api/geo/grids/{code}/workers",
        fill={"code": "area_code"},
        body={"name": "王网格", "mobile": "13812345678"},
        refused_as="other_officer",
        bad=({"name": "王", "mobile": 5}, "mobile"),
    ),
    E("GET", "/api/geo/{level}.geojson", ok_as="other_officer"),
    # --- datahub: catalog (anonymous callers see open datasets only: 404, not 401) --------
    E("GET", "/api/datahub/themes", anonymous=200, ok_as="other_officer"),  # vocabulary
    E("GET", "/api/datahub/licences", anonymous=200, ok_as="other_officer"),  # vocabulary
    E(
        "GET",
        "/api/datahub/datasets",
        anonymous=200,
        ok_as="other_officer",
        bad=({"limit": 0}, "limit"),
        bad_in="query",
    ),
    E(
        "POST",
        "/api/datahub/datasets",
        ok_as="owner",
        ok_status=201,
        body=DATASET,
        refused_as="other_officer",
        bad=({**DATASET, "open_type": "sometimes"}, "open_type"),
    ),
    E("GET", DS, anonymous=404, ok_as="other_officer"),
    E(
        "PATCH",
        DS,
        ok_as="owner",
        body={"title": "改过的标题"},
        refused_as="other",
        bad=({"update_frequency": "hourly-ish"}, "update_frequency"),
    ),
    E("GET", DS + "/versions", anonymous=404, ok_as="owner"),
    E("GET", DS + "/versions/{number}", anonymous=404, ok_as="owner"),
    E("GET", DS + "/profile", anonymous=404, ok_as="owner"),
    E(
        "POST",
        DS + "/versions",
        ok_as="owner",
        ok_status=201,
        refused_as="other",
        files={"file": ("residents.csv", RESIDENTS_CSV)},
    ),
    E("GET", DS + "/rules", ok_as="owner"),
    E("PUT", DS + "/rules", ok_as="owner", body={"rules": []}, refused_as="other"),
    E("GET", DS + "/quality", anonymous=404, ok_as="owner"),
    E("POST", DS + "/quality", ok_as="owner", refused_as="other"),
    E("GET", DS + "/lineage", anonymous=404, ok_as="owner"),
    E(
        "POST",
        DS + "/lineage",
        ok_as="owner",
        ok_status=201,
        body={"source": "woa-upstream", "transformation": "按月抽取"},
        refused_as="other",
        bad=({"source": "x"}, "transformation"),
    ),
    # --- datahub: data API (WOB holds a grant; the outsider WOC holds none) -------------
    E(
        "GET",
        DS + "/rows",
        anonymous=404,
        ok_as="owner",
        refused_as="outsider",
        bad=({"limit": -1}, "limit"),
        bad_in="query",
    ),
    E(
        "POST",
        DS + "/rows/query",
        anonymous=404,
        ok_as="owner",
        body={"limit": 5},
        refused_as="outsider",
        bad=({"limit": 10**6}, "limit"),
        write=False,
    ),
    E(
        "GET",
        DS + "/download",
        anonymous=404,
        ok_as="owner",
        refused_as="outsider",
        bad=({"format": "docx"}, "format"),
        bad_in="query",
    ),
    # --- datahub: elements and usage ----------------------------------------------------
    E("GET", "/api/datahub/usage/high-frequency", ok_as="other_officer"),
    E("GET", "/api/datahub/elements", ok_as="other_officer"),
    E(
        "POST",
        "/api/datahub/elements",
        ok_as="owner",
        ok_status=201,
        body={"code": "woa_new_element", "name": "新数据元"},
        refused_as="other_officer",  # data stewards register elements
        bad=({"code": "woa_x"}, "name"),
    ),
    E("GET", ELEMENT[0], fill=ELEMENT[1], ok_as="other_officer"),
    E(
        "POST",
        ELEMENT[0] + "/bindings",
        fill=ELEMENT[1],
        body={"dataset": "woa-residents", "column": "姓名", "role": "replica"},
        refused_as="other",
    ),  # only the dataset's own steward binds its columns
    E(
        "DELETE",
        ELEMENT[0] + "/bindings/{binding_id}",
        fill=ELEMENT[1],
        ok_as="owner",
        ok_status=204,
        refused_as="other",
    ),
    E("GET", ELEMENT[0] + "/consistency", fill=ELEMENT[1], ok_as="owner"),
    # --- datahub: classification, grading, de-identification, release ------------------
    E("GET", DS + "/classification", ok_as="owner"),
    E(
        "PUT",
        DS + "/columns/{column}/classification",
        ok_as="owner",
        body={"pii_type": "PERSON_NAME", "reason": "姓名列，人工复核确认"},
        refused_as="other",
        bad=({"pii_type": "PERSON_NAME"}, "reason"),
    ),
    E(
        "PUT",
        DS + "/grade",
        ok_as="owner",
        body={"grade": None, "reason": "按分级政策复核"},
        refused_as="other",
        bad=({"grade": "core"}, "reason"),
    ),
    E(
        "POST",
        DS + "/deidentify",
        ok_as="owner",
        ok_status=201,
        body={"into": "woa-residents-deid", "policy": DEID_POLICY},
        refused_as="other",
        bad=({"policy": {"columns": {}}}, "into"),
    ),
    E(
        "POST",
        DS + "/releases",
        ok_as="owner",
        ok_status=201,  # recorded (blocked: the raw data identifies people)
        body={"quasi_identifiers": ["区"]},
        refused_as="other",
        bad=({"quasi_identifiers": "区"}, "quasi_identifiers"),
    ),
    E("GET", DS + "/releases", ok_as="owner", refused_as="outsider", scoped_list=True),
    E(
        "POST",
        DS + "/decrypt",
        body={"column": "姓名", "values": ["x"], "purpose": "核查身份信息"},
        refused_as="outsider",
        bad=({"column": "姓名", "values": "x", "purpose": "核查身份信息"}, "values"),
    ),
    # --- audit ----------------------------------------------------------------------------
    E(
        "GET",
        "/api/audit/records",
        ok_as="admin",
        refused_as="other_officer",
        bad=({"limit": 0}, "limit"),
        bad_in="query",
    ),
    E("GET", "/api/audit/verify", ok_as="admin", refused_as="other_officer"),
    # --- assess: planners (analyst) and platform admins only ---------------------------
    *[
        E("GET", path, ok_as="analyst", refused_as="other_officer")
        for path in (
            "/api/assess/framework",
            "/api/assess/actions",
            "/api/assess/profiles",
            "/api/assess/live",
            "/api/assess/assessments",
            "/api/assess/assessments/{assessment_id}",
            "/api/assess/assessments/{assessment_id}/report.html",
            "/api/assess/cities/{city_code}/history",
            "/api/assess/peers",
            "/api/assess/architecture/{city_code}/{domain}",
        )
    ],
    # The PDF needs WeasyPrint's system libraries: rendered in tests/assess/test_report.py.
    E("GET", "/api/assess/assessments/{assessment_id}/report.pdf", refused_as="other_officer"),
    E(
        "GET",
        "/api/assess/cities/{city_code}/compare",
        ok_as="analyst",
        params={"base": "2025", "target": "2025"},
        refused_as="other_officer",
        bad=({"base": "last year", "target": "2025"}, "base"),
        bad_in="query",
    ),
    E(
        "POST",
        "/api/assess/compute",
        ok_as="analyst",
        body=ASSESSMENT,
        refused_as="other_officer",
        bad=({**ASSESSMENT, "period": "soon"}, "period"),
        write=False,
    ),  # computes, stores nothing
    E(
        "POST",
        "/api/assess/assessments",
        ok_as="analyst",
        ok_status=201,
        body=ASSESSMENT,
        refused_as="other_officer",
        bad=({**ASSESSMENT, "city": {"code": "城市", "name": "x"}}, "city.code"),
    ),
    E(
        "DELETE",
        "/api/assess/assessments/{assessment_id}",
        ok_as="analyst",
        ok_status=204,
        refused_as="other_officer",
    ),
    E(
        "PUT",
        "/api/assess/peers/{period}/{code}",
        ok_as="analyst",
        body={"name": "对标市", "values": {}},
        refused_as="other_officer",
        bad=({"name": "对标市"}, "values"),
    ),
    E(
        "DELETE",
        "/api/assess/peers/{period}/{code}",
        ok_as="analyst",
        ok_status=204,
        refused_as="other_officer",
    ),
    E(
        "PUT",
        "/api/assess/architecture/{city_code}/{domain}",
        ok_as="analyst",
        body={"sections": {}},
        refused_as="other_officer",
        bad=({"sections": []}, "sections"),
    ),
    # 一网统管 ops
    E("GET", "/api/ops/categories", ok_as="applicant"),
    E("GET", "/api/ops/my-reports", ok_as="applicant"),
    E("GET", "/api/ops/hotspots", ok_as="analyst"),
    E(
        "GET",
        "/api/ops/indicators",
        ok_as="analyst",
        params={"from": "2026-01-01", "to": "2026-01-31"},
    ),
    E("GET", "/api/ops/routing-rules", ok_as="admin"),
    E("GET", "/api/ops/cases", ok_as="owner_officer"),
    # 一网通办 services
    E("GET", "/api/services/applications", ok_as="applicant"),
    E("GET", "/api/services/certificates", ok_as="applicant"),
    E("GET", "/api/services/figures/today", ok_as="analyst"),
]

# Operations anyone may call, and why; the suite checks they answer an anonymous caller
# without an error from the server.
PUBLIC: dict[str, str] = {
    "GET /api/health": "load balancers and monitoring probe it without credentials",
    "GET /api/docs": "the API's documentation page (Swagger UI), like the public OpenAPI schema",
    "GET /api/redoc": "the API's documentation page (ReDoc), like the public OpenAPI schema",
    "POST /api/auth/login": "signs a user in: it is how a caller gets credentials",
    "POST /api/auth/token": "exchanges a password for a token: how scripts get credentials",
    "GET /api/3": "CKAN's API root: lists the API version for CKAN clients",
    "GET /api/3/action/{name}": "CKAN Action API: open data is public by design; "
    "per-action permissions are tested in tests/opendata",
    "POST /api/3/action/{name}": "the same CKAN actions over POST (ckanapi sends POST)",
    "GET /api/action/{name}": "CKAN's unversioned alias of /api/3/action",
    "POST /api/action/{name}": "CKAN's unversioned alias of /api/3/action",
    "GET /api/datahub/rule-kinds": "the vocabulary of quality-rule kinds and what each checks: "
    "reference text, no data",
    "GET /api/services/items": "the service catalogue (政务服务事项目录) is published to everyone",
    "GET /api/services/items/{code}": "one item of the public service catalogue",
    "GET /api/services/bundles": "the public list of 一件事 bundles with their figures",
    "POST /api/services/verify": "anyone holding an e-certificate may verify it",
}

# Operations whose authentication, refusals and bad input are tested in their domain's own
# tests, because they need objects tests/world.py does not build yet (an application, a case,
# a sensor …): operation → the test module that covers them. The suite checks that module
# exists; moving a row into ENDPOINTS (with its objects in tests/world.py) is always better.
ELSEWHERE: dict[str, str] = {
    "POST /api/datahub/datasets/{name}/rollback": "tests/datahub/test_rollback.py",
    **{
        op: "tests/ops/test_cases.py"
        for op in (
            "POST /api/ops/cases",
            "GET /api/ops/cases/{case_id}",
            "POST /api/ops/cases/{case_id}/merge",
            "POST /api/ops/cases/{case_id}/photos",
            "GET /api/ops/cases/{case_id}/photos/{photo_id}",
            "POST /api/ops/cases/{case_id}/replies",
        )
    },
    "POST /api/ops/cases/{case_id}/actions/{action}": "tests/ops/test_loop.py",
    **{
        op: "tests/ops/test_routing.py"
        for op in (
            "POST /api/ops/routing-rules",
            "PUT /api/ops/routing-rules/{rule_id}",
            "DELETE /api/ops/routing-rules/{rule_id}",
            "POST /api/ops/routing-test",
        )
    },
    **{
        op: "tests/services/test_apply_api.py"
        for op in (
            "POST /api/services/applications",
            "GET /api/services/applications/{application_id}",
            "POST /api/services/applications/{application_id}/submit",
            "POST /api/services/applications/{application_id}/actions/{action}",
            "POST /api/services/applications/{application_id}/rating",
            "POST /api/services/items/{code}/decide",
        )
    },
    **{
        op: "tests/services/test_casework.py"
        for op in (
            "GET /api/services/certificates/{cert_id}",
            "GET /api/services/certificates/{cert_id}/pdf",
            "POST /api/services/certificates/{cert_id}/revoke",
        )
    },
    **{
        op: "tests/services/test_bundles_figures.py"
        for op in (
            "POST /api/services/bundles",
            "GET /api/services/bundles/applications/{bundle_id}",
        )
    },
}
