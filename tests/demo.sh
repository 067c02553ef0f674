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

# Egress by name, in a small world of our own: network namespaces W (where the launcher runs)
# and S (a DNS server and web servers at documentation addresses, and a fake cloud metadata
# endpoint). No packet leaves them. Root only: making namespaces needs it.
if [ "$(id -u)" = 0 ] && command -v dnsmasq >/dev/null && command -v slirp4netns >/dev/null; then
	W=cisdemow$$ S=cisdemos$$
	cleanup_world() {
		[ -n "${pids:-}" ] && kill $pids 2>/dev/null
		ip netns del $W 2>/dev/null; ip netns del $S 2>/dev/null
		rm -rf "$work"
	}
	trap cleanup_world EXIT INT TERM
	ip netns add $W && ip netns add $S
	ip link add vdw$$ type veth peer name vds$$
	ip link set vdw$$ netns $W && ip link set vds$$ netns $S
	ip -n $W addr add 192.0.2.1/24 dev vdw$$ && ip -n $W link set vdw$$ up && ip -n $W link set lo up
	ip -n $S addr add 192.0.2.2/24 dev vds$$ && ip -n $S link set vds$$ up && ip -n $S link set lo up
	ip -n $W route add default via 192.0.2.2
	for a in 198.51.100.10 198.51.100.53 203.0.113.7 169.254.169.254; do ip -n $S addr add $a/32 dev lo; done
	ip netns exec $S dnsmasq --conf-file=/dev/null --keep-in-foreground --no-resolv --no-hosts \
		--listen-address=198.51.100.53 --bind-interfaces --user=root --group=root --pid-file= \
		--log-facility=/dev/null --host-record=registry.demo.test,198.51.100.10 \
		--host-record=evil.demo.test,203.0.113.7 \
		--host-record=metadata.demo.test,169.254.169.254 &
	pids=$!
	for port in 80; do
		ip netns exec $S python3 -m http.server --bind 198.51.100.10 $port >/dev/null 2>&1 &
		pids="$pids $!"
		ip netns exec $S python3 -m http.server --bind 203.0.113.7 $port >/dev/null 2>&1 &
		pids="$pids $!"
		ip netns exec $S python3 -m http.server --bind 169.254.169.254 $port >/dev/null 2>&1 &
		pids="$pids $!"
	done
	sleep 1
	egress='
try() { if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=3)" "$2" 2>/dev/null; then r=yes; else r=no; fi; printf "  %-44s %s\n" "$1" "$r"; }
echo "resolv.conf: $(grep nameserver /etc/resolv.conf)"
try "fetch http://registry.demo.test/ (allowed)"  http://registry.demo.test/
try "fetch http://evil.demo.test/"                http://evil.demo.test/
try "fetch http://203.0.113.7/ by address"        http://203.0.113.7/
try "fetch http://metadata.demo.test/"            http://metadata.demo.test/
try "fetch http://169.254.169.254/ (metadata)"    http://169.254.169.254/
'
	echo
	echo "== egress: --allow registry.demo.test:80, DNS through the sandbox's own resolver"
	ip netns exec $W setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$bin" run -v -w "$work" --workspace-mode tmpfs --dns-upstream 198.51.100.53 \
		--allow registry.demo.test:80 --allow metadata.demo.test:80 -- sh -c "$egress" 2>&1 |
		grep -v '^cisandbox: \(profile\|time limit\|limits\|exit\)' | grep -v 'tapfd\|exitfd\|do_slirp'
	echo "== (metadata.demo.test is allowed by name, yet its address stays refused: the"
	echo "   always-denied ranges come first, so a name cannot be rebound to them)"
fi
