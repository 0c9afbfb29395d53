# Settings the rules read from OPA data under data.eksiam.config, with the defaults that
# apply when the gate (or an HCP Terraform policy set) supplies none. See policy/README.md.
package eksiam.lib.config

import rego.v1

import data.eksiam.lib.settings

# The defaults are generated from eksiam/settings.py, the one declaration of every setting.
defaults := settings.defaults

# Read data.eksiam.config directly (never data.eksiam as a whole: that would evaluate
# every rule package, including the ones that read this setting).
default config := {}

config := data.eksiam.config if is_object(data.eksiam.config)

# Where settings cannot be given as JSON data (an HCP Terraform policy set), a Rego file of
# the set may define them instead, as `package eksiam.overrides` with `node := {…}` etc.
default overrides := {}

overrides := data.eksiam.overrides if is_object(data.eksiam.overrides)

# setting(kind, key): the value from data, else from the overrides package, else the
# documented default (absent and null both mean "not set").
setting(kind, key) := value if {
	value := object.get(config, [kind, key], null)
	value != null
} else := value if {
	value := object.get(overrides, [kind, key], null)
	value != null
} else := defaults[kind][key]
