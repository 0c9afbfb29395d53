"""IAM's own limits, checked before anything is synthesized.

Each check raises ``UsageError`` naming the setting (``key``) and how to fix it, so a bad
value in ``eksiam.toml``, in an ``EKSIAM_*`` variable or in construct props is reported the
same way and never reaches Terraform.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from eksiam.errors import UsageError

PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")

_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
# terraform's name_prefix appends a 26-character unique suffix to at most 38 characters.
_ROLE_NAME_PREFIX = re.compile(r"[\w+=,.@-]{1,38}")
_PATH = re.compile(r"/|/[\x21-\x7e]{1,510}/")
_POLICY_ARN = re.compile(
    r"arn:(?P<partition>[a-z-]+):iam::(?P<account>\d{12}|aws):policy/(?:[\x21-\x7e]*/)?[\w+=,.@-]{1,128}"
)
_DESCRIPTION = re.compile(r"[\t\n\r\x20-\x7e\xa1-\xff]{0,1000}")
_TAG_TEXT = re.compile(r"[\w\s.:/=+\-@]*", re.UNICODE)
RESERVED_TAG_PREFIXES = ("aws:", "eksiam:")
MAX_TAGS = 50
MIN_SESSION, MAX_SESSION = 3600, 43200


def check_role_name(value: str, key: str, *, as_prefix: bool = False) -> None:
    pattern, limit = (_ROLE_NAME_PREFIX, 38) if as_prefix else (_ROLE_NAME, 64)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise UsageError(
            f"{key} = {value!r} is not a valid IAM role name{' prefix' if as_prefix else ''}: "
            f"use 1-{limit} characters of letters, digits and +=,.@_-"
        )


def check_path(value: str, key: str) -> None:
    if not isinstance(value, str) or not _PATH.fullmatch(value):
        raise UsageError(
            f"{key} = {value!r} is not a valid IAM path: use '/' or '/segment/.../' "
            "(printable ASCII, at most 512 characters, starting and ending with '/')"
        )


def check_policy_arn(value: str, key: str) -> None:
    match = _POLICY_ARN.fullmatch(value) if isinstance(value, str) else None
    if not match or match["partition"] not in PARTITIONS:
        raise UsageError(
            f"{key} = {value!r} is not a well-formed IAM policy ARN: "
            "use arn:<partition>:iam::<12-digit account or 'aws'>:policy/<name>"
        )


def check_description(value: str, key: str) -> None:
    if not isinstance(value, str) or not _DESCRIPTION.fullmatch(value):
        raise UsageError(f"{key} is not a valid IAM role description: use at most 1000 printable characters")


def check_max_session_duration(value: int, key: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_SESSION <= value <= MAX_SESSION:
        raise UsageError(f"{key} = {value!r} is out of range: use whole seconds from {MIN_SESSION} to {MAX_SESSION}")


def check_tags(tags: Mapping[str, str], key: str) -> None:
    if not isinstance(tags, Mapping):
        raise UsageError(f"{key} must be a table of tag names to string values")
    if len(tags) > MAX_TAGS:
        raise UsageError(f"{key} has {len(tags)} tags: IAM allows at most {MAX_TAGS} on a role")
    for name, value in tags.items():
        if not isinstance(name, str) or not 1 <= len(name) <= 128 or not _TAG_TEXT.fullmatch(name):
            raise UsageError(
                f"{key}: tag key {name!r} is invalid: use 1-128 letters, digits, spaces and _.:/=+-@"
            )
        if name.lower().startswith(RESERVED_TAG_PREFIXES):
            raise UsageError(
                f"{key}: tag key {name!r} uses a reserved prefix ({', '.join(RESERVED_TAG_PREFIXES)}): rename it"
            )
        if not isinstance(value, str) or len(value) > 256 or not _TAG_TEXT.fullmatch(value):
            raise UsageError(
                f"{key}: tag {name!r} has an invalid value: use a string of at most 256 letters, digits, spaces and _.:/=+-@"
            )


def check_unique(values: Iterable[str], key: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise UsageError(f"{key} lists {value!r} twice: remove the duplicate")
        seen.add(value)
