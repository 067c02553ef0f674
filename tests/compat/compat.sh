#!/bin/sh
# Ordinary CI work that must run unchanged inside the default (untrusted) profile. Run in the
# sandbox with this directory as the workspace; prints one "ok NAME" line per tool.
set -eu
cd /workspace

make -s -j2 check >/dev/null && echo "ok make"

export GIT_AUTHOR_NAME=ci GIT_AUTHOR_EMAIL=ci@example.invalid
export GIT_COMMITTER_NAME=ci GIT_COMMITTER_EMAIL=ci@example.invalid
git init -q repo && cd repo && echo hello > a && git add a && git commit -qm first &&
	test "$(git log --format=%s)" = first && cd .. && echo "ok git"

python3 - <<'PY' && echo "ok python"
import subprocess, tempfile, threading, os
out = []
ts = [threading.Thread(target=lambda i=i: out.append(i * i)) for i in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
assert sorted(out) == [i * i for i in range(8)]
with tempfile.TemporaryDirectory() as d:
    p = os.path.join(d, "f")
    open(p, "w").write("x")
    assert subprocess.run(["cat", p], capture_output=True, text=True).stdout == "x"
PY

mkdir -p t/in && echo data > t/in/f && tar czf t/a.tgz -C t in && mkdir t/out &&
	tar xzf t/a.tgz -C t/out && cmp t/in/f t/out/in/f && echo "ok tar"

test "$(seq 1 100 | sort -rn | head -n 3 | tr '\n' ' ' | sed 's/ $//')" = "100 99 98" &&
	echo "ok pipeline"

if command -v node >/dev/null 2>&1; then
	node -e 'require("fs").writeFileSync("/tmp/n", String(6*7)); process.exit(require("fs").readFileSync("/tmp/n","utf8")==="42"?0:1)' &&
		echo "ok node"
else
	echo "ok node (absent)"
fi
