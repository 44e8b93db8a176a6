#!/usr/bin/env bash
# Live runs against a load generator: 1,000 register-to-claim flows against a simulator served by
# `handoff mock serve`, and the raw request rate of the same simulator measured by `oha` in the same run.
#
#   benches/live_vs_oha.sh [FLOWS] [JOBS] [PROFILE]
#     FLOWS    register-to-claim flows (default 1000): the two shipped scenarios that bill and await the payer's
#              835, once per generated patient each
#     JOBS     flows at once, and oha's connections (default 64, `handoff run`'s default)
#     PROFILE  the simulator (default mocks/integrated-suite.yaml: one database, no interface delay, no defects,
#              so the flows wait on nothing but the systems' answers and the payer)
#
# The harness's exchanges are the FHIR requests the simulator counted (`GET /$requests`) during the run; oha then
# sends, at the same concurrency and each for as many requests as the run made: a FHIR read (`GET Patient/{id}` of
# a patient a flow registered); the reads and searches of a sample flow (`--urls-from-file`, every GET the flow
# made, taken from its wire artifacts); and a FHIR create (`POST Patient` with the body the flow sent). Prints
# flows/s, exchanges/s, oha's requests/s, and oha's rate on the flow's mix (its GETs' rate and the create rate,
# weighted by how many GETs and writes the sample flow made) against the harness's: the issue's aim is 2x or less.
# Then oha sends each other write of the sample flow again with its own body (its Coverages, its Appointment, its
# transaction Bundle to the system's base) and prints the mix with each write at its own rate (`oha each write`;
# `$build-claim`, which does not do again what it did the first time, stays at the create rate). Last, `$build-claim`
# at its own rate (`oha every write`): the sample's scenario without its claim steps is run for BILLABLE patients
# (default 3 x BUILD_REQUESTS, default 3000), and oha posts BUILD_REQUESTS `$build-claim`s picked from their URLs,
# timed until the simulator has finished the payer's round trips they started. oha 1.16.0 is installed under the
# target folder if missing (a bench's tool, not a test's: .ci/run does not install it). Uses the release binary
# (built if missing; HANDOFF_BIN to name another). Writes nothing it keeps. Figures: docs/performance.md.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
flows="${1:-1000}"
jobs="${2:-64}"
profile="${3:-$repo/mocks/integrated-suite.yaml}"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
bin="${HANDOFF_BIN:-$target_dir/release/handoff}"
if [ ! -x "$bin" ]; then
  (cd "$repo" && cargo build --release --quiet)
fi
oha_root="$target_dir/oha-1.16.0"
oha="$oha_root/bin/oha"
if [ ! -x "$oha" ]; then
  cargo install oha --locked --version 1.16.0 --no-default-features --features rustls --root "$oha_root" --quiet
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
. "$repo/benches/serve.sh"
serve_simulator "$bin" "$profile" "$work" served
trap 'kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/scenarios"
cp "$repo/scenarios/new-medicare-patient-em-25-with-procedure.yaml" \
  "$repo/scenarios/established-patient-in-office-lab.yaml" "$work/scenarios/"
requests() { curl -s "$pm/\$requests" | python3 -c 'import json, sys; print(json.load(sys.stdin)["requests"])'; }

# One flow with its wire artifacts, for the bodies oha sends: what the run really sends, not a made-up patient.
# (--show-phi: the served simulator is a target of real systems to the harness, whose artifacts are otherwise
# withheld; its patients are synthetic.)
"$bin" run "$work/scenarios/new-medicare-patient-em-25-with-procedure.yaml" --target "$work/served.yaml" \
  --patients 1 --seed 99 --out "$work/sample" --show-phi >/dev/null 2>&1 || true
post_body=$(find "$work/sample/artifacts" -name '*-sent-POST-Patient.json' | sort | head -1)
read_id=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' \
  "$(find "$work/sample/artifacts" -name '*-received-201-POST-Patient.json' | sort | head -1)")
