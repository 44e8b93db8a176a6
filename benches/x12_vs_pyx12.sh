#!/usr/bin/env bash
# The X12 benchmark (docs/performance.md, "X12 837P parse and validate"): 837P batches of increasing size, written
# by examples/x12_837p_batch.rs (one claim per transaction set, 4 service lines a claim on average), each read by
#   - `handoff validate FILE`: streamed parse and validation (envelope counts and control numbers, segment ids,
#     every claim's required values, amounts, dates and pointers), no rules;
#   - `handoff scrub FILE --format json` with an empty rules store: the same reading, then the CMS rules that need
#     no imported table, and the JSON report written to a file;
#   - pyx12 4.0.0's validator (x12n_document, through tests/interop/x12_validate.py, as CI runs it).
# Wall time, CPU time (user + system) and peak resident memory of each process from /usr/bin/time -v; claims/s and
# lines/s (by wall time) and the ratios.
#
#   benches/x12_vs_pyx12.sh [CLAIMS...]        default: 10000 100000 1000000
#
# pyx12 runs only on sizes up to PYX12_MAX claims (default 100000; at about 440 claims/s, a million would take
# 40 minutes). pyx12 goes in a venv under the cargo target folder; the batches go in a temporary folder that is
# deleted at the end (a million claims is about 1 GB).
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000 1000000)
pyx12_max=${PYX12_MAX:-100000}
target=${CARGO_TARGET_DIR:-target}
venv=$target/x12-bench-venv
handoff=$target/release/handoff
batch=$target/release/examples/x12_837p_batch

cargo build --release --quiet --bin handoff --example x12_837p_batch
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check 'pyx12==4.0.0'

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/empty-store"

# Wall seconds and peak RSS in MiB of one command, whose stdout goes to $work/out; one row of $work/results.
measure() {
  local name=$1 claims=$2 lines=$3
  shift 3
  /usr/bin/time -v -o "$work/time.txt" "$@" > "$work/out" 2> "$work/err" || true
  local wall rss cpu
  cpu=$(awk -F': ' '/(User|System) time \(seconds\)/ {s += $2} END {printf "%.2f", s}' "$work/time.txt")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$work/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$work/time.txt")
  printf '%-16s %9s %9s %9.2f s %8s s %10.0f %10.0f %8s MiB   %s\n' "$name" "$claims" "$lines" "$wall" "$cpu" \
    "$(echo "$claims / $wall" | bc -l)" "$(echo "$lines / $wall" | bc -l)" "$rss" \
    "$(head -c 300 "$work/out" | tr '\n' ' ' | cut -c1-70)$(tail -c 200 "$work/err" | tr '\n' ' ' | cut -c1-90)"
  echo "$claims $name $wall $rss" >> "$work/results"
}

printf '%-16s %9s %9s %11s %10s %10s %10s %12s\n' contender claims lines wall cpu claims/s lines/s "peak RSS"
for claims in "${sizes[@]}"; do
  file=$work/batch-$claims.x12
  "$batch" "$claims" 1 "$file"
  # The claim and line counts as handoff reads them; each contender's verdict (ok / FAIL) is shown on its row.
  summary=$("$handoff" validate "$file")
  lines=$(echo "$summary" | sed -E 's/.* ([0-9]+) service line.*/\1/')
  echo "== $claims claims, $lines lines, $(du -m "$file" | cut -f1) MB"
  measure handoff-validate "$claims" "$lines" "$handoff" validate "$file"
  measure handoff-scrub "$claims" "$lines" "$handoff" scrub "$file" --format json --store "$work/empty-store"
  if [ "$claims" -le "$pyx12_max" ]; then
    measure pyx12 "$claims" "$lines" "$venv/bin/python" tests/interop/x12_validate.py "$file"
  fi
  rm -f "$file"
done

echo "== ratios: pyx12's wall time and peak RSS over each contender's, same file"
awk '{t[$1, $2] = $3; m[$1, $2] = $4; if (!seen[$1]++) order[++n] = $1}
     END {for (i = 1; i <= n; i++) {c = order[i]; if (!((c, "pyx12") in t)) continue
       printf "%9s claims: validate %7.1fx faster, %6.1fx less memory; scrub %7.1fx faster, %6.1fx less memory\n", c,
         t[c, "pyx12"] / t[c, "handoff-validate"], m[c, "pyx12"] / m[c, "handoff-validate"],
         t[c, "pyx12"] / t[c, "handoff-scrub"], m[c, "pyx12"] / m[c, "handoff-scrub"]}}' "$work/results"
