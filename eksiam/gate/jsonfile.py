"""Reading a JSON file the way Terraform reads it, or refusing it with one line.

Python's ``json`` module is lenient where the gate cannot be: it keeps the *last* of two equal
keys (Terraform plans both blocks, so a key holding an AdministratorAccess attachment could
hide behind a second, harmless one), accepts ``NaN`` and ``Infinity``, reads a file of any
size into memory and recurses once per nesting level. So every file is

* checked against a size limit before it is read (``stat``), and read with a bounded
  ``read`` so ``/dev/zero`` or a pipe cannot grow memory past it;
* decoded as strict UTF-8 without a byte order mark (Terraform rejects a BOM too);
* checked for nesting deeper than :data:`~eksiam.gate.limits.MAX_JSON_DEPTH` before parsing;
* parsed with duplicate keys refused, naming the key and its line.
"""

from __future__ import annotations

import json
import re
import stat
from json.decoder import JSONObject, WHITESPACE, scanstring  # type: ignore[attr-defined]
from json.scanner import py_make_scanner  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

from eksiam.errors import UsageError
from eksiam.gate.limits import MAX_INPUT_ENV, MAX_JSON_DEPTH

_BOM = b"\xef\xbb\xbf"
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_OPENER = {"]": "[", "}": "{"}


def read_json(path: Path, *, what: str, fix: str, max_bytes: int, option: str = "the path") -> Any:
    """The parsed JSON of ``path``; every problem is a :class:`UsageError` naming ``what`` and ``path``.

    ``what`` says what the file is ("input file"), ``fix`` what to pass instead, ``option``
    where the path came from ("the --input path").
    """
    data = read_bounded(path, what=what, max_bytes=max_bytes, option=option)
    return parse_json(data, f"{what} {path}", fix)


def read_bounded(path: Path, *, what: str, max_bytes: int, option: str = "the path") -> bytes:
    """At most ``max_bytes`` of ``path``; more is a :class:`UsageError` saying how to raise the limit."""
    limit = f"{max_bytes / (1024 * 1024):g} MB"
    raise_it = f"raise {MAX_INPUT_ENV} if it is genuine"
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise UsageError(f"{what} {path} is a directory: pass the JSON file inside it")
        if stat.S_ISREG(info.st_mode) and info.st_size > max_bytes:
            size = f"{info.st_size / (1024 * 1024):.1f} MB"
            raise UsageError(f"{what} {path} is {size}, over the {limit} limit: {raise_it}")
        with open(path, "rb") as stream:
            data = stream.read(max_bytes + 1)
    except FileNotFoundError:
        raise UsageError(f"{what} {path} does not exist: check {option}") from None
    except OSError as error:
        raise UsageError(f"cannot read {what} {path}: {error.strerror or error}: check {option} and the file's permissions") from None
    if len(data) > max_bytes:
        raise UsageError(f"{what} {path} holds more than the {limit} limit: {raise_it}")
    return data


def parse_json(data: bytes, source: str, fix: str) -> Any:
    """``data`` parsed strictly; ``source`` names it in errors ("input file plan.json")."""
    if data.startswith(_BOM):
        raise UsageError(f"{source} starts with a UTF-8 byte order mark, which JSON does not allow: save it without one")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise UsageError(
            f"{source} is not UTF-8 text (byte 0x{data[error.start]:02x} at line {line}): {fix}"
        ) from None
    if not text.strip():
        raise UsageError(f"{source} is empty: {fix}")
    if nesting_exceeds(text, MAX_JSON_DEPTH):
        raise UsageError(f"{source} nests arrays or objects more than {MAX_JSON_DEPTH} deep: {fix}")
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_reject_constant)
    except _DuplicateKey as duplicate:
        line, column = _locate_duplicate(text)
        raise UsageError(
            f"{source} repeats the key {duplicate.key!r} in one object (line {line}, column {column}): "
            "Terraform reads every copy but a JSON reader keeps one, so the file cannot be checked as is; "
            "merge the two into one key"
        ) from None
    except json.JSONDecodeError as error:
        raise UsageError(
            f"{source} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}): {fix}"
        ) from None
    except ValueError as error:
        raise UsageError(f"{source} is not valid JSON ({error}): {fix}") from None


def nesting_exceeds(text: str, depth: int) -> bool:
    """Whether ``text`` opens brackets deeper than ``depth``, found without recursion in one
    pass over its brackets (strings blanked out first), closed or not: the parser recurses
    into each before it can find the document malformed. Shallower malformed bracketing is
    the parser's to report."""
    open_brackets: list[str] = []
    for bracket in _NOT_BRACKET.sub("", _STRING.sub('""', text)):
        if bracket in "[{":
            open_brackets.append(bracket)
            if len(open_brackets) > depth:
                return True
        elif open_brackets and open_brackets[-1] == _OPENER[bracket]:
            open_brackets.pop()
        else:
            return False
    return False


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key
        self.position: int | None = None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; OPA, Terraform and every other JSON reader do not.
    raise ValueError(f"{name} is not a JSON value")


class _LocatingDecoder(json.JSONDecoder):
    """The pure-Python decoder, told where each object starts, to find a repeated key's line.

    Only used once a duplicate is known, so the fast C parser reads every good file.
    """

    def __init__(self) -> None:
        super().__init__(object_pairs_hook=_unique_keys, parse_constant=_reject_constant)
        self.parse_object = self._parse_object
        self.scan_once = py_make_scanner(self)

    def _parse_object(self, s_and_end: tuple[str, int], *args: Any) -> Any:
        try:
            return JSONObject(s_and_end, *args)
        except _DuplicateKey as duplicate:
            if duplicate.position is None:
                duplicate.position = self._second_key(*s_and_end, duplicate.key)
            raise

    def _second_key(self, text: str, position: int, key: str) -> int:
        """Where ``key`` appears a second time among the members of the object at ``position``."""
        seen = False
        while True:
            position = WHITESPACE.match(text, position).end()
            start = position
            name, position = scanstring(text, position + 1)
            if name == key:
                if seen:
                    return start
                seen = True
            position = WHITESPACE.match(text, position).end() + 1  # past the ':'
            position = WHITESPACE.match(text, position).end()
            _, position = self.scan_once(text, position)
            position = WHITESPACE.match(text, position).end() + 1  # past the ',' (or '}')


def _locate_duplicate(text: str) -> tuple[int, int]:
    """Line and column of the first repeated key (1, 1 if it cannot be placed)."""
    try:
        _LocatingDecoder().decode(text)
    except _DuplicateKey as duplicate:
        if duplicate.position is not None:
            position = duplicate.position
            return text.count("\n", 0, position) + 1, position - text.rfind("\n", 0, position)
    except (ValueError, RecursionError):
        pass
    return 1, 1
