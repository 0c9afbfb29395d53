"""Text from the inputs made safe to show: every report channel shows a control character as
its escape (``\\x1b``), never the character itself.

Inputs are user data (a trust principal's type key, a resource name, a waiver's reason), and a
control character in them would hide text on a terminal (``ESC[8m``), rewrite the line
(``CR``), reorder what a reviewer reads (bidirectional overrides), or make a JUnit report
invalid XML (XML 1.0 allows no C0 character but tab, line feed and carriage return, nor lone
surrogates or U+FFFE/U+FFFF). JSON channels are safe by JSON's own escaping; SARIF's texts are
escaped here too, as viewers print them.
"""

from __future__ import annotations

import re
from typing import Any

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control character (tab and line feed excepted) shown as its escape."""
    return _UNSAFE.sub(_escape, text)


def visible_strings(value: Any) -> Any:
    """``value`` (parsed JSON) with every string, keys included, made :func:`visible`."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {visible(str(key)): visible_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [visible_strings(item) for item in value]
    return value
