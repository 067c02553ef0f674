#!/bin/sh
# Release pieces, each as root and as nobody where a user runs it: the AppArmor profiles parse
# (apparmor_parser -Q: this kernel has no AppArmor, so they are only parsed), bash completion
# completes `cisandbox run --pro<TAB>` and knows every flag and shipped profile, `cisandbox
# version` names the commit and libraries, and the Debian package builds (make deb: lintian
# without errors), installs with dpkg -i, runs `cisandbox doctor`, and leaves nothing behind
# after dpkg -r. Usage: tests/check-package.sh BUILD_DIR
set -eu
build=${1:-build}
bin=$build/cisandbox
pass=0
ok() { pass=$((pass + 1)); }
fail() { echo "package: $*" >&2; exit 1; }
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# --- AppArmor: both variants parse; the one for AppArmor 4 declares userns for the binary.
p=profiles/apparmor/cisandbox.apparmor3
apparmor_parser -Q -K "$p" 2>/dev/null || { apparmor_parser -Q -K "$p"; fail "$p does not parse"; }
grep -q '^abi <abi/4.0>,' profiles/apparmor/cisandbox &&
	grep -q '^  userns,$' profiles/apparmor/cisandbox &&
	grep -q '^profile cisandbox /{usr/,usr/local/,}bin/cisandbox flags=(unconfined) {' \
		profiles/apparmor/cisandbox || fail "profiles/apparmor/cisandbox: not the userns profile"
# This parser (3.0) cannot read abi/4.0 or "userns,": everything else of the AppArmor 4 variant
# must still parse with it.
sed -e 's|abi <abi/4.0>|abi <abi/3.0>|' -e '/^  userns,$/d' profiles/apparmor/cisandbox |
	apparmor_parser -Q -K >/dev/null 2>&1 || fail "profiles/apparmor/cisandbox: syntax"
ok

# --- bash completion, in bash, as root and as nobody.
complete_words() { # WHO WORDS... (the last one is being completed)
	who=$1; shift
	# shellcheck disable=SC2016 # expanded by the inner bash
	script='. src/completion/cisandbox.bash; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		_cisandbox; printf "%s\n" "${COMPREPLY[@]}"'
	if [ "$who" = nobody ]; then as_nobody bash -c "$script" bash "$@"; else bash -c "$script" bash "$@"; fi
}
for who in root nobody; do
	got=$(complete_words $who cisandbox run --pro)
	[ "$got" = --profile ] || fail "completion ($who): run --pro gave '$got'"
	got=$(complete_words $who cisandbox run --profile un | tr '\n' ' ')
	[ "$got" = "untrusted " ] || fail "completion ($who): --profile un gave '$got'"
	got=$(complete_words $who cisandbox 'do')
	[ "$got" = doctor ] || fail "completion ($who): do gave '$got'"
	flags=$(complete_words $who cisandbox run --)
	for f in $("$bin" --help | sed -n '/^Usage: cisandbox run/,/^$/p;/^  -/p' |
		grep -o -- '--[a-z][a-z-]*' | sort -u); do
		echo "$flags" | grep -qx -- "$f" || fail "completion ($who): run does not offer $f"
	done
	names=$(complete_words $who cisandbox run --profile '')
	for p in profiles/*.json; do
		n=${p##*/}; n=${n%.json}
		echo "$names" | grep -qx "$n" || fail "completion ($who): profile $n missing"
	done
done
ok

# --- version: the commit this tree is at, and the libraries.
v=$("$bin" version)
echo "$v" | grep -q '^cisandbox [0-9]' || fail "version: $v"
c=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
echo "$v" | grep -q "^commit: $c" || fail "version: no commit $c in: $v"
for l in libseccomp libnftnl; do
	echo "$v" | grep -q "built with: .*$l $(pkg-config --modversion $l)" || fail "version: $l: $v"
