# HCP Terraform OPA policy set: attach the policy/ directory (this file at its root),
# to selected workspaces or organization-wide: a plan without EKS roles passes every
# policy. One policy per rule; each query returns the rule's findings as an array of
# strings, empty when the rule passes (see hcp.rego). CRITICAL and HIGH rules are
# mandatory, the rest advisory. The free edition's form (two policies) is written by
# `python -m eksiam.gate.rules_doc --free-tier-set DIR`. Generated with RULES.md by
# `python -m eksiam.gate.rules_doc`.

policy "eksiam-connector-001" {
  query             = "data.eksiam.hcp.messages.connector_001"
  enforcement_level = "mandatory"
}

policy "eksiam-connector-002" {
  query             = "data.eksiam.hcp.messages.connector_002"
  enforcement_level = "mandatory"
}

policy "eksiam-connector-003" {
  query             = "data.eksiam.hcp.messages.connector_003"
  enforcement_level = "mandatory"
}

policy "eksiam-connector-004" {
  query             = "data.eksiam.hcp.messages.connector_004"
  enforcement_level = "mandatory"
}

policy "eksiam-connector-005" {
  query             = "data.eksiam.hcp.messages.connector_005"
  enforcement_level = "advisory"
}

policy "eksiam-input-001" {
  query             = "data.eksiam.hcp.messages.input_001"
  enforcement_level = "mandatory"
}

policy "eksiam-input-002" {
  query             = "data.eksiam.hcp.messages.input_002"
  enforcement_level = "mandatory"
}

policy "eksiam-input-003" {
  query             = "data.eksiam.hcp.messages.input_003"
  enforcement_level = "mandatory"
}

policy "eksiam-input-004" {
  query             = "data.eksiam.hcp.messages.input_004"
  enforcement_level = "mandatory"
}

policy "eksiam-input-005" {
  query             = "data.eksiam.hcp.messages.input_005"
  enforcement_level = "mandatory"
}

policy "eksiam-node-001" {
  query             = "data.eksiam.hcp.messages.node_001"
  enforcement_level = "mandatory"
}

policy "eksiam-node-002" {
  query             = "data.eksiam.hcp.messages.node_002"
  enforcement_level = "mandatory"
}

policy "eksiam-node-003" {
  query             = "data.eksiam.hcp.messages.node_003"
  enforcement_level = "mandatory"
}

policy "eksiam-node-004" {
  query             = "data.eksiam.hcp.messages.node_004"
  enforcement_level = "mandatory"
}

policy "eksiam-node-005" {
  query             = "data.eksiam.hcp.messages.node_005"
  enforcement_level = "advisory"
}

policy "eksiam-role-001" {
  query             = "data.eksiam.hcp.messages.role_001"
  enforcement_level = "mandatory"
}

policy "eksiam-role-002" {
  query             = "data.eksiam.hcp.messages.role_002"
  enforcement_level = "advisory"
}

policy "eksiam-role-003" {
  query             = "data.eksiam.hcp.messages.role_003"
  enforcement_level = "mandatory"
}

policy "eksiam-role-004" {
  query             = "data.eksiam.hcp.messages.role_004"
  enforcement_level = "mandatory"
}
