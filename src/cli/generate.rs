//! `handoff generate`: paired EMR and PM exports of synthetic patients with planted discrepancies, and the ground
//! truth that lists each one, to test `handoff reconcile` (and any other reconciler) against — as CSV, as FHIR Bulk
//! Data NDJSON, or as HL7 v2 ADT logs, the same patients and discrepancies in each.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::connect::hl7v2::AdtEvent;
use crate::exit;
use crate::reconcile::billing::plant::{
    BillingDefect, BillingPlanter, BillingWriters, CLAIMS_FILE, DOCUMENTATION_FILES, REMITS_FILE,
    write_billing as write_billing_exports,
};
use crate::reconcile::csv::write_row;
use crate::reconcile::hl7log::{adt_text, envelope, generated_authority, merge_text};
use crate::reconcile::ndjson::{coverage_resource, generated_system, patient_resource};
use crate::reconcile::plant::{applies_to_exports, mixed};
use crate::reconcile::record::Row;
use crate::reconcile::{Column, Discrepancy, Planted, Planter};
use crate::scenario::{Defect, load_target};
use crate::synth::Draw;
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
    /// The folder to write the exports and ground_truth.json to (created if need be).
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the billing side of each patient's visit: the EMR's Encounter, Condition, Procedure, ChargeItem and
    /// Coverage NDJSON, the PM's claims.837 and the payer's remits.835, with billing defects planted at the same rate
    /// (none with `--defects none`) and listed in ground_truth.json.
    #[arg(long)]
    pub billing: bool,
    /// The exports' format: `csv` (emr.csv, pm.csv), `ndjson` (emr/ and pm/, each with Patient.ndjson and
    /// Coverage.ndjson) or `hl7` (emr.hl7 and pm.hl7: an ADT^A04 a patient, then A08s for what changed).
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    pub format: ExportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Ndjson,
    Hl7,
}

