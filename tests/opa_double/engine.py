"""The OPA double's policy and data store, compiled and evaluated by the OPA Go library.

What the REST endpoint (:mod:`tests.opa_double.endpoint`) serves: policies and data kept as
OPA keeps them, every change compiled by ``opa_bindings`` (OPA 1.20) before it is accepted,
and errors in the shapes OPA's REST API gives them.
"""


import json
import logging
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from opa_bindings import OpaEngine, OpaError

log = logging.getLogger(__name__)




class ApiError(Exception):
    """An error response in OPA's shape: ``{"code", "message", "errors"?}``."""

    def __init__(self, status: HTTPStatus, code: str, message: str, errors: list[Any] | None = None):
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"code": code, "message": message}
        if errors:
            self.body["errors"] = errors


# "prepare_error: bundle activation failed: 2 errors occurred:" and the like.
_ERRORS_HEADER = re.compile(r"^.*?\d+ errors? occurred:\s*")
# OPA prints a location as "file:row" when it knows the file, else as "row:col".
_LOCATED_ERROR = re.compile(
    r"^(?:(?P<query_row>\d+):(?P<query_col>\d+)|(?P<file>.+?):(?P<row>\d+)): "
    r"(?P<code>[a-z_]+): (?P<message>.*)$"
)


def _engine_errors(message: str) -> list[dict[str, Any]]:
    """Turn the engine's error text back into OPA's structured ``errors`` list.

    The Go library reports ast.Errors as their string form; the REST API reports them as
    objects with a location, which is what clients (and our own error messages) rely on.
    """
    errors: list[dict[str, Any]] = []
    for line in _ERRORS_HEADER.sub("", message, count=1).splitlines():
        if line.startswith("\t"):
            if errors:  # context lines: the source line, then a caret under the column
                details = errors[-1].setdefault("details", {})
                if "line" not in details:
                    details["line"] = line[1:]
                elif "^" in line and "idx" not in details:
                    details["idx"] = line.index("^") - 1
                    errors[-1]["location"].setdefault("col", details["idx"] + 1)
            continue
        match = _LOCATED_ERROR.match(line)
        if not match:
            if errors:
                errors[-1]["message"] += "\n" + line
            continue
        if match["file"] is not None:
            location: dict[str, Any] = {"file": match["file"], "row": int(match["row"])}
        else:
            location = {"file": "", "row": int(match["query_row"]), "col": int(match["query_col"])}
        errors.append({"code": match["code"], "message": match["message"], "location": location})
    return errors


def _compile_error(error: OpaError, what: str) -> ApiError:
    return ApiError(
        HTTPStatus.BAD_REQUEST,
        "invalid_parameter",
        f"error(s) occurred while compiling {what}",
        _engine_errors(error.message) or [{"code": error.code, "message": error.message}],
    )


@dataclass(frozen=True)
class _PolicyModule:
    id: str
    raw: str


def _data_ref(path: Sequence[str]) -> str:
    # Bracketed string keys address any segment, even one that is not a Rego identifier;
    # Rego string literals accept JSON string syntax.
    return "data" + "".join(f"[{json.dumps(segment)}]" for segment in path)


