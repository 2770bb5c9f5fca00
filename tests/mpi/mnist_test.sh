#!/usr/bin/env bash
# Usage: mnist_test.sh MPIEXEC GANPP_MNIST DATA_DIR OUT_DIR
# ganpp-mnist under mpiexec -n 2 on the synthetic IDX set: trains, only rank 0 prints and writes, and its checkpoint
# resumes in one process, continuing the step count.
set -uo pipefail
mpiexec=$1 mnist=$2 data=$3 out=$4
rm -rf "$out"
fail() { echo "FAILED: $*"; exit 1; }
log=$("$mpiexec" -n 2 "$mnist" --data "$data" --model dcgan --steps 6 --batch 16 --samples 0 --threads 1 --out "$out" 2>&1)
rc=$?
echo "$log"
[ "$rc" -eq 0 ] || fail "exit status $rc"
[ "$(grep -c '^ganpp-mnist: model' <<<"$log")" -eq 1 ] || fail "expected one header line (rank 0 only)"
grep -q '2 ranks (sync BatchNorm) x 1 threads' <<<"$log" || fail "the header does not name the 2 ranks"
grep -q '^done: 6 steps' <<<"$log" || fail "no 'done: 6 steps'"
for f in checkpoint.ganpp losses.csv grid-final.png report.html; do [ -f "$out/$f" ] || fail "$out/$f missing"; done
[ "$(($(wc -l <"$out/losses.csv") - 1))" -eq 6 ] || fail "losses.csv should hold 6 rows"
log=$("$mpiexec" -n 1 "$mnist" --data "$data" --model dcgan --steps 8 --batch 16 --samples 0 --threads 1 --out "$out" \
  --resume "$out/checkpoint.ganpp" 2>&1)
rc=$?
echo "$log"
[ "$rc" -eq 0 ] || fail "resume: exit status $rc"
grep -q 'resuming at step 6' <<<"$log" || fail "resume did not start at step 6"
grep -q '^done: 8 steps' <<<"$log" || fail "resume: no 'done: 8 steps'"
echo passed
