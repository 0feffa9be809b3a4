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
    assert (
        settings.agent_hours.say("en") == "Monday through Friday, 8 a.m. to 6 p.m., except holidays"
    )


def test_agent_hours_are_read() -> None:
    settings = Settings.from_env({"TWILIO_AUTH_TOKEN": "t", "AGENT_HOURS": "Mon-Sat 07:00-20:00"})
    assert settings.agent_hours.say("en").startswith("Monday through Saturday, 7 a.m. to 8 p.m.")
    assert Settings.from_env({"TWILIO_AUTH_TOKEN": "t", "AGENT_HOURS": "always"}).agent_hours.always


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
        ({"AGENT_HOURS": "Mon-Fri 18:00-08:00"}, "AGENT_HOURS: 18:00 is not before 08:00"),
        ({"AGENT_HOURS": "9am-5pm"}, "AGENT_HOURS: write the days and hours like Mon-Fri"),
        ({"AGENT_HOURS": "Mon-Fry 08:00-18:00"}, "AGENT_HOURS: 'mon-fry' is not a day"),
    ],
)
def test_bad_settings_are_named(env: dict[str, str], message: str) -> None:
    full = {"TWILIO_AUTH_TOKEN": "t", **env} if env else {}
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(full)
