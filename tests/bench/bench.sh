#!/bin/sh
# make bench: cisandbox measured side by side with bare exec, unshare, bubblewrap (and firejail,
# nsjail and pasta where they can run: a peer that cannot is left out with one line saying why)
# in one run, rootless as an unprivileged user, with the phase breakdown of a launch and the
# targets of issue #18. Prints ratios measured in the same run: this machine is shared and noisy,
# absolute times drift, ratios hold.
# Usage: tests/bench/bench.sh BUILD_DIR        Asserts nothing but that cisandbox runs; prints
# tables (exit 1 only when cisandbox itself cannot run).
set -eu
build=$(cd "${1:?usage: bench.sh BUILD_DIR}" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
B=$(mktemp -d /tmp/cis-bench-XXXXXX)
# On any exit, a failed step's too: what the bench made (its test-made namespaces and servers,
# the /opt tree and the subordinate ids of section 7) goes with it.
W="" S="" T="" SUBLINE="" pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || :; done
	[ -z "$W" ] || ip netns del "$W" 2>/dev/null || :
	[ -z "$S" ] || ip netns del "$S" 2>/dev/null || :
	[ -z "$SUBLINE" ] || sed -i "/^$SUBLINE\$/d" /etc/subuid /etc/subgid 2>/dev/null || :
	rm -rf "$B" ${T:+"$T"}
}
trap cleanup EXIT INT TERM
chmod 755 "$B"
cp "$build/cisandbox" "$build/bench/sysloop" "$build/bench/teardown" "$build/bench/phases" \
	"$build/bench/abrun" \
	"$build/probes/probe" "$B/"
sed "s|spawn('[^']*'|spawn('$B/cisandbox'|" "$build/container-hook.js" >"$B/container-hook.js"
mkdir "$B/ws" "$B/proj" "$B/out"
cp -r "$src/src" "$src/include" "$B/proj/"
cp "$build/build_info.h" "$B/proj/include/" # generated: src/version.c needs it
printf 'SRCS := $(wildcard src/*.c)\nall: $(SRCS:.c=.o)\n%%.o: %%.c\n\t$(CC) -O2 -std=gnu17 -iquote include -I/usr/include/cjson -DCIS_VERSION=\\"b\\" -DCIS_DATADIR=\\"/b\\" -c -o $@ $<\n' \
	> "$B/proj/Makefile"

if [ "$(id -u)" = 0 ]; then
	chown -R nobody:nogroup "$B/ws" "$B/proj" "$B/out"
	as_user() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	who="nobody (via setpriv, as a runner's service account)"
else
	as_user() { "$@"; }
	who="$(id -un)"
fi
cis="$B/cisandbox run -w $B/ws"
bwrap="bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --cap-drop ALL --new-session --die-with-parent"
cd "$B"

echo "cisandbox benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, kernel $(uname -r), as $who"
echo "cisandbox $("$B/cisandbox" version | head -1 | cut -d' ' -f2) ($("$B/cisandbox" version | sed -n 's/^commit: //p')), $(bwrap --version), $(hyperfine --version)"

# cisandbox itself must run: everything below compares against it. A peer that cannot run here
# is left out with one line saying why.
if ! err=$(as_user $cis -- /bin/true 2>&1 </dev/null); then
	echo "bench: cisandbox cannot run here as $who:" >&2
	echo "$err" >&2
	exit 1
fi
# (Below, the launcher's own warnings on stderr, such as rootless private files, are not shown.)
skipped=""
# can_run NAME CMD...: does CMD run /bin/true here (10 s at most)? If not, say why, once.
can_run() {
	name=$1
	shift
	if ! command -v "$1" >/dev/null; then
		skipped="$skipped$name: skipped: not installed
"
		return 1
	fi
	if err=$(as_user timeout 10 "$@" /bin/true 2>&1 </dev/null); then
		return 0
	fi
	skipped="$skipped$name: skipped: cannot run here as $who ($(echo "$err" | tail -1 | cut -c1-120))
"
	return 1
}
bwrap_ok=no
can_run bwrap $bwrap && bwrap_ok=yes
egress_ok=no
if as_user "$B/cisandbox" run -w "$B/ws" --allow 198.51.100.10:80 -- /bin/true >/dev/null 2>&1 </dev/null; then
	egress_ok=yes
else
	skipped="${skipped}cisandbox with an egress allowlist: skipped: cannot run here (slirp4netns, /dev/net/tun?)
