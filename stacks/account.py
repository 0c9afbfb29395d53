"""What ``make deploy`` asks the account before deploying: does the connector's service-linked
role already exist? Registering a cluster creates it (so did the documented template), and IAM
refuses to create it twice, so the stack then uses it as it is instead of creating it.

Prints the ``EKSIAM_*`` settings to deploy with (none when nothing needs changing). Any error
reaching the account prints nothing: the deploy itself then reports it.
"""

from __future__ import annotations

import sys

# Where IAM keeps the service-linked role of eks-connector.amazonaws.com (named
# AWSServiceRoleForAmazonEKSConnector).
SERVICE_LINKED_ROLE_PATH = "/aws-service-role/eks-connector.amazonaws.com/"


def deploy_settings() -> list[str]:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        roles = boto3.client("iam").list_roles(PathPrefix=SERVICE_LINKED_ROLE_PATH)["Roles"]
    except (ClientError, BotoCoreError):
        return []  # the account is unreachable: the deploy will say so
    if not roles:
        return []
    name = roles[0]["RoleName"]
    print(f"eksiam: the account already has the EKS connector's service-linked role {name}: using it as it is", file=sys.stderr)
    return ["EKSIAM_CONNECTOR_CREATE_SERVICE_LINKED_ROLE=false"]


if __name__ == "__main__":
    print(" ".join(deploy_settings()))
