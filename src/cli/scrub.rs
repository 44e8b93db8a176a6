//! `handoff scrub`: the CMS rule breaks in 837P batches a PM exported, without any system to call.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use comfy_table::Table;
use serde::Serialize;

use super::Format;
use crate::connect::x12::stream_837p;
use crate::exit;
use crate::model::Claim;
use crate::rules::{ScrubInput, Severity, scrub_batch};

#[derive(Serialize)]
struct Scrubbed {
    claims: Vec<ClaimResult>,
    /// Checks that did not run (NCCI and MUE without imported tables): the claims are not known to pass them.
    not_run: Vec<String>,
}

#[derive(Serialize)]
struct ClaimResult {
    claim_id: String,
    file: String,
    charge: f64,
    findings: Vec<Break>,
}

#[derive(Serialize)]
struct Break {
    rule: String,
    severity: &'static str,
    carc: String,
    line: Option<usize>,
    charge_at_risk: f64,
    message: String,
}

/// What a folder given to `scrub` is searched for: the endings PMs and clearinghouses give 837 batches.
const BATCH_ENDINGS: [&str; 4] = ["837", "x12", "edi", "txt"];

pub fn scrub(paths: &[PathBuf], format: Format, store: Option<&Path>) -> u8 {
    let files = match super::files::with_folders_opened(paths, &BATCH_ENDINGS, "837P batch") {
        Ok(files) => files,
        Err(why) => {
            eprintln!("{why}");
            return exit::BAD_INPUT;
        }
    };
    let mut claims: Vec<(String, Claim)> = Vec::new();
    for file in &files {
        match read_claims(file) {
            Ok(found) => claims.extend(found.into_iter().map(|c| (file.display().to_string(), c))),
            Err(why) => {
                eprintln!("{}: {why}", file.display());
                return exit::BAD_INPUT;
            }
        }
    }
    let context = match super::rules::scrub_context(store) {
        Ok(c) => c,
        Err(why) => {
            eprintln!("cannot load the rules: {why}");
            return exit::BAD_INPUT;
        }
    };
    let inputs: Vec<ScrubInput> = claims.iter().map(|(_, c)| ScrubInput::new(c)).collect();
    let breaks = scrub_batch(&inputs, &context);
    let result = Scrubbed {
        claims: claims
            .iter()
            .zip(breaks)
            .map(|((file, claim), found)| ClaimResult {
                claim_id: claim.id.clone(),
                file: file.clone(),
                charge: claim.total_charge,
                findings: found
                    .into_iter()
                    .map(|b| Break {
                        rule: b.rule.as_str().to_string(),
                        severity: if b.severity == Severity::Error { "error" } else { "warning" },
                        carc: b.carc.to_string(),
                        line: b.line,
                        charge_at_risk: b.charge_at_risk,
                        message: b.message,
                    })
                    .collect(),
            })
            .collect(),
        not_run: context.not_run().iter().map(|r| r.as_str().to_string()).collect(),
    };
    match format {
        Format::Json => out!("{}", serde_json::to_string_pretty(&result).unwrap_or_default()),
        Format::Table => out!("{}", table(&result)),
    }
    let errors = result.claims.iter().flat_map(|c| &c.findings).any(|f| f.severity == "error");
    if errors { exit::FAILED } else { exit::SUCCESS }
}

/// The file is streamed, never read whole; the claims are kept, since NCCI and date-of-service MUE edits look across
/// every claim of the batch for the same patient and day.
fn read_claims(file: &Path) -> Result<Vec<Claim>, String> {
    let source = File::open(file).map_err(|e| format!("cannot read the file: {e}"))?;
    stream_837p(BufReader::with_capacity(READ_BUFFER, source)).collect::<Result<_, _>>().map_err(|e| e.to_string())
}

/// Large enough that reading is a few system calls per megabyte.
pub(super) const READ_BUFFER: usize = 1 << 16;

fn table(result: &Scrubbed) -> String {
    let mut table = Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED).set_width(140);
    table.set_header(vec!["claim", "line", "rule", "severity", "denial", "at risk", "why"]);
    for claim in &result.claims {
        for f in &claim.findings {
            table.add_row(vec![
                claim.claim_id.clone(),
                f.line.map(|l| l.to_string()).unwrap_or_else(|| "—".into()),
                f.rule.clone(),
                f.severity.into(),
                f.carc.clone(),
                format!("${:.2}", f.charge_at_risk),
                f.message.clone(),
            ]);
        }
    }
    let broken = result.claims.iter().filter(|c| c.findings.iter().any(|f| f.severity == "error")).count();
    let mut out = format!("{} claim(s), {broken} with rule breaks\n", result.claims.len());
    if broken > 0 || result.claims.iter().any(|c| !c.findings.is_empty()) {
        out.push_str(&table.to_string());
        out.push('\n');
    }
    if !result.not_run.is_empty() {
        out.push_str(&format!(
            "not run (import the CMS tables with `handoff rules import`): {}\n",
            result.not_run.join(", ")
        ));
    }
    out
}