class PolicyStore:
    """The policies and data the server holds, and the engine compiled from them.

    OPA activates a change only when the whole policy set still compiles. The engine
    parses in ``add_policy`` but compiles at the next evaluation, and a module that fails
    to compile stays in it. So a new or replaced module is added to the live engine and
    compiled at once (cheap: nothing else is re-parsed); when that fails, the live engine
    is rebuilt from the last good state. Deletions and data writes, which the engine
    cannot express (it only adds modules and deep-merges data), rebuild a fresh engine and
    swap it in only when it compiles.
    """

    def __init__(self, policies: Mapping[str, str] | None = None) -> None:
        self._lock = threading.Lock()
        self._modules: dict[str, _PolicyModule] = {}
        self._data: dict[str, Any] = {}
        self._engine: OpaEngine | None = None
        if policies:
            # As `opa run --server FILES`: the whole set compiled once. A set that does not
            # compile is not loaded; uploaded one module at a time, it gets OPA's located errors.
            initial = {policy_id: _PolicyModule(policy_id, raw) for policy_id, raw in policies.items()}
            try:
                self._engine = self._compile(initial, self._data)
                self._modules = initial
            except OpaError as error:
                log.debug("OPA double: the initial policy set does not compile, starting empty: %s", error.message)
        if self._engine is None:
            self._engine = self._compile(self._modules, self._data)
        # Parses modules for the AST clients read; kept empty so parsing never recompiles
        # the policy set.
        self._parser: OpaEngine | None = OpaEngine()

    @staticmethod
    def _compile(modules: Mapping[str, _PolicyModule], data: Mapping[str, Any]) -> OpaEngine:
        engine = OpaEngine()
        engine.print_handler = lambda message, location: log.debug("rego print %s: %s", location, message)
        try:
            for module in modules.values():
                engine.add_policy(module.id, module.raw)
            engine.add_data(dict(data))
            engine.eval_query("true")  # add_policy only parses: this compiles the whole set
        except BaseException:
            engine.close()
            raise
        return engine

    def _swap(self, modules: dict[str, _PolicyModule], data: dict[str, Any], what: str) -> None:
        try:
            engine = self._compile(modules, data)
        except OpaError as error:
            raise _compile_error(error, what) from None
        if self._engine is not None:
            self._engine.close()
        self._engine, self._modules, self._data = engine, modules, data

    def _open_engine(self) -> OpaEngine:
        if self._engine is None:
            raise ApiError(HTTPStatus.SERVICE_UNAVAILABLE, "internal_error", "server is shutting down")
        return self._engine

    def put_policy(self, policy_id: str, raw: str) -> None:
        with self._lock:
            engine = self._open_engine()
            try:
                engine.add_policy(policy_id, raw)
                engine.eval_query("true")
            except OpaError as error:
                rejected = _compile_error(error, "module(s)")
                engine.close()
                self._engine = None
                self._engine = self._compile(self._modules, self._data)  # compiled before: compiles again
                raise rejected from None
            self._modules[policy_id] = _PolicyModule(policy_id, raw)

    def _to_json(self, module: _PolicyModule) -> dict[str, Any]:
        # Parsed when a client reads it, not on upload: the gate itself never does.
        return {"id": module.id, "raw": module.raw, "ast": self._parse(module.id, module.raw)}

    def _parse(self, policy_id: str, raw: str) -> Mapping[str, Any]:
        # The AST (package path, rule names) comes from OPA's own parser, as OPA serves it.
        if self._parser is None:
            return {}
        try:
            parsed = self._parser.eval_query(
                "ast := rego.parse_module(input.id, input.raw)", {"id": policy_id, "raw": raw}
            )
        except OpaError:
            return {}
        return parsed[0]["ast"] if parsed else {}

    def delete_policy(self, policy_id: str) -> None:
        with self._lock:
            self._open_engine()
            if policy_id not in self._modules:
                raise _policy_not_found(policy_id)
            modules = {k: v for k, v in self._modules.items() if k != policy_id}
            self._swap(modules, self._data, "module(s)")

    @property
    def policies(self) -> dict[str, str]:
        """Every module held, by id: its source."""
        with self._lock:
            return {policy_id: module.raw for policy_id, module in self._modules.items()}

    def get_policy(self, policy_id: str) -> dict[str, Any]:
        with self._lock:
            if policy_id not in self._modules:
                raise _policy_not_found(policy_id)
            return self._to_json(self._modules[policy_id])

    def list_policies(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self._to_json(module) for module in self._modules.values()]

    def put_data(self, path: Sequence[str], value: Any) -> None:
        with self._lock:
            self._open_engine()
            if not path:
                if not isinstance(value, dict):
                    raise ApiError(HTTPStatus.BAD_REQUEST, "invalid_parameter", "root document must be an object")
                data = json.loads(json.dumps(value))
            else:
                data = json.loads(json.dumps(self._data))  # deep copy: a failed swap changes nothing
                parent = data
                for segment in path[:-1]:
                    parent = parent.setdefault(segment, {})
                    if not isinstance(parent, dict):
                        raise ApiError(
                            HTTPStatus.BAD_REQUEST,
                            "invalid_parameter",
                            f"write conflict: /{'/'.join(path)} is below a value that is not an object",
                        )
                parent[path[-1]] = value
            self._swap(self._modules, data, "data")

    def delete_data(self, path: Sequence[str]) -> None:
        with self._lock:
            self._open_engine()
            data = json.loads(json.dumps(self._data))
            parent: Any = data
            for segment in path[:-1]:
                parent = parent.get(segment) if isinstance(parent, dict) else None
            if not path or not isinstance(parent, dict) or path[-1] not in parent:
                raise ApiError(
                    HTTPStatus.NOT_FOUND,
                    "resource_not_found",
                    f"storage_not_found_error: /{'/'.join(path)}: document does not exist",
                )
            del parent[path[-1]]
            self._swap(self._modules, data, "data")

    def evaluate(self, path: Sequence[str], input_document: Any) -> tuple[bool, Any]:
        """The value of ``data.<path>`` and whether it is defined."""
        bindings = self.query(f"result := {_data_ref(path)}", input_document)
        return (True, bindings[0]["result"]) if bindings else (False, None)

    def query(self, query: str, input_document: Any) -> list[dict[str, Any]]:
        with self._lock:
            engine = self._open_engine()
            try:
                results: list[dict[str, Any]] = engine.eval_query(query, input_document)
                return results
            except OpaError as error:
                raise _eval_error(error) from None

    def close(self) -> None:
        with self._lock:
            for engine in (self._engine, self._parser):
                if engine is not None:
                    engine.close()
            self._engine = self._parser = None


def _policy_not_found(policy_id: str) -> ApiError:
    return ApiError(
        HTTPStatus.NOT_FOUND, "resource_not_found", f"storage_not_found_error: policy id {json.dumps(policy_id)}"
    )


def _eval_error(error: OpaError) -> ApiError:
    # As OPA's server: a query that does not compile is the caller's mistake (400), an
    # error while evaluating (conflicts, builtin errors in strict mode) is a 500.
    if error.code == "prepare_error":
        return _compile_error(error, "query")
    return ApiError(
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "internal_error",
        error.message,
        _engine_errors(error.message),
    )


