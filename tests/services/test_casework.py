"""The manual path on the workflow: acceptance by the item's department only, 补正 pausing the
promised limit, approval issuing the certificate, withdrawal, rating; revocation and
tampering make verification fail saying why."""

from __future__ import annotations

import base64
import json

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.services.conftest import LI, City


def _act(
    client: TestClient, headers: dict[str, str], app_id: int, action: str, reason: str = ""
) -> dict:
    r = client.post(
        f"/api/services/applications/{app_id}/actions/{action}",
        json={"reason": reason},
        headers=headers,
    )
    return {**r.json(), "code": r.status_code}


def test_manual_case_within_its_limit_and_certificate_life(
    client: TestClient, session: Session, city: City
) -> None:
    citizen = city.citizen(session)
    r = client.post(
        "/api/services/applications",
        headers=citizen.headers,
        json={"item": "GAJ-JZZ-01", "id_number": LI},
    )
    draft = r.json()
    consent = {p["material"]: True for p in draft["evidence"] if p["status"] == "fetched"}
    assert set(consent) == {"identity", "insurance"}
    app = client.post(
        f"/api/services/applications/{draft['id']}/submit",
        json={"consent": consent},
        headers=citizen.headers,
    ).json()
    # a photo is to be uploaded: rules pass but an officer must see it
    assert app["status"] == "submitted" and app["outcome"]["decision"] == "manual_review"
    aid = app["id"]

    # another department's officer may not touch it (and does not even see it)
    other = _act(client, city.officers["MZJ"].headers, aid, "accept")
    assert other["code"] == 404
    queue = client.get("/api/services/applications", headers=city.officers["MZJ"].headers).json()
    assert aid not in [a["id"] for a in queue]

    gaj = city.officers["GAJ"].headers
    queue = client.get("/api/services/applications?status=submitted", headers=gaj).json()
    assert aid in [a["id"] for a in queue]
    accepted = _act(client, gaj, aid, "accept")
    assert accepted["code"] == 200 and accepted["status_label"] == "审查中"
    assert accepted["limit_status"] in ("on_time", "warning") and accepted["due_local"]
    supplement = _act(client, gaj, aid, "request_supplement", "请上传近期免冠照片（白底）")
    assert supplement["limit_status"] == "paused" and supplement["note"].startswith("请上传")
    # the applicant may not approve; the officer may not resubmit for them
    assert _act(client, gaj, aid, "resubmit", "代为提交")["code"] == 409  # only the applicant
    back = _act(client, citizen.headers, aid, "resubmit", "已上传照片")
    assert back["code"] == 200 and back["limit_status"] in ("on_time", "warning")
    assert _act(client, citizen.headers, aid, "approve", "自己批准")["code"] == 403
    assert _act(client, gaj, aid, "approve", "x")["error"]["field"] == "reason"
    done = _act(client, gaj, aid, "approve", "材料齐全，符合居住证申领条件")
    assert done["code"] == 200
    assert done["decision"] == "approved" and done["certificate_id"]
    assert [h["action"] for h in done["history"]][-2:] == ["approve", "deliver_at_once"]

    # 好差评 with a reason
    r = client.post(
        f"/api/services/applications/{aid}/rating",
        headers=citizen.headers,
        json={"rating": 5, "reason": "全程网上办，没跑腿"},
    )
    assert r.status_code == 200 and r.json()["rating"] == 5
    r = client.post(
        f"/api/services/applications/{aid}/rating",
        headers=citizen.headers,
        json={"rating": 1, "reason": "再评一次"},
    )
    assert r.status_code == 409

    cert = client.get(
        f"/api/services/certificates/{done['certificate_id']}", headers=citizen.headers
    ).json()
    pdf = client.get(f"/api/services/certificates/{cert['id']}/pdf", headers=citizen.headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # tampering: change the holder's claim and keep the signature
    prefix, payload, sig = cert["token"].split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    body["claims"]["address"] = "示范市别处"
    forged = base64.urlsafe_b64encode(
        json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    ).rstrip(b"=")
    r = client.post("/api/services/verify", json={"token": f"{prefix}.{forged.decode()}.{sig}"})
    assert r.json()["valid"] is False and "signature" in r.json()["reason"]

    # revocation by the issuing department only
    r = client.post(
        f"/api/services/certificates/{cert['id']}/revoke",
        json={"reason": "误发"},
        headers=city.officers["MZJ"].headers,
    )
    assert r.status_code in (403, 404)
    r = client.post(
        f"/api/services/certificates/{cert['id']}/revoke",
        json={"reason": "申请人已迁出本市"},
        headers=gaj,
    )
    assert r.status_code == 200 and r.json()["revoked"] is True
    r = client.post("/api/services/verify", json={"token": cert["token"]})
    assert r.json()["valid"] is False and r.json()["reason"].startswith("revoked")


def test_withdraw_and_no_approval_without_evidence(
    client: TestClient, session: Session, city: City
) -> None:
    citizen = city.citizen(session)
    draft = client.post(
        "/api/services/applications",
        headers=citizen.headers,
        json={"item": "RSJ-JYDJ-01", "id_number": LI},
    ).json()
    app = client.post(
        f"/api/services/applications/{draft['id']}/submit",
        json={"consent": {"identity": True, "insurance": True}},
        headers=citizen.headers,
    ).json()
    assert app["decision"] == "approved" and app["instant"]
    draft = client.post(
        "/api/services/applications", headers=citizen.headers, json={"item": "GAJ-HKQR-01"}
    ).json()
    app = client.post(
        f"/api/services/applications/{draft['id']}/submit",
        json={"consent": {"identity": True, "insurance": True}},
        headers=citizen.headers,
    ).json()
    assert app["status"] == "submitted"
    gone = _act(client, citizen.headers, app["id"], "withdraw")
    assert gone["code"] == 200 and gone["status_label"] == "已撤回"
