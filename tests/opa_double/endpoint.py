"""OPA's REST API on 127.0.0.1, answered by the OPA Go library itself (``opa_bindings``): the
subset of OPA's REST API the gate's ``--opa-url`` client uses, with OPA's status codes and
response shapes, on a random loopback port behind a random bearer token."""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import socket
import threading
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from opa_bindings import OpaError

from eksiam.errors import ToolError
from tests.opa_double.engine import ApiError, PolicyStore

log = logging.getLogger(__name__)


class _OpaRequestHandler(BaseHTTPRequestHandler):
    """The subset of OPA's REST API that opa-python-client drives, with OPA's shapes."""

    server: "_OpaHttpServer"
    protocol_version = "HTTP/1.1"  # keep-alive, as OPA; every response states its length
    timeout = 300  # an idle keep-alive connection must not pin a thread forever
    max_body_bytes = 256 * 1024 * 1024

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in two writes; without this, Nagle's algorithm meets the
        # client's delayed ACK and every response waits ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("OPA double: " + format, *args)

    def _dispatch(self, method: str) -> None:
        try:
            if not self._authorized():
                # The body stays unread, so this connection cannot carry another request.
                self.close_connection = True
                raise ApiError(HTTPStatus.UNAUTHORIZED, "unauthorized", "request rejected by administrative policy")
            status, payload = self._route(method, self._read_body())
        except ApiError as error:
            status, payload = error.status, error.body
        except Exception as error:  # never a traceback on the wire or on stderr
            log.debug("OPA double: %s %s failed", method, self.path, exc_info=True)
            status, payload = HTTPStatus.INTERNAL_SERVER_ERROR, {"code": "internal_error", "message": str(error)}
        self._respond(status, payload)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.close_connection = True
            raise ApiError(HTTPStatus.LENGTH_REQUIRED, "invalid_parameter", "send a Content-Length, not a chunked body")
        length_header = self.headers.get("Content-Length") or "0"
        try:
            length = int(length_header)
        except ValueError:
            self.close_connection = True
            raise ApiError(HTTPStatus.BAD_REQUEST, "invalid_parameter", "bad Content-Length") from None
        if length > self.max_body_bytes:
            self.close_connection = True
            raise ApiError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "invalid_parameter", "request body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _authorized(self) -> bool:
        scheme, _, credentials = (self.headers.get("Authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            credentials.strip().encode(), self.server.token.encode()
        )

    def _route(self, method: str, body: bytes) -> tuple[HTTPStatus, dict[str, Any] | None]:
        url = urlsplit(self.path)
        path, store = url.path, self.server.store
        if path == "/health" and method == "GET":
            return HTTPStatus.OK, {}
        if path in ("/v1/policies", "/v1/policies/"):
            self._allow(method, "GET")
            return HTTPStatus.OK, {"result": store.list_policies()}
        if path.startswith("/v1/policies/"):
            policy_id = unquote(path[len("/v1/policies/"):])
            self._allow(method, "GET", "PUT", "DELETE")
            if method == "GET":
                return HTTPStatus.OK, {"result": store.get_policy(policy_id)}
            if method == "DELETE":
                store.delete_policy(policy_id)
                return HTTPStatus.OK, {}
            store.put_policy(policy_id, _decode_text(body))
            return HTTPStatus.OK, {}
        if path == "/v1/data" or path.startswith("/v1/data/"):
            data_path = [unquote(s) for s in path[len("/v1/data"):].split("/") if s]
            self._allow(method, "GET", "POST", "PUT", "DELETE")
            if method == "PUT":
                store.put_data(data_path, _decode_json(body))
                return HTTPStatus.NO_CONTENT, None
            if method == "DELETE":
                store.delete_data(data_path)
                return HTTPStatus.NO_CONTENT, None
            return self._evaluate(store, data_path, body if method == "POST" else b"")
        if path == "/v1/query":
            self._allow(method, "GET", "POST")
            if method == "GET":
                query, input_document = (parse_qs(url.query).get("q") or [""])[0], None
            else:
                request = _decode_json(body) if body.strip() else {}
                if not isinstance(request, dict):
                    raise ApiError(HTTPStatus.BAD_REQUEST, "invalid_parameter", "request body must be an object")
                query, input_document = request.get("query", ""), request.get("input")
            if not isinstance(query, str) or not query.strip():
                raise ApiError(HTTPStatus.BAD_REQUEST, "invalid_parameter", "missing required 'query' value")
            bindings = store.query(query, input_document)
            # OPA omits "result" when the query has no result.
            return HTTPStatus.OK, ({"result": bindings} if bindings else {})
        raise ApiError(HTTPStatus.NOT_FOUND, "resource_not_found", f"{method} {path} is not an OPA API endpoint")

    @staticmethod
    def _evaluate(store: PolicyStore, data_path: list[str], body: bytes) -> tuple[HTTPStatus, dict[str, Any]]:
        response: dict[str, Any] = {}
        input_document = None
        if body.strip():
            request = _decode_json(body)
            if not isinstance(request, dict):
                raise ApiError(HTTPStatus.BAD_REQUEST, "invalid_parameter", "request body must be an object")
            if "input" in request:
                input_document = request["input"]
            else:
                response["warning"] = {"code": "api_usage_warning", "message": "'input' key missing from the request"}
        defined, value = store.evaluate(data_path, input_document)
        if defined:  # as OPA: an undefined document has no "result" key at all
            response["result"] = value
        return HTTPStatus.OK, response

    @staticmethod
    def _allow(method: str, *allowed: str) -> None:
        if method not in allowed:
            raise ApiError(HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed", f"{method} is not allowed here")

    def _respond(self, status: HTTPStatus, payload: dict[str, Any] | None) -> None:
        self.send_response(status)
        if payload is None:  # 204: no body, and no length to state
            self.end_headers()
            return
        encoded = json.dumps(payload).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(encoded)))
        self.end_headers()
        self.wfile.write(encoded)


