#!/bin/sh
# forgejo-ephemeral.sh: one Forgejo runner for one job, the whole runner in a cisandbox
# sandbox (installed in $(LIBDIR) by make install).
#
# Forgejo's runner has no operator hook for host-mode steps, so the boundary against a pull
# request's workflow is the whole runner. Inside the sandbox the job can read the runner's
# registration (.runner: its uuid and token), so each job gets a registration of its own:
#   1. register a new runner, outside the sandbox, with a registration token read from a file
#      the sandbox never sees;
#   2. run `forgejo-runner one-job` in `cisandbox run --profile forgejo-runner` (or --profile),
#      in a fresh directory, with egress to the instance (by name) and what the profile allows;
#   3. remove the registration: the local directory always; the server's record too when
#      --api-token-file and --delete-url are given (otherwise Forgejo's
#      cron.cleanup_offline_runners removes it once it is offline, as Forgejo's own on-demand
#      example relies on).
# Run it from a loop, a systemd service or a timer, once per job.
set -eu

usage() {
	cat >&2 <<'EOF'
Usage: forgejo-ephemeral.sh --instance URL --token-file FILE [--labels LABELS] [--name NAME]
         [--profile NAME|PATH] [--dir BASE] [--runner PATH] [--cisandbox PATH]
         [--api-token-file FILE --delete-url URL-WITH-{id}] [-- CISANDBOX-RUN-OPTIONS...]
  --instance URL        the Forgejo instance, http(s)://HOST[:PORT]
  --token-file FILE     the runner registration token (kept out of the sandbox)
  --labels LABELS       runner labels (default: host:host)
  --dir BASE            where the per-job directory is made (default: $TMPDIR or /tmp)
  --delete-url URL      e.g. https://HOST/api/v1/admin/actions/runners/{id}, called with
                        DELETE and "Authorization: token $(cat --api-token-file)"
EOF
	exit 2
}

die() {
	echo "forgejo-ephemeral: $*" >&2
	exit 2
}

instance='' token_file='' labels='host:host' name="cisandbox-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
profile=forgejo-runner base=${TMPDIR:-/tmp} runner=forgejo-runner cis=cisandbox
api_token_file='' delete_url=''
while [ $# -gt 0 ]; do
	case $1 in
	--instance) instance=${2-} ;;
	--token-file) token_file=${2-} ;;
	--labels) labels=${2-} ;;
	--name) name=${2-} ;;
	--profile) profile=${2-} ;;
	--dir) base=${2-} ;;
	--runner) runner=${2-} ;;
	--cisandbox) cis=${2-} ;;
	--api-token-file) api_token_file=${2-} ;;
	--delete-url) delete_url=${2-} ;;
	--) shift; break ;;
	*) usage ;;
	esac
	[ $# -ge 2 ] || usage
	shift 2
done

# The instance, as an allow entry: HOST:PORT.
hostport=$(printf '%s\n' "$instance" | sed -n 's#^\(https\{0,1\}\)://\([A-Za-z0-9.-]*\)\(:[0-9]*\)\{0,1\}/\{0,1\}$#\1 \2 \3#p')
[ -n "$hostport" ] || die "--instance $instance: not http(s)://HOST[:PORT]"
scheme=${hostport%% *} rest=${hostport#* }
host=${rest%% *} port=${rest#* }
port=${port#:}
[ -n "$port" ] || { [ "$scheme" = https ] && port=443 || port=80; }
[ -r "$token_file" ] || die "--token-file $token_file: not readable"
if [ -n "$api_token_file$delete_url" ]; then
	[ -r "$api_token_file" ] || die "--api-token-file $api_token_file: not readable"
	case $delete_url in *'{id}'*) ;; *) die "--delete-url: must contain {id}" ;; esac
fi
runner=$(command -v "$runner") || die "--runner: not found"
cis=$(command -v "$cis") || die "--cisandbox: not found"

job=$(mktemp -d "$base/forgejo-job.XXXXXX")
chmod 700 "$job"
registered=no
cleanup() {
	if [ "$registered" = yes ] && [ -n "$delete_url" ]; then
		id=$(sed -n 's/^ *"id": *\([0-9][0-9]*\).*/\1/p' "$job/.runner" 2>/dev/null | head -n 1)
		if [ -n "$id" ]; then
			url=$(printf '%s\n' "$delete_url" | sed "s/{id}/$id/")
			curl -fsS -X DELETE -H "Authorization: token $(cat "$api_token_file")" "$url" \
				>/dev/null || echo "forgejo-ephemeral: removing runner $id failed" >&2
		fi
	fi
	rm -rf "$job"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. Register (the token reaches forgejo-runner's argv for the moment this takes).
(cd "$job" && "$runner" register --no-interactive --instance "$instance" \
	--token "$(cat "$token_file")" --name "$name" --labels "$labels") >/dev/null
registered=yes

# 2. One job, sandboxed. A runner outside the system directories is shown where it is.
case $runner in
/usr/* | /bin/* | /sbin/* | /lib/* | /opt/*) show= ;;
*) show="--ro-bind ${runner%/*}" ;;
esac
# shellcheck disable=SC2086 # $show is one option and its value, or nothing
"$cis" run --profile "$profile" -w "$job" --allow "$host:$port" $show "$@" -- \
	"$runner" one-job