[ -s "$post_body" ] && [ -n "$read_id" ] || { echo "FAIL  no Patient POST in the sample run's artifacts"; exit 1; }
# The flow's own reads and searches, for oha to send as a mix: each GET the sample flow made, its URL taken from
# what it got back (a searchset's self link; a resource's type and id, on the base of the system that answered).
python3 - "$work/sample/artifacts" "$emr" "$pm" "$work/get-urls.txt" "$work/mix.txt" "$work/writes.txt" <<'PY'
import json, os, re, sys
artifacts, emr, pm, urls_path, mix_path, writes_path = sys.argv[1:]
urls, writes, flows = [], 0, 0
# Each write the flow sent other than the Patient's create (oha's create run is that one), with where it went and
# its body, for oha to send again: a transaction Bundle to the system's base, a resource to its type. An operation
# (`$build-claim`) does not do again what it did the first time, so it is not sent again (it stays at the create rate).
sent = []
for root, _, files in os.walk(artifacts):
    if os.path.basename(root) == "setup":
        continue
    for name in sorted(files):
        m = re.match(r"\d+-(emr|pm)-sent-POST-([A-Za-z]+)\.json$", name)
        if not m or m.group(2) == "Patient":
            continue
        base = emr if m.group(1) == "emr" else pm
        body = os.path.join(root, name)
        kind = json.load(open(body)).get("type") if m.group(2) == "Bundle" else None
        url = base if kind in ("transaction", "batch") else f"{base}/{m.group(2)}"
        sent.append(f"{url} {body} {m.group(2) if kind is None else kind}")
open(writes_path, "w").write("\n".join(sent) + ("\n" if sent else ""))
for root, _, files in os.walk(artifacts):
    if os.path.basename(root) == "setup":
        continue
    exchanged = [(n, re.match(r"\d+-(emr|pm)-received-\d+-(GET|POST|PUT)-", n)) for n in sorted(files)]
    exchanged = [(n, m) for n, m in exchanged if m]
    flows += 1 if exchanged else 0
    for name, m in exchanged:
        if m.group(2) != "GET":
            writes += 1
            continue
        body = json.load(open(os.path.join(root, name)))
        if body.get("resourceType") == "Bundle":
            url = next(l["url"] for l in body["link"] if l["relation"] == "self")
        else:
            url = f"{emr if m.group(1) == 'emr' else pm}/{body['resourceType']}/{body['id']}"
        urls.append(url.replace("#", "%23"))
open(urls_path, "w").write("\n".join(urls) + "\n")
open(mix_path, "w").write(f"{len(urls)} {writes} {flows}\n")
PY

patients=$(( (flows + 1) / 2 ))
# CPU seconds (user + system) the served simulator has used so far, from /proc.
server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f\n", ($14 + $15) / hz}' "/proc/$server/stat"; }
timed() { /usr/bin/time -f '%e %U %S' -o "$1" "${@:2}"; }

before=$(requests)
server_before=$(server_cpu)
set +e
(cd "$work" && timed "$work/time-run.txt" "$bin" run "$work/scenarios" --target "$work/served.yaml" \
  --patients "$patients" --seed 7 --jobs "$jobs" --deadline none --format json >"$work/report.json" 2>"$work/stderr.txt")
status=$?
set -e
after=$(requests)
server_run=$(server_cpu)
exchanges=$((after - before))

timed "$work/time-read.txt" "$oha" -n "$exchanges" -c "$jobs" --no-tui --output-format json "$pm/Patient/$read_id" \
  >"$work/oha-read.json"
server_read=$(server_cpu)
timed "$work/time-mix.txt" "$oha" -n "$exchanges" -c "$jobs" --no-tui --output-format json --urls-from-file \
  "$work/get-urls.txt" >"$work/oha-mix.json"
server_mix=$(server_cpu)
timed "$work/time-create.txt" "$oha" -n "$exchanges" -c "$jobs" --no-tui --output-format json -m POST \
  -T application/fhir+json -D "$post_body" "$pm/Patient" >"$work/oha-create.json"
server_create=$(server_cpu)
# The flow's other writes, each sent as often as the run made exchanges in all, one after another; last, because
# each adds records to the simulator's store.
i=0
while read -r url body kind; do
  i=$((i + 1))
  "$oha" -n "$exchanges" -c "$jobs" --no-tui --output-format json -m POST -T application/fhir+json -D "$body" \
    "$url" >"$work/oha-write-$i.json"
  echo "$kind" >"$work/oha-write-$i.kind"
done <"$work/writes.txt"

