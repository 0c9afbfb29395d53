"""The gate's OPA: one interface (:class:`Evaluator`), two implementations.

* :class:`~eksiam.gate.opa.inprocess.InProcessEvaluator` (the default): the policy set compiled
  once by the OPA Go library in this process, each input evaluated against it;
* :class:`~eksiam.gate.opa.rest.RestEvaluator`: an OPA server given with ``--opa-url``, over
  its REST API (opa-python-client).

Either way a decision counts only when it reports exactly the rules the policy set declares
(:mod:`eksiam.gate.opa.proof`), and everything fails closed with a
:class:`~eksiam.errors.ToolError` (exit 3). ``data.eksiam.config`` is what the caller passes;
without it the rules apply their own defaults (policy/lib/config.rego).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from eksiam.errors import UsageError
from eksiam.gate.cache import Cache, cache_key, canonical
from eksiam.gate.inputs import InputDocument
from eksiam.gate.opa.decision import DocumentDecision, OpaOutcome, decision_from_json, decision_to_json
from eksiam.gate.opa.inprocess import InProcessEvaluator
from eksiam.gate.opa.modules import policy_modules
from eksiam.gate.opa.proof import known_rule_ids

CACHE_KIND = "opa"


class Evaluator(Protocol):
    """An OPA holding the policy set for the length of a ``with`` block."""

    @property
    def url(self) -> str: ...

    def __enter__(self) -> "Evaluator": ...

    def __exit__(self, *exc_info: object) -> None: ...

    def evaluate(self, document: InputDocument) -> DocumentDecision: ...


def open_opa(
    policy_dir: str | Path,
    *,
    opa_url: str | None = None,
    token: str | None = None,
    policy_config: Mapping[str, Any] | None = None,
    timeout: float | None = None,
    environ: Mapping[str, str] | None = None,
    modules: Mapping[str, str] | None = None,
) -> Evaluator:
    """The OPA to evaluate ``policy_dir`` on: in-process, or the server at ``opa_url``.
    ``modules`` is the policy set when the caller has read it already."""
    policy_dir = Path(policy_dir)
    if opa_url is not None:
        # The URL is checked before the policy set is read: a bad one is the user's mistake.
        from eksiam.gate.opa.transport import OpaEndpoint

        OpaEndpoint.parse(opa_url)
    modules = dict(modules) if modules is not None else policy_modules(policy_dir)
    known = known_rule_ids(policy_dir)
    if opa_url is None:
        return InProcessEvaluator(policy_dir, modules, known, policy_config)
    # Imported here: its HTTP client (opa-python-client, aiohttp) is a third of a run's start-up.
    from eksiam.gate.opa.rest import RestEvaluator

    return RestEvaluator(
        policy_dir, opa_url, modules=modules, known_rules=known, token=token,
        policy_config=policy_config, timeout=timeout, environ=environ,
    )


def evaluate_all(evaluator: Evaluator, documents: Iterable[InputDocument]) -> OpaOutcome:
    decisions = tuple(evaluator.evaluate(document) for document in documents)
    if not decisions:
        raise UsageError("nothing to check: pass at least one --input file")
    return OpaOutcome(decisions=decisions)


def run_opa(
    documents: Sequence[InputDocument],
    policy_dir: str | Path,
    *,
    opa_url: str | None = None,
    policy_config: Mapping[str, Any] | None = None,
    timeout: float | None = None,
    cache: Cache | None = None,
) -> OpaOutcome:
    """Check ``documents`` against ``policy_dir`` in one OPA session.

    With ``cache``, a document whose decision is stored under the same content, policy set,
    settings and OPA engine is not evaluated again, and when every one is, no OPA starts.
    Only the embedded engine's decisions are cached: a server given with ``opa_url`` is asked.
    """
    if not documents:
        raise UsageError("nothing to check: pass at least one --input file")
    cache = cache if cache is not None and opa_url is None else Cache(enabled=False)
    # Read once: the cache key is the very set OPA is given.
    modules = policy_modules(policy_dir)
    common = {
        "policy_set": hashlib.sha256(canonical(modules)).hexdigest(),
        "config": policy_config,
        "engine": _engine_version(),
    }
    keys = {
        d.path: cache_key(CACHE_KIND, {**common, "input": hashlib.sha256(canonical(d.data)).hexdigest(), "kind": str(d.kind)})
        for d in documents
    }
    decisions: dict[str, DocumentDecision] = {}
    for document in documents:
        stored = decision_from_json(cache.get(CACHE_KIND, keys[document.path]), document)
        if stored is not None:
            decisions[document.path] = stored
    cached = len(decisions)
    missing = [d for d in documents if d.path not in decisions]
    if missing:
        opa = open_opa(policy_dir, opa_url=opa_url, policy_config=policy_config, timeout=timeout, modules=modules)
        with opa:
            for decision in evaluate_all(opa, missing).decisions:
                decisions[decision.document.path] = decision
                cache.put(CACHE_KIND, keys[decision.document.path], decision_to_json(decision))
    return OpaOutcome(decisions=tuple(decisions[d.path] for d in documents), cached=cached)


def _engine_version() -> str:
    try:
        return importlib.metadata.version("opa-golib-python-bindings")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
