"""The IAM snapshot of a live account that ``eksiam verify`` checks.

Its shape is exactly the output of ``aws iam get-account-authorization-details --filter Role
LocalManagedPolicy AWSManagedPolicy`` (``{"RoleDetailList": [...], "Policies": [...]}``, see
policy/README.md), so a snapshot taken with the AWS CLI (filtered or not) can be checked with
``eksiam check --input`` too. Only the roles and the policies attached to them are kept (which
roles are EKS roles is for the Rego identity to decide): the rules judge permissions, so they
need every attached policy's document, AWS-managed ones included. boto3 reads the standard AWS environment:
``AWS_ENDPOINT_URL``, ``AWS_REGION``, the credentials chain.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eksiam.errors import ToolError, UsageError
from eksiam.gate.inputs import InputDocument, InputKind
from eksiam.gate.jsonfile import parse_json
from eksiam.gate.limits import MAX_INPUT_ENV

# How a report names the account's snapshot when it was not saved to a file.
ACCOUNT_LABEL = "aws-account"


# A few attempts with backoff, unless the user chose (AWS_MAX_ATTEMPTS / AWS_RETRY_MODE): a
# throttled or failing IAM gets a fair chance, and a verify never hangs on one for minutes.
DEFAULT_ATTEMPTS = 3
_THROTTLED = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled", "RequestThrottledException",
    "TooManyRequestsException", "RequestLimitExceeded", "SlowDown", "LimitExceeded",
})
_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Forbidden"})
_BAD_CREDENTIALS = frozenset({
    "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException",
    "UnrecognizedClientException", "InvalidAccessKeyId", "AuthFailure", "RequestExpired",
})
_CALL = "GetAccountAuthorizationDetails"


def read_account_snapshot() -> dict[str, Any]:
    import boto3
    from botocore.config import Config as BotoConfig
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ProfileNotFound,
    )
    from botocore.parsers import ResponseParserError

    retries = {} if {"AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"} & os.environ.keys() else {
        "retries": {"mode": "standard", "total_max_attempts": DEFAULT_ATTEMPTS}
    }
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    try:
        iam = boto3.client("iam", region_name=region, config=BotoConfig(connect_timeout=10, read_timeout=60, **retries))
        pages = list(iam.get_paginator("get_account_authorization_details").paginate(Filter=["Role", "LocalManagedPolicy", "AWSManagedPolicy"]))
    except (NoCredentialsError, PartialCredentialsError, NoRegionError, ProfileNotFound) as error:
        raise UsageError(f"no usable AWS credentials or region: {error}; set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and AWS_REGION") from None
    except ClientError as error:
        raise aws_error(error.response) from None
    except ResponseParserError as error:
        raise ToolError(f"AWS IAM answered {_CALL} with something that is not an AWS response ({_short(error)}): check AWS_ENDPOINT_URL") from None
    except BotoCoreError as error:
        raise ToolError(f"AWS IAM is unreachable: {_short(error)}; check AWS_ENDPOINT_URL and the network") from None
    except ValueError as error:  # botocore's check of AWS_ENDPOINT_URL and similar settings
        raise UsageError(f"the AWS configuration is not usable: {_short(error)}; check AWS_ENDPOINT_URL and AWS_REGION") from None
    # Every role: which of them are EKS roles is decided once, by the Rego identity.
    roles = [role for page in pages for role in page.get("RoleDetailList", [])]
    attached = {p.get("PolicyArn") for role in roles for p in role.get("AttachedManagedPolicies") or []}
    policies = [policy for page in pages for policy in page.get("Policies", []) if policy.get("Arn") in attached]
    return {
        "RoleDetailList": sorted(roles, key=lambda r: r.get("RoleName", "")),
        "Policies": sorted(policies, key=lambda p: p.get("Arn", "")),
    }


def aws_error(response: Mapping[str, Any]) -> ToolError:
    """One line for an error answer of AWS IAM, naming its code and what to do about that code."""
    error = response.get("Error") or {}
    metadata = response.get("ResponseMetadata") or {}
    code = str(error.get("Code") or "")
    status = int(metadata.get("HTTPStatusCode") or 0)
    attempts = int((metadata.get("RetryAttempts") or 0)) + 1
    message = " ".join(str(error.get("Message") or "").split())[:200]
    said = f"{code}: {message}" if message and message != code else code or f"HTTP {status}"
    tried = f" after {attempts} attempts" if attempts > 1 else ""
    if code in _THROTTLED or status == 429:
        return ToolError(f"AWS IAM throttled {_CALL} ({said}){tried}: retry later, or raise AWS_MAX_ATTEMPTS")
    if code in _DENIED:
        return ToolError(f"AWS IAM denied {_CALL} ({said}): grant iam:{_CALL} to the caller")
    if code in _BAD_CREDENTIALS:
        return ToolError(f"AWS rejected the credentials ({said}): refresh them, or check AWS_PROFILE")
    if status >= 500:
        return ToolError(f"AWS IAM failed with HTTP {status} ({said}){tried}: a fault on the AWS side; retry later")
    return ToolError(f"AWS IAM refused {_CALL} ({said}, HTTP {status}): fix what the message names, then retry")


def _short(error: Exception) -> str:
    return " ".join(str(error).split())[:200]


def snapshot_document(snapshot: dict[str, Any], path: str | Path | None, max_bytes: int) -> InputDocument:
    """The snapshot as the gate checks it: JSON as a file would hold it, read back strictly.

    Saved to ``path`` when given (``--snapshot``); otherwise it stays in memory, named
    :data:`ACCOUNT_LABEL` in the report, so no two runs share a snapshot file.
    """
    text = _snapshot_json(snapshot)
    if path is not None:
        write_snapshot(snapshot, path)
    source = str(path) if path is not None else ACCOUNT_LABEL
    if len(text.encode("utf-8")) > max_bytes:
        raise UsageError(
            f"the IAM snapshot of the account is over the {max_bytes / (1024 * 1024):g} MB limit: "
            f"raise {MAX_INPUT_ENV}"
        )
    data = parse_json(text.encode("utf-8"), f"the IAM snapshot {source}", "check what AWS_ENDPOINT_URL points at")
    return InputDocument(path=source, kind=InputKind.SNAPSHOT, data=data)


def _snapshot_json(snapshot: dict[str, Any]) -> str:
    return json.dumps(snapshot, indent=2, sort_keys=True, default=str)


def write_snapshot(snapshot: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_snapshot_json(snapshot))
    except OSError as error:
        raise UsageError(f"cannot write the snapshot to {error.filename or path}: {error.strerror or error}; choose a writable --snapshot path") from None
    return path
