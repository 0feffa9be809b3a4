"""`GET /healthz`: is the database reachable, is the call-state store reachable. Each check has
two seconds: a hanging service is reported, not waited on."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from webhooks.budget import OutOfTime

bp = Blueprint("health", __name__)
CHECK_SECONDS = 2.0


@bp.get("/healthz")
def healthz():
    ivr = current_app.extensions["ivr"]
    checks = {
        "database": _timed(ivr.budget, lambda: _database(ivr.db_engine)),
        "redis": "embedded"
        if not ivr.settings.redis_url
        else _timed(ivr.budget, ivr.store.kv.ping),
    }
    healthy = all(value in {"ok", "embedded"} for value in checks.values())
    return jsonify(status="ok" if healthy else "degraded", **checks), (200 if healthy else 503)


def _timed(budget, check) -> str:
    try:
        budget.run(check, seconds=CHECK_SECONDS)
    except OutOfTime:
        return "error: timed out"
    except Exception as error:  # noqa: BLE001 - any failure is "down", named by its type
        return f"error: {type(error).__name__}"
    return "ok"


def _database(engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
