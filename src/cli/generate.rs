//! `handoff generate`: paired EMR and PM exports of synthetic patients with planted discrepancies, and the ground
//! truth that lists each one, to test `handoff reconcile` (and any other reconciler) against.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::exit;
use crate::reconcile::billing::plant::{
    BillingDefect, BillingPlanter, BillingWriters, CLAIMS_FILE, DOCUMENTATION_FILES, REMITS_FILE,
    write_billing as write_billing_exports,
};
use crate::reconcile::csv::write_row;
use crate::reconcile::plant::{applies_to_exports, mixed};
use crate::reconcile::{Column, Discrepancy, Planted, Planter};
use crate::scenario::{Defect, load_target};
use crate::synth::{IcdCodeSet, SyntheticPatients};

/// How many patients each thread makes before they are written, in order.
const BATCH: u64 = 16_384;

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// How many patients.
    #[arg(long, value_name = "N")]
    pub patients: u64,
    /// The same seed gives the same patients and the same discrepancies.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Which discrepancies to plant: `mixed` (every defect that applies to exports), `none`, or a simulator profile
    /// (such as mocks/interfaced-pair.yaml) whose defects are planted.
    #[arg(long, value_name = "PROFILE", default_value = "mixed")]
    pub defects: String,
    /// The share of patients with a planted discrepancy, in percent.
    #[arg(long, value_name = "PERCENT", default_value_t = 5.0)]
    pub rate: f64,
    /// The folder to write emr.csv, pm.csv and ground_truth.json to (created if need be).
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the billing side of each patient's visit: the EMR's Encounter, Condition, Procedure, ChargeItem and
    /// Coverage NDJSON, the PM's claims.837 and the payer's remits.835, with billing defects planted at the same rate
    /// (none with `--defects none`) and listed in ground_truth.json.
    #[arg(long)]
    pub billing: bool,
}

pub fn generate(args: &GenerateArgs) -> u8 {
    if !(0.0..=100.0).contains(&args.rate) {
        eprintln!("--rate {}: a share of patients is between 0 and 100 (percent)", args.rate);
        return exit::BAD_INPUT;
    }
    let defects = match profile(&args.defects) {
        Ok(d) => d,
        Err(why) => {
            eprintln!("{why}");
            return exit::BAD_INPUT;
        }
    };
    let patients = match IcdCodeSet::embedded()
        .map_err(|e| e.to_string())
        .and_then(|codes| SyntheticPatients::new(args.seed, &codes).map_err(|e| e.to_string()))
    {
        Ok(p) => p,
        Err(why) => {
            eprintln!("cannot generate patients: {why}");
            return exit::BAD_INPUT;
        }
    };
    let planter =
        Planter { patients: &patients, defects: &defects, per_million: (args.rate * 10_000.0).round() as u64 };
    match write(&args.out, args, &planter) {
        Ok(planted) => {
            eprintln!(
                "generated {} patients (seed {}, defects {}, {}%): {}/emr.csv, pm.csv{} and ground_truth.json with \
                 {planted} discrepancies",
                args.patients,
                args.seed,
                args.defects,
                args.rate,
                args.out.display(),
                if args.billing { ", the billing exports (*.ndjson, claims.837, remits.835)" } else { "" }
            );
            exit::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: cannot write the exports: {e}", args.out.display());
            exit::BAD_INPUT
        }
    }
}

/// The defects a `--defects` value names, keeping those that apply to exports.
fn profile(name: &str) -> Result<Vec<Defect>, String> {
    match name {
        "mixed" => return Ok(mixed()),
        "none" => return Ok(Vec::new()),
        _ => {}
    }
    let target = load_target(Path::new(name)).map_err(|e| super::render_input_error(&e))?;
    let Some(simulator) = target.simulator else {
        return Err(format!(
            "{name}: not a simulator profile, so it plants no defects; use `mixed`, `none` or a file from mocks/"
        ));
    };
    let (kept, left): (Vec<Defect>, Vec<Defect>) =
        simulator.value.defects.iter().map(|d| d.value.clone()).partition(applies_to_exports);
    if !left.is_empty() {
        let names: Vec<&str> = left.iter().map(Defect::name).collect();
        eprintln!("{name}: not planted in exports (they act on charges, timing or coverage): {}", names.join(", "));
    }
    Ok(kept)
}