# `$build-claim` at its own rate. A second one for the same patient finds no billable charges, so it needs patients
# whose charges wait to be billed: the sample's scenario up to its charges (no claim steps) is run for BILLABLE
# patients first (default three per request sent, as oha picks each URL at random from the file; a pick of a patient
# already billed is answered 422 at once, and counted apart). The claim goes to the payer in the background after the
# PM answers, so the time counted runs until the simulator has gone quiet again, not only until oha is done.
build_requests="${BUILD_REQUESTS:-3000}"
billable="${BILLABLE:-$((build_requests * 3))}"
mkdir -p "$work/unbilled"
grep -vE '^  - (build_claim|expect_claim|expect_remittance):' \
  "$repo/scenarios/new-medicare-patient-em-25-with-procedure.yaml" >"$work/unbilled/charges-only.yaml"
(cd "$work" && "$bin" run "$work/unbilled" --target "$work/served.yaml" --patients "$billable" --seed 11 \
  --jobs "$jobs" --deadline none --format json >"$work/unbilled.json" 2>/dev/null) || true
python3 - "$work/unbilled.json" "$pm" "$work/build-urls.txt" <<'PY'
import json, sys
report, pm, out = sys.argv[1:]
flows = [f for t in json.load(open(report))["targets"] for f in t["flows"] if f["passed"]]
ids = [i["patient_id"] for f in flows for i in f["identities"] if i["role"] == "pm"]
open(out, "w").write("".join(f"{pm}/Patient/{i}/$build-claim\n" for i in ids))
PY
build_body=$(find "$work/sample/artifacts" -name '*-pm-sent-POST-Patient-build-claim.json' | sort | head -1)
if [ -s "$work/build-urls.txt" ] && [ -s "$build_body" ]; then
  "$oha" -n "$build_requests" -c "$jobs" --no-tui --output-format json -m POST -T application/fhir+json \
    -D "$build_body" --urls-from-file "$work/build-urls.txt" >"$work/oha-build.json"
  # Until the simulator is quiet (no CPU used between two looks a fiftieth of a second apart: the clearinghouse's
  # round trips are done). The end counted is the look before the last one that saw it busy, the earliest it can
  # have finished, so the wait is never counted against the simulator's rate.
  oha_done=$(date +%s.%N)
  build_end=$oha_done
  last=$build_end
  previous=$(server_cpu)
  while sleep 0.02; do
    now=$(server_cpu)
    [ "$now" = "$previous" ] && break
    previous=$now
    build_end=$last
    last=$(date +%s.%N)
  done
  echo "$oha_done $build_end $(wc -l <"$work/build-urls.txt")" >"$work/build-time.txt"
fi

python3 - "$work" "$status" "$exchanges" "$jobs" "$profile" "$server_before" "$server_run" "$server_read" \
  "$server_mix" "$server_create" <<'PY'
import json, sys
work, status, exchanges, jobs, profile = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
server = [float(v) for v in sys.argv[6:11]]
def cpu(name):
    wall, user, system = (float(v) for v in open(f"{work}/time-{name}.txt").read().split()[-3:])
    return wall, user + system
report = json.load(open(f"{work}/report.json"))
flows = [f for t in report["targets"] for f in t["flows"]]
passed = sum(1 for f in flows if f["passed"])
run_s = report["duration_ms"] / 1000
wall, harness_cpu = cpu("run")
server_cpu = server[1] - server[0]
print(f"simulator      {profile}, served by `handoff mock serve`; {jobs} at once")
print(f"harness        {len(flows)} flows ({passed} passed, exit {status}) in {run_s:.2f} s of flows "
      f"({wall:.2f} s with start-up and writing the reports) = {len(flows) / run_s:.1f} flows/s")
print(f"               {exchanges} HTTP exchanges ({exchanges / len(flows):.1f} a flow) = {exchanges / run_s:.0f} exchanges/s")
print(f"               CPU: harness {harness_cpu:.2f} s (with the reports), simulator {server_cpu:.2f} s = "
      f"{(harness_cpu + server_cpu) / exchanges * 1e6:.0f} us an exchange, both sides")
