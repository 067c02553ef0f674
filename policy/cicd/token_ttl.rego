# Blueprint example 3: job token TTL at most 60 minutes. token_ttl_minutes is how long a
# token the job holds can be used from inside it: 0 when no token reaches the job, else its
# time limit; absent when it has none (so this denies it).
package cicd.runner

import rego.v1

deny contains sprintf("job token TTL %v minutes is above 60", [input.job.token_ttl_minutes]) if {
	input.job.token_ttl_minutes > 60
}

deny contains "job tokens reach a job without a time limit" if {
	not is_number(input.job.token_ttl_minutes)
}
