"""What every operator command and job worker starts from: the settings the server reads
(operator commands need no Twilio token) and the payments core built from them, as the server
builds it (payments.bootstrap)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ivr.config import ConfigError, Settings


def settings() -> Settings:
    """The same settings the server reads; operator commands need no Twilio token."""
    try:
        found = Settings.from_env(for_webhooks=False)
    except ConfigError as error:
        raise click.ClickException(str(error)) from error
    url = found.database_url
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return found


def build_from_settings() -> tuple[Settings, Any]:
    """The settings and the payments core, built as the server builds them (payments.bootstrap):
    for every command and every job worker."""
    from payments.bootstrap import build_core

    configured = settings()
    built = build_core(
        configured.database_url,
        configured.gateway,
        bank_key=configured.bank_data_key,
        service_phone=configured.service_phone,
    )
    return configured, built
