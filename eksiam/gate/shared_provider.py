"""One AWS provider process for all of a plan's terraform commands (``TF_REATTACH_PROVIDERS``).

Every terraform command starts the providers it needs, and first checks each against the
dependency lock file by hashing its whole package: for the AWS provider (some 700 MB) that
is done by ``plan`` and again by ``show``, about a third of a plan's CPU. Terraform can
instead attach to a provider process that is already running, as provider developers run one
(its debug mode). The gate starts the provider ``terraform init`` installed once, for the
plan and the show of one configuration, and ends it with them; the plan is the same document
(tests/gate/test_shared_provider.py compares the two).

A provider process is configured once. So only a configuration with one ``aws`` provider
configuration and nothing else that could start one (:func:`eksiam.gate.plan_together.refusal`:
a root of stacks planned together is one by construction) shares one; any other plans as
usual. So does a plan when the provider does not start in debug mode, or when terraform fails
with it (its error is then the one terraform gives without it), or when ``TF_REATTACH_PROVIDERS``
or a ``TF_LOG*`` variable is set (a provider developer's provider, a run being debugged).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from eksiam.errors import ToolError
from eksiam.gate import processes
from eksiam.gate.terraform import Terraform

PROVIDER = "registry.terraform.io/hashicorp/aws"
# How long the provider may take to say where it listens (it does in well under a second).
START_SECONDS = 30.0
_REATTACH_LINE = "TF_REATTACH_PROVIDERS='"
_PROVIDER_LOGS = ("TF_LOG_PROVIDER", "TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_SDK_HELPER_SCHEMA", "TF_LOG_SDK_MUX")


def plan_json(terraform: Terraform, *, again_as_usual: bool = True) -> dict[str, Any]:
    """``terraform.plan_json()`` with one AWS provider process for its plan and show. When
    terraform fails with it, it plans again as usual (the error reported is then terraform's
    own), unless ``again_as_usual`` is False: the caller then raises the error or plans otherwise."""
    with provider_serving(terraform) as reattach:
        if reattach is not None:
            try:
                return replace(terraform, attach_to=reattach).plan_json()
            except processes.Stopping:
                raise
            except ToolError:
                if not again_as_usual:
                    raise
    return terraform.plan_json()


def installed_provider(workdir: Path) -> Path | None:
    """The AWS provider binary ``terraform init`` installed for ``workdir``, as an absolute path
    (the provider starts in ``workdir``, where a relative one would name nothing); None unless exactly one."""
    found = [p for p in (workdir.absolute() / ".terraform" / "providers" / PROVIDER).glob("*/*/terraform-provider-aws*") if p.is_file()]
    return found[0] if len(found) == 1 else None


@contextlib.contextmanager
def provider_serving(terraform: Terraform) -> Iterator[str | None]:
    """The ``TF_REATTACH_PROVIDERS`` value of an AWS provider running during the block; None
    when none could be started."""
    binary = installed_provider(terraform.workdir)
    env = terraform.env()
    # A provider developer's own provider, or a run being debugged, plans as usual.
    if binary is None or any(name.startswith(("TF_REATTACH_PROVIDERS", "TF_LOG")) for name in env):
        yield None
        return
    with contextlib.ExitStack() as serving:
        # Its socket goes into a directory of the run's, gone with it even if the provider is killed.
        sockets = serving.enter_context(tempfile.TemporaryDirectory(prefix="eksiam-provider-"))
        output = Path(sockets) / "provider.log"
        # In debug mode the provider logs every request at trace level unless told otherwise.
        quiet = dict.fromkeys(_PROVIDER_LOGS, "off")
        command = [str(binary), "-debug"]
        try:
            process = serving.enter_context(
                processes.serving(command, cwd=terraform.workdir, env={**env, **quiet, "TMPDIR": sockets}, output=output)
            )
        except OSError:  # it cannot start: terraform starts its own
            yield None
            return
        yield _reattach_config(process, output)


def _reattach_config(process: subprocess.Popen[bytes], output: Path) -> str | None:
    """What the provider prints for terraform to attach to it, once it listens; None if it ends
    or says nothing of the kind in :data:`START_SECONDS`."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        for line in output.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.strip()
            if line.startswith(_REATTACH_LINE) and line.endswith("'"):
                value = line[len(_REATTACH_LINE):-1]
                try:
                    config = json.loads(value)
                except ValueError:
                    return None
                return value if isinstance(config, dict) and set(config) == {PROVIDER} else None
        if process.poll() is not None:
            return None
        time.sleep(0.02)
    return None
