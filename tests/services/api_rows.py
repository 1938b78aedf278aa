"""Rows for the shared API suite (tests/api_suite.py), for the lead to merge:

    from tests.services.api_rows import SERVICES_ENDPOINTS, SERVICES_PUBLIC
    ENDPOINTS += SERVICES_ENDPOINTS;  PUBLIC |= SERVICES_PUBLIC

The remaining services operations need services objects in tests/world.py (an application,
a certificate, a bundle application) and are covered by tests/services/ meanwhile:
POST /api/services/applications, GET /api/services/applications/{application_id},
POST …/{application_id}/submit, …/actions/{action}, …/rating,
GET /api/services/certificates/{cert_id}, …/pdf, POST …/{cert_id}/revoke,
POST /api/services/bundles, GET /api/services/bundles/applications/{bundle_id},
POST /api/services/items/{code}/decide.
"""

from __future__ import annotations

from tests.api_suite import Endpoint

SERVICES_PUBLIC: dict[str, str] = {
    "GET /api/services/items": "the service catalogue (政务服务事项目录) is published to everyone",
    "GET /api/services/items/{code}": "one item of the public service catalogue",
    "GET /api/services/bundles": "the public list of 一件事 bundles with their figures",
    "POST /api/services/verify": "anyone holding an e-certificate may verify it",
}

SERVICES_ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/api/services/applications", ok_as="applicant"),
    Endpoint("GET", "/api/services/certificates", ok_as="applicant"),
    Endpoint("GET", "/api/services/figures/today", ok_as="analyst"),
]
