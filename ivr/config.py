"""Settings from the environment (SPEC "Fixed interfaces"), read once by the app factory."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers

from ivr.hours import BusinessHours
from payments.gateways.registry import GATEWAYS

DEFAULT_DATABASE_URL = "sqlite:///instance/ivr.sqlite3"
DEFAULT_AGENT_HOURS = "Mon-Fri 08:00-18:00"
# The token `make run` and the terminal phone sign with: public, so refused outside development.
DEVELOPMENT_TOKEN = "local-development-token"
BANK_KEY_FILE = "bank-data.key"  # next to an SQLite database, when BANK_DATA_KEY is unset
# The sandbox's originator: a Federal Reserve test routing number and made-up company details.
SANDBOX_ODFI = "011000015"
SANDBOX_COMPANY_ID = "1234567890"
SANDBOX_COMPANY_NAME = "MA HEALTH CONN"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it."""


# A North American number already in E.164: phonenumbers would return it as it is (ten digits
# after +1 is a possible length), and skipping the parse matters to an import of 100,000 members.
NANP_E164 = re.compile(r"\+1[2-9][0-9]{9}")


def to_e164(number: str, region: str = "US") -> str:
    """Normalize a phone number to E.164, or raise ConfigError naming the value."""
    if NANP_E164.fullmatch(number):
        return number
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException as error:
        raise ConfigError(f"{number!r} is not a phone number: {error}") from error
    if not phonenumbers.is_possible_number(parsed):
        raise ConfigError(f"{number!r} is not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name) or str(default)
    try:
        value = int(raw)
    except ValueError as error:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from error
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name) or default
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _agent_hours(env: Mapping[str, str], name: str) -> BusinessHours:
    raw = env.get(name) or DEFAULT_AGENT_HOURS
    try:
        return BusinessHours.parse(raw)
    except ValueError as error:
        raise ConfigError(f"{name}: {error}, not {raw!r}") from error


def _text(env: Mapping[str, str], name: str, default: str, most: int) -> str:
    value = (env.get(name) or default).strip()
    if not value or len(value) > most or not value.isascii() or not value.isprintable():
        raise ConfigError(f"{name} must be 1 to {most} printable ASCII characters")
    return value


def _routing(env: Mapping[str, str], name: str, default: str) -> str:
    from payments.domain.instruments import aba_routing_valid

    value = env.get(name) or default
    if not aba_routing_valid(value):
        raise ConfigError(f"{name} must be a 9-digit routing number with a valid check digit")
    return value


def _bank_data_key(env: Mapping[str, str], database_url: str) -> str:
    """BANK_DATA_KEY, or for an SQLite database (the embedded default) a key kept in a file
    beside it, made on first use. A shared database needs the key set: every server, worker
    and command must seal and open bank account numbers with the same key."""
    from payments.bank.sealing import new_key

    if env.get("BANK_DATA_KEY"):
        return env["BANK_DATA_KEY"]
    if not database_url.startswith("sqlite:///") or database_url.endswith(":memory:"):
        raise ConfigError(
            "BANK_DATA_KEY is required with this DATABASE_URL: a Fernet key (or several, "
            "comma-separated, the newest first) sealing bank account numbers"
        )
    path = Path(database_url.removeprefix("sqlite:///")).parent / BANK_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as new:
            new.write(new_key())
    except FileExistsError:
        pass
    return path.read_text().strip()


