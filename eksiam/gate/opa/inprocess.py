"""The gate's default OPA: the policy set compiled once by the OPA Go library (``opa_bindings``,
OPA 1.20) in this process, and each input evaluated against it, as conftest does.

No server, no port, no token: nothing else on the machine can read or change what the gate
evaluates. A policy set that does not compile is refused with OPA's own error text, which
names the file and line.

A process that checks again (an app's test suite calling ``run_check``, the gate's own tests)
reuses the engine compiled for the same modules and data: compiling and preparing the decision
query cost several times one evaluation. A run takes its engine out of the pool for its block,
so two threads never share one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eksiam.errors import ToolError
from eksiam.gate.inputs import InputDocument
from eksiam.gate.opa.decision import DocumentDecision, decision_from_result

if TYPE_CHECKING:
    from opa_bindings import OpaEngine

log = logging.getLogger(__name__)

# The engine is an optional dependency: its wheel declares Python >= 3.14 (README, "Install").
ENGINE_INSTALL_HINT = (
    "pip install 'eksiam[opa]' on Python 3.14+, or "
    "pip install --no-deps --ignore-requires-python opa-golib-python-bindings==0.4.4 on 3.11-3.13"
)
WHERE = "the embedded OPA engine"
_DECISION_QUERY = "decision := data.eksiam.main"
# Compiled engines kept for the next run with the same modules and data (the gate's own
# settings and a project's usually make one or two).
_POOL_SIZE = 2
_pool: OrderedDict[str, OpaEngine] = OrderedDict()
_pool_lock = threading.Lock()


class InProcessEvaluator:
    """``modules`` (policy id -> Rego) and ``data`` (``data.eksiam.config``, when given) compiled
    once on entering the block; :meth:`evaluate` queries ``data.eksiam.main`` per input."""

    def __init__(
        self,
        policy_dir: Path,
        modules: Mapping[str, str],
        known_rules: frozenset[str],
        policy_config: Mapping[str, Any] | None = None,
    ) -> None:
        self.policy_dir = policy_dir
        self._modules = dict(modules)
        self._known_rules = known_rules
        self._config = policy_config
        self._engine: OpaEngine | None = None
        identity = {"dir": str(policy_dir), "modules": self._modules, "config": policy_config}
        self._pool_key = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()

    @property
    def url(self) -> str:
        return WHERE

    def __enter__(self) -> "InProcessEvaluator":
        with _pool_lock:
            engine = _pool.pop(self._pool_key, None)
        self._engine = engine if engine is not None else self._compile()
        return self

    def __exit__(self, *exc_info: object) -> None:
        engine, self._engine = self._engine, None
        if engine is None:
            return
        evicted = []
        with _pool_lock:
            if self._pool_key in _pool:  # another run compiled the same set meanwhile
                evicted.append(_pool.pop(self._pool_key))
            _pool[self._pool_key] = engine
            while len(_pool) > _POOL_SIZE:
                evicted.append(_pool.popitem(last=False)[1])
        for old in evicted:
            old.close()

    def _compile(self) -> OpaEngine:
        try:
            from opa_bindings import OpaEngine, OpaError
        except ModuleNotFoundError as error:
            if error.name != "opa_bindings":
                raise
            raise ToolError(
                f"the embedded OPA engine is not installed: {ENGINE_INSTALL_HINT}; "
                "or evaluate on an OPA server with --opa-url URL"
            ) from None
        engine = OpaEngine()
        engine.print_handler = lambda message, location: log.debug("rego print %s: %s", location, message)
        try:
            for policy_id, source in self._modules.items():
                engine.add_policy(str(self.policy_dir / policy_id), source)
            if self._config is not None:
                engine.add_data({"eksiam": {"config": dict(self._config)}})
            engine.eval_query("true")  # add_policy only parses: this compiles the whole set
        except OpaError as error:
            engine.close()
            raise ToolError(f"OPA rejected the policy set: {_first_lines(error.message)}: fix the Rego and rerun") from None
        return engine

    def evaluate(self, document: InputDocument) -> DocumentDecision:
        from opa_bindings import OpaError

        if self._engine is None:
            raise RuntimeError("InProcessEvaluator is used outside its `with` block")
        try:
            bindings = self._engine.eval_query(_DECISION_QUERY, document.data)
        except OpaError as error:
            raise ToolError(
                f"OPA failed to evaluate data.eksiam.main on {document.path}: {_first_lines(error.message)}: fix the policy set"
            ) from None
        decision = bindings[0]["decision"] if bindings else None
        return decision_from_result(decision, document, self._known_rules, policy_dir=str(self.policy_dir), opa=WHERE)


def _first_lines(message: str) -> str:
    """OPA's error text on one line: its located errors (``file:row: code: message``), without
    the source excerpt it prints under each."""
    lines = [line.strip() for line in message.splitlines() if line.strip() and not line.startswith("\t")]
    return "; ".join(lines)[:500]