"
fi
printf '{"extends": "untrusted", "network": {"backend": "pasta"}}' >"$B/pasta.json"
chmod 644 "$B/pasta.json"
pasta_ok=no
if can_run "pasta (--config-net)" pasta --config-net --; then
	pasta_ok=yes
fi

# 1. Startup + teardown of /bin/true ------------------------------------------------------------
echo
echo "1. Startup + teardown of /bin/true (tests/bench/abrun.c: the commands interleaved, round after"
echo "   round, 20 warm-up rounds, 200 timed; ratios of medians: drift hits every command alike)"
set -- "bare exec" "/bin/true" \
	"unshare -Urmpf --mount-proc" "unshare -Urmpf --mount-proc /bin/true"
[ "$bwrap_ok" = yes ] && set -- "$@" "bwrap (--unshare-all ...)" "$bwrap /bin/true"
set -- "$@" "cisandbox run (untrusted)" "$cis -- /bin/true" \
	"cisandbox run --workspace-mode tmpfs" "$cis --workspace-mode tmpfs -- /bin/true"
fj="firejail --quiet --noprofile --net=none --private --caps.drop=all --seccomp"
# shellcheck disable=SC2086 # word splitting wanted: a command line
can_run firejail $fj && set -- "$@" "firejail" "$fj /bin/true"
nsj="nsjail -Mo --quiet --chroot / --"
# shellcheck disable=SC2086
can_run nsjail $nsj && set -- "$@" "nsjail (-Mo --chroot /)" "$nsj /bin/true"
if [ "$egress_ok" = yes ]; then
	set -- "$@" "cisandbox run --allow (egress)" "$cis --allow 198.51.100.10:80 -- /bin/true"
	[ "$pasta_ok" = yes ] && set -- "$@" "cisandbox run --allow (egress, pasta)" \
		"$cis -p $B/pasta.json --allow 198.51.100.10:80 -- /bin/true"
fi
[ "$pasta_ok" = yes ] && set -- "$@" "pasta --config-net alone" "pasta --config-net -- /bin/true"
as_user "$B/abrun" 200 20 "$B/out/startup.json" "$@"
python3 - "$B/out/startup.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
ref = next((x for x in r if x["command"].startswith("bwrap")), None)
print(f"   {'command':40} {'mean ms':>9} {'median ms':>10} {'σ ms':>7} {'× bwrap':>8}")
for x in r:
    ratio = f"{x['median'] / ref['median']:8.2f}" if ref else "       -"
    print(f"   {x['command']:40} {x['mean']*1e3:9.2f} {x['median']*1e3:10.2f} {x['stddev']*1e3:7.2f} {ratio}")
PY
printf '%s' "$skipped" | sed 's/^/   /'

# 1a. Phase breakdown ----------------------------------------------------------------------------
echo
echo "1a. Where a launch's time goes (CISANDBOX_TIMING=1 stamps, tests/bench/phases.c; 200 runs,"
echo "    ms; each phase is the time since its process's previous stamp, a process's first since"
echo "    its parent's last; the launcher, init and the job mostly share one CPU here)"
as_user "$B/phases" 200 $cis -- /bin/true
if [ "$egress_ok" = yes ]; then
	echo "   with egress (--allow 198.51.100.10:80; the helper, the ruleset, the resolver's child):"
	as_user "$B/phases" 100 $cis --allow 198.51.100.10:80 -- /bin/true |
		grep -E 'helper|netwatch|network|netns|clone|guard|wait-helper|total|exit'
fi

# 2. Steady-state overhead -------------------------------------------------------------------------
echo
echo "2. Steady-state overhead (inside the default profile vs bare, same user, same filesystem)"
as_user hyperfine -w 1 -r 5 --export-json "$B/out/compile.json" \
	-n bare "make -s -B -j2 -C $B/proj" \
	-n cisandbox "$B/cisandbox run -w $B/proj --workspace-mode bind -- make -s -B -j2" >/dev/null 2>&1
python3 - "$B/out/compile.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
b, c = r["bare"]["median"], r["cisandbox"]["median"]
print(f"   compile cisandbox's sources, make -j2: bare {b:.3f} s, inside {c:.3f} s: {c/b:.3f}× bare")
PY
# Interleaved (bare, inside, bare, inside, ...) so that drift hits both sides alike.
for i in 1 2 3 4 5 6 7; do
	as_user "$B/sysloop" 1000000 >>"$B/out/bare.ms"
	as_user "$B/cisandbox" run -w "$B/ws" --ro-bind "$B:/bench" -- /bench/sysloop 1000000 \
		>>"$B/out/inside.ms" 2>/dev/null
