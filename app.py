"""The app factory: settings, database, call-state store, gateway and payments core are built
here and handed down. Nothing is built at import time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask

from ivr.calls import CallHandler
from ivr.callstate import CallStore, KeyValue, fernet_from
from ivr.config import Settings
from ivr.context import FlowServices
from ivr.hours import BusinessHours
from ivr.kvstores import MemoryKeyValue, RedisKeyValue
from ivr.prompts import Catalog
from ivr.render import Renderer
from payments.domain.clock import system_clock
from payments.gateways.sandbox import SandboxGateway
from payments.services.service import PaymentService
from payments.storage.db import make_engine, make_session_factory
from payments.storage.unit_of_work import uow_factory_for


@dataclass
class IvrServices:
    """Everything a request needs, built once per app."""

    settings: Settings
    db_engine: Any
    payments: PaymentService
    store: CallStore
    calls: CallHandler


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = system_clock,
    gateway: Any = None,
    kv: KeyValue | None = None,
    hours: BusinessHours | None = None,
) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    logging.basicConfig(level=settings.log_level)
    engine = make_engine(settings.database_url)
    payments = PaymentService(
        uow_factory_for(make_session_factory(engine)), gateway or SandboxGateway(), clock
    )
    store = CallStore(
        kv or _key_value(settings),
        fernet_from(settings.twilio_auth_token, settings.call_state_key),
        settings.secret_ttl,
    )
    hours = hours or BusinessHours()
    renderer = Renderer(Catalog.load(hours), settings)
    services = FlowServices(payments, settings, hours, clock, renderer.speak)
    calls = CallHandler(store, services, renderer)
    app.extensions["ivr"] = IvrServices(settings, engine, payments, store, calls)
    _register(app)
    return app


def _key_value(settings: Settings) -> KeyValue:
    if not settings.redis_url:
        return MemoryKeyValue(settings.call_state_ttl, settings.secret_ttl)
    import redis

    client = redis.Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
    return RedisKeyValue(client, settings.call_state_ttl, settings.secret_ttl)


def _register(app: Flask) -> None:
    from webhooks.health import bp as health
    from webhooks.voice import bp as voice

    app.register_blueprint(voice)
    app.register_blueprint(health)
