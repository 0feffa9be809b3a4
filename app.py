"""The app factory: settings, payments core, call-state store and webhook budget are built here
and handed down. Nothing is built at import time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask

from ivr.agent_calls import CallDirectory
from ivr.calls import CallHandler
from ivr.callstate import CallStore, KeyValue, fernet_from
from ivr.capture import Captures
from ivr.config import Settings
from ivr.context import FlowServices
from ivr.hours import BusinessHours
from ivr.kvstores import MemoryKeyValue, RedisKeyValue
from ivr.prompts import Catalog
from ivr.render import Renderer
from ivr.twilio_rest import TwilioCalls
from payments.bootstrap import PaymentsCore, build_core
from payments.domain.clock import system_clock
from payments.gateways.base import Gateway
from payments.services.service import PaymentService
from webhooks.budget import Budget

# Twilio's webhook bodies are a few kilobytes; anything much larger is refused before it is read.
MAX_BODY_BYTES = 16 * 1024
REDIS_TIMEOUT_SECONDS = 1.0


@dataclass
class IvrServices:
    """Everything a request needs, built once per app."""

    settings: Settings
    core: PaymentsCore
    store: CallStore
    calls: CallHandler
    budget: Budget
    directory: CallDirectory  # calls with representatives, for the agent console
    captures: Captures  # agent-started secure captures
    twilio: TwilioCalls  # moves live calls (captures) and dials agents into conferences

    @property
    def payments(self) -> PaymentService:
        return self.core.service

    @property
    def db_engine(self) -> Any:
        return self.core.engine


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = system_clock,
    gateway: Gateway | None = None,
    kv: KeyValue | None = None,
    hours: BusinessHours | None = None,
    budget: Budget | None = None,
) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    logging.basicConfig(level=settings.log_level)
    core = build_core(settings.database_url, settings.gateway, clock, gateway)
    store = CallStore(
        kv or _key_value(settings),
        fernet_from(settings.twilio_auth_token, settings.call_state_key),
        settings.secret_ttl,
    )
    hours = hours or settings.agent_hours
    renderer = Renderer(Catalog.load(hours), settings)
    captures = Captures(store.kv)
    services = FlowServices(core.service, settings, hours, clock, renderer.speak, captures)
    directory = CallDirectory(store.kv)
    twilio = TwilioCalls(
        settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base_url
    )
    calls = CallHandler(store, services, renderer, directory, twilio)
    app.extensions["ivr"] = IvrServices(
        settings, core, store, calls, budget or Budget(), directory, captures, twilio
    )
    _register(app)
    return app


def _key_value(settings: Settings) -> KeyValue:
    if not settings.redis_url:
        return MemoryKeyValue(settings.call_state_ttl, settings.secret_ttl)
    import redis

    client = redis.Redis.from_url(
        settings.redis_url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )
    return RedisKeyValue(client, settings.call_state_ttl, settings.secret_ttl)


def _register(app: Flask) -> None:
    from webhooks.agent_api import bp as agent_api
    from webhooks.agent_captures import bp as agent_captures
    from webhooks.agent_console import bp as agent_console
    from webhooks.health import bp as health
    from webhooks.voice import bp as voice

    app.register_blueprint(voice)
    app.register_blueprint(health)
    app.register_blueprint(agent_api)
    app.register_blueprint(agent_captures)
    app.register_blueprint(agent_console)
