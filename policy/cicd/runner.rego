# cisandbox's decision, for OPA: data.cicd.runner is {"allow": ..., "deny": [...]}, the
# OPA-style answer cisandbox takes from a decision program (cisandbox-profile(5), POLICY
# INPUT). The blueprint's three examples, adapted to cisandbox's input (schema v1), are in the
# files beside this one; each adds its reasons to deny, and the run is allowed when none does.
#
#   opa eval --stdin-input -d /usr/share/cisandbox/policy/cicd 'data.cicd.runner' < input.json
#   opa run --server /usr/share/cisandbox/policy/cicd
package cicd.runner

import rego.v1

default allow := false

allow if count(deny) == 0
