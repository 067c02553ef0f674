# Blueprint example 2: only runners labelled ephemeral. cisandbox's labels are
# "profile:NAME", "tier:TIER", the profile's policy.labels (what the operator says of its
# runner) and the runner's own: $CISANDBOX_RUNNER_LABELS and GitLab's CI_RUNNER_TAGS.
package cicd.runner

import rego.v1

labelled_ephemeral if "ephemeral" in input.job.labels

deny contains "the runner is not labelled ephemeral" if not labelled_ephemeral
