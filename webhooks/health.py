"""`GET /healthz`: is the database reachable, is the call-state store reachable."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    ivr = current_app.extensions["ivr"]
    checks = {"database": _database(ivr.db_engine), "redis": _store(ivr)}
    healthy = all(value in {"ok", "embedded"} for value in checks.values())
    return jsonify(status="ok" if healthy else "degraded", **checks), (200 if healthy else 503)


def _database(engine) -> str:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure is "down", named by its type
        return f"error: {type(error).__name__}"
    return "ok"


def _store(ivr) -> str:
    if not ivr.settings.redis_url:
        return "embedded"
    try:
        ivr.store.kv.ping()
    except Exception as error:  # noqa: BLE001
        return f"error: {type(error).__name__}"
    return "ok"
