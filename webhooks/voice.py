"""Twilio voice webhooks: the incoming-call URL and the status callback."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request

from ivr.calls import STORE_RETRIES, CallHandler, Webhook
from ivr.engine.callstate import CallBusy, StoreUnavailable
from webhooks.budget import Budget, OutOfTime
from webhooks.security import twilio_signed

log = logging.getLogger("webhooks.voice")
bp = Blueprint("voice", __name__)
FINAL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
# A turn asked for again this often is given up: the caller is helped instead. As many as a
# store blip gets, since the lock a failed save could not release is still held after it.
MAX_RETRIES = STORE_RETRIES


def _twiml(body: str) -> Response:
    return Response(body, status=200, mimetype="text/xml")


def _handler() -> CallHandler:
    return current_app.extensions["ivr"].calls


def _budget() -> Budget:
    return current_app.extensions["ivr"].budget


def _webhook() -> Webhook:
    form, args = request.form, request.args
    turn = args.get("t", type=int)
    retry = args.get("retry", default=0, type=int)
    digits = form.get("Digits")
    speech = (form.get("SpeechResult") or "").strip() or None
    # A Gather posts even when it got nothing (actionOnEmptyResult): only the finish key pressed
    # alone is an answer (an empty one); no keys, no key and no speech is silence.
    nothing = not digits and not form.get("FinishedOnKey") and speech is None
    return Webhook(
        call_sid=form.get("CallSid", ""),
        caller=form.get("From", ""),
        called=form.get("To", ""),
        turn=turn if turn is not None and turn >= 0 else None,
        silence=args.get("silence") == "1" or (digits is not None and nothing),
        hold=args.get("hold") == "1",
        retry=min(max(retry, 0), STORE_RETRIES),
        digits=digits if digits or form.get("FinishedOnKey") else None,
        speech=speech,
        base_url=_base_url(),
        stir_verstat=form.get("StirVerstat", ""),
    )


def _base_url() -> str:
    """The external base URL Twilio calls (PUBLIC_BASE_URL behind a proxy)."""
    configured = current_app.extensions["ivr"].settings.public_base_url
    return configured or request.url_root.rstrip("/")


@bp.post("/webhooks/voice")
@twilio_signed
def voice() -> Response:
    hook = _webhook()
    handler, budget = _handler(), _budget()
    if not hook.call_sid.startswith("CA"):
        log.warning("voice webhook without a CallSid")
        return _twiml(handler.fault(hook))
    try:
        deadline = budget.deadline()
        return _twiml(budget.run(lambda: handler.answer(hook, deadline)))
    except (OutOfTime, CallBusy):
        if hook.retry < MAX_RETRIES:
            return _twiml(handler.busy(hook))
        log.error("call %s: turn %s still not answered; caller helped", hook.call_sid, hook.turn)
        return _twiml(handler.fault(hook))
    except StoreUnavailable:
        # Raised before the turn ran, or after it ran when its state could not be saved
        # (TurnNotSaved: replaying it is safe); its other failures are answered inside.
        if hook.retry < STORE_RETRIES:
            log.warning("call %s: call state out of reach; turn asked for again", hook.call_sid)
            return _twiml(handler.busy(hook))
        log.error("call %s: call state out of reach for %s tries; caller helped",
                  hook.call_sid, hook.retry)  # fmt: skip
        return _twiml(handler.fault(hook))
    except Exception:  # noqa: BLE001 - the caller must hear help, never "application error"
        # The traceback names no input: Digits and SpeechResult are never put in messages.
        log.exception("call %s: webhook failed; caller told and offered help", hook.call_sid)
        return _twiml(handler.fault(hook))


@bp.post("/webhooks/voice/conference")
@twilio_signed
def conference() -> Response:
    """A leg joined or left a caller's conference: an agent's leg joining connects the call."""
    form = request.form
    _handler().conference_event(
        form.get("FriendlyName", ""), form.get("StatusCallbackEvent", ""), form.get("CallSid", "")
    )
    return Response(status=204)


@bp.post("/webhooks/voice/capture")
@twilio_signed
def capture() -> Response:
    """The caller's leg moved here by an agent's capture (start, cancel, or a field again)."""
    hook = _webhook()
    handler, budget = _handler(), _budget()
    args = request.args
    try:
        answer = budget.run(
            lambda: handler.capture(
                hook, args.get("capture", ""), args.get("action", "start"), args.get("field", "")
            )
        )
    except Exception:  # noqa: BLE001 - the caller must hear help, never "application error"
        log.exception(
            "call %s: capture webhook failed; caller told and offered help", hook.call_sid
        )
        return _twiml(handler.fault(hook))
    return _twiml(answer)


@bp.post("/webhooks/voice/status")
@twilio_signed
def status() -> Response:
    call_sid = request.form.get("CallSid", "")
    call_status = request.form.get("CallStatus", "")
    if call_sid and call_status in FINAL_STATUSES:
        try:
            _handler().ended(call_sid)
        except Exception:  # noqa: BLE001 - Twilio ignores our answer; the TTLs erase it anyway
            log.exception("call %s: could not erase call state at hang-up", call_sid)
            return Response(status=503)
    return Response(status=204)