def _numbers(env: Mapping[str, str], name: str) -> frozenset[str]:
    raw = env.get(name, "")
    return frozenset(to_e164(part.strip()) for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    twilio_auth_token: str
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    twilio_account_sid: str = ""
    public_base_url: str | None = None
    # Proxies in front of the server whose X-Forwarded-For names the client (TRUSTED_PROXIES):
    # agent logins are limited per client address, which behind a proxy is the proxy's own.
    trusted_proxies: int = 0
    twilio_api_base_url: str = "https://api.twilio.com"
    relay_numbers: frozenset[str] = field(default_factory=frozenset)
    agent_number: str = "representatives"
    relay_agent_number: str = "relay-representatives"
    # When representatives answer: Eastern time, Massachusetts holidays closed (AGENT_HOURS).
    agent_hours: BusinessHours = field(default_factory=BusinessHours)
    card_enabled: bool = True
    bank_enabled: bool = True
    voice_timeout: int = 8
    relay_timeout: int = 30
    relay_speech_timeout: int = 6
    call_state_ttl: int = 3600
    secret_ttl: int = 300
    call_state_key: str | None = None
    gateway: str = "sandbox"
    # Seconds the confirming webhook waits for the processor before a hold (a hold never
    # waits: Twilio's pause does, holding no server thread).
    processor_wait: float = 1.0
    payee_name: str = "Massachusetts Health Connector"  # the prompts add "the" / "el"
    service_phone: str = "1-877-623-6765"
    log_level: str = "INFO"
    # Seals bank account numbers at rest (Fernet keys, newest first). None: a key of this
    # process only (tests); from_env always gives one.
    bank_data_key: str | None = None
    ach_odfi_routing: str = SANDBOX_ODFI
    ach_company_id: str = SANDBOX_COMPANY_ID
    ach_company_name: str = SANDBOX_COMPANY_NAME
    ach_immediate_destination: str = SANDBOX_ODFI
    sms_from: str = ""  # the number or Messaging Service SID messages are sent from

    @property
    def both_methods(self) -> bool:
        """Card and bank are both taken: the caller is asked which."""
        return self.card_enabled and self.bank_enabled

    @property
    def ach_originator(self) -> Any:
        """The originator as NACHA files name it (payments.bank.nacha.Originator)."""
        from payments.bank.nacha import Originator

        return Originator(
            odfi_routing=self.ach_odfi_routing,
            immediate_destination=self.ach_immediate_destination,
            company_id=self.ach_company_id,
            company_name=self.ach_company_name,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, for_webhooks: bool = True) -> Settings:
        """Settings from `env`; `for_webhooks` (the server) also requires TWILIO_AUTH_TOKEN."""
        env = os.environ if env is None else env
        token = env.get("TWILIO_AUTH_TOKEN", "")
        if not token and for_webhooks:
            raise ConfigError(
                "TWILIO_AUTH_TOKEN is required: webhooks are rejected unless Twilio signs them"
            )
        if for_webhooks and token == DEVELOPMENT_TOKEN and env.get("IVR_DEVELOPMENT") != "1":
            raise ConfigError(
                "TWILIO_AUTH_TOKEN is the public development token, which anyone can sign "
                "with: set the Twilio account's auth token (IVR_DEVELOPMENT=1 allows it on a "
                "development machine, as `make run` does)"
            )
        settings = cls(
            twilio_auth_token=token,
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            redis_url=env.get("REDIS_URL") or None,
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
            public_base_url=(env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
            trusted_proxies=_int(env, "TRUSTED_PROXIES", 0, 0),
            twilio_api_base_url=env.get("TWILIO_API_BASE_URL") or "https://api.twilio.com",
            relay_numbers=_numbers(env, "RELAY_NUMBERS"),
            agent_number=env.get("AGENT_NUMBER") or "representatives",
            relay_agent_number=env.get("RELAY_AGENT_NUMBER") or "relay-representatives",
            agent_hours=_agent_hours(env, "AGENT_HOURS"),
            card_enabled=_flag(env, "PAYMENTS_CARD_ENABLED", True),
            bank_enabled=_flag(env, "PAYMENTS_BANK_ENABLED", True),
            voice_timeout=_int(env, "VOICE_GATHER_TIMEOUT", 8, 3),
            relay_timeout=_int(env, "RELAY_GATHER_TIMEOUT", 30, 30),
            relay_speech_timeout=_int(env, "RELAY_SPEECH_TIMEOUT", 6, 1),
            call_state_ttl=_int(env, "CALL_STATE_TTL", 3600, 300),
            secret_ttl=_int(env, "CARD_DATA_TTL", 300, 60),
            call_state_key=env.get("CALL_STATE_KEY") or None,
            gateway=_choice(env, "GATEWAY", "sandbox", tuple(GATEWAYS)),
            payee_name=env.get("PAYEE_NAME") or "Massachusetts Health Connector",
            service_phone=env.get("SERVICE_PHONE") or "1-877-623-6765",
            log_level=env.get("LOG_LEVEL") or "INFO",
            bank_data_key=_bank_data_key(env, env.get("DATABASE_URL") or DEFAULT_DATABASE_URL),
            ach_odfi_routing=_routing(env, "ACH_ODFI_ROUTING", SANDBOX_ODFI),
            ach_company_id=_text(env, "ACH_COMPANY_ID", SANDBOX_COMPANY_ID, 10),
            ach_company_name=_text(env, "ACH_COMPANY_NAME", SANDBOX_COMPANY_NAME, 16),
            ach_immediate_destination=_routing(
                env, "ACH_IMMEDIATE_DESTINATION", env.get("ACH_ODFI_ROUTING") or SANDBOX_ODFI
            ),
            sms_from=env.get("SMS_FROM", ""),
        )
        if not (settings.card_enabled or settings.bank_enabled):
            raise ConfigError("PAYMENTS_CARD_ENABLED and PAYMENTS_BANK_ENABLED are both off")
        return settings
