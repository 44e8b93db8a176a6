#!/usr/bin/env bash
# Soak: the shipped scenarios, once per generated patient, against the two soak simulators in benches/soak/
# (a shared record and an interfaced pair), whose transports fault about 1 % of requests — 503, 429 with
# Retry-After, 500, resets, malformed JSON, wrong content types and hangs. Measures wall time and peak memory,
# samples memory as the run goes, and checks from report.json that the run completed, that every flow is there,
# and that every fault a simulator fired was retried or reported as a finding.
#
#   benches/soak.sh [PATIENTS]    (default 1667: 3 scenarios × 1667 patients × 2 targets = 10,002 flows)
#   benches/soak.sh --served [PATIENTS]
#                                 the shared profile alone, served by `handoff mock serve` in its own process
#                                 and run against as real systems: the harness's memory apart from the
#                                 simulator's, which keeps every record it is sent (no fault accounting here:
#                                 only a run that starts its simulators reads their tally)
#
# Uses the release binary (built if missing; HANDOFF_BIN to name another). Writes nothing it keeps: the reports
# go to a temporary folder, removed on exit. Exits 1 if any check fails. Figures: docs/reliability.md.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
served=""
if [ "${1:-}" = "--served" ]; then
  served=1
  shift
fi
patients="${1:-1667}"
bin="${HANDOFF_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/handoff}"
if [ ! -x "$bin" ]; then
  (cd "$repo" && cargo build --release --quiet)
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

targets="$repo/benches/soak"
if [ -n "$served" ]; then
  . "$repo/benches/serve.sh"
  serve_simulator "$bin" "$repo/benches/soak/soak-shared.yaml" "$work" served-soak-shared
  trap 'kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
  targets="$work/served-soak-shared.yaml"
fi

echo "soak: $patients patient(s) per scenario against ${served:+the served }$(basename "$targets"), binary $bin"
start=$(date +%s.%N)
# Run from the temporary folder, so reports/<run-id>/ lands there; no --out, so no wire artifacts are kept.
# `flow finished` is logged once a flow, so each memory sample can be set against the flows done by then.
(cd "$work" && HANDOFF_LOG="warn,handoff::engine::run=info" exec "$bin" run "$repo/scenarios" --target "$targets" --patients "$patients" --seed 11 \
  --jobs 64 --deadline none >"$work/stdout.txt" 2>"$work/stderr.txt") &
pid=$!
# Resident memory every second while it runs (VmHWM is the peak the kernel saw), the flows finished by then, and
# the served simulator's memory.
while kill -0 "$pid" 2>/dev/null; do
  done_flows=$(grep -c "flow finished" "$work/stderr.txt" 2>/dev/null || true)
  awk -v t="$(date +%s.%N)" -v d="${done_flows:-0}" '/^VmRSS|^VmHWM/ {v[$1]=$2}
    END {if (v["VmRSS:"]) print t, v["VmRSS:"], v["VmHWM:"], d}' "/proc/$pid/status" >>"$work/memory.txt" 2>/dev/null || true
  if [ -n "$served" ]; then
    awk '/^VmRSS/ {print $2}' "/proc/$server/status" >>"$work/server-memory.txt" 2>/dev/null || true
  fi
  sleep 1
done
set +e
wait "$pid"
status=$?
set -e
end=$(date +%s.%N)

python3 - "$work" "$status" "$start" "$end" "$patients" "$served" <<'PY'
import glob, json, os, sys
work, status, start, end, patients = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
served = bool(sys.argv[6])
problems = []
# 1: an expectation failed (faults make some); 3: a system could not be reached (a reset or hang is reported as
# one). Anything else (a panic is 101, a signal is negative) is a crash.
if status not in (1, 3):
    problems.append(f"handoff exited {status}")
reports = glob.glob(f"{work}/reports/*/report.json")
if len(reports) != 1:
    print(open(f"{work}/stderr.txt").read()[-4000:])
    sys.exit(f"FAIL  expected one report.json, found {len(reports)}")
report = json.load(open(reports[0]))
if "incomplete" in report:
    problems.append(f"the run is incomplete: {report['incomplete']}")
samples = [line.split() for line in open(f"{work}/memory.txt")]
rss = [int(s[1]) for s in samples]
peak = max(int(s[2]) for s in samples) if samples else 0
flows = 0
print(f"wall time      {end - start:.1f} s (the run says {report['duration_ms'] / 1000:.1f} s)")
print(f"peak RSS       {peak / 1024:.0f} MiB (VmHWM), {len(samples)} one-second samples")
total = sum(len(t["flows"]) for t in report["targets"])
done = [int(s[3]) for s in samples]
# RSS at the first sample by which a quarter, half, three quarters and all of the flows had finished: the
# simulators and the harness while flows run, before the reports are written.
at = [next((r for r, d in zip(rss, done) if d >= total * q // 4), rss[-1] if rss else 0) for q in (1, 2, 3, 4)]
print("RSS            " + ", ".join(f"{m / 1024:.0f} MiB at {q * 25} %" for q, m in zip((1, 2, 3, 4), at))
      + " of the flows finished")
# Growth a flow: the least-squares slope of RSS against flows finished, over the samples from a quarter of the
# flows to the last flow (the first quarter is start-up: pools, caches and the allocator's arenas filling).
span = [(d, r) for r, d in zip(rss, done) if total // 4 <= d < total]
if len(span) >= 2 and len({d for d, _ in span}) >= 2:
    md = sum(d for d, _ in span) / len(span)
    mr = sum(r for _, r in span) / len(span)
    slope = sum((d - md) * (r - mr) for d, r in span) / sum((d - md) ** 2 for d, _ in span)
    print(f"growth         {slope:.1f} KiB a flow between 25 % and 100 % of the flows finished ({len(span)} samples)")
report_samples = [r for r, d in zip(rss, done) if d >= total]
if report_samples:
    print(f"after the flows {len(report_samples)} sample(s) writing the reports, RSS up to {max(report_samples) / 1024:.0f} MiB")
if served and os.path.exists(f"{work}/server-memory.txt"):
    server = [int(line) for line in open(f"{work}/server-memory.txt") if line.strip()]
    print(f"simulator RSS  {server[0] / 1024:.0f} MiB at first sample, {server[-1] / 1024:.0f} MiB at the last "
          f"(its own process, holding every record)")
print(f"exit code      {status}")
for target in report["targets"]:
    n = len(target["flows"])
    flows += n
    if n != len(report["scenarios"]):
        problems.append(f"{target['name']}: {n} flows in the report, {len(report['scenarios'])} run")
    passed = sum(1 for f in target["flows"] if f["passed"])
    faults = target.get("faults")
    if served:
        print(f"{target['name']:<16} {n} flows, {passed} passed, {len(target['findings'])} findings")
        continue
    if faults is None:
        problems.append(f"{target['name']}: no fault tally in the report")
        continue
    fired = sum(faults["fired"].values())
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(faults["fired"].items()))
    requests = max((f["matched"] for f in faults["faults"]), default=0)
    print(f"{target['name']:<16} {n} flows, {passed} passed; ~{requests} requests; faults fired {fired} ({kinds}); "
          f"retried {faults['retried']}, reported {faults['reported']}, unaccounted {faults['unaccounted']}")
    if faults["unaccounted"]:
        problems.append(f"{target['name']}: {faults['unaccounted']} fault(s) neither retried nor reported")
    if fired == 0:
        problems.append(f"{target['name']}: no fault fired, so nothing was soaked")
print(f"flows          {flows}")
for p in problems:
    print(f"FAIL  {p}")
sys.exit(1 if problems else 0)
PY
