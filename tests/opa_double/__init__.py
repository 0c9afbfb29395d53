"""A stand-in for an OPA server, to test ``eksiam check --opa-url``: OPA's REST API on
127.0.0.1 (the subset opa-python-client drives, with OPA's status codes and shapes), behind a
random bearer token, answered by the OPA Go library (``opa_bindings``) so evaluation has OPA's
exact semantics. No ``opa`` binary is installed here; the gate itself evaluates in-process."""

from tests.opa_double.endpoint import OpaServerDouble

__all__ = ["OpaServerDouble"]
