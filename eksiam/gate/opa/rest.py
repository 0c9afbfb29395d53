"""The gate's client for an OPA server given with ``--opa-url``: the policy set uploaded over
OPA's REST API through ``opa-python-client``, each input evaluated there, and the proof that
the server ran exactly these rules (:mod:`eksiam.gate.opa.proof`).

Everything fails closed: an unreachable server, a rejected token, a policy that does not
compile, an undefined decision or a decision that evaluated no rule raises
:class:`~eksiam.errors.ToolError` (exit 3).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from opa_client.errors import RegoParseError, TypeException
from opa_client.opa import OpaClient

from eksiam.errors import ToolError
from eksiam.gate import limits
from eksiam.gate.inputs import InputDocument
from eksiam.gate.opa.decision import DocumentDecision, decision_from_result
from eksiam.gate.opa.modules import function_cycle, upload_order
from eksiam.gate.opa.proof import check_server_holds
from eksiam.gate.opa.transport import TOKEN_ENV, OpaEndpoint, opa_message, timed_out

log = logging.getLogger(__name__)

DECISION_PACKAGE = "eksiam/main"
CONFIG_DATA_PATH = "eksiam/config"


@dataclass(frozen=True)
class HeldPolicy:
    """A module an OPA server holds: its source, and its package (``data.eksiam.rules``)."""

    raw: str
    package: str = ""


def held_policies(listing: Any) -> dict[str, HeldPolicy]:
    """The modules of ``GET /v1/policies``'s answer, by id. An entry of another shape is left
    out: it is then not held, and uploaded."""
    listed = listing.get("result") if isinstance(listing, dict) else None
    held: dict[str, HeldPolicy] = {}
    for entry in listed if isinstance(listed, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not isinstance(entry.get("raw"), str):
            continue
        ast = entry.get("ast")
        path = ast.get("package", {}).get("path") if isinstance(ast, dict) and isinstance(ast.get("package"), dict) else None
        terms = [term.get("value") for term in path] if isinstance(path, list) and all(isinstance(t, dict) for t in path) else []
        held[entry["id"]] = HeldPolicy(entry["raw"], ".".join(str(term) for term in terms))
    return held


class RestEvaluator:
    """Evaluates documents on the OPA server at ``opa_url``: uploads the policy set (what the
    server does not hold byte for byte already) and ``data.eksiam.config`` (when given),
    authenticating with ``token`` or, when not given, ``$EKSIAM_OPA_TOKEN``. ``timeout``
    (seconds per request) defaults to ``$EKSIAM_OPA_TIMEOUT``.

    The server is not ours: every decision must report exactly the rule ids the policy set
    declares, and every module the gate uploaded must read back byte for byte.
    """

    def __init__(
        self,
        policy_dir: str | Path,
        opa_url: str,
        *,
        modules: Mapping[str, str],
        known_rules: frozenset[str],
        token: str | None = None,
        policy_config: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        environ = os.environ if environ is None else environ
        self.policy_dir = Path(policy_dir)
        self.endpoint = OpaEndpoint.parse(opa_url)
        self._modules = dict(modules)
        self._known_rules = known_rules
        self._token = token if token is not None else (environ.get(TOKEN_ENV) or None)
        self.policy_config = policy_config
        self.timeout = limits.opa_timeout(environ) if timeout is None else timeout
        self._client: OpaClient | None = None
        self._stack = ExitStack()

    @property
    def url(self) -> str:
        return self.endpoint.url

    def __enter__(self) -> "RestEvaluator":
        try:
            client = OpaClient(
                host=self.endpoint.host, port=self.endpoint.port, ssl=self.endpoint.tls,
                token=self._token, timeout=self.timeout, retries=1,
            )
            self._stack.callback(client.close_connection)
            self._client = client
            # The first request: an unreachable server or a rejected token is reported as such,
            # not as a failure to upload the first policy.
            held: dict[str, HeldPolicy] = self._call("list the loaded policies", self._held_policies)
            self._load_policies(self._modules, held)
            if self.policy_config is not None:
                self._load_config()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._client = None
        self._stack.close()

    def _held_policies(self) -> dict[str, HeldPolicy]:
        """One ``GET /v1/policies``: OPA lists each module with its source and AST, which
        opa-python-client's own listing leaves out."""
        session = self._stack.enter_context(requests.Session())
        if self._token:
            session.headers["Authorization"] = f"Bearer {self._token}"
        response = session.get(f"{self.endpoint.url}/v1/policies", timeout=self.timeout)
        response.raise_for_status()
        return held_policies(response.json())

    def _load_policies(self, modules: Mapping[str, str], held: Mapping[str, HeldPolicy]) -> None:
        """Upload what the server does not hold byte for byte; a server holding the whole set
        (the embedded one, or an OPA server this gate loaded before) gets no upload at all."""
        client = self._require_client()
        self._remove_stale_policies(client, held, set(modules))
        # OPA compiles each upload against what is already loaded, so a rule calling a
        # lib function fails until the lib is in: modules go up after the packages they
        # import, and whatever still depends on a later module is retried in rounds until
        # nothing moves. (Every upload recompiles the whole set; a failed one costs two.)
        upload = {
            policy_id: modules[policy_id]
            for policy_id in upload_order(modules)
            if policy_id not in held or held[policy_id].raw != modules[policy_id]
        }
        log.debug("OPA at %s holds %d of %d policy modules already", self.url, len(modules) - len(upload), len(modules))
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
                cycle = function_cycle(failures, modules)
                if cycle:
                    raise ToolError(
                        f"policies {', '.join(str(self.policy_dir / m) for m in cycle)} depend on one another's "
                        "functions in a cycle: OPA's policy API compiles one module at a time, so none of them "
                        "can load; move the functions the cycle shares into one module"
                    )
                policy_id, error = next(iter(failures.items()))
                raise self._policy_error(policy_id, error) from None
            pending = {policy_id: modules[policy_id] for policy_id in failures}
        check_server_holds(
            upload,
            lambda policy_id: self._call(f"read back policy {policy_id}", lambda: client.get_policy(quote(policy_id, safe="/"))),
            self.url,
        )

    def _remove_stale_policies(self, client: OpaClient, held: Mapping[str, HeldPolicy], current: set[str]) -> None:
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
                    f"OPA at {self.url} holds a stale eksiam policy {policy_id!r} it will not delete "
                    f"({rejected.error.message}): remove it from that server, then rerun"
                ) from None

    def _load_config(self) -> None:
        client = self._require_client()
        try:
            self._call(
                "upload data.eksiam.config",
                lambda: client.update_or_create_data(dict(self.policy_config or {}), CONFIG_DATA_PATH),
            )
        except _RejectedPolicy as rejected:
            raise ToolError(
                f"OPA at {self.url} rejected data.eksiam.config ({rejected.error.message}): "
                "check that no policy defines rules under data.eksiam.config"
            ) from None

    def evaluate(self, document: InputDocument) -> DocumentDecision:
        """POST the raw document to ``/v1/data/eksiam/main`` and read its findings and rules."""
        client = self._require_client()
        response = self._call(
            f"evaluate data.eksiam.main on {document.path}",
            lambda: client.query_rule(input_data=document.data, package_path=DECISION_PACKAGE),
        )
        decision = response.get("result") if isinstance(response, dict) else None
        return decision_from_result(
            decision, document, self._known_rules, policy_dir=str(self.policy_dir), opa=f"OPA at {self.url}"
        )

    # -- transport errors --------------------------------------------------------------

    def _require_client(self) -> OpaClient:
        if self._client is None:
            raise RuntimeError("RestEvaluator is used outside its `with` block")
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
            detail = opa_message(error.response)
            if status == 404 and not detail.startswith("{"):
                detail += f" (is {self.url} an OPA server?)"
            raise ToolError(f"OPA at {self.url} failed to {action}: HTTP {status} {detail}") from None
        except (requests.ConnectionError, requests.Timeout) as error:
            if timed_out(error):
                raise ToolError(
                    f"OPA at {self.url} did not answer within {self.timeout:g}s when asked to {action}: "
                    f"check the server's load, or raise {limits.OPA_TIMEOUT_ENV} (seconds)"
                ) from None
            raise ToolError(
                f"cannot reach OPA at {self.url} to {action}: start the server there, "
                "or leave out --opa-url to use the embedded engine"
            ) from None
        except (requests.RequestException, ValueError, TypeException) as error:
            # Non-JSON answers (a proxy's HTML page) and other protocol surprises.
            raise ToolError(f"OPA at {self.url} gave an unusable answer when asked to {action}: {error}") from None

    def _unauthorized(self) -> ToolError:
        hint = f"set {TOKEN_ENV} to the server's bearer token" if not self._token else f"check {TOKEN_ENV}"
        return ToolError(f"OPA at {self.url} rejected the request as unauthorized (HTTP 401): {hint}")

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



class _RejectedPolicy(Exception):
    """OPA refused an upload (compile error); raised inside the gate so uploads can retry."""

    def __init__(self, error: RegoParseError) -> None:
        super().__init__(str(error))
        self.error = error
