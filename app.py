"""The app factory: settings, payments core, call-state store and webhook budget are built here
and handed down. Nothing is built at import time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from ivr.agents.agent_calls import CallDirectory
from ivr.agents.capture import Captures
from ivr.calls import CallHandler
from ivr.channels.render import Renderer
from ivr.channels.twilio_rest import TwilioCalls
from ivr.config import Settings
from ivr.engine.callstate import CallStore, KeyValue, fernet_from
from ivr.engine.context import FlowServices
from ivr.engine.kvstores import MemoryKeyValue, RedisKeyValue
from ivr.hours import BusinessHours
from ivr.prompts import Catalog
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
    core = build_core(
        settings.database_url,
        settings.gateway,
        clock,
        gateway,
        bank_key=settings.bank_data_key,
        service_phone=settings.service_phone,
    )
    store = CallStore(
        kv or _key_value(settings),
        fernet_from(settings.twilio_auth_token, settings.call_state_key),
        settings.secret_ttl,
    )
    hours = hours or settings.agent_hours
    renderer = Renderer(Catalog.load(hours), settings)
    captures = Captures(store.kv)
    jobs = _jobs(settings, core)
    services = FlowServices(
        core.service,
        settings,
        hours,
        clock,
        renderer.speak,
        captures,
        autopay=core.autopay,
        receipts=core.receipts,
        kick_messages=lambda: _kick(jobs),
    )
    directory = CallDirectory(store.kv)
    twilio = TwilioCalls(
        settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base_url
    )
    calls = CallHandler(store, services, renderer, directory, twilio)
    app.extensions["ivr"] = IvrServices(
        settings, core, store, calls, budget or Budget(), directory, captures, twilio
    )
    _register(app)
    if settings.trusted_proxies:
        # Only the client address comes from the proxy: the Host header never decides a URL
        # (PUBLIC_BASE_URL does), nor the scheme.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies, x_proto=0, x_host=0)  # type: ignore[method-assign]
    return app


def _jobs(settings: Settings, core: PaymentsCore) -> Any:
    """The job engine: RQ on REDIS_URL, else this process (ivr.jobs)."""
    from ivr.jobs import InProcessJobs, RqJobs

    if not settings.redis_url:
        return InProcessJobs(core, settings)
    return RqJobs(_redis(settings.redis_url))


def _kick(jobs: Any) -> None:
    """Have the outbox sent now; if the job engine cannot be reached, the messages wait in the
    outbox for the next send (the schedule sends it every minute)."""
    try:
        jobs.enqueue("send_messages")
    except Exception:  # noqa: BLE001 - a message must never fail the call that wrote it
        logging.getLogger(__name__).warning("could not hand the outbox to the job engine")


def _key_value(settings: Settings) -> KeyValue:
    if not settings.redis_url:
        return MemoryKeyValue(settings.call_state_ttl, settings.secret_ttl)
    return RedisKeyValue(_redis(settings.redis_url), settings.call_state_ttl, settings.secret_ttl)


def _redis(url: str) -> Any:
    """A Redis client for the webhooks: short timeouts, so a turn never waits long on it."""
    import redis

    return redis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )


def _register(app: Flask) -> None:
    from webhooks.agent_api import bp as agent_api
    from webhooks.agent_captures import bp as agent_captures
    from webhooks.agent_console import bp as agent_console
    from webhooks.health import bp as health
    from webhooks.sms import bp as sms
    from webhooks.voice import bp as voice

    app.register_blueprint(voice)
    app.register_blueprint(health)
    app.register_blueprint(agent_api)
    app.register_blueprint(agent_captures)
    app.register_blueprint(agent_console)
    app.register_blueprint(sms)
