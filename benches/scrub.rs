//! Scrubbing throughput in claim lines per second, with NCCI PTP and MUE tables the size CMS publishes.
//!
//! CMS's practitioner PTP files hold about two million edits and the practitioner MUE file about fifteen thousand
//! codes; the bench builds synthetic tables of that size (the real files are licensed for download, not for
//! redistribution in a repository) and claims whose code pairs hit them often, so every look-up path is exercised.
//! Run: `cargo bench --bench scrub` (docs/performance.md has the numbers and the machine).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

use handoff::connect::x12::{Document, read_837p};
use handoff::model::{Claim, ClaimLine, Date};
use handoff::rules::{
    IcdRelease, MueEdit, MueIndicator, MueTable, ProcedureCode, PtpEdit, PtpIndicator, PtpTable, ScrubContext,
    ScrubInput, scrub_batch,
};

/// About the size of the practitioner PTP tables (four quarterly files together).
const PTP_ROWS: usize = 2_000_000;
/// About the size of the practitioner MUE table.
const MUE_CODES: usize = 15_000;
/// CPT surgical and medicine codes the synthetic edits are drawn from: 20,000 codes, so 2 M pairs is 0.5 % of all pairs.
const CODE_POOL: u32 = 20_000;
const CLAIMS: usize = 2_000;

/// Billable FY2026 ICD-10-CM codes (from data/icd10cm-2026.tsv.gz).
const DIAGNOSES: [&str; 12] = [
    "M17.11", "E11.65", "I10", "E78.5", "Z79.84", "D10.7", "F40.298", "L02.511", "M12.9", "M67.251", "Q64.74", "J06.9",
];
const MODIFIERS: [&str; 6] = ["25", "59", "RT", "LT", "GC", "XS"];

fn code(n: u32) -> ProcedureCode {
    ProcedureCode::parse(&format!("{}", 20_000 + n)).expect("five digits")
}

fn tables(rng: &mut ChaCha8Rng) -> (PtpTable, MueTable) {
    let mut ptp = PtpTable::with_capacity(PTP_ROWS);
    while ptp.len() < PTP_ROWS {
        let (a, b) = (rng.next_u32() % CODE_POOL, rng.next_u32() % CODE_POOL);
        if a == b {
            continue;
        }
        let indicator = match rng.next_u32() % 10 {
            0 => PtpIndicator::NotAllowed,
            1 => PtpIndicator::NotApplicable,
            _ => PtpIndicator::Allowed,
        };
        let deletion = rng.next_u32().is_multiple_of(8).then_some(20_240_101);
        ptp.insert(code(a), code(b), PtpEdit { effective: 20_100_101, deletion, indicator });
    }
    let mut mue = MueTable::new();
    for n in 0..MUE_CODES as u32 {
        let indicator = match n % 3 {
            0 => MueIndicator::Line,
            1 => MueIndicator::DateOfServicePolicy,
            _ => MueIndicator::DateOfServiceClinical,
        };
        mue.insert(code(n), MueEdit { max_units: 1 + n % 4, indicator });
    }
    (ptp, mue)
}

/// Claims of 1 to 8 lines on a few days, codes from the pool the tables cover, some units above their MUE.
fn claims(rng: &mut ChaCha8Rng) -> Vec<Claim> {
    (0..CLAIMS)
        .map(|i| {
            let lines = 1 + rng.next_u32() as usize % 8;
            let diagnoses: Vec<String> = (0..1 + rng.next_u32() % 4)
                .map(|k| DIAGNOSES[(i + k as usize) % DIAGNOSES.len()].to_string())
                .collect();
            let day = 1 + (rng.next_u32() % 28) as i8;
            let lines: Vec<ClaimLine> = (0..lines)
                .map(|_| {
                    let modifiers = (0..rng.next_u32() % 3)
                        .map(|_| MODIFIERS[rng.next_u32() as usize % MODIFIERS.len()].to_string())
                        .collect();
                    ClaimLine {
                        code: code(rng.next_u32() % (CODE_POOL / 10)).to_string(),
                        modifiers,
                        units: f64::from(1 + rng.next_u32() % 4),
                        dx_pointers: (1..=diagnoses.len() as u8).collect(),
                        place_of_service: "11".into(),
                        date_of_service: Date::new(2026, 6, day).expect("a June day"),
                        rendering_npi: "1234567893".into(),
                        charge: 100.0,
                    }
                })
                .collect();
            Claim {
                id: format!("CLM{i}"),
                payer: "MEDICARE".into(),
                member_id: format!("1EG4TE5MK{:02}", i % 90),
                total_charge: 100.0 * lines.len() as f64,
                diagnoses,
                lines,
            }
        })
        .collect()
}

fn scrub_throughput(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let (ptp, mue) = tables(&mut rng);
    let context =
        ScrubContext::new(IcdRelease::embedded().expect("the built-in ICD-10-CM set")).with_ptp(ptp).with_mue(mue);
    let claims = claims(&mut rng);
    let lines: usize = claims.iter().map(|c| c.lines.len()).sum();
    let inputs: Vec<ScrubInput<'_>> = claims.iter().map(ScrubInput::new).collect();
    let breaks: usize = scrub_batch(&inputs, &context).iter().map(Vec::len).sum();
    eprintln!("{CLAIMS} claims, {lines} lines, {breaks} rule breaks; PTP {PTP_ROWS} rows, MUE {MUE_CODES} codes");

    let mut group = c.benchmark_group("scrub");
    group.throughput(Throughput::Elements(lines as u64));
    group.bench_function("claims_with_full_size_ncci_and_mue", |b| {
        b.iter(|| black_box(scrub_batch(black_box(&inputs), &context)))
    });
    group.finish();

    // `handoff scrub FILE` as a user runs it: the 837P text parsed, read into claims, then scrubbed.
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/x12/837p_two_claims.x12"))
        .expect("the 837P sample");
    let sample_lines: usize =
        read_837p(&Document::parse(&text).expect("parses")).expect("reads").iter().map(|c| c.lines.len()).sum();
    let mut group = c.benchmark_group("scrub_837p");
    group.throughput(Throughput::Elements(sample_lines as u64));
    group.bench_function("parse_read_and_scrub", |b| {
        b.iter_batched(
            || text.clone(),
            |text| {
                let claims = read_837p(&Document::parse(&text).expect("parses")).expect("reads");
                let inputs: Vec<ScrubInput<'_>> = claims.iter().map(ScrubInput::new).collect();
                black_box(scrub_batch(&inputs, &context))
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, scrub_throughput);
criterion_main!(benches);
