"""The gate's OPA engine: the Rego in ``policy/`` evaluated over OPA's REST API.

* :mod:`~eksiam.gate.opa.client` — the gate's side: loads the policy set and evaluates inputs
  through ``opa-python-client``, against a real OPA server (``--opa-url``) or the endpoint below;
* :mod:`~eksiam.gate.opa.endpoint` — OPA's REST API on 127.0.0.1 (random port and token);
* :mod:`~eksiam.gate.opa.engine` — the store behind it, compiled and evaluated by the OPA Go
  library (``opa_bindings``), so evaluation has OPA's exact semantics;
* :mod:`~eksiam.gate.opa.modules` — the policy set's modules, read and ordered for upload.
"""

from eksiam.gate.opa.client import (
    DocumentDecision,
    OpaEndpoint,
    OpaGate,
    OpaOutcome,
    run_opa,
)
from eksiam.gate.opa.modules import policy_modules

__all__ = ["DocumentDecision", "OpaEndpoint", "OpaGate", "OpaOutcome", "policy_modules", "run_opa"]
