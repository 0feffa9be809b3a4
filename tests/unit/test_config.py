"""Settings from the environment: defaults, normalization and clear refusals."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.config import ConfigError, Settings, to_e164


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


def test_the_bank_side_settings(tmp_path) -> None:
    database = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    sandbox = Settings.from_env({"TWILIO_AUTH_TOKEN": "t", "DATABASE_URL": database})
    assert sandbox.ach_originator.odfi_routing == "011000015"
    assert (sandbox.ach_company_id, sandbox.sms_from) == ("1234567890", "")
    key = (tmp_path / "bank-data.key").read_text().strip()  # made beside the SQLite database
    assert sandbox.bank_data_key == key
    again = Settings.from_env({"TWILIO_AUTH_TOKEN": "t", "DATABASE_URL": database})
    assert again.bank_data_key == key  # the same key every time: sealed numbers stay readable
    chosen = Settings.from_env(
        {
            "TWILIO_AUTH_TOKEN": "t",
            "DATABASE_URL": "postgresql+psycopg://db/ivr",
            "BANK_DATA_KEY": key,
            "ACH_ODFI_ROUTING": "021000021",
            "ACH_COMPANY_ID": "9876543210",
            "ACH_COMPANY_NAME": "MA CONNECTOR",
            "SMS_FROM": "MG0123456789abcdef0123456789abcdef",
        }
    )
    assert chosen.ach_originator.odfi_routing == "021000021"
    assert chosen.ach_originator.company_name == "MA CONNECTOR"
    assert chosen.sms_from.startswith("MG")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": "postgresql+psycopg://db/ivr"}, "BANK_DATA_KEY is required"),
        ({"ACH_ODFI_ROUTING": "011000016"}, "ACH_ODFI_ROUTING must be a 9-digit routing"),
        ({"ACH_COMPANY_NAME": "A" * 17}, "ACH_COMPANY_NAME must be 1 to 16"),
    ],
)
def test_bad_bank_settings_are_named(env: dict[str, str], message: str, tmp_path) -> None:
    base = {"TWILIO_AUTH_TOKEN": "t", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({**base, **env})


def test_the_public_development_token_is_refused_outside_development() -> None:
    with pytest.raises(ConfigError, match="public development token"):
        Settings.from_env({"TWILIO_AUTH_TOKEN": "local-development-token"})
    allowed = {"TWILIO_AUTH_TOKEN": "local-development-token", "IVR_DEVELOPMENT": "1"}
    assert Settings.from_env(allowed).twilio_auth_token == "local-development-token"
    # Operator commands do not check webhooks' signatures: they need no token at all.
    commands = Settings.from_env({"TWILIO_AUTH_TOKEN": "local-development-token"}, False)
    assert commands.twilio_auth_token == "local-development-token"


@settings(max_examples=300)
@given(st.from_regex(r"\+1[0-9]{10}", fullmatch=True) | st.from_regex(r"\+1[2-9][0-9]{8,10}"))
def test_the_quick_path_for_north_american_numbers_agrees_with_phonenumbers(number) -> None:
    """to_e164 skips phonenumbers for +1 and ten digits: the answer must be the same."""
    try:
        expected = phonenumbers.format_number(
            phonenumbers.parse(number, "US"), phonenumbers.PhoneNumberFormat.E164
        )
        possible = phonenumbers.is_possible_number(phonenumbers.parse(number, "US"))
    except phonenumbers.NumberParseException:
        possible = False
    if not possible:
        with pytest.raises(ConfigError):
            to_e164(number)
    else:
        assert to_e164(number) == expected
