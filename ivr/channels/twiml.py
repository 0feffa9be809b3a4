"""TwiML written straight to text: the few verbs the line answers with.

Every answer is short and made of the same handful of verbs, so they are written as strings
instead of building an element tree per webhook. The text is byte for byte what the `twilio`
package's VoiceResponse writes for the same verbs and attributes (attributes sorted by name,
booleans as `true`/`false`, ElementTree's escaping, `<Verb />` when empty);
tests/unit/test_twiml.py holds it to that over random words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
Attributes = Mapping[str, str | int | bool]


def escape_text(value: str) -> str:
    """Text as ElementTree writes it between tags."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    return value


_ATTRIBUTE_ESCAPES = (("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;"))


def _attribute(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = escape_text(str(value))
    if '"' in text:
        text = text.replace('"', "&quot;")
    for char, escaped in _ATTRIBUTE_ESCAPES:
        if char in text:
            text = text.replace(char, escaped)
    return text


def verb(name: str, attributes: Attributes | None = None, inner: str = "") -> str:
    """`<name a="…">inner</name>`; `inner` is TwiML already (use `say` for words)."""
    attrs = (
        "".join(f' {key}="{_attribute(attributes[key])}"' for key in sorted(attributes))
        if attributes
        else ""
    )
    return f"<{name}{attrs}>{inner}</{name}>" if inner else f"<{name}{attrs} />"


def say(text: str, voice: str, language: str) -> str:
    return verb("Say", {"language": language, "voice": voice}, escape_text(text))


def response(verbs: Iterable[str]) -> str:
    """The whole document: the declaration and `<Response>` around `verbs`."""
    return DECLARATION + verb("Response", None, "".join(verbs))
