#!/bin/sh
# include-cycles - fail when the headers in include/ include each other in a circle;
# prints each circle found as "a.h -> b.h -> a.h". Usage: sh tests/support/include-cycles.sh [DIR]
dir=${1:-include}
for h in "$dir"/*.h; do
	printf '%s:' "$(basename "$h")"
	sed -n 's/^#include "\([^"]*\)".*/\1/p' "$h" | tr '\n' ' '
	echo
done | awk -F: '
	{ n = split($2, deps, " "); for (i = 1; i <= n; i++) edge[$1, ++count[$1]] = deps[i]; names[$1] = 1 }
	function visit(node, path,    i, next_node) {
		if (node in onpath) { print "include circle: " path " -> " node; found = 1; return }
		if (node in done) return
		onpath[node] = 1
		for (i = 1; i <= count[node]; i++) {
			next_node = edge[node, i]
			visit(next_node, path == "" ? node : path " -> " node)
		}
		delete onpath[node]; done[node] = 1
	}
	END { for (h in names) visit(h, ""); exit found }'
