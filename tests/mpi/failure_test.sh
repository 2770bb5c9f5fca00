#!/usr/bin/env bash
# Usage: failure_test.sh MPIEXEC PROGRAM kill|throw DIR
# Runs a 2-rank training whose rank 1 dies (kill) or throws (throw) at step 26. Passes when the job ends within 10 s
# of the failure, non-zero, with rank 1 named in its output, and the last checkpoint then loads.
set -uo pipefail
mpiexec=$1 program=$2 how=$3 dir=$4
rm -rf "$dir" && mkdir -p "$dir"
log=$dir/log.txt
timeout 30 "$mpiexec" -n 2 "$program" fail "$how" "$dir" >"$log" 2>&1
rc=$?
end=$(date +%s.%N)
cat "$log"
failed_at=$(sed -n 's/^test: rank 1 fails .* time \([0-9.]*\)$/\1/p' "$log" | head -1)
[ -n "$failed_at" ] || { echo "FAILED: the failure was never injected"; exit 1; }
[ "$rc" -ne 0 ] || { echo "FAILED: the job exited 0"; exit 1; }
[ "$rc" -ne 124 ] || { echo "FAILED: the job hung (killed by timeout after 30 s)"; exit 1; }
took=$(awk -v a="$failed_at" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
echo "job ended ${took} s after the failure (exit status $rc)"
awk -v t="$took" 'BEGIN { exit !(t < 10) }' || { echo "FAILED: more than 10 s"; exit 1; }
if [ "$how" = kill ]; then pattern='rank 1 .*(signal|Killed|exited)'; else pattern='ganpp: rank 1 of 2: test failure injected'; fi
grep -Eq "$pattern" "$log" || { echo "FAILED: rank 1 is not named in the output (expected /$pattern/)"; exit 1; }
"$program" check "$dir" || { echo "FAILED: the last checkpoint does not load"; exit 1; }
echo passed