/// The billing exports beside the patient exports; returns the billing discrepancies planted.
fn write_billing(dir: &Path, args: &GenerateArgs, planter: &Planter) -> std::io::Result<Vec<Discrepancy>> {
    let open = |name: &str| File::create(dir.join(name)).map(|f| BufWriter::with_capacity(1 << 20, f));
    let mut docs = [
        open(DOCUMENTATION_FILES[0])?,
        open(DOCUMENTATION_FILES[1])?,
        open(DOCUMENTATION_FILES[2])?,
        open(DOCUMENTATION_FILES[3])?,
        open(DOCUMENTATION_FILES[4])?,
    ];
    let (mut claims, mut remits) = (open(CLAIMS_FILE)?, open(REMITS_FILE)?);
    let defects: &[BillingDefect] = if args.defects == "none" { &[] } else { &BillingDefect::ALL };
    let billing = BillingPlanter { patients: planter.patients, per_million: planter.per_million, defects };
    let [a, b, c, d, e] = &mut docs;
    let truth = write_billing_exports(
        &billing,
        args.patients,
        BillingWriters { documentation: [a, b, c, d, e], claims: &mut claims, remits: &mut remits },
    )?;
    for file in docs.iter_mut().chain([&mut claims, &mut remits]) {
        file.flush()?;
    }
    Ok(truth)
}

struct Batch {
    emr: Vec<u8>,
    pm: Vec<u8>,
    truth: Vec<u8>,
    planted: u64,
}

fn make(planter: &Planter, from: u64, to: u64) -> Batch {
    let mut batch = Batch { emr: Vec::new(), pm: Vec::new(), truth: Vec::new(), planted: 0 };
    let mut first = true;
    for index in from..to {
        let Planted { pm, emr, truth } = planter.plant(index);
        write_row(&mut batch.pm, pm.iter().map(String::as_str));
        for row in &emr {
            write_row(&mut batch.emr, row.iter().map(String::as_str));
        }
        for d in &truth {
            batch.truth.extend_from_slice(if first { b"\n  " } else { b",\n  " });
            first = false;
            let _ = serde_json::to_writer(&mut batch.truth, d);
            batch.planted += 1;
        }
    }
    batch
}

/// Writes the three files, patients made on every core and written in order; returns how many discrepancies.
fn write(dir: &Path, args: &GenerateArgs, planter: &Planter) -> std::io::Result<u64> {
    std::fs::create_dir_all(dir)?;
    let open = |name: &str| File::create(dir.join(name)).map(|f| BufWriter::with_capacity(1 << 20, f));
    let (mut emr, mut pm, mut truth) = (open("emr.csv")?, open("pm.csv")?, open("ground_truth.json")?);
    let mut header = Vec::new();
    write_row(&mut header, Column::ALL.iter().map(|c| c.header()));
    emr.write_all(&header)?;
    pm.write_all(&header)?;
    let about = serde_json::json!({
        "patients": args.patients, "seed": args.seed, "defects": args.defects, "rate_pct": args.rate,
    });
    let about = serde_json::to_string(&about).map_err(std::io::Error::other)?;
    write!(truth, "{},\n\"discrepancies\": [", about.trim_end_matches('}'))?;
    let threads = std::thread::available_parallelism().map(|n| n.get() as u64).unwrap_or(1).min(8);
    let mut planted = 0;
    let mut start = 0;
    while start < args.patients {
        let end = (start + BATCH * threads).min(args.patients);
        let step = (end - start).div_ceil(threads);
        let batches: Vec<Batch> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (from, to) = ((start + t * step).min(end), (start + (t + 1) * step).min(end));
                    scope.spawn(move || make(planter, from, to))
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("a generator thread panicked")).collect()
        });
        for mut batch in batches {
            if planted > 0 && !batch.truth.is_empty() {
                // Each batch begins its list afresh; after the first entry of the file, every entry follows a comma.
                batch.truth.insert(0, b',');
            }
            planted += batch.planted;
            emr.write_all(&batch.emr)?;
            pm.write_all(&batch.pm)?;
            truth.write_all(&batch.truth)?;
        }
        start = end;
    }
    if args.billing {
        for d in write_billing(dir, args, planter)? {
            truth.write_all(if planted > 0 { b",\n  " } else { b"\n  " })?;
            serde_json::to_writer(&mut truth, &d)?;
            planted += 1;
        }
    }
    truth.write_all(b"\n]}\n")?;
    emr.flush()?;
    pm.flush()?;
    truth.flush()?;
    Ok(planted)
}
