"""Twilio's inbound SMS webhook: a member's STOP, START or HELP in reply to the line's texts.

The first word of a reply, trimmed and in any case, is the keyword. The line reads no other
text: anything else gets an empty answer, and nothing of a message's body is ever logged.
Where Twilio's opt-out management answers START and HELP itself too, turn off one of the two
replies, or members get both.
"""

from __future__ import annotations

import logging
import string

from flask import Blueprint, Response, current_app, request
from twilio.twiml.messaging_response import MessagingResponse

from ivr.config import ConfigError, to_e164
from payments.messages.sending import mark_opted_out
from payments.messages.texts import sms as sms_text
from webhooks.security import twilio_signed

log = logging.getLogger("webhooks.sms")
bp = Blueprint("sms", __name__)

# Twilio's own opt-out and opt-in words: Twilio blocks and unblocks the number on them too.
OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP", "OPTIN"})
HELP = frozenset({"HELP", "INFO"})
OPTED_IN_REPLY = (
    "You will get messages from the Health Connector payment line again. Reply STOP to stop."
)


@bp.post("/webhooks/sms")
@twilio_signed
def sms() -> Response:
    """Record an opt-out or opt-in, or answer HELP.

    STOP gets an empty answer: with Advanced Opt-Out on, Twilio itself sends the confirmation
    the carriers require (and delivers no reply to a number that has just opted out).
    """
    keyword = first_word(request.form.get("Body", ""))
    answer = MessagingResponse()
    if keyword in HELP:
        answer.message(_help_text())
    elif keyword in OPT_OUT | OPT_IN and _record(request.form.get("From", ""), keyword):
        if keyword in OPT_IN:
            answer.message(OPTED_IN_REPLY)
    return Response(str(answer), status=200, mimetype="text/xml")


def first_word(body: str) -> str:
    """The keyword a reply starts with, upper-cased ("stop please" and "Stop." are STOP)."""
    words = body.split(maxsplit=1)
    return words[0].strip(string.punctuation).upper() if words else ""


def _help_text() -> str:
    """In English: an inbound text does not tell which member, nor so which language."""
    return sms_text("help", "en", phone=current_app.extensions["ivr"].settings.service_phone)


def _record(sender: str, keyword: str) -> bool:
    """Store the number's STOP or START; False when `From` is no phone number."""
    try:
        e164 = to_e164(sender)
    except ConfigError:
        log.warning("an opt-out keyword from a sender that is not a phone number: not recorded")
        return False
    core = current_app.extensions["ivr"].core
    with core.uow() as uow:
        mark_opted_out(uow.connection, e164, keyword in OPT_OUT, keyword, core.clock())
        uow.commit()
    return True
