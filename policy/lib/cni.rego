# Whether the VPC CNI has its own permissions, so that the node role need not carry them (the
# node page's "(Optional) If you don't use IRSA or EKS Pod Identity …"): declared by the
# configuration or the role, or shown by the same input.
package eksiam.lib.cni

import rego.v1

import data.eksiam.lib.declared
import data.eksiam.lib.iam
import data.eksiam.lib.permissions

# The VPC CNI's Kubernetes service account.
service_account := "system:serviceaccount:kube-system:aws-node"

cni_policy := "AmazonEKS_CNI_Policy"

elsewhere(role) if declared.opted_in(role, "cni-on-irsa")

elsewhere(_) if count(irsa_roles) > 0

elsewhere(_) if count(pod_identity_associations) > 0

# An IRSA role the aws-node service account assumes, carrying the CNI permissions.
irsa_roles contains role.resource if {
	some role in data.eksiam.lib.view.roles
	some s in role.trust_statements
	s.effect == "Allow"
	some p in s.principals
	p.type == "Federated"
	some operator, values in s.condition
	startswith(lower(operator), "stringequals")
	some key, value in values
	endswith(key, ":sub")
	service_account in iam.as_list(value)
	permissions.covers(role, cni_policy)
}

# An EKS Pod Identity association of aws-node in kube-system (Terraform inputs).
pod_identity_associations contains r.address if {
	data.eksiam.lib.view.kind in {"synth", "plan", "hcp"}
	some r in data.eksiam.lib.terraform.resources
	r.type == "aws_eks_pod_identity_association"
	object.get(r.values, "namespace", null) == "kube-system"
	object.get(r.values, "service_account", null) == "aws-node"
}
