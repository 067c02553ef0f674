#!/bin/sh
# make install honours PREFIX and DESTDIR, the man pages render without warnings, and the
# installed binary finds the installed profiles.
set -eu
dest=$(mktemp -d /tmp/cis-install-XXXXXX)
trap 'rm -rf "$dest"' EXIT
make -s install PREFIX=/opt/cistest DESTDIR="$dest" >/dev/null
for f in bin/cisandbox share/cisandbox/profiles/untrusted.json \
	share/cisandbox/profiles/trusted.json share/man/man1/cisandbox.1 \
	share/man/man5/cisandbox-profile.5 share/cisandbox/profiles/gitlab.json \
	share/cisandbox/profiles/github.json share/cisandbox/profiles/forgejo.json \
	share/cisandbox/profiles/runner.json share/cisandbox/profiles/github-hook.json \
	lib/cisandbox/container-hook.js lib/cisandbox/job-started.js \
	lib/cisandbox/job-completed.js lib/cisandbox/forgejo-ephemeral.sh \
	share/cisandbox/profiles/forgejo-runner.json share/bash-completion/completions/cisandbox \
	share/cisandbox/apparmor/cisandbox share/cisandbox/apparmor/cisandbox.apparmor3 \
	share/cisandbox/policy/cicd/runner.rego share/cisandbox/policy/cicd/no_privileged.rego \
	share/cisandbox/policy/cicd/ephemeral_runner.rego share/cisandbox/policy/cicd/token_ttl.rego; do
	test -f "$dest/opt/cistest/$f" || { echo "install: missing $f"; exit 1; }
done
# The AppArmor profile goes to SYSCONFDIR (/etc), under DESTDIR; this parser's variant.
test -f "$dest/etc/apparmor.d/cisandbox" || { echo "install: missing /etc/apparmor.d/cisandbox"; exit 1; }
apparmor_parser -Q -K "$dest/etc/apparmor.d/cisandbox" 2>/dev/null ||
	{ echo "install: /etc/apparmor.d/cisandbox does not parse"; exit 1; }
for page in man/cisandbox.1 man/cisandbox-profile.5; do
	warn=$(MANWIDTH=100 man --warnings -l "$page" 2>&1 >/dev/null)
	[ -z "$warn" ] || { echo "$page: $warn"; exit 1; }
	MANWIDTH=100 man -l "$page" | grep -q "SEE ALSO" || { echo "$page: does not render"; exit 1; }
done
"$dest/opt/cistest/bin/cisandbox" profile check "$dest/opt/cistest/share/cisandbox/profiles/"*.json >/dev/null
# The hooks run the binary by absolute path, never through the runner's PATH (a step adds to
# it); node must accept them.
for h in container-hook:hook job-started:job-started job-completed:job-completed; do
	f="$dest/opt/cistest/lib/cisandbox/${h%%:*}.js"
	grep -q "spawn('/opt/cistest/bin/cisandbox', \['github', '${h#*:}'\]" "$f" ||
		{ echo "install: $f does not run the binary by absolute path"; exit 1; }
	node --check "$f" || { echo "install: $f: not valid JavaScript"; exit 1; }
done
# The installed Forgejo launcher runs the installed binary, and passes shellcheck.
grep -q 'cis=/opt/cistest/bin/cisandbox' "$dest/opt/cistest/lib/cisandbox/forgejo-ephemeral.sh" ||
	{ echo "install: forgejo-ephemeral.sh does not name the installed binary"; exit 1; }
shellcheck "$dest/opt/cistest/lib/cisandbox/forgejo-ephemeral.sh" src/hooks/forgejo-ephemeral.sh ||
	{ echo "shellcheck: forgejo-ephemeral.sh"; exit 1; }
echo "install, man pages and shellcheck: 3 passed, 0 failed"
