"""Who is calling: OIDC bearer tokens verified against the identity provider's JWKS.

Every HTTP route except `/healthz`, `/readyz` and `/metrics` needs `Authorization: Bearer <JWT>`.
The token's signature is checked with the issuer's public keys (fetched from `jwks_url`, cached,
fetched again when a token names a key id not seen yet, so a key rotation just works), as are
`iss`, `aud`, `exp` and `nbf` (with a small leeway) and the algorithm, from an allow-list of
asymmetric ones: never `none`, never an HMAC keyed with a public key. PyJWT does the
cryptography. No token or a bad one is 401; an identity provider that cannot be reached is 503,
never a 500 and never "allow". The verified caller becomes the request's `Principal`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx
import jwt
from fastapi import FastAPI
from pydantic import BaseModel, Field, model_validator
from starlette.types import ASGIApp, Receive, Scope, Send

from tandem_servicekit.guards import answer
from tandem_servicekit.logging import get_logger

log = get_logger("tandem.auth")
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
ERROR_REF = "#/components/schemas/ErrorBody"
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")


class AuthMode(StrEnum):
    OIDC = "oidc"
    DISABLED = "disabled"


class AuthSettings(BaseModel):
    mode: AuthMode = Field(
        default=AuthMode.OIDC,
        description="`disabled` is for local experiments only: every caller is an anonymous "
        "holder of every role, and the service says so loudly at start-up",
    )
    issuer: str = Field(default="", description="the token's `iss`, e.g. the realm URL")
    audience: str = Field(default="", description="the token's `aud` for Tandem")
    jwks_url: str = Field(default="", description="where the issuer publishes its public keys")
    employee_claim: str = Field(default="sub", description="claim holding the employee id")
    roles_claim: str = Field(
        default="roles",
        description="claim holding the roles; dotted for nested ones (`realm_access.roles`)",
    )
    algorithms: tuple[str, ...] = Field(default=("RS256", "ES256", "PS256"))
    leeway_s: int = Field(default=30, ge=0, le=300)
    jwks_ttl_s: float = Field(default=600.0, gt=0, description="keys are fetched again after")
    jwks_timeout_s: float = Field(default=3.0, gt=0)

    def missing(self) -> list[str]:
        """What OIDC mode still needs; the service refuses to start without it."""
        if self.mode is AuthMode.DISABLED:
            return []
        return [n for n in ("issuer", "audience", "jwks_url") if not getattr(self, n)]

    @model_validator(mode="after")
    def _safe_algorithms(self) -> AuthSettings:
        loopback = self.jwks_url.startswith(
            ("http://127.0.0.1", "http://localhost", "http://[::1]")
        )
        if self.jwks_url and not (self.jwks_url.startswith("https://") or loopback):
            raise ValueError("jwks_url must be https (plain http only on loopback)")
        unsafe = set(self.algorithms) - set(ASYMMETRIC)
        if unsafe:
            raise ValueError(f"only asymmetric algorithms are allowed, not {sorted(unsafe)}")
        return self


PARTICIPANT, PROGRAM_MANAGER, HR_ADMIN, OPS = "participant", "program_manager", "hr_admin", "ops"


@dataclass(frozen=True)
class Principal:
    """The verified caller: an employee id and the roles the identity provider granted."""

    employee_id: str
    roles: frozenset[str]

    def has(self, role: str) -> bool:
        return role in self.roles


class Unauthenticated(Exception):
    """No token, or one that does not verify (401)."""


class IdentityProviderUnavailable(Exception):
    """The keys cannot be fetched, so no token can be verified (503)."""


class JwksCache:
    """The issuer's public keys by key id, fetched on demand and again on an unknown kid."""

    MIN_REFETCH_S = 1.0
    """An unknown key id fetches the keys again, at most once a second (a flood of made-up ids
    must not flood the identity provider)."""

    def __init__(self, settings: AuthSettings) -> None:
        self._settings = settings
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = -1e9
        self._attempted_at = -1e9
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> jwt.PyJWK:
        if kid not in self._keys or self._stale():
            await self._refresh(kid)
        if kid not in self._keys:
            raise Unauthenticated("the token's key id is not one of the issuer's keys")
        return self._keys[kid]

    def _stale(self) -> bool:
        return time.monotonic() - self._fetched_at > self._settings.jwks_ttl_s

    async def _refresh(self, kid: str) -> None:
        """One fetch at a time, at most one attempt a second (failures included); a key
        already known keeps serving while the identity provider is away."""
        async with self._lock:
            if kid in self._keys and not self._stale():
                return  # another request refreshed meanwhile
            if time.monotonic() - self._attempted_at < self.MIN_REFETCH_S:
                if self._keys:
                    return
                raise IdentityProviderUnavailable("the identity provider's keys are not loaded")
            self._attempted_at = time.monotonic()
            try:
                async with httpx.AsyncClient(timeout=self._settings.jwks_timeout_s) as http:
                    reply = await http.get(self._settings.jwks_url)
                reply.raise_for_status()
                keys = jwt.PyJWKSet.from_dict(reply.json()).keys
            except (httpx.HTTPError, ValueError, jwt.PyJWKSetError) as exc:
                log.warning("identity provider keys unavailable", error_class=type(exc).__name__)
                if kid in self._keys:
                    return  # keep verifying with the key we have
                raise IdentityProviderUnavailable(str(exc)) from exc
            self._keys = {k.key_id: k for k in keys if k.key_id}
            self._fetched_at = time.monotonic()


