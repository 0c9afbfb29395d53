"""eksiam's policy gate: evaluates synthesized, planned or live IAM roles with OPA and checkov."""
