"""The Rego files generated from Python-side sources of truth, and the command that writes them.

``python -m eksiam.generated [POLICY_DIR]`` (default ``./policy``) rewrites each; the tests
hold every committed file equal to what this would write.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from eksiam import facts, settings

GENERATED: dict[str, Callable[[], str]] = {
    "lib/settings.rego": settings.rego_module,
    "lib/facts.rego": facts.rego_module,
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    policy_dir = Path(args[0]) if args else Path("policy")
    if not (policy_dir / "lib").is_dir():
        print(f"eksiam.generated: {policy_dir}/lib is not a directory: pass the policy directory", file=sys.stderr)
        return 2
    for relative, render in GENERATED.items():
        (policy_dir / relative).write_text(render(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
