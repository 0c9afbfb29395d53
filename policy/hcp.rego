# HCP Terraform OPA policy sets need each policy query to return an array, empty when the
# policy passes; its UI shows the array's entries. `messages.<package>` is that array for
# each rule, as one readable line per finding (see policies.hcl).
package eksiam.hcp

import rego.v1

messages[name] := sort([sprintf("%s %s: %s", [f.id, f.severity, f.msg]) | some f in findings]) if {
	findings := data.eksiam.rules[name].deny
	not endswith(name, "_test")
}
