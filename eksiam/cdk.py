"""The only module that imports cdktf and the AWS provider bindings.

Two reasons it exists:

* It imports just the AWS provider bindings' submodules the constructs use, the package being
  registered without its ``__init__`` (:mod:`eksiam.provider_bindings`): a synth in a few
  seconds instead of ~9 s more.
* cdktf is archived upstream; a move to its community fork is a change to this file only.

jsii runs a Node.js child process: :func:`eksiam.jsii_node.select_node` picks a supported one
before cdktf starts it.
"""

from __future__ import annotations

from eksiam.jsii_node import select_node

# The provider bindings' package is registered lazily by `import eksiam`, which runs first.
select_node()

# ruff: noqa: E402 — the imports must follow select_node().
from cdktf import (  # noqa: E402
    App,
    CloudBackend,
    LocalBackend,
    NamedCloudWorkspace,
    S3Backend,
    TerraformOutput,
    TerraformStack,
    Testing,
)
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition  # noqa: E402
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy  # noqa: E402
from cdktf_cdktf_provider_aws.iam_role import IamRole  # noqa: E402
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy  # noqa: E402
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import (  # noqa: E402
    IamRolePolicyAttachment,
)
from cdktf_cdktf_provider_aws.iam_service_linked_role import (  # noqa: E402
    IamServiceLinkedRole,
)
from cdktf_cdktf_provider_aws.provider import AwsProvider  # noqa: E402
from constructs import Construct  # noqa: E402

from eksiam.metadata import track_sources  # noqa: E402

# Every resource the app makes from here on records the app's line that made it.
track_sources()

__all__ = [
    "App",
    "AwsProvider",
    "CloudBackend",
    "Construct",
    "DataAwsPartition",
    "IamPolicy",
    "IamRole",
    "IamRolePolicy",
    "IamRolePolicyAttachment",
    "IamServiceLinkedRole",
    "LocalBackend",
    "NamedCloudWorkspace",
    "S3Backend",
    "TerraformOutput",
    "TerraformStack",
    "Testing",
]
