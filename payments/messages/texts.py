"""The words of messages to members, in English and Spanish.

An SMS holds the amount, a date, the plan, a confirmation or reference number and the last 4 of
an account or card: never a name, a Subscriber ID or anything more of an account. A letter is
mailed to the member and carries the authorization as it was read to them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from payments.domain.money import format_amount

_MONTHS = {
    "en": ("January February March April May June July August September October November "
           "December").split(),
    "es": ("enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
           "diciembre").split(),
}  # fmt: skip
_KINDS = {
    "en": {"health": "health", "dental": "dental"},
    "es": {"health": "de salud", "dental": "dental"},
}
_ACCOUNTS = {
    "en": {"checking": "checking", "savings": "savings"},
    "es": {"checking": "de cheques", "savings": "de ahorros"},
}
SENDER = "Health Connector"

_SMS = {
    "en": {
        "receipt": "{sender}: your payment of {amount} to your {kind} plan by {method} ending in "
        "{last4} was approved on {day}. Confirmation {confirmation}.",
        "receipt_bank": "{sender}: your payment of {amount} to your {kind} plan from {account} "
        "ending in {last4} will be taken on or after {day}. Confirmation {confirmation}.",
        "written_copy": "{sender} AutoPay: you authorized a debit each month on the {day_of_month}"
        " from your {account} account ending in {last4} for the balance due on your {kind} plan "
        "that day. First debit: {first}. Reference {reference}. To cancel, call {phone} at least "
        "3 banking days before a debit.",
        "amount_change": "{sender} AutoPay: your next debit for your {kind} plan will be {amount}"
        " on {day}, from your account ending in {last4}.",
        "returned": "{sender}: your bank returned your payment of {amount} to your {kind} plan "
        "from the account ending in {last4} ({reason}). {next_step}",
        "retry": "We will try the debit again on or after {day}.",
        "pay_again": "It is due again: please pay by phone at {phone}.",
        "new_account": "AutoPay is paused until you give us another account: call {phone}.",
        "new_authorization": "AutoPay is paused until you authorize it again: call {phone}.",
        "help": "{sender} payments: call {phone}. Reply STOP to stop texts, START to get them "
        "again.",
    },
    "es": {
        "receipt": "{sender}: su pago de {amount} a su plan {kind} con {method} terminada en "
        "{last4} fue aprobado el {day}. Confirmación {confirmation}.",
        "receipt_bank": "{sender}: su pago de {amount} a su plan {kind} de la cuenta {account} "
        "terminada en {last4} se cobrará a partir del {day}. Confirmación {confirmation}.",
        "written_copy": "{sender} AutoPay: usted autorizó un débito cada mes el día "
        "{day_of_month} de su cuenta {account} terminada en {last4} por el saldo que vence ese día"
        " en su plan {kind}. Primer débito: {first}. Referencia {reference}. Para cancelar, llame "
        "al {phone} al menos 3 días hábiles bancarios antes de un débito.",
        "amount_change": "{sender} AutoPay: su próximo débito para su plan {kind} será de {amount}"
        " el {day}, de su cuenta terminada en {last4}.",
        "returned": "{sender}: su banco devolvió su pago de {amount} a su plan {kind} de la "
        "cuenta terminada en {last4} ({reason}). {next_step}",
        "retry": "Volveremos a intentar el débito a partir del {day}.",
        "pay_again": "Vuelve a estar pendiente: pague por teléfono al {phone}.",
        "new_account": "AutoPay queda en pausa hasta que nos dé otra cuenta: llame al {phone}.",
        "new_authorization": "AutoPay queda en pausa hasta que lo autorice de nuevo: llame al "
        "{phone}.",
        "help": "{sender} pagos: llame al {phone}. Responda STOP para dejar de recibir mensajes, "
        "START para recibirlos de nuevo.",
    },
}
_RETURN_REASONS = {
    "en": {
        "funds": "not enough funds",
        "account": "the account could not be used",
        "authorization": "not authorized",
        "other": "returned by the bank",
    },
    "es": {
        "funds": "fondos insuficientes",
        "account": "no se pudo usar la cuenta",
        "authorization": "no autorizado",
        "other": "devuelto por el banco",
    },
}
_METHODS = {"en": {"card": "card", "bank": "account"}, "es": {"card": "tarjeta", "bank": "cuenta"}}


def lang_of(language: str) -> str:
    return language if language in _SMS else "en"


def money(amount: Decimal, language: str) -> str:
    return f"${format_amount(amount)}"


def day(value: date, language: str) -> str:
    """ "December 23, 2026" / "23 de diciembre de 2026"."""
    month = _MONTHS[lang_of(language)][value.month - 1]
    if lang_of(language) == "es":
        return f"{value.day} de {month} de {value.year}"
    return f"{month} {value.day}, {value.year}"


def kind(plan_kind: str, language: str) -> str:
    return _KINDS[lang_of(language)].get(plan_kind, plan_kind)


def account(account_type: str, language: str) -> str:
    return _ACCOUNTS[lang_of(language)].get(account_type, account_type)


def method(payment_method: str, language: str) -> str:
    return _METHODS[lang_of(language)].get(payment_method, payment_method)


def return_reason(kind_of_return: str, language: str) -> str:
    return _RETURN_REASONS[lang_of(language)].get(kind_of_return, kind_of_return)


def day_of_month(day: int, language: str) -> str:
    """AutoPay's day as written: en "23rd" (after "the"), es "23" (after "el día")."""
    if lang_of(language) == "es":
        return str(day)
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def sms(key: str, language: str, **values: object) -> str:
    """One message's words, `values` already worded (money, day, kind...)."""
    return _SMS[lang_of(language)][key].format(sender=SENDER, **values)
