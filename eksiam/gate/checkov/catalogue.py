"""What eksiam knows of checkov's built-in checks offline: their severity and a one-sentence fix."""

from __future__ import annotations

from eksiam.gate.findings import Severity

ENGINE = "checkov"
BUILTIN_SEVERITY = Severity.HIGH
POLICY_INDEX_URL = "https://www.checkov.io/5.Policy%20Index/terraform.html"

# Offline, checkov's built-in checks carry no guideline: a fix in one sentence for those that
# bear on these roles (others get a generic sentence naming the check).
BUILTIN_REMEDIATION = {
    "CKV_AWS_60": "Trust only specific services or principals in the role's trust policy, never \"*\".",
    "CKV_AWS_61": "Do not trust a whole account's root in the trust policy; trust the service the role is for.",
    "CKV_AWS_62": "Remove \"Action\": \"*\" on \"Resource\": \"*\" from the policy.",
    "CKV_AWS_63": "Replace \"*\" actions with the specific actions the role needs.",
    "CKV_AWS_274": "Detach the AdministratorAccess managed policy from the role.",
    "CKV_AWS_286": "Remove the actions that let the role escalate its own privileges (iam:Put*, iam:Attach*, iam:PassRole …).",
    "CKV_AWS_287": "Remove the actions that expose credentials, or scope them to specific resources.",
    "CKV_AWS_288": "Remove the actions that allow data exfiltration, or scope them to specific resources.",
    "CKV_AWS_289": "Scope permissions-management and resource-policy actions to specific resources.",
    "CKV_AWS_290": "Scope write actions to specific resources instead of \"*\".",
    "CKV_AWS_355": "Scope actions that support resource-level permissions to specific resources instead of \"*\".",
    "CKV2_AWS_40": "Remove iam:* from the policy.",
    "CKV2_AWS_56": "Detach the IAMFullAccess managed policy from the role.",
}
SEVERITY_ALIASES = {"INFO": "LOW", "NONE": "LOW", "MODERATE": "MEDIUM", "IMPORTANT": "HIGH"}
