# The one document the gate asks for (POST /v1/data/eksiam/main with the raw input): every
# finding of every rule, the ids of the rules evaluated, and the normalized view.
# `deny` repeats `findings` so that `conftest test --namespace eksiam.main` works too.
package eksiam.main

import rego.v1

import data.eksiam.lib.view

# Rule packages are eksiam.rules.<area>_<nnn>; their _test packages hold no deny rule.
# Iterating data.eksiam.rules[name].deny (not the packages themselves) evaluates only the
# deny rules, never the test rules beside them.
rule_packages := {name |
	_ = data.eksiam.rules[name].deny
	not endswith(name, "_test")
}

findings := [f |
	some name in sort(rule_packages)
	some f in data.eksiam.rules[name].deny
]

deny := {f | some f in findings}

# EKSIAM-NODE-001 <- node_001: ids follow from package names (tests/policy check both agree).
rules := sort([sprintf("EKSIAM-%s", [upper(replace(name, "_", "-"))]) | some name in rule_packages])

roles := view.roles

input_kind := view.kind