harness_rate = exchanges / run_s
rates = {}
for i, name in enumerate(("read", "mix", "create")):
    result = json.load(open(f"{work}/oha-{name}.json"))
    summary = result["summary"]
    rate = rates[name] = summary["requestsPerSec"]
    _, oha_cpu = cpu(name)
    sim = server[2 + i] - server[1 + i]
    label = "GETs" if name == "mix" else name
    print(f"oha {label:<10} {rate:.0f} requests/s (success {summary['successRate']:.3f}, status "
          f"{result.get('statusCodeDistribution', {})}, mean {summary['average'] * 1000:.1f} ms); "
          f"CPU: oha {oha_cpu:.2f} s, simulator {sim:.2f} s = {(oha_cpu + sim) / exchanges * 1e6:.0f} us a request")
    print(f"ratio          oha {label} / harness = {rate / harness_rate:.2f}x the exchanges a second")
# The flows' mix: their reads and searches at the rate oha got for the same GETs, their writes at its create rate.
gets, writes, sampled = (int(v) for v in open(f"{work}/mix.txt").read().split())
share = gets / (gets + writes)
mixed = 1 / (share / rates["mix"] + (1 - share) / rates["create"])
print(f"oha flow mix   {mixed:.0f} requests/s (the GETs' and the creates' rates weighted {gets}:{writes}, the "
      f"sample's {sampled} flow{'s' if sampled != 1 else ''})")
print(f"ratio          oha flow mix / harness = {mixed / harness_rate:.2f}x the exchanges a second")
# The same mix with each write the flow sent at oha's rate for that write: its Coverages, Appointment and
# transaction Bundle each sent again with their own bodies; the Patient's create and `$build-claim` at the create rate.
import glob
write_rates = []
for path in sorted(glob.glob(f"{work}/oha-write-*.json"), key=lambda p: int(p.rsplit("-", 1)[1].split(".")[0])):
    summary = json.load(open(path))["summary"]
    kind = open(path.replace(".json", ".kind")).read().strip()
    write_rates.append(summary["requestsPerSec"])
    print(f"oha {kind:<10} {summary['requestsPerSec']:.0f} requests/s (success {summary['successRate']:.3f}), "
          f"the flow's own body sent again")
if write_rates:
    at_create = max(writes - len(write_rates), 0)
    time = gets / rates["mix"] + at_create / rates["create"] + sum(1 / r for r in write_rates)
    each = (gets + at_create + len(write_rates)) / time
    print(f"oha each write {each:.0f} requests/s (the flow's {gets} GETs, {len(write_rates)} writes each at its own rate, "
          f"{at_create} at the create rate)")
    print(f"ratio          oha each write / harness = {each / harness_rate:.2f}x the exchanges a second")
import os
if write_rates and os.path.exists(f"{work}/build-time.txt"):
    oha_done, end, prepared = open(f"{work}/build-time.txt").read().split()
    result = json.load(open(f"{work}/oha-build.json"))
    codes = result.get("statusCodeDistribution", {})
    built, sent = int(codes.get("201", 0)), sum(int(n) for n in codes.values())
    # Every request over oha's own time (its first request to its last answer) and then the simulator's until it
    # was quiet: a 422 (a patient picked twice) is counted as if it had built a claim, which errs against the harness.
    build_rate = sent / (result["summary"]["total"] + float(end) - float(oha_done)) if built else 0
    print(f"oha $build-claim {build_rate:.0f} requests/s ({built} claims built for {prepared} patients with billable "
          f"charges, status {codes}; oha alone {result['summary']['requestsPerSec']:.0f} requests/s; timed until "
          f"the simulator was quiet again)")
    if build_rate:
        builds = sum(1 for p in glob.glob(f"{work}/sample/artifacts/**/*-sent-POST-Patient-build-claim.json",
                                           recursive=True) if "/setup/" not in p)
        at_create = max(writes - len(write_rates) - builds, 0)
        time = gets / rates["mix"] + at_create / rates["create"] + sum(1 / r for r in write_rates) + builds / build_rate
        every = (gets + at_create + len(write_rates) + builds) / time
        print(f"oha every write {every:.0f} requests/s (as `each write`, with {builds} `$build-claim` at its own rate)")
        print(f"ratio          oha every write / harness = {every / harness_rate:.2f}x the exchanges a second "
              "(aim: 2x or less)")
if status not in (0, 1) or not flows:
    sys.exit(f"FAIL  handoff exited {status}")
PY
