#!/bin/sh
# Checks the SPIN model of the VMBus signalling protocol (README.md): the
# model must pass every check, and every seeded bug must be caught, which
# shows the checks can fail. One line per run; a run's spin, gcc and pan
# output (and the counterexample, trail.txt) stay in OUT/<run>/.
#
#   run.sh OUT           all runs, MODEL_JOBS at a time (default: the CPUs)
#   run.sh --one OUT RUN one run (used through xargs -P)
set -eu

src=$(cd "$(dirname "$0")" && pwd)
model=$src/vmbus_signal.pml
CC=${HOST_CC:-gcc}

# name | spin flags | check | expected. N (packets) is the model's default.
RUNS="
ring||safety|ok
ring-np||np|ok
reqresp|-DREQRESP|safety|ok
reqresp-np|-DREQRESP|np|ok
ring-wakeup|-DWAKEUP=4|safety|ok
ring-wakeup-np|-DWAKEUP=4|np|ok
reqresp-wakeup|-DREQRESP -DWAKEUP=4|safety|ok
ring-step2|-DSTEP=2|safety|ok
reqresp-step2|-DREQRESP -DSTEP=2|safety|ok
"
for bug in BUG_NO_RECHECK_AFTER_UNMASK BUG_NO_PENDING_RECHECK BUG_STALE_CROSSING \
	BUG_NO_FENCE_SEND BUG_NO_FENCE_RECV BUG_NO_FENCE_UNMASK BUG_BATCH_LAST_PACKET \
	BUG_WAKEUP_OVER_ROOM BUG_NO_PUBLISH_AT_EMPTY; do
	RUNS="$RUNS
ring-$bug|-D$bug|safety|caught
reqresp-$bug|-DREQRESP -D$bug|safety|caught"
done
# A busy-waiting server deadlocks nothing: only the non-progress check sees it.
RUNS="$RUNS
reqresp-np-BUG_POLL_WITHOUT_TAKING|-DREQRESP -DBUG_POLL_WITHOUT_TAKING|np|caught
"

one() {
	out=$1
	run=$2
	line=$(printf '%s\n' "$RUNS" | grep "^$run|")
	flags=$(echo "$line" | cut -d'|' -f2)
	check=$(echo "$line" | cut -d'|' -f3)
	expect=$(echo "$line" | cut -d'|' -f4)

	case $run in
	reqresp*) what="request/response" ;;
	*) what="one ring" ;;
	esac
	[ "$check" = np ] && what="$what, non-progress"
	case $flags in
	*-DWAKEUP=*) what="$what, woken at $(echo "$flags" | sed -n 's/.*-DWAKEUP=\([0-9]*\).*/\1/p') units free" ;;
	esac
	case $flags in
	*-DSTEP=*) what="$what, read index published every $(echo "$flags" | sed -n 's/.*-DSTEP=\([0-9]*\).*/\1/p') units" ;;
	esac
	bug=$(echo "$flags" | sed -n 's/.*-D\(BUG_[A-Z_]*\).*/\1 /p')
	name="vmbus_signal $bug($what)"

	dir=$out/$run
	rm -rf "$dir"
	mkdir -p "$dir"
	cd "$dir"
	cp "$model" vmbus_signal.pml # spin -t looks for the trail beside the model
	result() { # status, message
		printf '%s|  SPIN    %s: %s\n' "$1" "$name" "$2" >"$dir/result"
	}
	# shellcheck disable=SC2086
	if ! spin $flags -a vmbus_signal.pml >spin.log 2>&1; then
		result fail "FAILED: spin -a (see $dir/spin.log)"
		return 0
	fi
	if [ "$check" = np ]; then
		ccflags=-DNP
		panflags=-l
	else
		ccflags=-DSAFETY
		panflags=
	fi
	# COLLAPSE: exact state compression (no hash compaction, nothing missed).
	# A seeded bug is found in a few thousand states: compile fast, not well.
	opt=-O1
	[ "$expect" = caught ] && opt=-O0
	if ! $CC $opt -w $ccflags -DCOLLAPSE -o pan pan.c >cc.log 2>&1; then
		result fail "FAILED: $CC pan.c (see $dir/cc.log)"
		return 0
	fi
	# shellcheck disable=SC2086
	./pan -m200000 -w22 $panflags >pan.log 2>&1 || true

	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' pan.log)
	states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' pan.log)
	if [ -z "$errors" ]; then
		result fail "FAILED: pan did not finish (see $dir/pan.log)"
		return 0
	fi
	if [ "$errors" != 0 ]; then
		# shellcheck disable=SC2086
		spin $flags -t -p -g vmbus_signal.pml >trail.txt 2>&1 || true
		kind=$(sed -n 's/^pan:1: \(.*\) (at depth \([0-9]*\)).*/\1 at depth \2/p' pan.log | head -n 1)
		[ -n "$kind" ] || kind=$(sed -n 's/^pan:1: //p' pan.log | head -n 1)
		if [ "$expect" = caught ]; then
			result ok "caught, $kind"
		else
			result fail "FAILED, $kind (counterexample: $dir/trail.txt)"
		fi
		return 0
	fi
	if [ "$expect" = caught ]; then
		result fail "FAILED: the bug is NOT caught, $states states and no error: the check cannot see it"
		return 0
	fi
	# A truncated search proves nothing.
	if grep -q -e 'max search depth too small' -e 'out of memory' pan.log; then
		result fail "FAILED: incomplete search (see $dir/pan.log)"
		return 0
	fi
	# Every statement reached (FULL, both doorbells, the crossing...), or the
	# pass may be vacuous. Not for -DNP: there the final state is not expanded.
	if [ "$check" = safety ] && grep -q '^	([1-9][0-9]* of [0-9]* states)' pan.log; then
		result fail "FAILED: unreached statements in the model (see $dir/pan.log)"
		return 0
	fi
	result ok "ok, $states states"
}

if [ "${1:-}" = --one ]; then
	one "$2" "$3"
	exit 0
fi

out=${1:?usage: run.sh OUT}
if ! command -v spin >/dev/null 2>&1; then
	echo "model-check: spin not found (Debian package spin)" >&2
	exit 1
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
jobs=${MODEL_JOBS:-$(nproc 2>/dev/null || echo 1)}
names=$(printf '%s\n' "$RUNS" | sed -n 's/^\([^|]*\)|.*/\1/p')

printf '%s\n' "$names" | xargs -P "$jobs" -n 1 sh "$src/run.sh" --one "$out"

status=0
for run in $names; do
	if [ -f "$out/$run/result" ]; then
		res=$(cat "$out/$run/result")
	else
		res="fail|  SPIN    $run: FAILED: no result"
	fi
	echo "${res#*|}"
	[ "${res%%|*}" = ok ] || status=1
done
if [ "$status" != 0 ]; then
	echo "model-check: FAILED (logs in $out)" >&2
fi
exit $status
