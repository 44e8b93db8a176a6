#!/usr/bin/env bash
# The reconcile benchmark (docs/performance.md, "Reconcile"): N generated patients (default 1,000,000), the EMR
# export reconciled against the PM export by `handoff reconcile` (release build), by datacompy 1.1 on both its
# backends (PolarsCompare, PandasCompare) comparing the same CSVs, and by Polars only reading the two files (the
# floor). Wall time and peak resident memory of each, from /usr/bin/time -v, and the ratios.
#
#   benches/reconcile_vs_datacompy.sh [PATIENTS] [DATA_DIR]
#
# Each contender runs RUNS times (default 3) and its fastest run is kept, so a busy moment on a shared machine
# does not decide the comparison; CPU time (user + system) is printed beside the wall time.
#
# datacompy, Polars and pandas are installed in a venv under the cargo target folder. The exports (about 140 MB a
# million patients each) are written to DATA_DIR (default: a folder under the target folder) and deleted at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

patients=${1:-1000000}
target=${CARGO_TARGET_DIR:-target}
data=${2:-$target/reconcile-bench}
venv=$target/bench-venv
handoff=$target/release/handoff

cargo build --release --quiet
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check 'datacompy==1.1.0' 'polars==1.33.1' 'pandas==3.0.6'

mkdir -p "$data"
trap 'rm -rf "$data"' EXIT
/usr/bin/time -f '%e s, %M KiB' "$handoff" generate --patients "$patients" --seed 1 --out "$data" 2>&1 | tail -2
ls -l "$data"

runs=${RUNS:-3}

# Wall seconds, CPU seconds and peak RSS in MiB of the fastest of $runs runs of one command, whose stdout goes to
# $data/out.
measure() {
  local name=$1
  shift
  local best="" run wall cpu rss
  for run in $(seq "$runs"); do
    /usr/bin/time -v -o "$data/time.txt" "$@" > "$data/out" 2> "$data/err" || true
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$data/time.txt")
    cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$data/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$data/time.txt")
    if [ -z "$best" ] || awk -v a="$wall" -v b="${best%% *}" 'BEGIN {exit !(a < b)}'; then
      best="$wall $cpu $rss"
    fi
  done
  read -r wall cpu rss <<< "$best"
  printf '%-18s %8.2f s wall %7.2f s cpu %8s MiB   %s\n' "$name" "$wall" "$cpu" "$rss" \
    "$(tail -c 300 "$data/err" | tr '\n' ' ' | cut -c1-160)"
  echo "$name $wall $rss" >> "$data/results"
}

rm -f "$data/results"
echo "== $patients patients: fastest of $runs runs, wall time, CPU time, peak RSS; load average $(cut -d" " -f1-3 /proc/loadavg)"
measure handoff "$handoff" reconcile --emr "$data/emr.csv" --pm "$data/pm.csv" --format json
measure datacompy-polars "$venv/bin/python" benches/reconcile_vs_datacompy.py datacompy-polars "$data/emr.csv" "$data/pm.csv"
measure datacompy-pandas "$venv/bin/python" benches/reconcile_vs_datacompy.py datacompy-pandas "$data/emr.csv" "$data/pm.csv"
measure polars-read "$venv/bin/python" benches/reconcile_vs_datacompy.py polars-read "$data/emr.csv" "$data/pm.csv"

echo "== ratios (handoff = 1)"
awk 'NR == 1 {w = $2; m = $3} {printf "%-18s time %6.2fx   memory %6.2fx\n", $1, $2 / w, $3 / m}' "$data/results"
