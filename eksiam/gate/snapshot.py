"""The IAM snapshot of a live account that ``eksiam verify`` checks.

Its shape is exactly the output of ``aws iam get-account-authorization-details --filter Role
LocalManagedPolicy`` (``{"RoleDetailList": [...], "Policies": [...]}``, see policy/README.md),
so a snapshot taken with the AWS CLI can be checked with ``eksiam check --input`` too. Only the
roles and the customer managed policies attached to them are kept (which roles are EKS roles
is for the Rego identity to decide): the rules need the policy documents (the console form of AmazonEKSConnectorAgentPolicy, the IPv6 CNI policy). boto3 reads the standard AWS environment:
``AWS_ENDPOINT_URL``, ``AWS_REGION``, the credentials chain.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from eksiam.errors import ToolError, UsageError


def read_account_snapshot() -> dict[str, Any]:
    import boto3
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        NoRegionError,
    )

    try:
        iam = boto3.client("iam", region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
        pages = list(
            iam.get_paginator("get_account_authorization_details").paginate(Filter=["Role", "LocalManagedPolicy"])
        )
    except (NoCredentialsError, NoRegionError) as error:
        raise UsageError(f"no AWS credentials or region: {error}; set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and AWS_REGION") from None
    except ClientError as error:
        raise ToolError(f"AWS IAM refused GetAccountAuthorizationDetails: {error}; grant iam:GetAccountAuthorizationDetails to the caller") from None
    except BotoCoreError as error:
        raise ToolError(f"AWS IAM is unreachable: {error}; check AWS_ENDPOINT_URL and the network") from None
    # Every role: which of them are EKS roles is decided once, by the Rego identity.
    roles = [role for page in pages for role in page.get("RoleDetailList", [])]
    attached = {p.get("PolicyArn") for role in roles for p in role.get("AttachedManagedPolicies") or []}
    policies = [policy for page in pages for policy in page.get("Policies", []) if policy.get("Arn") in attached]
    return {
        "RoleDetailList": sorted(roles, key=lambda r: r.get("RoleName", "")),
        "Policies": sorted(policies, key=lambda p: p.get("Arn", "")),
    }


def write_snapshot(snapshot: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(snapshot, indent=2, sort_keys=True, default=str))
    return path
