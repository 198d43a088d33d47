"""/api/health: liveness (the process answers) and readiness (database, broker, migrations; replica lag)."""

import logging
from typing import Any

from flask.views import MethodView

from app.gateway import examples
from app.gateway.blueprint import Blueprint, current_deps
from app.gateway.schemas import LivenessSchema, ReadinessSchema

log = logging.getLogger(__name__)

CHECKS = ("database", "broker", "migrations")

blp = Blueprint("health", __name__, url_prefix="/api/health", description="Liveness and readiness probes")


@blp.route("/live")
class Liveness(MethodView):
    @blp.doc(security=[])  # probes answer without a key
    @blp.response(200, LivenessSchema, example={"status": "ok"})
    def get(self) -> dict[str, str]:
        """The process is up and serving HTTP."""
        return {"status": "ok"}


@blp.route("/ready")
class Readiness(MethodView):
    @blp.doc(security=[])
    @blp.response(200, ReadinessSchema, example=examples.READY)
    @blp.alt_response(
        503, schema=ReadinessSchema, description="A dependency is not ready", example=examples.NOT_READY
    )
    def get(self) -> tuple[dict[str, Any], int]:
        """Every dependency answers "ok"; otherwise 503 with what is wrong."""
        try:
            checks = current_deps().readiness()
        except Exception as exc:  # noqa: BLE001 - a failing probe is an answer (503), not a crash
            log.warning("readiness check raised %s", type(exc).__name__)
            checks = dict.fromkeys(CHECKS, f"check failed: {type(exc).__name__}")
        # "replica" only informs: while the replica is down or behind, reads go to the primary.
        ready = bool(checks) and all(value == "ok" for name, value in checks.items() if name != "replica")
        return {"status": "ok" if ready else "unavailable", **checks}, 200 if ready else 503