impl ExportFormat {
    /// The files written, in the order of a batch's buffers.
    fn files(self) -> &'static [&'static str] {
        match self {
            ExportFormat::Csv => &["emr.csv", "pm.csv"],
            ExportFormat::Ndjson => {
                &["emr/Patient.ndjson", "emr/Coverage.ndjson", "pm/Patient.ndjson", "pm/Coverage.ndjson"]
            }
            ExportFormat::Hl7 => &["emr.hl7", "pm.hl7"],
        }
    }
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
    let planter = Planter {
        patients: &patients,
        defects: &defects,
        per_million: (args.rate * 10_000.0).round() as u64,
        // The PM's own duplicates come with every defect that applies to exports, not with a simulator's profile.
        pm_duplicates: args.defects == "mixed",
    };
    match write(&args.out, args, &planter) {
        Ok(planted) => {
            eprintln!(
                "generated {} patients (seed {}, defects {}, {}%): {}/{}{} and ground_truth.json with {planted} \
                 {}",
                args.patients,
                args.seed,
                args.defects,
                args.rate,
                args.out.display(),
                args.format.files().join(", "),
                if args.billing { ", the billing exports (*.ndjson, claims.837, remits.835)" } else { "" },
                if planted == 1 { "discrepancy" } else { "discrepancies" }
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
    if !Path::new(name).exists() {
        return Err(format!(
            "--defects {name}: neither `mixed`, `none`, nor a simulator profile file (there is no such file); use \
             `mixed`, `none` or a file from mocks/, such as mocks/interfaced-pair.yaml"
        ));
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
    /// One buffer a file, in the order of [`ExportFormat::files`].
    files: Vec<Vec<u8>>,
    truth: Vec<u8>,
    planted: u64,
}

/// When the generated messages were sent: registrations from this instant, a patient a second; updates a day on.
const FIRST_SENT: i64 = 1_767_603_600; // 2026-01-05T09:00:00Z

fn make(planter: &Planter, format: ExportFormat, from: u64, to: u64) -> std::io::Result<Batch> {
    let mut batch = Batch { files: vec![Vec::new(); format.files().len()], truth: Vec::new(), planted: 0 };
    // HL7 updates and merges follow the batch's registrations, as later messages in the archive.
    let mut later = [Vec::new(), Vec::new()];
    let mut first = true;
    for index in from..to {
        let planted = planter.plant(index);
        match format {
            ExportFormat::Csv => {
                let [emr, pm] = &mut batch.files[..] else { unreachable!("two CSV files") };
                for row in std::iter::once(&planted.pm).chain(&planted.pm_duplicate) {
                    write_row(pm, row.iter().map(String::as_str));
                }
                for row in &planted.emr {
                    write_row(emr, row.iter().map(String::as_str));
                }
            }
            ExportFormat::Ndjson => write_ndjson(&mut batch.files, &planted)?,
            ExportFormat::Hl7 => write_hl7(&mut batch.files, &mut later, planter, index, &planted)?,
        }
        for d in &planted.truth {
            batch.truth.extend_from_slice(if first { b"\n  " } else { b",\n  " });
            first = false;
            let _ = serde_json::to_writer(&mut batch.truth, d);
            batch.planted += 1;
        }
    }
    if format == ExportFormat::Hl7 {
        for (file, later) in batch.files.iter_mut().zip(later) {
            file.extend_from_slice(&later);
        }
    }
    Ok(batch)
}

/// Appends a built message, or says which patient could not be written.
fn put(out: &mut Vec<u8>, text: Option<String>, row: &Row) -> std::io::Result<()> {
    out.extend_from_slice(text.ok_or_else(|| unwritable(row))?.as_bytes());
    Ok(())
}

fn unwritable(row: &Row) -> std::io::Error {
    std::io::Error::other(format!("patient {} has no valid birth date", row[Column::PatientId.index()]))
}

/// Each system's rows as Patient resources, and their coverage as Coverage resources, one a line.
fn write_ndjson(files: &mut [Vec<u8>], planted: &Planted) -> std::io::Result<()> {
    let sides = [
        ("emr", "pm", planted.emr.iter().collect::<Vec<_>>()),
        ("pm", "emr", std::iter::once(&planted.pm).chain(&planted.pm_duplicate).collect()),
    ];
    for (i, (side, other, rows)) in sides.into_iter().enumerate() {
        for row in rows {
            let patient = patient_resource(row, &generated_system(side), &generated_system(other))
                .ok_or_else(|| unwritable(row))?;
            serde_json::to_writer(&mut files[2 * i], &patient)?;
            files[2 * i].push(b'\n');
            if let Some(coverage) = coverage_resource(row) {
                serde_json::to_writer(&mut files[2 * i + 1], &coverage)?;
                files[2 * i + 1].push(b'\n');
            }
        }
    }
    Ok(())
}

/// Each system's ADT log: an A04 registering each record as first keyed in, then (later in the log) an A08 for
/// what changed since; and now and then a patient registered twice in the EMR and merged back at once (A04, A40),
/// which leaves nothing to find.
fn write_hl7(
    files: &mut [Vec<u8>],
    later: &mut [Vec<u8>; 2],
    planter: &Planter,
    index: u64,
    planted: &Planted,
) -> std::io::Result<()> {
    let registered = jiff::Timestamp::from_second(FIRST_SENT + index as i64).map_err(std::io::Error::other)?;
    let updated = jiff::Timestamp::from_second(FIRST_SENT + 86_400 + index as i64).map_err(std::io::Error::other)?;
    let (emr_authority, pm_authority) = (generated_authority("emr"), generated_authority("pm"));
    let control = |side: &str, n: usize| format!("{}{index}-{n}", &side[..1].to_ascii_uppercase());
    for (n, row) in std::iter::once(&planted.pm).chain(&planted.pm_duplicate).enumerate() {
        let e = envelope("pm", control("pm", n), registered);
        put(&mut files[1], adt_text(&e, AdtEvent::Register, row, &pm_authority, &emr_authority), row)?;
    }
    for (n, row) in planted.emr.iter().enumerate() {
        // As first keyed in: the PM's demographics under the EMR's ids; what the export holds now comes as an A08.
        let mut keyed: Row = planted.pm.clone();
        keyed[Column::PatientId.index()].clone_from(&row[Column::PatientId.index()]);
        keyed[Column::Xref.index()].clone_from(&row[Column::Xref.index()]);
        let e = envelope("emr", control("emr", 2 * n), registered);
        put(&mut files[0], adt_text(&e, AdtEvent::Register, &keyed, &emr_authority, &pm_authority), row)?;
        if keyed != *row {
            let e = envelope("emr", control("emr", 2 * n + 1), updated);
            put(&mut later[0], adt_text(&e, AdtEvent::Update, row, &emr_authority, &pm_authority), row)?;
        }
    }
    let mut draw = Draw::new(planter.patients.seed(), index, b"merge me");
    if let [row] = &planted.emr[..]
        && planted.truth.is_empty()
        && draw.percent(1)
    {
        let mut twin = row.clone();
        let retired = format!("{}X", row[Column::PatientId.index()]);
        twin[Column::PatientId.index()].clone_from(&retired);
        let e = envelope("emr", control("emr", 8), registered);
        put(&mut files[0], adt_text(&e, AdtEvent::Register, &twin, &emr_authority, &pm_authority), row)?;
        let e = envelope("emr", control("emr", 9), updated);
        put(&mut later[0], merge_text(&e, row, &retired, &emr_authority, &pm_authority), row)?;
    }
    Ok(())
}

/// Writes the exports and the ground truth, patients made on every core and written in order; returns how many
/// discrepancies.
fn write(dir: &Path, args: &GenerateArgs, planter: &Planter) -> std::io::Result<u64> {
    let format = args.format;
    let mut files = Vec::new();
    for name in format.files() {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        files.push(BufWriter::with_capacity(1 << 20, File::create(path)?));
    }
    std::fs::create_dir_all(dir)?;
    let mut truth = BufWriter::new(File::create(dir.join("ground_truth.json"))?);
    if format == ExportFormat::Csv {
        let mut header = Vec::new();
        write_row(&mut header, Column::ALL.iter().map(|c| c.header()));
        for file in &mut files {
            file.write_all(&header)?;
        }
    }
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
        let batches: Vec<std::io::Result<Batch>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (from, to) = ((start + t * step).min(end), (start + (t + 1) * step).min(end));
                    scope.spawn(move || make(planter, format, from, to))
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("a generator thread panicked")).collect()
        });
        for batch in batches {
            let mut batch = batch?;
            if planted > 0 && !batch.truth.is_empty() {
                // Each batch begins its list afresh; after the first entry of the file, every entry follows a comma.
                batch.truth.insert(0, b',');
            }
            planted += batch.planted;
            for (file, bytes) in files.iter_mut().zip(&batch.files) {
                file.write_all(bytes)?;
            }
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
    for file in &mut files {
        file.flush()?;
    }
    truth.flush()?;
    Ok(planted)
}
