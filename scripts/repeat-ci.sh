#!/usr/bin/env bash
# Runs CI as CI does it, N times in a row: each run in a fresh clone of this repository's
# HEAD (or of --ref), as `CI=true bash .ci/run` with no standard input, then prints each
# run's result and the tests that failed in it.
#
#   scripts/repeat-ci.sh [N=3] [--busy] [--ref REF] [--keep]
#
#   --busy   keep one core busy during every run (a bounded Node busy loop, pinned
#            to CPU 0 when `taskset` exists), since CI shares its machine
#   --ref    the commit, branch or tag to clone (default HEAD)
#   --keep   keep the clones and logs (default: keep only the logs of failed runs)
#
# Logs go to ${REPEAT_CI_DIR:-/tmp/itda-repeat-ci}/run-<i>.log. Exits 1 if any run failed.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

n=3 busy=0 ref=HEAD keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --busy) busy=1 ;;
    --keep) keep=1 ;;
    --ref) ref="$2"; shift ;;
    [0-9]*) n="$1" ;;
    *) echo "usage: scripts/repeat-ci.sh [N] [--busy] [--ref REF] [--keep]" >&2; exit 2 ;;
  esac
  shift
done
if ! [ "$n" -ge 1 ] 2>/dev/null || [ "$n" -gt 50 ]; then echo "N must be 1–50" >&2; exit 2; fi

out=${REPEAT_CI_DIR:-/tmp/itda-repeat-ci}
mkdir -p "$out"
commit=$(git rev-parse --short "$ref")
echo "repeat-ci: $n run(s) of .ci/run on $commit$([ $busy = 1 ] && echo ', one core kept busy'); logs in $out"

hog_pid=
stop_hog() { [ -n "$hog_pid" ] && kill "$hog_pid" 2>/dev/null; hog_pid=; }
trap stop_hog EXIT INT TERM

failed_runs=0
for i in $(seq 1 "$n"); do
  dir=$(mktemp -d "${TMPDIR:-/tmp}/itda-ci-XXXXXX")
  log="$out/run-$i.log"
  git clone -q --no-local "$repo" "$dir/itda" && git -C "$dir/itda" checkout -q "$commit"
  if [ $busy = 1 ]; then
    # Bounded: 95 minutes at most (longer than CI's limit), and stopped when the run ends.
    pin=(); command -v taskset >/dev/null && pin=(taskset -c 0)
    "${pin[@]}" node -e 'const end = Date.now() + 95 * 60_000; while (Date.now() < end) {}' &
    hog_pid=$!
  fi
  start=$(date +%s)
  (cd "$dir/itda" && CI=true bash .ci/run </dev/null >"$log" 2>&1)
  rc=$?
  secs=$(( $(date +%s) - start ))
  stop_hog
  summary=$(grep -E '^ℹ (tests|pass|fail) ' "$log" | awk '{print $2"="$3}' | paste -sd' ')
  if [ $rc = 0 ]; then
    echo "run $i: passed in ${secs}s ($summary)"
    [ $keep = 1 ] || rm -f "$log"
  else
    failed_runs=$((failed_runs + 1))
    echo "run $i: FAILED (exit $rc) in ${secs}s ($summary); log $log"
    # The runner's closing list of failures: the test names and their first error lines.
    sed -n '/^✖ failing tests:/,$p' "$log" | grep -E '^(test at|✖|  [A-Za-z]*Error|  Error)' | head -20 | sed 's/^/    /'
    if ! grep -q '^✖ failing tests:' "$log"; then tail -15 "$log" | sed 's/^/    /'; fi
  fi
  [ $keep = 1 ] || rm -rf "$dir"
done
echo "repeat-ci: $((n - failed_runs)) of $n passed"
[ $failed_runs = 0 ]