def _decode_text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(HTTPStatus.BAD_REQUEST, "invalid_parameter", "policy is not UTF-8 text") from None


def _decode_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ApiError(HTTPStatus.BAD_REQUEST, "invalid_parameter", f"body is not JSON: {error}") from None


class _OpaHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    # Do not join handler threads on close: an idle keep-alive connection would block the
    # gate's exit. The store's lock keeps a late request from touching a closed engine.
    block_on_close = False

    def __init__(self, store: PolicyStore, token: str) -> None:
        self.store = store
        self.token = token
        super().__init__(("127.0.0.1", 0), _OpaRequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("OPA double: connection from %s failed", client_address, exc_info=True)


class OpaServerDouble:
    """OPA's REST API on ``127.0.0.1:<free port>``, requiring ``Authorization: Bearer <token>``.

    Behaves as ``opa run --server --authentication=token --authorization=basic`` with a
    policy that admits only its own random token, so nothing else on the machine can read
    or change what the gate evaluates. Use it as a context manager: the listening socket is
    open when ``__enter__`` returns, and on exit the server stops and the engine is closed.

    ``policies`` (id -> Rego source) are loaded at start in one compile, as ``opa run --server``
    loads the files it is given; :attr:`policies` says what the server holds.
    """

    def __init__(self, policies: Mapping[str, str] | None = None) -> None:
        self._initial_policies = dict(policies or {})
        self.token = secrets.token_urlsafe(32)
        self._store: PolicyStore | None = None
        self._http: _OpaHttpServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._http is None:
            raise RuntimeError("the OPA double is not running")
        return self._http.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def policies(self) -> dict[str, str]:
        """The modules the server holds now, by id."""
        if self._store is None:
            raise RuntimeError("the OPA double is not running")
        return self._store.policies

    def start(self) -> "OpaServerDouble":
        if self._http is not None:
            return self
        try:
            self._store = PolicyStore(self._initial_policies)
            # Binding and listening happen here, so the port accepts connections (queued in
            # the backlog) before the serving thread even starts: no readiness wait needed.
            self._http = _OpaHttpServer(self._store, self.token)
        except (OpaError, OSError) as error:
            self.stop()
            raise ToolError(f"cannot start the OPA double: {error}: check the opa_bindings install") from None
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.1}, name="eksiam-opa-double", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        http, thread, store = self._http, self._thread, self._store
        self._http = self._thread = self._store = None
        if http is not None:
            if thread is not None:
                http.shutdown()  # waits for serve_forever to return
                thread.join()
            http.server_close()
        if store is not None:
            store.close()

    def __enter__(self) -> "OpaServerDouble":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
