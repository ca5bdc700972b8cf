"""A real OIDC-style token issuer for the embedded default (never for production).

It keeps RSA signing keys in its state folder, publishes their public halves as a JWKS over
HTTP on loopback (`python -m tandem_devkit.issuer DIR PORT`, started with the embedded stack)
and mints RS256 tokens (`tandem dev token --role program_manager --employee emp-1`), so the
demo and the tests go through the same signature, issuer, audience and expiry checks as
production. `rotate` adds a key with a new id: services fetch the JWKS again on the unknown id.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

AUDIENCE = "tandem"
JWKS_PATH = "/.well-known/jwks.json"
ROLES = ("participant", "program_manager", "hr_admin", "ops")


class DevIssuer:
    def __init__(self, state_dir: Path, url: str) -> None:
        self.keys_dir = Path(state_dir) / "issuer-keys"
        self.url = url

    @property
    def jwks_url(self) -> str:
        return self.url + JWKS_PATH

    def ensure_key(self) -> None:
        if not list(self.keys_dir.glob("*.pem")):
            self.rotate()

    def rotate(self) -> str:
        """A new signing key; tokens are signed with the newest, the old stay published."""
        self.keys_dir.mkdir(parents=True, exist_ok=True)
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        kid = hashlib.sha256(pem).hexdigest()[:16]
        path = self.keys_dir / f"{time.time_ns()}-{kid}.pem"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        return kid

    def _keys(self) -> list[tuple[str, rsa.RSAPrivateKey]]:
        found = []
        for path in sorted(self.keys_dir.glob("*.pem")):
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            assert isinstance(key, rsa.RSAPrivateKey)
            found.append((path.stem.split("-", 1)[1], key))
        return found

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self._keys():
            public: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            keys.append({**public, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}

    def token(
        self,
        employee_id: str,
        roles: Iterable[str],
        *,
        ttl_s: int = 3600,
        audience: str = AUDIENCE,
        **claims: Any,
    ) -> str:
        kid, key = self._keys()[-1]
        now = int(time.time())
        payload = {
            "iss": self.url,
            "aud": audience,
            "sub": employee_id,
            "roles": sorted(roles),
            "iat": now,
            "nbf": now,
            "exp": now + ttl_s,
            **claims,
        }
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})

    def service_env(self, service: str) -> dict[str, str]:
        prefix = f"TANDEM_{service.upper()}_AUTH__"
        return {
            prefix + "ISSUER": self.url,
            prefix + "AUDIENCE": AUDIENCE,
            prefix + "JWKS_URL": self.jwks_url,
        }


def serve(state_dir: Path, port: int) -> None:
    """Publish the JWKS until killed; keys are read per request, so a rotation shows at once."""
    issuer = DevIssuer(state_dir, f"http://127.0.0.1:{port}")
    issuer.ensure_key()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != JWKS_PATH:
                self.send_error(404)
                return
            body = json.dumps(issuer.jwks()).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tokens are never logged, and neither are key fetches."""

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    serve(Path(sys.argv[1]), int(sys.argv[2]))
