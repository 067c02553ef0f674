#!/bin/sh
# check-layers.sh — the shape of src/ that README's Design section promises, checked on every
# make check:
#   - every src/*.c and include/*.h belongs to a module of README's layer list (a file NAME_x
#     belongs to module NAME when NAME_x is not listed itself: plan_net.c is the plan's);
#   - no file includes a header of a higher layer, and the modules' include graph has no
#     cycle (tsort);
#   - no file over 800 lines, no function over 60 (a body from a "{" to a "}" in column 0).
# Usage: tests/check-layers.sh [TREE]        Prints each violation; exit 1 if any.
set -eu
tree=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$tree"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# "module layer" pairs from the list between the markers: "N. **name** ... `mod` `mod` ...",
# an item going on over indented lines.
sed -n '/<!-- layers:begin/,/<!-- layers:end/p' README.md |
	awk '/^[0-9]+\. / { n = $1 + 0 }
		/^[0-9]+\. / || (n && /^   /) { line = $0
		while (match(line, /`[a-z0-9_]+`/)) {
			print substr(line, RSTART + 1, RLENGTH - 2), n
			line = substr(line, RSTART + RLENGTH)
		} }' >"$tmp/layers"
if [ ! -s "$tmp/layers" ]; then
	echo "check-layers: no layer list between <!-- layers:begin --> and <!-- layers:end --> in README.md"
	exit 1
fi

# "file module layer include-module include-layer" for every quoted include; files without any
# still get a line (include fields "-").
for f in src/*.c include/*.h; do
	printf '%s' "$f"
	grep -o '^#include "[^"]*\.h"' "$f" | sed 's/^#include "\(.*\)\.h"$/ \1/' | tr -d '\n'
	echo
done | awk -v layers="$tmp/layers" '
	BEGIN { while ((getline l < layers) > 0) { split(l, a, " "); layer[a[1]] = a[2] } }
	function module(base,   best, m) {
		if (base in layer) return base
		best = ""
		for (m in layer)
			if (index(base, m "_") == 1 && length(m) > length(best)) best = m
		return best
	}
	{
		base = $1; sub(/^.*\//, "", base); sub(/\.[ch]$/, "", base)
		m = module(base)
		if (m == "") { printf "%s: module %s is not in README'"'"'s layer list\n", $1, base; bad = 1; next }
		for (i = 2; i <= NF; i++) {
			im = module($i)
			if (im == "") { printf "%s: includes %s.h, which is in no layer\n", $1, $i; bad = 1; continue }
			if (layer[im] > layer[m]) {
				printf "%s (layer %d, %s) includes %s.h (layer %d, %s): a higher layer\n", \
				       $1, layer[m], m, $i, layer[im], im
				bad = 1
			}
			if (im != m) print m, im > "/dev/stderr"
		}
	}
	END { exit bad }' 2>"$tmp/edges" >"$tmp/out" || status=1
cat "$tmp/out"
if ! tsort "$tmp/edges" >/dev/null 2>"$tmp/loops"; then
	echo "check-layers: the modules include one another in a circle:"
	awk '/contains a loop/ { n++ } n < 2 { sub(/^tsort: /, "  "); print }' "$tmp/loops"
	status=1
fi

# Sizes: files and functions.
for f in src/*.c; do
	awk -v f="$f" '
		/^\{/ { start = FNR; name = prev }
		/^\}/ && start { if (FNR - start - 1 > 60) {
			sub(/\(.*/, "", name); sub(/.*[ *]/, "", name)
			printf "%s:%d: %s is %d lines (at most 60)\n", f, start, name, FNR - start - 1
			bad = 1 }
			start = 0 }
		/^[a-z].*\(/ { prev = $0 }
		END { if (NR > 800) { printf "%s: %d lines (at most 800)\n", f, NR; bad = 1 }
		      exit bad }' "$f" || status=1
done
if [ "${status:-0}" != 0 ]; then
	echo "check-layers: FAILED (layers: README.md, Design)"
	exit 1
fi
echo "check-layers: $(wc -l <"$tmp/layers") modules in $(cut -d' ' -f2 "$tmp/layers" | sort -u | wc -l) layers, include graph acyclic, files <= 800 lines, functions <= 60"
