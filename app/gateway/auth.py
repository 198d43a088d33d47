"""API keys: `Authorization: Bearer <key>` checked against configured sha256 digests, in constant time."""

import hashlib
import hmac
import logging
import re
from collections.abc import Sequence

from flask import request

from app.gateway.blueprint import current_deps
from app.gateway.errors import ApiKeyRequired

log = logging.getLogger(__name__)

# Probes must answer without a key; the API's contract (OpenAPI document and its UI) is no secret. Paths
# match exactly: /api/docsx or /api/health/../orders need a key like any other path.
PUBLIC_PATHS = frozenset({"/api/health/live", "/api/health/ready", "/api/openapi.json", "/api/docs"})
# The docs page's own static assets (Swagger UI's files, served locally): /api/docs/ and paths below it
# made of plain segments; a segment cannot start with a dot, so `..` never climbs out of the subtree.
DOCS_ASSETS = re.compile(r"/api/docs/(?:[\w-][\w.-]*(?:/[\w-][\w.-]*)*)?", re.ASCII)
MAX_KEY_LENGTH = 512
KEY_ID_LENGTH = 12
_KEY_ID = "payflow.api_key_id"


def hash_key(key: str) -> str:
    """The digest stored in PAYFLOW_API_KEY_HASHES for `key`: `sha256:<64 hex digits>`."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def key_id(digest: str) -> str:
    """A key's id: the first 12 hex digits of its configured digest. It names the key in the commands
    table (audit, idempotency scope) without being one: a digest is no secret, and its prefix even less."""
    return digest.removeprefix("sha256:")[:KEY_ID_LENGTH]


def matching_digest(presented: str, digests: Sequence[str]) -> str | None:
    """Every digest is compared, each in constant time: the time taken tells nothing about the match."""
    candidate = hash_key(presented)
    matches = [hmac.compare_digest(candidate, digest) for digest in digests]  # a list: no early exit
    return next((digest for digest, match in zip(digests, matches, strict=True) if match), None)


def api_key_id() -> str:
    """The id of the key the current request was authenticated with; "" when authentication is off."""
    return str(request.environ.get(_KEY_ID, ""))


def bearer_token(header: str | None) -> str | None:
    """The key of an `Authorization: Bearer <key>` header, or None when absent or of another scheme."""
    scheme, _, token = (header or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_KEY_LENGTH:
        return None
    return token


def is_public(path: str) -> bool:
    """Outside /api (no route there), a probe, the OpenAPI document, the docs page or one of its assets."""
    return not path.startswith("/api") or path in PUBLIC_PATHS or DOCS_ASSETS.fullmatch(path) is not None


def require_api_key() -> None:
    """before_request hook: /api requests, except the public ones, need a valid key (else 401)."""
    if is_public(request.path):
        return
    token = bearer_token(request.headers.get("Authorization"))
    digest = None if token is None else matching_digest(token, current_deps().api_key_hashes)
    if digest is None:
        # The message never echoes what was sent: a mistyped key is still half a secret.
        raise ApiKeyRequired("A valid API key is required: send `Authorization: Bearer <key>`")
    request.environ[_KEY_ID] = key_id(digest)


def warn_when_open(digests: Sequence[str]) -> None:
    """Say loudly at start-up that anyone who can reach the gateway can drive it."""
    if not digests:
        log.warning(
            "authentication is OFF: PAYFLOW_API_KEY_HASHES is empty, so every /api route answers anyone. "
            "Set it (see `payflow hash-key`) before exposing the gateway."
        )