done
echo "$v" | grep -q "built with: .*; libmnl API and JSON: our own$" || fail "version: libmnl: $v"
# src/netlink.c stands in for libmnl and src/json.c for libcjson; the binary is static-pie (no
# ld.so at launch, address space still randomized).
file -L "$bin" | grep -q 'static-pie linked' || fail "$bin is not static-pie: $(file -L "$bin")"
ok

# --- the Debian package.
make -s deb >/dev/null
deb=$(ls "$build"/deb/cisandbox_*.deb)
files=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {sub(/^\./, "", $6); print $6}')
! dpkg-deb -f "$deb" Depends | grep -q 'libmnl\|libcjson' ||
	fail "package depends on libmnl or libcjson: $(dpkg-deb -f "$deb" Depends)"
# Static: the package says whose code it carries (policy 7.8).
for s in glibc libseccomp libnftnl; do
	dpkg-deb -f "$deb" Built-Using | grep -q "$s (= " ||
		fail "package Built-Using lacks $s: $(dpkg-deb -f "$deb" Built-Using)"
done
# One package test at a time on this machine (another developer's make check may run).
exec 9>/run/lock/cisandbox-package-test.lock
flock -w 300 9 || fail "package test lock"
if dpkg-query -W -f='${Status}' cisandbox 2>/dev/null | grep -q 'install ok installed'; then
	echo "package: cisandbox is installed on this machine; install test skipped" >&2
else
	for f in $files /etc/apparmor.d/cisandbox; do
		[ ! -e "$f" ] || fail "$f exists before the package is installed"
	done
	dpkg -i "$deb" >/dev/null
	trap 'dpkg -r cisandbox >/dev/null 2>&1 || true' EXIT
	[ "$(command -v cisandbox)" = /usr/bin/cisandbox ] || fail "dpkg -i: no /usr/bin/cisandbox"
	apparmor_parser -Q -K /etc/apparmor.d/cisandbox 2>/dev/null ||
		fail "installed /etc/apparmor.d/cisandbox does not parse"
	for who in root nobody; do
		if [ $who = nobody ]; then out=$(cd /tmp && as_nobody cisandbox doctor) || st=$?
		else out=$(cd /tmp && cisandbox doctor) || st=$?; fi
		[ "${st:-0}" -le 1 ] || fail "installed doctor ($who) exited ${st:-0}: $out"
		echo "$out" | grep -q '^ok    userns ' || fail "installed doctor ($who): $out"
		echo "$out" | grep -q '^profile untrusted (' ||
			fail "installed doctor ($who): $out"
	done
	# A workspace of its own: /tmp would be copied up with every other user's entries in it.
	ws=$(mktemp -d /tmp/cis-package-ws.XXXXXX) || fail "mktemp"
	chown nobody "$ws"
	out=$(cd "$ws" && as_nobody cisandbox run -- sh -c 'echo in-sandbox') || {
		rm -rf "$ws"
		fail "installed run: $out"
	}
	rm -rf "$ws"
	[ "$out" = in-sandbox ] || fail "installed run: $out"
	bash -c '. /usr/share/bash-completion/bash_completion; _completion_loader cisandbox;
		complete -p cisandbox' | grep -q _cisandbox || fail "installed completion not found"
	man -w cisandbox >/dev/null 2>&1 || fail "installed man page not found"
	dpkg -r cisandbox >/dev/null
	trap - EXIT
	dpkg-query -W -f='${Status}' cisandbox 2>/dev/null | grep -q 'not-installed\|^$' ||
		[ -z "$(dpkg-query -W -f='${Status}' cisandbox 2>/dev/null)" ] ||
		fail "dpkg -r: status $(dpkg-query -W -f='${Status}' cisandbox)"
	for f in $files /etc/apparmor.d/cisandbox /usr/share/cisandbox /usr/lib/cisandbox; do
		[ ! -e "$f" ] || fail "dpkg -r left $f"
	done
fi
ok
echo "package (apparmor, completion, version, deb): $pass passed, 0 failed"
