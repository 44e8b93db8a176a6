//! A small finished run for reporters' unit tests: one clean suite and one interfaced pair whose vendor values
//! carry markup and URLs, so every format must escape what systems send.

use serde_json::json;

use super::RunReport;

pub fn two_targets() -> RunReport {
    let clean = json!({
        "name": "integrated-suite", "source": "mocks/integrated-suite.yaml", "kind": "simulator",
        "endpoints": { "emr": "http://127.0.0.1:40001", "pm": "http://127.0.0.1:40001" },
        "scores": { "sync_gap_pct": 0.0, "handoff_accuracy_pct": 100.0, "duplicate_entry_pct": 0.0, "clean_claim_pct": 100.0 },
        "tallies": { "sync_expected": 20, "sync_gaps": 0, "handoff_elements": 31, "handoff_exact": 31,
                     "keyed_fields": 40, "rekeyed_fields": 0, "claims_scrubbed": 1, "claims_clean": 1 },
        "latency": { "patient": { "count": 2, "p50_ms": 3, "p95_ms": 9, "max_ms": 9 } },
        "topology": { "verdict": "shared_record", "evidence": "the same patient id in both roles in 1 of 1 flows" },
        "redundancy": { "known": true, "paid_twice": [], "missing": [], "monthly_total": 510.0, "monthly_paid_twice": 0.0 },
        "capabilities": {},
        "flows": [{ "scenario": "new-patient", "passed": true, "identities": [],
                    "steps": [{ "step": 1, "action": "register", "status": "passed", "elapsed_ms": 12 },
                              { "step": 2, "action": "expect_synced", "status": "passed", "elapsed_ms": 5 }] }],
        "findings": []
    });
    let pair = json!({
        "name": "pair <b>&</b> co", "source": "mocks/pair.yaml", "kind": "systems",
        "endpoints": { "emr": "https://emr.example.com/fhir/r4", "pm": null },
        "scores": { "sync_gap_pct": 5.0, "handoff_accuracy_pct": 96.77, "duplicate_entry_pct": 25.0, "clean_claim_pct": null },
        "tallies": { "sync_expected": 20, "sync_gaps": 1, "handoff_elements": 31, "handoff_exact": 30,
                     "keyed_fields": 40, "rekeyed_fields": 10, "claims_scrubbed": 0, "claims_clean": 0 },
        "latency": { "patient": { "count": 2, "p50_ms": 310, "p95_ms": 950, "max_ms": 1200 },
                     "charge": { "count": 1, "p50_ms": 420, "p95_ms": 420, "max_ms": 420 } },
        "topology": { "verdict": "interfaced", "evidence": "the same patient id in both roles in 0 of 1 flows" },
        "redundancy": { "known": true, "missing": ["problem_list"], "monthly_total": 624.0, "monthly_paid_twice": 40.0,
                        "paid_twice": [{ "module": "scheduling", "extra_monthly": 40.0, "offers": [
                            { "role": "emr", "product": "ChartWise <EMR>", "monthly": 40.0 },
                            { "role": "pm", "product": "LedgerPoint PM", "monthly": 60.0 }] }] },
        "capabilities": {},
        "flows": [{ "scenario": "new-patient", "passed": false, "identities": [],
                    "steps": [{ "step": 1, "action": "register", "status": "passed", "elapsed_ms": 40 },
                              { "step": 2, "action": "expect_synced", "status": "failed", "elapsed_ms": 350 },
                              { "step": 3, "action": "build_claim", "status": "passed", "elapsed_ms": 30 },
                              { "step": 4, "action": "expect_claim", "status": "failed", "elapsed_ms": 20 }] }],
        "findings": [
            { "category": "sync", "kind": "truncated", "scenario": "new-patient", "step": 2, "action": "expect_synced",
              "record": "patient", "field": "name.family", "expected": "O'Connor-Whitfield", "actual": "O'Connor-W",
              "system": "emr", "latency_ms": 310, "counts": true,
              "message": "patient.name.family in the emr is `O'Connor-W` where the pm has `O'Connor-Whitfield` (truncated)" },
            { "category": "sync", "kind": "format_only", "scenario": "new-patient", "step": 2, "action": "expect_synced",
              "record": "patient", "field": "phone", "expected": "(813) 555-0142", "actual": "8135550142",
              "system": "emr", "counts": false, "message": "patient.phone differs in form only" },
            { "category": "redundancy", "kind": "duplicate_entry", "scenario": "new-patient", "step": 3,
              "action": "build_claim", "record": "charge", "field": "line[1]", "expected": 10, "actual": null,
              "system": "pm", "counts": true, "message": "staff keyed the charge for 99204 again: 10 fields keyed twice" },
            { "category": "handoff", "kind": "dropped", "scenario": "new-patient", "step": 4, "action": "expect_claim",
              "record": "claim", "field": "line[1].modifier[1]", "expected": "25", "actual": null, "system": "pm",
              "hop": "pm.charge", "counts": true,
              "message": "line[1].modifier[1] `25` was documented but is missing from pm.charge" },
            { "category": "handoff", "kind": "changed", "scenario": "new-patient", "step": 4, "action": "expect_claim",
              "record": "claim", "field": "diagnosis[2]", "expected": "E11.65",
              "actual": "<img src=\"https://tracker.example/x.png\">", "system": "pm", "hop": "pm.encounter",
              "counts": true, "message": "diagnosis[2] was documented as `E11.65` but pm.encounter holds <script>alert(1)</script>" }
        ]
    });
    serde_json::from_value(json!({
        "version": 1, "run_id": "20260601T090000Z-abcd",
        "started_at": "2026-06-01T09:00:00Z", "finished_at": "2026-06-01T09:00:21.5Z", "duration_ms": 21500,
        "scenarios": ["new-patient"], "phi": "shown", "rules_not_run": ["ncci.ptp", "mue"],
        "targets": [clean, pair]
    }))
    .unwrap_or_else(|e| panic!("the fixture is a valid report: {e}"))
}
