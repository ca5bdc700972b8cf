"""Bearer tokens against the real embedded issuer (its own process, serving its JWKS)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tandem_devkit.embedded import StackInfo, free_port
from tandem_devkit.issuer import AUDIENCE
from tandem_servicekit.auth import AuthMode, AuthSettings
from tandem_servicekit.runtime import ServiceRuntime
from tandem_servicekit.settings import ServiceSettings
from tandem_servicekit.uow import MongoUnitOfWork

PROTECTED = "/asyncapi.json"


@pytest.fixture
async def http(settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = ServiceRuntime(settings, MongoUnitOfWork).http_app(title="auth test")
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims(stack: StackInfo, **changes: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "iss": stack.issuer.url,
        "aud": AUDIENCE,
        "sub": "emp-1",
        "roles": ["ops"],
        "iat": now,
        "exp": now + 600,
    }
    base.update(changes)
    return base


def forged(header: dict[str, object], payload: dict[str, object], secret: bytes | None) -> str:
    """A token built by hand, as an attacker would (PyJWT refuses to make these)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{part(json.dumps(header).encode())}.{part(json.dumps(payload).encode())}"
    if secret is None:
        return signing_input + "."
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{part(mac)}"


def current_kid(stack: StackInfo) -> str:
    return str(jwt.get_unverified_header(stack.issuer.token("x", []))["kid"])


async def test_a_valid_token_passes_and_probes_need_none(
    http: httpx.AsyncClient, embedded_stack: StackInfo
) -> None:
    assert (await http.get("/healthz")).status_code == 200
    assert (await http.get("/metrics")).status_code == 200
    token = embedded_stack.issuer.token("emp-1", ["program_manager"])
    assert (await http.get(PROTECTED, headers=bearer(token))).status_code == 200
    assert (await http.get("/openapi.json", headers=bearer(token))).status_code == 200


async def test_bad_tokens_are_401(http: httpx.AsyncClient, embedded_stack: StackInfo) -> None:
    issuer = embedded_stack.issuer
    kid = current_kid(embedded_stack)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = stranger.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    cases = {
        "no token": {},
        "not a JWT": bearer("not-a-token"),
        "expired": bearer(issuer.token("emp-1", ["ops"], ttl_s=-120)),
        "not yet valid": bearer(
            jwt.encode(
                claims(embedded_stack, nbf=int(time.time()) + 600),
                stranger,
                algorithm="RS256",
                headers={"kid": kid},
            )
        ),
        "wrong audience": bearer(issuer.token("emp-1", ["ops"], audience="someone-else")),
        "wrong issuer": bearer(issuer.token("emp-1", ["ops"], iss="https://evil.example")),
        "wrong signature": bearer(
            jwt.encode(claims(embedded_stack), stranger, algorithm="RS256", headers={"kid": kid})
        ),
        "alg none": bearer(forged({"alg": "none", "kid": kid}, claims(embedded_stack), None)),
        "HS256 keyed with a public key": bearer(
            forged({"alg": "HS256", "kid": kid}, claims(embedded_stack), public_pem)
        ),
        "unknown key id": bearer(
            jwt.encode(claims(embedded_stack), stranger, algorithm="RS256", headers={"kid": "x"})
        ),
    }
    for case, headers in cases.items():
        reply = await http.get(PROTECTED, headers=headers)
        assert reply.status_code == 401, (case, reply.text)
        assert reply.headers["www-authenticate"] == "Bearer", case


async def test_a_rotated_key_is_fetched_on_its_new_key_id(
    http: httpx.AsyncClient, embedded_stack: StackInfo
) -> None:
    issuer = embedded_stack.issuer
    before = issuer.token("emp-1", ["ops"])
    assert (await http.get(PROTECTED, headers=bearer(before))).status_code == 200
    new_kid = issuer.rotate()
    await asyncio.sleep(1.1)  # the keys are fetched again at most once a second
    after = issuer.token("emp-1", ["ops"])
    assert jwt.get_unverified_header(after)["kid"] == new_kid
    assert (await http.get(PROTECTED, headers=bearer(after))).status_code == 200
    assert (await http.get(PROTECTED, headers=bearer(before))).status_code == 200, "old key kept"


async def test_an_unreachable_identity_provider_is_503_not_500_nor_allow(
    settings: ServiceSettings, embedded_stack: StackInfo
) -> None:
    gone = settings.auth.model_copy(
        update={"jwks_url": f"http://127.0.0.1:{free_port()}/jwks.json"}
    )
    app = ServiceRuntime(settings.model_copy(update={"auth": gone}), MongoUnitOfWork).http_app(
        title="t"
    )
    token = embedded_stack.issuer.token("emp-1", ["ops"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        reply = await c.get(PROTECTED, headers=bearer(token))
    assert reply.status_code == 503
    assert "identity provider" in reply.json()["detail"]


def test_oidc_without_an_issuer_refuses_to_start_and_hmac_is_refused(
    settings: ServiceSettings,
) -> None:
    incomplete = settings.model_copy(update={"auth": AuthSettings()})
    runtime = ServiceRuntime(incomplete, MongoUnitOfWork)
    with pytest.raises(RuntimeError, match="AUTH__ISSUER"):
        asyncio.run(runtime.start())
    assert AuthSettings(mode=AuthMode.DISABLED).missing() == []
    with pytest.raises(ValueError, match="asymmetric"):
        AuthSettings(algorithms=("HS256",))
