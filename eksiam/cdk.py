"""The only module that imports cdktf and the AWS provider bindings.

Two reasons it exists:

* ``cdktf_cdktf_provider_aws/__init__.py`` eagerly imports ~2,200 submodules (~9 s, ~600 MB).
  We register the package without running that ``__init__`` and import just the submodules
  the constructs use, which brings a synth down to a few seconds. A user's app that imports
  the whole package first is unaffected: the real package is then already in ``sys.modules``.
* cdktf is archived upstream; a move to its community fork is a change to this file only.

jsii runs a Node.js child process: :func:`eksiam.jsii_node.select_node` picks a supported one
before cdktf starts it.
"""

from __future__ import annotations

import importlib.util
import sys
import types

from eksiam.jsii_node import select_node

select_node()


def _register_provider_package_lazily(name: str = "cdktf_cdktf_provider_aws") -> None:
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.submodule_search_locations is None:
        return  # let the imports below raise the ordinary ImportError
    package = types.ModuleType(name)
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    package.__file__ = spec.origin
    sys.modules[name] = package


_register_provider_package_lazily()

# ruff: noqa: E402 — the imports must follow the registration above.
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