done
bare_ms=$(sort -n "$B/out/bare.ms" | sed -n 4p)
in_ms=$(sort -n "$B/out/inside.ms" | sed -n 4p)
python3 -c "print(f'   syscall loop (1e6 getppid + 1e5 openat/close), median of 7: bare {$bare_ms:.1f} ms, inside {$in_ms:.1f} ms: {$in_ms/$bare_ms:.3f}× bare (seccomp filter cost)')"

# 2b. Egress throughput ---------------------------------------------------------------------------
if [ "$egress_ok" = yes ] && [ "$(id -u)" = 0 ]; then
	W=cisbw$$ S=cisbs$$
	ip netns add $W && ip netns add $S
	ip link add vbw$$ type veth peer name vbs$$
	ip link set vbw$$ netns $W && ip link set vbs$$ netns $S
	ip -n $W addr add 192.0.2.1/24 dev vbw$$ && ip -n $W link set vbw$$ up && ip -n $W link set lo up
	ip -n $S addr add 192.0.2.2/24 dev vbs$$ && ip -n $S link set vbs$$ up && ip -n $S link set lo up
	ip -n $S addr add 198.51.100.10/32 dev lo && ip -n $W route add default via 192.0.2.2

	# 1b. From the launch to the job's first instruction, and to its first working connection.
	echo
	echo "1b. Time to the job: launch to its first instruction (default profile, bwrap) and to its"
	echo "    first successful connect through egress (--allow 198.51.100.10:80, a server in a"
	echo "    test-made namespace; slirp4netns), median of 41 runs each, interleaved"
	ip netns exec $S "$B/probe" serve 80 >/dev/null &
	server=$! pids="$pids $!"
	sleep 0.3
	inw() { ip netns exec $W setpriv --reuid=nobody --regid=nogroup --clear-groups "$@" 2>/dev/null; }
	: >"$B/out/t_default" && : >"$B/out/t_egress" && : >"$B/out/t_bwrap"
	for i in $(seq 41); do
		inw "$B/teardown" startup $cis --ro-bind "$B:/bench" -- /bench/teardown job 0 \
			>>"$B/out/t_default"
		inw "$B/teardown" startup $cis --ro-bind "$B:/bench" --allow 198.51.100.10:80 -- \
			/bench/teardown connect 198.51.100.10 80 >>"$B/out/t_egress"
		[ "$bwrap_ok" = yes ] && inw "$B/teardown" startup $bwrap --ro-bind "$B" "$B" \
			"$B/teardown" job 0 >>"$B/out/t_bwrap"
	done
	kill $server
	python3 - "$B/out" <<'PY'
import statistics, sys
def col(name, i):
    rows = [l.split() for l in open(f"{sys.argv[1]}/{name}") if l.strip()]
    return [float(r[i]) for r in rows]
d, e = statistics.median(col("t_default", 0)), statistics.median(col("t_egress", 0))
retries = col("t_egress", 1)
print(f"   cisandbox, to the job's first instruction:        {d/1e3:7.2f} ms")
try:
    b = statistics.median(col("t_bwrap", 0))
    print(f"   bwrap, to the job's first instruction:            {b/1e3:7.2f} ms ({d/b:.2f}× for cisandbox)")
except (OSError, statistics.StatisticsError):
    pass
print(f"   cisandbox egress, to the first successful connect: {e/1e3:7.2f} ms: {e/d:.2f}× the default's start;"
      f" connects that failed first: {int(max(retries))} at most ({int(sum(1 for r in retries if r))} of {len(retries)} runs)")
