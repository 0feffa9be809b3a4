"""X-Twilio-Signature checks, including Twilio's with/without-port variants."""

from __future__ import annotations

from twilio.request_validator import RequestValidator

from webhooks.security import is_signed

VALIDATOR = RequestValidator("token")
FORM = {"CallSid": "CA" + "1" * 32, "Digits": "1"}


def test_the_exact_url_signature_is_accepted() -> None:
    url = "https://pay.example.org/webhooks/voice?t=3"
    assert is_signed(VALIDATOR, url, FORM, VALIDATOR.compute_signature(url, FORM))


def test_a_signature_over_the_explicit_default_port_is_accepted() -> None:
    signed = VALIDATOR.compute_signature("https://pay.example.org:443/webhooks/voice", FORM)
    assert is_signed(VALIDATOR, "https://pay.example.org/webhooks/voice", FORM, signed)


def test_missing_wrong_or_tampered_signatures_are_refused() -> None:
    url = "https://pay.example.org/webhooks/voice"
    good = VALIDATOR.compute_signature(url, FORM)
    assert not is_signed(VALIDATOR, url, FORM, "")
    assert not is_signed(VALIDATOR, url, FORM, "bm90IGEgc2lnbmF0dXJl")
    assert not is_signed(VALIDATOR, url, {**FORM, "Digits": "2"}, good)
    assert not is_signed(VALIDATOR, url + "?t=9", FORM, good)
