"""Settings from the environment: defaults, normalization and clear refusals."""

from __future__ import annotations

import pytest

from ivr.config import ConfigError, Settings


def test_defaults_are_the_embedded_ones() -> None:
    settings = Settings.from_env({"TWILIO_AUTH_TOKEN": "t"})
    assert settings.database_url == "sqlite:///instance/ivr.sqlite3"
    assert settings.redis_url is None
    assert settings.relay_timeout == 30
    assert settings.card_enabled and settings.bank_enabled
    assert settings.representative_hours == (8, 18)


def test_representative_hours_are_read() -> None:
    settings = Settings.from_env({"TWILIO_AUTH_TOKEN": "t", "REPRESENTATIVE_HOURS": "7-20"})
    assert settings.representative_hours == (7, 20)


def test_relay_numbers_are_normalized_and_base_url_trimmed() -> None:
    settings = Settings.from_env(
        {
            "TWILIO_AUTH_TOKEN": "t",
            "RELAY_NUMBERS": "(877) 623-6766, +1 877 623 6767",
            "PUBLIC_BASE_URL": "https://pay.example.org/",
        }
    )
    assert settings.relay_numbers == {"+18776236766", "+18776236767"}
    assert settings.public_base_url == "https://pay.example.org"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "TWILIO_AUTH_TOKEN is required"),
        ({"RELAY_GATHER_TIMEOUT": "10"}, "RELAY_GATHER_TIMEOUT must be at least 30"),
        ({"VOICE_GATHER_TIMEOUT": "soon"}, "VOICE_GATHER_TIMEOUT must be a whole number"),
        ({"PAYMENTS_CARD_ENABLED": "maybe"}, "PAYMENTS_CARD_ENABLED must be true or false"),
        ({"PAYMENTS_CARD_ENABLED": "0", "PAYMENTS_BANK_ENABLED": "off"}, "both off"),
        ({"RELAY_NUMBERS": "not-a-number"}, "is not a phone number"),
        ({"REPRESENTATIVE_HOURS": "18-8"}, "REPRESENTATIVE_HOURS must be two hours like 8-18"),
        ({"REPRESENTATIVE_HOURS": "9am-5pm"}, "REPRESENTATIVE_HOURS must be two hours"),
        ({"REPRESENTATIVE_HOURS": "8-25"}, "REPRESENTATIVE_HOURS must be two hours"),
    ],
)
def test_bad_settings_are_named(env: dict[str, str], message: str) -> None:
    full = {"TWILIO_AUTH_TOKEN": "t", **env} if env else {}
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(full)