open(f"{sys.argv[1]}/firstconnect.ratio", "w").write(f"{e/d:.3f} {max(retries):.0f}\n")
PY

	echo
	echo "2b. TCP throughput, 1 GiB from a server in a test-made namespace (198.51.100.10)"
	ip netns exec $S "$B/probe" blast 5001 1024 >/dev/null &
	blaster=$! pids="$pids $!"
	sleep 0.3
	host=$(ip netns exec $W "$B/probe" sink 198.51.100.10 5001 | cut -d' ' -f2)
	inside=$(ip netns exec $W setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$B/cisandbox" run -w "$B/ws" --allow 198.51.100.10:5001 --ro-bind "$B:/bench" -- \
		/bench/probe sink 198.51.100.10 5001 2>/dev/null | cut -d' ' -f2)
	viapasta=$(ip netns exec $W setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$B/cisandbox" run -w "$B/ws" -p "$B/pasta.json" --allow 198.51.100.10:5001 \
		--ro-bind "$B:/bench" -- /bench/probe sink 198.51.100.10 5001 2>/dev/null | cut -d' ' -f2)
	kill $blaster
	python3 -c "print(f'   direct (the launcher\'s namespace): {$host} Mbit/s; through slirp4netns: {$inside} Mbit/s ({$inside/$host:.2f}× direct); through pasta: {${viapasta:-0}} Mbit/s ({${viapasta:-0}/$host:.2f}× direct)')"

	# 2c. The sandbox's resolver: 1,000 lookups one after the other, against dnsmasq in S.
	echo
	echo "2c. DNS: 1,000 sequential lookups of an allowed name (dnsmasq in a test-made namespace)"
	ip -n $S addr add 198.51.100.53/32 dev lo
	ip netns exec $S dnsmasq --conf-file=/dev/null --keep-in-foreground --no-resolv --no-hosts \
		--listen-address=198.51.100.53 --bind-interfaces --user=root --group=root --pid-file= \
		--local-ttl=300 --log-facility=/dev/null --host-record=pkg.allowed.test,198.51.100.10 &
	dnsd=$! pids="$pids $!"
	sleep 0.3
	dns_ms() { sed -n 's/^dns 1000 answers in \([0-9.]*\) ms$/\1/p'; }
	d_host=$(ip netns exec $W "$B/probe" dnsbench 198.51.100.53 pkg.allowed.test 1000 | dns_ms)
	d_both=$(ip netns exec $W setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$B/cisandbox" run -w "$B/ws" --dns-upstream 198.51.100.53 \
		--allow pkg.allowed.test:80 --allow 198.51.100.53:53/udp --ro-bind "$B:/bench" -- \
		sh -c '/bench/probe dnsbench 127.0.0.53 pkg.allowed.test 1000;
		       /bench/probe dnsbench 198.51.100.53 pkg.allowed.test 1000' 2>/dev/null)
	d_res=$(echo "$d_both" | sed -n 1p | dns_ms)
	d_dir=$(echo "$d_both" | sed -n 2p | dns_ms)
	kill $dnsd
	if [ -n "$d_res" ] && [ -n "$d_dir" ] && [ -n "$d_host" ]; then
		python3 -c "print(f'   through the resolver: {$d_res:.0f} ms; direct to the upstream from inside (through slirp4netns): {$d_dir:.0f} ms: {$d_res/$d_dir:.2f}× direct; from the launcher\'s namespace: {$d_host:.0f} ms ({$d_res/$d_host:.2f}×)')"
	else
		echo "   could not measure (resolver '$d_res', direct '$d_dir', host '$d_host')"
	fi
	ip netns del $W
	ip netns del $S
	W="" S=""
fi

# 3. Footprint ------------------------------------------------------------------------------------
echo
echo "3. Launcher footprint while a job runs"
as_user "$B/cisandbox" run -w "$B/ws" -- sleep 2.5 2>/dev/null &
sleep 1
launcher=$(pgrep -f "^$B/cisandbox run -w $B/ws -- sleep 2.5" | head -1)
init=$(pgrep -P "$launcher" | head -1)
# Peak RSS counts every shared-library page the process touched (libc's page cache pages, mapped
# 64 KiB at a time by fault-around); private (anonymous) memory and PSS say what it really costs.
mem() {
	hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$1/status")
	anon=$(awk '/^RssAnon/ {print $2}' "/proc/$1/status")
	pss=$(awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo "?")
	echo "peak RSS ${hwm} kB, private ${anon} kB, PSS ${pss} kB"
}
echo "   launcher (host side: signals, timeout, seccomp notifications): $(mem "$launcher")"
awk '/^VmHWM/ {print $2}' "/proc/$launcher/status" >"$B/out/rss"
echo "   sandbox init (PID 1 inside, reaper):                           $(mem "$init")"
wait

# 4. Teardown -------------------------------------------------------------------------------------
echo
echo "4. Teardown: job exit to launcher return (median of 61, cisandbox and bwrap interleaved), with"
echo "   no leftover process and with 100"
# td0 and td100 files: one line per run, "µs alive"; the two tools alternate run by run.
: >"$B/out/td0_cis" && : >"$B/out/td0_bwrap" && : >"$B/out/td100_cis" && : >"$B/out/td100_bwrap"
for i in $(seq 61); do
	for n in 0 100; do
		as_user "$B/teardown" measure "$B/cisandbox" run -w "$B/ws" --ro-bind "$B:/bench" -- \
			/bench/teardown job $n >>"$B/out/td${n}_cis" 2>/dev/null
		[ "$bwrap_ok" = yes ] && as_user "$B/teardown" measure $bwrap --ro-bind "$B" "$B" \
			"$B/teardown" job $n >>"$B/out/td${n}_bwrap" 2>/dev/null
	done
done
td() { sort -n "$B/out/td$1" | sed -n 31p; }
set -- $(td 0_cis)
echo "   cisandbox, no leftover: $1 µs" && echo "$1" >"$B/out/td_cis"
if [ "$bwrap_ok" = yes ]; then
	set -- $(td 0_bwrap)
	echo "   bwrap, no leftover:     $1 µs" && echo "$1" >"$B/out/td_bwrap"
fi
set -- $(td 100_cis)
echo "   cisandbox, 100 left:    $1 µs, job processes still alive when it returned: $2"
if [ "$bwrap_ok" = yes ]; then
	set -- $(td 100_bwrap)
	echo "   bwrap, 100 left:        $1 µs, job processes still alive when it returned: $2"
fi
echo "   (cisandbox returns once the kernel has reaped the whole PID namespace; bwrap returns"
echo "   first and its sandbox dies after it, through --die-with-parent)"

# 5. Scale ----------------------------------------------------------------------------------------
echo
echo "5. Throughput with concurrent runs of /bin/true on $(nproc) cores"
rate() { # N concurrent, total runs, command...
	n=$1 total=$2
	shift 2
	t0=$(date +%s%N)
	seq "$total" | as_user xargs -P "$n" -I{} "$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	python3 -c "print(f'{$total / (($t1 - $t0) / 1e9):.0f}')"
}
for n in 8 32; do
	total=$((n * 8))
	c=$(rate "$n" "$total" "$B/cisandbox" run -w "$B/ws" -- /bin/true)
	b=$(rate "$n" "$total" $bwrap /bin/true)
	python3 -c "print(f'   {$n:2} concurrent: cisandbox {$c} runs/s, bwrap {$b} runs/s: {$c/$b:.2f}× bwrap')"
done

# 6. A GitHub Actions step --------------------------------------------------------------------
echo
echo "6. One GitHub Actions step: hook mode (prepare_job + run_script_step + cleanup_job, three"
echo "   node processes as the runner starts them) vs shell: mode (one cisandbox run), 20 runs"
if [ "$egress_ok" = yes ] && command -v node >/dev/null; then
	mkdir "$B/runner"
	sh "$src/tests/bench/hookstep.sh" setup "$B/runner" "$(command -v node)" \
		"$B/container-hook.js" github-hook
	[ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$B/runner"
	as_user sh "$src/tests/bench/hookstep.sh" prepare "$B/runner"
	as_user hyperfine -N -w 3 -r 20 --export-json "$B/out/hook.json" \
		-n "shell: step (--profile github)" \
		"sh $src/tests/bench/hookstep.sh shell $B/runner $B/cisandbox" \
		-n "hook: one more step (run_script_step)" \
		"sh $src/tests/bench/hookstep.sh step $B/runner" \
		-n "hook: job of one step (prepare+run+cleanup)" \
		"sh $src/tests/bench/hookstep.sh run $B/runner" \
		-n "node -e 0 (the runner's node, alone)" "$B/runner/externals/node20/bin/node -e 0" \
		>/dev/null 2>&1
	python3 - "$B/out/hook.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["median"]
for x in r:
    print(f"   {x['command']:46} median {x['median']*1e3:8.2f} ms  {x['median']/base:5.2f}× shell: step")
PY
else
	echo "   skipped: needs node and egress (slirp4netns) here"
fi

# 7. Private entries of the system dirs -------------------------------------------------------
echo
echo "7. Private entries hidden (issue #14): a 10^5-file tree under /opt, startup of /bin/true and"
echo "   a find over the tree inside (hyperfine; 10 warmups, 100 / 10 runs)"
if [ "$(id -u)" = 0 ] && [ -x /usr/bin/newuidmap ]; then
	T=$(mktemp -d /opt/cis-bench-tree-XXXXXX)
	SUBLINE="nobody:1879113728:65536"
	chmod 755 "$T"
	python3 - "$T" <<'PY'
import os, sys
t = sys.argv[1]
for d in range(1000):
    p = f"{t}/d{d:03}"
    os.mkdir(p)
    for f in range(100):
        with open(f"{p}/f{f:02}", "w") as fh:
            fh.write("x")
        if f == 0:
            os.chown(f"{p}/f{f:02}", 65534, 65534)
            os.chmod(f"{p}/f{f:02}", 0o600)
PY
	find "$T" -type f | head -c0
	as_user hyperfine -N -w 10 -r 100 --export-json "$B/out/private-start-plain.json" \
		-n "cisandbox, no subordinate ids (rule not kept)" "$cis -- /bin/true" >/dev/null 2>&1
	as_user hyperfine -N -w 2 -r 10 --export-json "$B/out/private-find-plain.json" \
		-n "find inside, no subordinate ids" "$cis -- find $T -type f -readable" \
		>/dev/null 2>&1
	for f in /etc/subuid /etc/subgid; do echo "$SUBLINE" >>"$f"; done
	as_user hyperfine -N -w 10 -r 100 --export-json "$B/out/private-start.json" \
		-n "bwrap (--unshare-all ...)" "$bwrap /bin/true" \
		-n "cisandbox, subordinate ids (filtering overlays)" "$cis -- /bin/true" \
		>/dev/null 2>&1
	as_user hyperfine -N -w 2 -r 10 --export-json "$B/out/private-find.json" \
		-n "find inside bwrap" "$bwrap find $T -type f -readable" \
		-n "find inside, subordinate ids" "$cis -- find $T -type f -readable" \
		>/dev/null 2>&1
	sed -i "/^$SUBLINE\$/d" /etc/subuid /etc/subgid
	echo "   readable inside (of 100000, 1000 are nobody's 0600): bwrap $(as_user $bwrap find "$T" -type f -readable | wc -l)"
	python3 - "$B/out" <<'PY'
import json, sys
out = sys.argv[1]
start = json.load(open(f"{out}/private-start.json"))["results"]
start += json.load(open(f"{out}/private-start-plain.json"))["results"]
find = json.load(open(f"{out}/private-find.json"))["results"]
find += json.load(open(f"{out}/private-find-plain.json"))["results"]
for rows in (start, find):
    base = rows[0]["mean"]
    for x in rows:
        print(f"   {x['command']:50} mean {x['mean']*1e3:8.2f} ms ± {x['stddev']*1e3:5.2f}  {x['mean']/base:5.2f}× bwrap")
PY
	rm -rf "$T"
else
	echo "   skipped: needs root (to make the tree and a subordinate id entry) and uidmap"
fi

# Targets ------------------------------------------------------------------------------------------
echo
echo "Targets (issue #18; README, Performance), this run:"
python3 - "$B/out" <<'PY'
import json, os, sys
out = sys.argv[1]
r = {x["command"]: x["median"] for x in json.load(open(f"{out}/startup.json"))["results"]}
def get(prefix):
    return next((v for k, v in r.items() if k.startswith(prefix)), None)
def line(what, value, limit, fmt, ok):
    print(f"   {what:58} {fmt.format(value):>9}  (≤ {fmt.format(limit)}): {'met' if ok else 'NOT met'}")
b, c, e = get("bwrap"), get("cisandbox run (untrusted)"), get("cisandbox run --allow (egress)")
if b and c:
    line("startup + teardown of /bin/true, × bwrap (medians)", c / b, 0.8, "{:.2f}", c / b <= 0.8)
if c and e:
    line("egress (slirp4netns, one allow entry), × the default", e / c, 1.2, "{:.2f}", e / c <= 1.2)
if os.path.exists(f"{out}/firstconnect.ratio"):
    ratio, retries = open(f"{out}/firstconnect.ratio").read().split()
    line("egress to the first successful connect, × the default's start", float(ratio), 1.2, "{:.2f}",
         float(ratio) <= 1.2 and retries == "0")
rss = int(open(f"{out}/rss").read())
line("launcher peak RSS while a job runs, kB", rss, 2048, "{:.0f}", rss < 2048)
if os.path.exists(f"{out}/td_bwrap"):
    t, tb = float(open(f"{out}/td_cis").read()), float(open(f"{out}/td_bwrap").read())
    line("teardown, job exit to return (no leftover), × bwrap", t / tb, 1.0, "{:.2f}", t <= tb)
PY
echo "Also: compile within 2% of bare; teardown of 100 leftover processes < 10 ms."
