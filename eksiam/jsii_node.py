"""Which Node.js jsii runs: a supported one, wherever it is, and never jsii's end-of-life banner.

jsii prints a dozen-line banner into every command's output when its Node is end-of-life.
:func:`select_node` points ``JSII_NODE`` at a supported Node: ``JSII_NODE`` as given, else the
cdktf project's ``node_modules`` (the npm package ``node``), else eksiam's source checkout's,
else ``node`` on ``PATH``. If only an end-of-life Node exists, one line says so and jsii's
banner is silenced.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import MutableMapping
from pathlib import Path

# The oldest Node major that jsii still supports (20 reached end-of-life in April 2026).
OLDEST_SUPPORTED_NODE = 22
_PROJECT_NODE = Path("node_modules") / "node" / "bin" / "node"
_SOURCE_CHECKOUT_NODE = Path(__file__).resolve().parent.parent / _PROJECT_NODE


def _node_major(node: str) -> int | None:
    try:
        done = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.match(r"v(\d+)\.", done.stdout.strip())
    return int(match[1]) if done.returncode == 0 and match else None


def select_node(environ: MutableMapping[str, str] | None = None) -> str | None:
    """Set ``JSII_NODE`` in ``environ`` (default: this process's) to a supported Node and return it.

    ``None``: no Node at all; jsii will then say so itself.
    """
    environ = os.environ if environ is None else environ
    if environ.get("JSII_NODE"):
        return environ["JSII_NODE"]
    candidates = [str(p.absolute()) for p in (_PROJECT_NODE, _SOURCE_CHECKOUT_NODE) if p.is_file()]
    on_path = shutil.which("node", path=environ.get("PATH"))
    candidates += [on_path] if on_path else []
    majors = {node: _node_major(node) for node in dict.fromkeys(candidates)}
    supported = [node for node, major in majors.items() if major and major >= OLDEST_SUPPORTED_NODE]
    if supported:
        environ["JSII_NODE"] = supported[0]
        return supported[0]
    found = [(node, major) for node, major in majors.items() if major]
    if not found:
        return None
    node, major = found[0]
    # jsii's own warning is a dozen lines in every command's output: one line says it.
    environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", str(major))
    print(
        f"eksiam: Node {major} ({node}) is end-of-life: install Node {OLDEST_SUPPORTED_NODE}+ "
        "(e.g. `npm install node@22`) or point JSII_NODE at one",
        file=sys.stderr,
    )
    return node


