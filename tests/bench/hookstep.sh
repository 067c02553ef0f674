#!/bin/sh
# One GitHub Actions step through the container hook, as the runner drives it: prepare_job,
# run_script_step (sh -e on a script in _work/_temp), cleanup_job, each one node process running
# container-hook.js with one line of JSON on stdin (see tests/integration/test_hook.c).
#   hookstep.sh setup DIR NODE HOOK PROFILE   make a runner layout under DIR
#   hookstep.sh run DIR                       one job of one step
#   hookstep.sh step DIR                      one more step of a prepared job
#   hookstep.sh shell DIR CISANDBOX           the same step in shell: mode (--profile github)
set -eu
cmd=$1 R=$2
W=$R/_work T=$R/_work/_temp WS=$R/_work/repo/repo
call() { # COMMAND ARGS-JSON
	mkdir -p "$T/_runner_hook_responses"
	: >"$T/_runner_hook_responses/r.json"
	printf '{"command":"%s","responseFile":"%s","args":%s,"state":null}\n' \
		"$1" "$T/_runner_hook_responses/r.json" "$2" |
		(cd "$WS" && env -i PATH=/usr/bin:/bin HOME="$R" CISANDBOX_GITHUB_DIR="$R/state" \
			CISANDBOX_PROFILE="$R/bench-hook.json" GITHUB_WORKSPACE="$WS" \
			RUNNER_TEMP="$T" RUNNER_TOOL_CACHE="$W/_tool" \
			"$R/externals/node20/bin/node" "$(cat "$R/hook")") >/dev/null
}
case $cmd in
setup)
	mkdir -p "$R/externals/node20/bin" "$WS" "$T/_runner_file_commands" "$T/_github_home" \
		"$T/_github_workflow" "$W/_actions" "$W/_tool"
	cp "$3" "$R/externals/node20/bin/node"
	echo "$4" >"$R/hook"
	printf '{"extends": "%s", "network": {"dns_upstream": ["198.51.100.53"]}}\n' "$5" \
		>"$R/bench-hook.json"
	printf 'true\n' >"$T/step.sh"
	;;
run)
	call prepare_job '{"container":{"image":"ubuntu"},"services":[]}'
	sh "$0" step "$R"
	call cleanup_job '{}'
	;;
step)
	call run_script_step '{"entryPoint":"sh","entryPointArgs":["-e","/__w/_temp/step.sh"],
		"environmentVariables":{"GITHUB_WORKSPACE":"/__w/repo/repo"},"prependPath":[],
		"workingDirectory":"/__w/repo/repo"}'
	;;
prepare)
	call prepare_job '{"container":{"image":"ubuntu"},"services":[]}'
	;;
shell)
	cd "$WS" && env -i PATH=/usr/bin:/bin GITHUB_WORKSPACE="$WS" RUNNER_TEMP="$T" \
		"$3" run --profile github --dns-upstream 198.51.100.53 -- sh -e "$T/step.sh"
	;;
esac
