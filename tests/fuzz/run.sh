#!/bin/sh
# run.sh BUILD SECONDS TARGET... - run each libFuzzer target for SECONDS from its seeds
# (tests/fuzz/seeds/TARGET, the regressions, and for mail the fixtures) with the
# dictionary tests/fuzz/TARGET.dict when there is one, keeping the
# grown corpus in BUILD/fuzz/corpus/TARGET and any crash in BUILD/fuzz/crashes/TARGET.
# Prints the executions of each target; exits non-zero when one crashed.
build=$1 seconds=$2
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)
status=0
for target in "$@"; do
	corpus=$build/fuzz/corpus/$target crashes=$build/fuzz/crashes/$target
	mkdir -p "$corpus" "$crashes"
	set -- "$corpus"
	for seeds in "$top/tests/fuzz/seeds/$target" "$top/tests/fuzz/regressions/$target"; do
		[ -d "$seeds" ] && set -- "$@" "$seeds"
	done
	[ "$target" = mail ] && set -- "$@" "$top/maildir-fixtures/cur" "$top/maildir-fixtures/new"
	dict=
	[ -f "$top/tests/fuzz/$target.dict" ] && dict=-dict=$top/tests/fuzz/$target.dict
	log=$build/fuzz/$target.log
	"$build/fuzz/fuzz-$target" -max_total_time="$seconds" -print_final_stats=1 \
	    -artifact_prefix="$crashes/" -max_len=65536 -timeout=10 -rss_limit_mb=2048 $dict "$@" \
	    >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ "$rc" -ne 0 ]; then
		status=1
		echo "fuzz-$target: FAILED after ${execs:-?} executions, see $log and $crashes"
	else
		echo "fuzz-$target: ${execs:-?} executions in ${seconds}s, no crash"
	fi
done
exit $status
