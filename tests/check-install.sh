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
	share/cisandbox/profiles/runner.json lib/cisandbox/job-started.sh \
	lib/cisandbox/job-completed.sh; do
	test -f "$dest/opt/cistest/$f" || { echo "install: missing $f"; exit 1; }
done
for page in man/cisandbox.1 man/cisandbox-profile.5; do
	warn=$(MANWIDTH=100 man --warnings -l "$page" 2>&1 >/dev/null)
	[ -z "$warn" ] || { echo "$page: $warn"; exit 1; }
	MANWIDTH=100 man -l "$page" | grep -q "SEE ALSO" || { echo "$page: does not render"; exit 1; }
done
"$dest/opt/cistest/bin/cisandbox" profile check "$dest/opt/cistest/share/cisandbox/profiles/"*.json >/dev/null
grep -q "^exec /opt/cistest/bin/cisandbox github job-started$" \
	"$dest/opt/cistest/lib/cisandbox/job-started.sh" || { echo "install: bad job hook"; exit 1; }
echo "install and man pages: 2 passed, 0 failed"
