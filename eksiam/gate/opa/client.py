"""The gate's OPA engine: the Rego in ``policy/`` evaluated over OPA's REST API.

The gate speaks to OPA only through ``opa-python-client``, so the same code drives a real
OPA server (``--opa-url``) and, by default, :class:`EmbeddedOpaServer`: OPA's REST API on
127.0.0.1, behind a random bearer token, answered by the OPA Go library itself
(``opa_bindings``), so evaluation has OPA's exact semantics.

Everything fails closed: an unreachable server, a rejected token, a policy that does not
compile, an undefined decision, a malformed finding or a decision that evaluated no rule
raises :class:`~eksiam.errors.ToolError` (exit 3). The gate never reports a pass it did not
evaluate.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests
from opa_client.errors import RegoParseError, TypeException
from opa_client.opa import OpaClient

from eksiam.config import Config
from eksiam.errors import ToolError, UsageError
from eksiam.gate import limits
from eksiam.gate.inputs import InputDocument
from eksiam.gate.cache import Cache, cache_key, canonical
from eksiam.gate.opa.decision import (
    ENGINE_NAME,
    DocumentDecision,
    OpaOutcome,
    decision_from_json,
    decision_to_json,
    parse_finding,
)
from eksiam.gate.opa.modules import _function_cycle, _upload_order, policy_modules
from eksiam.gate.opa.proof import check_reported_rules, check_server_holds, known_rule_ids
from eksiam.gate.opa.transport import TOKEN_ENV, OpaEndpoint, _LoopbackOpaClient, _opa_message, _timed_out

if TYPE_CHECKING:
    from eksiam.gate.opa.endpoint import EmbeddedOpaServer

log = logging.getLogger(__name__)

DECISION_PACKAGE = "eksiam/main"
CONFIG_DATA_PATH = "eksiam/config"
# Seconds per request unless EKSIAM_OPA_TIMEOUT says otherwise (eksiam.gate.limits).
DEFAULT_TIMEOUT = limits.DEFAULT_OPA_TIMEOUT
# What the rules read as data.eksiam.config when the caller gives no configuration.
DEFAULT_POLICY_CONFIG: Mapping[str, Any] = Config().to_policy_data()

__all__ = [
    "ENGINE_NAME", "DocumentDecision", "OpaEndpoint", "OpaGate", "OpaOutcome", "TOKEN_ENV", "merged_policy_config", "run_opa",
]


def merged_policy_config(overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """``overrides`` deep-merged over :data:`DEFAULT_POLICY_CONFIG` (objects merge, the rest replaces)."""

    def merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
        merged = dict(base)
        for key, value in top.items():
            if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
                merged[key] = merge(merged[key], value)
            else:
                merged[key] = value
        return merged

    merged: dict[str, Any] = json.loads(json.dumps(merge(DEFAULT_POLICY_CONFIG, overrides or {})))
    return merged


class OpaGate:
    """Loads ``policy_dir`` and ``data.eksiam.config`` into OPA and evaluates documents.

    Without ``opa_url`` an :class:`EmbeddedOpaServer` is started for the lifetime of the
    context; with it, the gate talks to that server, authenticating with ``token`` or, when
    not given, ``$EKSIAM_OPA_TOKEN``. Either way every request goes through
    ``opa_client.opa.OpaClient``. ``timeout`` (seconds per request) defaults to
    ``$EKSIAM_OPA_TIMEOUT``.

    Every decision must report exactly the rule ids the policy set declares, and a server
    given by URL must read back every module the gate uploaded (:mod:`eksiam.gate.opa.proof`).
    """

    def __init__(
        self,
        policy_dir: str | Path,
        *,
        opa_url: str | None = None,
        token: str | None = None,
        policy_config: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        environ: Mapping[str, str] | None = None,
        modules: Mapping[str, str] | None = None,
    ) -> None:
        environ = os.environ if environ is None else environ
        # The policy set, when the caller has read it already (policy_modules of policy_dir).
        self._modules = dict(modules) if modules is not None else None
        timeout = limits.opa_timeout(environ) if timeout is None else timeout
        self.policy_dir = Path(policy_dir)
        self.endpoint = OpaEndpoint.parse(opa_url) if opa_url else None
        self._token = token if token is not None else (environ.get(TOKEN_ENV) or None)
        self.policy_config = merged_policy_config(policy_config)
        self.timeout = timeout
        self._client: OpaClient | None = None
        self._url = ""
        self._stack = ExitStack()
        self._known_rules: frozenset[str] = frozenset()

    @property
    def url(self) -> str:
        """The OPA the gate is talking to (the embedded one's loopback address, inside the block)."""
        return self._url

    # -- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> "OpaGate":
        try:
            modules = self._modules if self._modules is not None else policy_modules(self.policy_dir)
            held = self._connect(modules)
            self._load_policies(modules, held)
            self._load_config()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._client = None
        self._stack.close()

    def _connect(self, modules: Mapping[str, str]) -> dict[str, _HeldPolicy]:
        """Open the client; return the modules the server holds already, by id."""
        client: OpaClient
        if self.endpoint is None:
            # Started with the policy set, as `opa run --server policy/`: one compile, no upload.
            server = self._stack.enter_context(_embedded_server(modules))
            self._url = server.url
            # Our own thread is not worth retrying, and no proxy can reach its loopback port.
            self._client = _LoopbackOpaClient(
                host="127.0.0.1", port=server.port, token=server.token, timeout=self.timeout, retries=0
            )
            self._stack.callback(self._client.close_connection)
            return {policy_id: _HeldPolicy(raw) for policy_id, raw in server.policies.items()}
        self._url = self.endpoint.url
        client = OpaClient(
            host=self.endpoint.host,
            port=self.endpoint.port,
            ssl=self.endpoint.tls,
            token=self._token,
            timeout=self.timeout,
            retries=1,
        )
        self._stack.callback(client.close_connection)
        self._client = client
        # The first request: an unreachable server or a rejected token is reported as such,
        # not as a failure to upload the first policy.
        held: dict[str, _HeldPolicy] = self._call("list the loaded policies", lambda: _held_policies(client))
        return held

    def _load_policies(self, modules: Mapping[str, str], held: Mapping[str, _HeldPolicy]) -> None:
        """Upload what the server does not hold byte for byte; a server holding the whole set
        (the embedded one, or an OPA server this gate loaded before) gets no upload at all."""
        self._known_rules = known_rule_ids(self.policy_dir)
        client = self._require_client()
        self._remove_stale_policies(client, held, set(modules))
        # OPA compiles each upload against what is already loaded, so a rule calling a
        # lib function fails until the lib is in: modules go up after the packages they
        # import, and whatever still depends on a later module is retried in rounds until
        # nothing moves. (Every upload recompiles the whole set; a failed one costs two.)
        upload = {
            policy_id: modules[policy_id]
            for policy_id in _upload_order(modules)
            if policy_id not in held or held[policy_id].raw != modules[policy_id]
        }
        log.debug("OPA at %s holds %d of %d policy modules already", self._url, len(modules) - len(upload), len(modules))
        pending = dict(upload)
        while pending:
            failures: dict[str, RegoParseError] = {}
            for policy_id, source in pending.items():
                try:
                    self._call(
                        f"upload policy {policy_id}",
                        lambda: client.update_policy_from_string(source, quote(policy_id, safe="/"), rego_compat=False),
                    )
                except _RejectedPolicy as rejected:
                    if rejected.error.errors and all(
                        e.get("code") == "rego_parse_error" for e in rejected.error.errors if isinstance(e, dict)
                    ):
                        raise self._policy_error(policy_id, rejected.error) from None
                    failures[policy_id] = rejected.error
            if len(failures) == len(pending):
                cycle = _function_cycle(failures, modules)
                if cycle:
                    raise ToolError(
                        f"policies {', '.join(str(self.policy_dir / m) for m in cycle)} depend on one another's "
                        "functions in a cycle: OPA's policy API compiles one module at a time, so none of them "
                        "can load; move the functions the cycle shares into one module"
                    )
                policy_id, error = next(iter(failures.items()))
                raise self._policy_error(policy_id, error) from None
            pending = {policy_id: modules[policy_id] for policy_id in failures}
        if self.endpoint is not None:  # what was just read back needs no second reading
            check_server_holds(
                upload,
                lambda policy_id: self._call(f"read back policy {policy_id}", lambda: client.get_policy(quote(policy_id, safe="/"))),
                self._url,
            )

    def _remove_stale_policies(self, client: OpaClient, held: Mapping[str, _HeldPolicy], current: set[str]) -> None:
        """Delete modules of data.eksiam a previous run left on a long-lived OPA server.

        A rule file removed from policy/ would otherwise keep firing (or conflict) there.
        Only packages under data.eksiam are touched: the rest of the server is not ours.
        """
        stale = [
            policy_id
            for policy_id, policy in held.items()
            if policy_id not in current and (policy.package == "data.eksiam" or policy.package.startswith("data.eksiam."))
        ]
        for policy_id in stale:
            try:
                self._call(f"delete stale policy {policy_id}", lambda: client.delete_policy(quote(policy_id, safe="/")))
            except _RejectedPolicy as rejected:
                raise ToolError(
                    f"OPA at {self._url} holds a stale eksiam policy {policy_id!r} it will not delete "
                    f"({rejected.error.message}): remove it from that server, then rerun"
                ) from None

    def _load_config(self) -> None:
        client = self._require_client()
        try:
            self._call(
                "upload data.eksiam.config",
                lambda: client.update_or_create_data(self.policy_config, CONFIG_DATA_PATH),
            )
        except _RejectedPolicy as rejected:
            raise ToolError(
                f"OPA at {self._url} rejected data.eksiam.config ({rejected.error.message}): "
                "check that no policy defines rules under data.eksiam.config"
            ) from None

    # -- evaluation --------------------------------------------------------------------

    def evaluate(self, document: InputDocument) -> DocumentDecision:
        """POST the raw document to ``/v1/data/eksiam/main`` and read its findings and rules."""
        client = self._require_client()
        response = self._call(
            f"evaluate data.eksiam.main on {document.path}",
            lambda: client.query_rule(input_data=document.data, package_path=DECISION_PACKAGE),
        )
        decision = response.get("result") if isinstance(response, dict) else None
        where = f"data.eksiam.main on {document.path}"
        if not isinstance(decision, dict):
            raise ToolError(
                f"OPA returned no decision for {where}: the policies loaded from {self.policy_dir} "
                "define no package eksiam.main (or it is undefined for this input); fix the policy set"
            )
        missing = [key for key in ("findings", "rules") if key not in decision]
        if missing:
            raise ToolError(
                f"OPA's decision for {where} has no {' or '.join(missing)}: "
                "package eksiam.main must define both; fix the policy set"
            )
        raw_findings, raw_rules = decision["findings"], decision["rules"]
        if not isinstance(raw_findings, list) or not isinstance(raw_rules, list):
            raise ToolError(f"OPA's decision for {where} has findings or rules that are not sets: fix eksiam.main")
        if not raw_rules:
            raise ToolError(
                f"OPA evaluated no rules for {document.path}: data.eksiam.main.rules is empty, so nothing was "
                f"checked; make sure {self.policy_dir} holds the rule files"
            )
        findings = tuple(parse_finding(raw, document) for raw in raw_findings)
        check_reported_rules((str(r) for r in raw_rules), self._known_rules, where=document.path, url=self._url)
        # Absent (a policy set without it): the custom checks fall back to their own reading.
        identity = decision.get("checkov")
        if identity is not None and not (
            isinstance(identity, dict) and isinstance(identity.get("roles"), dict) and isinstance(identity.get("links"), dict)
        ):
            raise ToolError(f"OPA's decision for {where} has a malformed checkov identity: fix eksiam.main")
        return DocumentDecision(
            document=document, findings=findings, rules=tuple(str(r) for r in raw_rules), checkov_identity=identity
        )

    def check(self, documents: Iterable[InputDocument]) -> OpaOutcome:
        decisions = tuple(self.evaluate(document) for document in documents)
        if not decisions:
            raise UsageError("nothing to check: pass at least one --input file")
        return OpaOutcome(decisions=decisions)

    # -- transport errors --------------------------------------------------------------

    def _require_client(self) -> OpaClient:
        if self._client is None:
            raise RuntimeError("OpaGate is used outside its `with` block")
        return self._client

    def _call(self, action: str, request: Callable[[], Any]) -> Any:
        """Run one client request; every way it can fail becomes one line saying what to do."""
        try:
            return request()
        except RegoParseError as error:
            if error.expression == "unauthorized":
                raise self._unauthorized() from None
            raise _RejectedPolicy(error) from None
        except requests.HTTPError as error:
            status = error.response.status_code if error.response is not None else 0
            if status in (401, 403):
                raise self._unauthorized() from None
            detail = _opa_message(error.response)
            if status == 404 and not detail.startswith("{"):
                detail += f" (is {self._url} an OPA server?)"
            raise ToolError(f"OPA at {self._url} failed to {action}: HTTP {status} {detail}") from None
        except (requests.ConnectionError, requests.Timeout) as error:
            if _timed_out(error):
                raise ToolError(
                    f"OPA at {self._url} did not answer within {self.timeout:g}s when asked to {action}: "
                    f"check the server's load, or raise {limits.OPA_TIMEOUT_ENV} (seconds)"
                ) from None
            raise ToolError(
                f"cannot reach OPA at {self._url} to {action}: start the server there, "
                "or leave out --opa-url to use the embedded engine"
            ) from None
        except (requests.RequestException, ValueError, TypeException) as error:
            # Non-JSON answers (a proxy's HTML page) and other protocol surprises.
            raise ToolError(f"OPA at {self._url} gave an unusable answer when asked to {action}: {error}") from None

    def _unauthorized(self) -> ToolError:
        if self.endpoint is None:  # our own server refused our own token: a bug, still fail closed
            return ToolError("the embedded OPA server rejected the gate's token: report this as a bug")
        hint = f"set {TOKEN_ENV} to the server's bearer token" if not self._token else f"check {TOKEN_ENV}"
        return ToolError(f"OPA at {self._url} rejected the request as unauthorized (HTTP 401): {hint}")

    def _policy_error(self, policy_id: str, error: RegoParseError) -> ToolError:
        located = [e for e in error.errors if isinstance(e, dict)]
        first = located[0] if located else {"message": error.message}
        location = first.get("location") or {}
        file = location.get("file") or policy_id
        where = f"{self.policy_dir / file}:{location['row']}" if location.get("row") else str(self.policy_dir / file)
        more = f" (and {len(located) - 1} more)" if len(located) > 1 else ""
        code = f"{first['code']}: " if first.get("code") else ""
        message = " ".join(str(first.get("message", "")).split())
        return ToolError(f"OPA rejected policy {where}: {code}{message}{more}: fix the Rego and rerun")


# The engine is an optional dependency: its wheel declares Python >= 3.14 (README, "Install").
ENGINE_INSTALL_HINT = (
    "pip install 'eksiam[opa]' on Python 3.14+, or "
    "pip install --no-deps --ignore-requires-python opa-golib-python-bindings==0.4.4 on 3.11-3.13"
)


@dataclass(frozen=True)
class _HeldPolicy:
    """A module an OPA server holds: its source, and its package (``data.eksiam.rules``)."""

    raw: str
    package: str = ""


def _held_policies(client: OpaClient) -> dict[str, _HeldPolicy]:
    """Every module the server holds, from one ``GET /v1/policies`` (OPA lists each with its
    source and AST). An entry of another shape is left out: it is then not held, and uploaded."""
    response = client._session.get(f"{client.root_url}/policies", timeout=client.timeout)
    response.raise_for_status()
    listed = response.json().get("result")
    held: dict[str, _HeldPolicy] = {}
    for entry in listed if isinstance(listed, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not isinstance(entry.get("raw"), str):
            continue
        ast = entry.get("ast")
        path = ast.get("package", {}).get("path") if isinstance(ast, dict) and isinstance(ast.get("package"), dict) else None
        terms = [term.get("value") for term in path] if isinstance(path, list) and all(isinstance(t, dict) for t in path) else []
        held[entry["id"]] = _HeldPolicy(entry["raw"], ".".join(str(term) for term in terms))
    return held


def _embedded_server(policies: Mapping[str, str]) -> "EmbeddedOpaServer":
    try:
        from eksiam.gate.opa.endpoint import EmbeddedOpaServer
    except ModuleNotFoundError as error:
        if error.name != "opa_bindings":
            raise
        raise ToolError(
            f"the embedded OPA engine is not installed: {ENGINE_INSTALL_HINT}; or evaluate on an OPA server with --opa-url URL"
        ) from None
    return EmbeddedOpaServer(policies)


class _RejectedPolicy(Exception):
    """OPA refused an upload (compile error); raised inside the gate so uploads can retry."""

    def __init__(self, error: RegoParseError) -> None:
        super().__init__(str(error))
        self.error = error


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
    config = merged_policy_config(policy_config)
    # Read once: the cache key is the very set OPA is given.
    modules = policy_modules(policy_dir)
    common = {
        "policy_set": hashlib.sha256(canonical(modules)).hexdigest(),
        "config": config,
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
        with OpaGate(policy_dir, opa_url=opa_url, policy_config=policy_config, timeout=timeout, modules=modules) as gate:
            for decision in gate.check(missing).decisions:
                decisions[decision.document.path] = decision
                cache.put(CACHE_KIND, keys[decision.document.path], decision_to_json(decision))
    return OpaOutcome(decisions=tuple(decisions[d.path] for d in documents), cached=cached)


CACHE_KIND = "opa"


def _engine_version() -> str:
    try:
        return importlib.metadata.version("opa-golib-python-bindings")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
