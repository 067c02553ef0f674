#!/bin/sh
# make demo: run one real sandboxed job that reports what it can and cannot see or touch.
# Usage: tests/demo.sh PATH/TO/cisandbox
set -eu
bin=${1:?usage: demo.sh CISANDBOX}
work=$(mktemp -d /tmp/cisandbox-demo-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
chmod 755 "$work"
mkdir -p "$work/.ssh"
echo "-----BEGIN OPENSSH PRIVATE KEY----- (demo secret)" > "$work/.ssh/id_ed25519"
echo '{"data":"demo runner credential"}' > "$work/.credentials"
printf 'all:\n\t@echo "build ok: $$(uname -n)"\n' > "$work/Makefile"

job='
check() { if sh -c "$2" >/dev/null 2>&1; then r="yes"; else r="no"; fi; printf "  %-44s %s\n" "$1" "$r"; }
echo "inside the sandbox: $(id -un) (uid $(id -u)), host name $(hostname), cwd $(pwd)"
echo "processes visible: $(ls /proc | grep -c "^[0-9]")   network interfaces: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\n" " ")"
echo "capabilities: $(grep CapEff /proc/self/status | cut -f2)   no_new_privs: $(grep NoNewPrivs /proc/self/status | cut -f2)"
echo "can it ...?"
check "write to /usr"                        "touch /usr/evil"
check "write to /etc"                        "touch /etc/evil"
check "read /etc/shadow"                     "grep -q . /etc/shadow"
check "read the planted ~/.ssh key"          "cat /workspace/.ssh/id_ed25519"
check "read the runner .credentials"         "grep -q data /workspace/.credentials"
check "see the host home directories"        "ls /root || ls /home | grep -qv ci"
check "reach /var/run/docker.sock"           "test -e /var/run/docker.sock"
check "create a user namespace (seccomp)"    "unshare -U true"
check "write to its workspace (overlay)"     "echo changed > /workspace/Makefile.new"
check "write to /tmp"                        "touch /tmp/x"
check "leave a daemon behind"                "false"
echo "and it can still build:"
make -s
setsid sleep 987654 </dev/null >/dev/null 2>&1 &
'

echo "== cisandbox demo: $("$bin" version), profile untrusted, workspace $work"
echo "== host side: the workspace is the caller's \$HOME, with a planted ~/.ssh key and runner .credentials"
status=0
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chown -R nobody:nogroup "$work"
	echo "== running as the unprivileged user nobody (as a runner service account would)"
	HOME=$work setpriv --reuid=nobody --regid=nogroup --clear-groups "$bin" run -w "$work" -- sh -c "$job" || status=$?
else
	HOME=$work "$bin" run -w "$work" -- sh -c "$job" || status=$?
fi
echo "== job exit status: $status"
[ "$status" = 0 ] || exit "$status"
if [ -e "$work/Makefile.new" ]; then echo "== FAIL: overlay write reached the host"; exit 1; fi
echo "== host workspace unchanged (overlay writes vanished)"
if pgrep -f "sleep 987654" >/dev/null; then echo "== FAIL: a daemon survived"; exit 1; fi
echo "== no process of the job survived the run"
