"""The gate's OPA engine: the Rego in ``policy/`` evaluated by OPA.

* :mod:`~eksiam.gate.opa.client` — one interface, :func:`open_opa` and :func:`run_opa`;
* :mod:`~eksiam.gate.opa.inprocess` — the default: the policy set compiled once by the OPA Go
  library (``opa_bindings``) in this process, each input evaluated against it;
* :mod:`~eksiam.gate.opa.rest` — an OPA server given with ``--opa-url`` (opa-python-client);
* :mod:`~eksiam.gate.opa.decision` and :mod:`~eksiam.gate.opa.proof` — what a decision must
  show before the gate believes it;
* :mod:`~eksiam.gate.opa.modules` — the policy set's modules, read and ordered for upload.
"""

from eksiam.gate.opa.client import Evaluator, evaluate_all, open_opa, run_opa
from eksiam.gate.opa.decision import DocumentDecision, OpaOutcome
from eksiam.gate.opa.modules import policy_modules
from eksiam.gate.opa.transport import OpaEndpoint

__all__ = ["DocumentDecision", "Evaluator", "evaluate_all", "OpaEndpoint", "OpaOutcome", "open_opa", "policy_modules", "run_opa"]
