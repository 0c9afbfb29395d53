"""The Rego policies and custom checkov checks, shipped inside the wheel as ``eksiam.policy``.

Package data only (nothing here is Python the gate imports): the gate finds these files
with importlib.resources, and OPA, conftest and HCP Terraform read them as they are.
"""