class TokenVerifier:
    def __init__(self, settings: AuthSettings) -> None:
        self._settings = settings
        self._jwks = JwksCache(settings)

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthenticated("malformed token") from exc
        algorithm = header.get("alg")
        if algorithm not in self._settings.algorithms:
            raise Unauthenticated("token algorithm not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise Unauthenticated("token has no key id")
        key = await self._jwks.key(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=[algorithm],
                audience=self._settings.audience,
                issuer=self._settings.issuer,
                leeway=self._settings.leeway_s,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"token rejected: {type(exc).__name__}") from exc
        return self._principal(claims)

    def _principal(self, claims: dict[str, Any]) -> Principal:
        employee = claims.get(self._settings.employee_claim)
        if not isinstance(employee, str) or not employee:
            raise Unauthenticated(f"token has no {self._settings.employee_claim} claim")
        roles: Any = claims
        for part in self._settings.roles_claim.split("."):
            roles = roles.get(part) if isinstance(roles, dict) else None
        if isinstance(roles, str):
            roles = roles.split()
        if not isinstance(roles, list):
            roles = []
        return Principal(employee, frozenset(r for r in roles if isinstance(r, str)))


ANONYMOUS = Principal("anonymous", frozenset({PARTICIPANT, PROGRAM_MANAGER, HR_ADMIN, OPS}))


class AuthGuard:
    """ASGI guard: the verified principal goes into `scope["state"]["principal"]`."""

    def __init__(self, app: ASGIApp, settings: AuthSettings) -> None:
        self.app = app
        self.settings = settings
        self.verifier = TokenVerifier(settings) if settings.mode is AuthMode.OIDC else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await answer(send, 403, "no websocket routes")  # never let one in unverified
            return
        if scope["type"] != "http" or scope.get("path") in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        if self.verifier is None:
            principal = ANONYMOUS
        else:
            try:
                principal = await self.verifier.verify(_bearer(scope))
            except Unauthenticated as exc:
                await answer(send, 401, str(exc), [(b"www-authenticate", b"Bearer")])
                return
            except IdentityProviderUnavailable:
                detail = "the identity provider cannot be reached; retry"
                await answer(send, 503, detail, [(b"retry-after", b"5")])
                return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def _bearer(scope: Scope) -> str:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    raise Unauthenticated("send Authorization: Bearer <token>")


def document_bearer_auth(app: FastAPI) -> None:
    """Declare the bearer scheme in the OpenAPI document: every operation but the probes needs
    it and may answer 401."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["bearer"] = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        for path, operations in schema.get("paths", {}).items():
            if path in PUBLIC_PATHS:
                continue
            for operation in operations.values():
                operation["security"] = [{"bearer": []}]
                operation.setdefault("responses", {})["401"] = {
                    "description": "No bearer token, or one that does not verify",
                    "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
                }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
