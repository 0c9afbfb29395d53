# Generated from eksiam/settings.py by `python -m eksiam.generated`: do not edit.
# The defaults of every setting the rules read under data.eksiam.config (lib/config.rego).
package eksiam.lib.settings

import rego.v1

defaults := {
	"connector": {
		"enabled": true,
		"path": "",
		"permissions_boundary": "",
		"role_name": "AmazonEKSConnectorAgentRole"
	},
	"gate": {
		"max_waiver_days": 90,
		"require_roles": []
	},
	"node": {
		"additional_policy_arns": [],
		"allow_ipv6_cni": false,
		"allow_ssm_managed_instance_core": false,
		"cni_policy_on_irsa": false,
		"enabled": true,
		"path": "",
		"permissions_boundary": "",
		"role_name": "NodeInstanceRole"
	}
}
