"""E-certificates (电子证照) signed with the city's Ed25519 key, verifiable offline.

A certificate is a compact token ``ecert1.<payload>.<signature>`` (both base64url): the
payload is canonical JSON (sorted keys, no spaces) holding the certificate's id, item,
title, holder (name, masked ID number and a digest binding the full number), claims, issue
and expiry dates, issuer and the signing key's id and public key. Anyone holding the token —
from the QR code on the printed PDF or the JSON file — checks the signature with the public
key inside it and compares that key's fingerprint with the city's published one; revocation
is the one thing only the city's register can answer (``verify`` with a database).

The key lives in ``data_dir/services/ecert-signing-key.pem`` (``citybase services keygen``).
In development a missing key is generated as ``ecert-signing-key.dev.pem``; production
refuses to start with a development key or none (``check_signing_key``), like the default
secret.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from citybase.errors import ConfigurationError, ValidationFailed
from citybase.settings import Mode, Settings

PREFIX = "ecert1"
KEY_FILE = "ecert-signing-key.pem"
DEV_KEY_FILE = "ecert-signing-key.dev.pem"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    key_id: str
    public_b64: str
    development: bool

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_b64)


def fingerprint(public_b64: str) -> str:
    return hashlib.sha256(_unb64(public_b64)).hexdigest()[:32]


def key_dir(settings: Settings) -> Path:
    return settings.data_dir / "services"


def generate_key(path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pem)
    tmp.chmod(0o600)
    tmp.replace(path)


def _read(path: Path, development: bool) -> SigningKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as exc:
        raise ConfigurationError(
            f"{path}: not an unencrypted PEM private key ({exc}); create one with "
            "`citybase services keygen`.",
            field="ecert_key",
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"{path}: the e-certificate key must be Ed25519.")
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    public_b64 = _b64(raw)
    return SigningKey(key, "k-" + fingerprint(public_b64)[:12], public_b64, development)


def check_signing_key(settings: Settings) -> None:
    """Production needs the city's own key file; a development key is refused."""
    if settings.mode is not Mode.production:
        return
    path = key_dir(settings) / KEY_FILE
    if not path.is_file():
        raise ConfigurationError(
            f"Refusing to start in production without the city's e-certificate key {path}: "
            "create it with `citybase services keygen` (a development key is never used in "
            "production).",
            field="ecert_key",
        )
    _read(path, development=False)


@functools.lru_cache(maxsize=4)
def _load(directory: str, production: bool) -> SigningKey:
    base = Path(directory)
    own = base / KEY_FILE
    if own.is_file():
        return _read(own, development=False)
    if production:
        raise ConfigurationError(
            f"No e-certificate key at {own}; create it with `citybase services keygen`.",
            field="ecert_key",
        )
    dev = base / DEV_KEY_FILE
    if not dev.is_file():
        generate_key(dev)
    return _read(dev, development=True)


def signing_key(settings: Settings) -> SigningKey:
    return _load(str(key_dir(settings)), settings.mode is Mode.production)


def sign(payload: dict[str, Any], key: SigningKey) -> str:
    body = {**payload, "key_id": key.key_id, "public_key": key.public_b64}
    data = canonical(body)
    return f"{PREFIX}.{_b64(data)}.{_b64(key.private.sign(data))}"


@dataclass(frozen=True)
class Verification:
    valid: bool
    reason: str  # why not, or "valid"
    payload: dict[str, Any] | None
    fingerprint: str | None = None


def _fail(reason: str, payload: dict[str, Any] | None = None) -> Verification:
    return Verification(False, reason, payload)


def parse_token(text: str) -> str:
    """A token from a file's text: the token itself or the certificate JSON holding it."""
    text = text.strip()
    if text.startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(f"certificate: not valid JSON ({exc})", field="token") from exc
        token = doc.get("token") if isinstance(doc, dict) else None
        if not isinstance(token, str):
            raise ValidationFailed("certificate: the JSON has no 'token'", field="token")
        return token.strip()
    return text


def verify(
    token: str, *, trusted: set[str] | None = None, today: dt.date | None = None
) -> Verification:
    """Check a token offline: shape, signature, trusted key, validity period.

    ``trusted`` is the set of key fingerprints the verifier accepts (the city's); None
    accepts any self-consistent key and says so in the reason.
    """
    parts = token.strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        return _fail(f"not an e-certificate token (expected '{PREFIX}.<payload>.<signature>')")
    try:
        data, signature = _unb64(parts[1]), _unb64(parts[2])
        payload = json.loads(data)
    except (ValueError, json.JSONDecodeError):
        return _fail("the token is damaged: its payload or signature does not decode")
    if not isinstance(payload, dict) or not isinstance(payload.get("public_key"), str):
        return _fail("the payload carries no public key")
    try:
        public = Ed25519PublicKey.from_public_bytes(_unb64(payload["public_key"]))
        public.verify(signature, data)
    except (ValueError, InvalidSignature):
        return _fail(
            "signature does not match: the certificate was altered or not signed by its key",
            payload,
        )
    if canonical(payload) != data:
        return _fail("the payload is not in canonical form", payload)
    fp = fingerprint(payload["public_key"])
    if trusted is not None and fp not in trusted:
        return _fail(f"signed by key {fp}, which is not the city's key", payload)
    on = today or dt.date.today()
    until = payload.get("valid_until")
    if isinstance(until, str) and dt.date.fromisoformat(until) < on:
        return Verification(False, f"expired on {until}", payload, fp)
    return Verification(True, "valid", payload, fp)


def holder_digest(id_number: str, cert_id: str) -> str:
    """Binds the holder's full number to the certificate without printing it."""
    return hashlib.sha256(f"{cert_id}:{id_number.strip().upper()}".encode()).hexdigest()


def mask_id(id_number: str | None) -> str | None:
    if not id_number:
        return None
    return id_number[:6] + "*" * max(len(id_number) - 10, 0) + id_number[-4:]
