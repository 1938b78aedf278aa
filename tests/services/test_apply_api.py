"""A citizen applies through the API: evidence preview, consent, instant decision with its
trace, the certificate, the data tracker; applying twice; a declined piece goes to an officer."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.services.conftest import WANG, City


def _apply(client: TestClient, headers: dict[str, str], item: str, **body: object) -> dict:
    r = client.post("/api/services/applications", json={"item": item, **body}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_old_age_allowance_instant_with_trace_and_certificate(
    client: TestClient, session: Session, city: City
) -> None:
    citizen = city.citizen(session)
    draft = _apply(
        client,
        citizen.headers,
        "MZJ-GLJT-01",
        id_number=WANG,
        form={"bank_card": "6222020200112233445"},
    )
    assert draft["status"] == "draft"
    pieces = {p["material"]: p for p in draft["evidence"]}
    assert pieces["identity"]["status"] == "fetched", pieces["identity"]
    assert pieces["identity"]["values"]["birth_date"] == "1940-03-05"
    assert pieces["identity"]["dataset"] == "gaj-residents"
    assert pieces["allowance"]["values"] == {"allowance_count": 0}
    r = client.post(
        f"/api/services/applications/{draft['id']}/submit",
        json={"consent": {"identity": True, "allowance": True}},
        headers=citizen.headers,
    )
    assert r.status_code == 200, r.text
    app = r.json()
    assert app["decision"] == "approved" and app["instant"] is True
    assert app["status"] == "delivered"
    assert app["certificate_id"]
    trace = {s["rule"]: s for s in app["outcome"]["trace"]}
    assert trace["age"]["result"] == "pass"
    src = {i["name"]: i["source"] for i in trace["age"]["inputs"]}
    assert src["birth_date"]["kind"] == "dataset"
    assert src["birth_date"]["dataset"] == "gaj-residents" and src["birth_date"]["version"] == 1
    assert src["application_date"]["kind"] == "system"
    assert "《示范市高龄老人津贴发放办法》" in app["outcome"]["legal_basis"]
    assert app["asked"] == 1 and app["needed"] == 3  # only the bank card number was asked

    # the citizen's data tracker shows 民政局's read with its purpose
    r = client.get("/api/sharing/tracker/me", headers=citizen.headers)
    assert r.status_code == 200, r.text
    purposes = [e["purpose"] for e in r.json()["entries"]]
    assert any("高龄津贴申领" in p for p in purposes), purposes

    # the certificate verifies, and the holder sees it
    certs = client.get("/api/services/certificates", headers=citizen.headers).json()
    assert [c["id"] for c in certs] == [app["certificate_id"]]
    r = client.post("/api/services/verify", json={"token": certs[0]["token"]})
    assert r.status_code == 200 and r.json()["valid"] is True, r.text


def test_applying_twice_is_refused(client: TestClient, session: Session, city: City) -> None:
    citizen = city.citizen(session)
    draft = _apply(
        client,
        citizen.headers,
        "ZJJ-GZF-01",
        id_number=WANG,
        form={"household_size": 1, "monthly_income": 1500},
    )
    consent = {p["material"]: True for p in draft["evidence"] if p["status"] == "fetched"}
    r = client.post(
        f"/api/services/applications/{draft['id']}/submit",
        json={"consent": consent},
        headers=citizen.headers,
    )
    assert r.status_code == 200 and r.json()["status"] == "submitted", r.text
    r = client.post(
        "/api/services/applications",
        headers=citizen.headers,
        json={"item": "ZJJ-GZF-01", "form": {"household_size": 1, "monthly_income": 1500}},
    )
    assert r.status_code == 409, r.text
    assert r.json()["error"]["field"] == "item"
    assert f"#{draft['id']}" in r.json()["error"]["message"]


def test_declined_evidence_goes_to_an_officer_not_approved(
    client: TestClient, session: Session, city: City
) -> None:
    citizen = city.citizen(session)
    draft = _apply(
        client,
        citizen.headers,
        "MZJ-GLJT-01",
        id_number=WANG,
        form={"bank_card": "6222020200112233445"},
    )
    r = client.post(
        f"/api/services/applications/{draft['id']}/submit",
        json={"consent": {"identity": False, "allowance": True}},
        headers=citizen.headers,
    )
    app = r.json()
    assert app["decision"] is None and app["status"] == "submitted"
    assert app["outcome"]["decision"] == "manual_review"
    assert "identity" in app["uploads"]
    unknown = [s["rule"] for s in app["outcome"]["trace"] if s["result"] == "unknown"]
    assert set(unknown) >= {"age", "hukou"}


def test_missing_consent_and_bad_form_name_the_field(
    client: TestClient, session: Session, city: City
) -> None:
    citizen = city.citizen(session)
    r = client.post(
        "/api/services/applications",
        headers=citizen.headers,
        json={"item": "MZJ-GLJT-01", "id_number": WANG, "form": {}},
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "form.bank_card"
    r = client.post(
        "/api/services/applications",
        headers=citizen.headers,
        json={"item": "NOPE-01", "id_number": WANG},
    )
    assert r.status_code == 404 and r.json()["error"]["field"] == "item"
    draft = _apply(
        client,
        citizen.headers,
        "MZJ-GLJT-01",
        id_number=WANG,
        form={"bank_card": "6222020200112233445"},
    )
    r = client.post(
        f"/api/services/applications/{draft['id']}/submit",
        json={"consent": {"identity": True}},
        headers=citizen.headers,
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "consent.allowance"
