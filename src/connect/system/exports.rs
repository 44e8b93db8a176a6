//! A system's X12 folders as one of its channels: the 837P batches it exported (the claims as they went to the
//! payer), and what came back: 999 and 277CA acknowledgments, and 835 remittances.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::connect::x12::{self, Document, ReadError};
use crate::connect::{AdapterError, ClaimNotice, Versioned};
use crate::model::{Claim, Remittance};

/// What an outbox file may be called.
const CLAIM_FILES: [&str; 3] = ["x12", "837", "txt"];
/// What an inbox file may be called.
const RESPONSE_FILES: [&str; 5] = ["x12", "999", "277", "835", "txt"];

pub struct ExportFolders {
    outbox: PathBuf,
    inbox: Option<PathBuf>,
}

/// One claim found in the outbox, with the envelope that carried it, which a 999 names.
struct Exported {
    claim: Claim,
    modified: SystemTime,
    file: String,
    /// GS06 and ST02 of the functional group and transaction set holding the claim.
    group_control: String,
    set_control: String,
}

impl ExportFolders {
    pub fn new(outbox: PathBuf, inbox: Option<PathBuf>) -> ExportFolders {
        ExportFolders { outbox, inbox }
    }

    pub fn has_inbox(&self) -> bool {
        self.inbox.is_some()
    }

    pub fn endpoint(&self) -> String {
        let mut text = format!("x12 outbox {}", self.outbox.display());
        if let Some(inbox) = &self.inbox {
            text.push_str(&format!(", inbox {}", inbox.display()));
        }
        text
    }

    /// The patient's claims, oldest file first: those whose subscriber member id is one the system holds for the
    /// patient, or whose patient control number (CLM01) is the patient's id in the system.
    pub fn claims(&self, patient_id: &str, member_ids: &[String]) -> Result<Vec<Versioned<Claim>>, AdapterError> {
        let (exported, _) = self.outbox()?;
        Ok(exported
            .into_iter()
            .filter(|e| belongs_to(&e.claim, patient_id, member_ids))
            .map(|e| Versioned {
                id: e.claim.id.clone(),
                version: None,
                last_updated: Some(jiff::Timestamp::try_from(e.modified).map(|t| t.to_string()).unwrap_or_default()),
                value: e.claim,
            })
            .collect())
    }

    /// Rejections of the patient's claims, and every file in either folder that could not be read.
    pub fn notices(&self, patient_id: &str, member_ids: &[String]) -> Result<Vec<ClaimNotice>, AdapterError> {
        let (exported, mut notices) = self.outbox()?;
        let theirs: Vec<&Exported> = exported.iter().filter(|e| belongs_to(&e.claim, patient_id, member_ids)).collect();
        let Some(inbox) = &self.inbox else { return Ok(notices) };
        let mut rejected = Vec::new();
        read_each(inbox, &RESPONSE_FILES, &mut notices, |path, document| {
            let file = path.display().to_string();
            let kinds: Vec<&str> = document.transactions().iter().map(|t| t.id()).collect();
            // Remittances (835) are another question than whether the claim got in; anything else is no answer.
            if kinds.contains(&"999") {
                rejected.extend(rejected_sets(&x12::read_999(document)?, &theirs, &file));
            } else if kinds.contains(&"277") {
                rejected.extend(rejected_claims(&x12::read_277ca(document)?, &theirs, &file));
            }
            Ok(())
        })?;
        notices.extend(rejected);
        Ok(notices)
    }

    /// The payer's answers (835 CLP loops) to the patient's claims in the outbox, oldest file first, matched by the
    /// practice's claim id (CLP01 is the CLM01 the claim went out with). Without an inbox there are none to read.
    pub fn remittances(
        &self,
        patient_id: &str,
        member_ids: &[String],
    ) -> Result<Vec<Versioned<Remittance>>, AdapterError> {
        let Some(inbox) = &self.inbox else {
            return Err(AdapterError::NotSupported {
                what: "reading remittances without `x12.inbox` (the folder its 835 files arrive in)".into(),
            });
        };
        let (exported, _) = self.outbox()?;
        let ids: Vec<&str> = exported
            .iter()
            .filter(|e| belongs_to(&e.claim, patient_id, member_ids))
            .map(|e| e.claim.id.as_str())
            .collect();
        let mut found = Vec::new();
        // Unreadable files are reported once, by `notices` at expect_claim; here they only go unread.
        let mut unread = Vec::new();
        read_each(inbox, &RESPONSE_FILES, &mut unread, |path, document| {
            if !document.transactions().iter().any(|t| t.id() == "835") {
                return Ok(());
            }
            let modified = std::fs::metadata(path).and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH);
            for remittance in x12::read_835(document)? {
                for claim in remittance.claims.iter().filter(|c| ids.contains(&c.claim_id.as_str())) {
                    found.push((modified, path.display().to_string(), claim.to_model()));
                }
            }
            Ok(())
        })?;
        found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        Ok(found
            .into_iter()
            .map(|(modified, _, value)| Versioned {
                id: value.claim_id.clone(),
                version: None,
                last_updated: Some(jiff::Timestamp::try_from(modified).map(|t| t.to_string()).unwrap_or_default()),
                value,
            })
            .collect())
    }

    /// Every claim in the outbox, and a notice for each file that is not an 837P batch the harness can read.
    fn outbox(&self) -> Result<(Vec<Exported>, Vec<ClaimNotice>), AdapterError> {
        let mut exported = Vec::new();
        let mut notices = Vec::new();
        read_each(&self.outbox, &CLAIM_FILES, &mut notices, |path, document| {
            let modified = std::fs::metadata(path).and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH);
            let claims = x12::read_837p(document)?;
            for (claim, (group_control, set_control)) in claims.into_iter().zip(claim_envelopes(document)) {
                let file = path.display().to_string();
                exported.push(Exported { claim, modified, file, group_control, set_control });
            }
            Ok(())
        })?;
        exported.sort_by(|a, b| a.modified.cmp(&b.modified).then_with(|| a.file.cmp(&b.file)));
        Ok((exported, notices))
    }
}

fn belongs_to(claim: &Claim, patient_id: &str, member_ids: &[String]) -> bool {
    let member = normalise(&claim.member_id);
    let by_member = !member.is_empty() && member_ids.iter().any(|m| normalise(m) == member);
    // PMs often write their account number, alone or with a visit suffix, as the patient control number.
    let by_account = claim.id == patient_id
        || claim.id.strip_prefix(patient_id).is_some_and(|rest| rest.starts_with(|c: char| !c.is_ascii_alphanumeric()));
    by_member || by_account
}

/// Member ids are printed with spaces and dashes on cards and keyed without them.
fn normalise(id: &str) -> String {
    id.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

/// GS06 and ST02 around each CLM, in order, as read_837p returns one claim per CLM.
fn claim_envelopes(document: &Document) -> Vec<(String, String)> {
    let (mut group, mut set) = (String::new(), String::new());
    let mut out = Vec::new();
    for segment in &document.segments {
        match segment.id.as_str() {
            "GS" => group = segment.element(6).to_string(),
            "ST" => set = segment.element(2).to_string(),
            "CLM" => out.push((group.clone(), set.clone())),
            _ => {}
        }
    }
    out
}

/// Claims in transaction sets a 999 rejected, with the segments and elements it objected to.
fn rejected_sets(acks: &[x12::FunctionalAck], theirs: &[&Exported], file: &str) -> Vec<ClaimNotice> {
    let mut notices = Vec::new();
    for ack in acks.iter().filter(|a| a.functional_id == "HC") {
        for claim in theirs.iter().filter(|e| e.group_control == ack.group_control) {
            let set = ack.sets.iter().find(|s| s.control_number == claim.set_control);
            let reason = match set {
                Some(set) if !set.accepted() => {
                    let errors: Vec<String> = set
                        .errors
                        .iter()
                        .map(|e| {
                            let elements: Vec<String> = e
                                .elements
                                .iter()
                                .map(|el| match el.component {
                                    Some(c) => format!("{}{:02}-{c} error {}", e.segment_id, el.position, el.code),
                                    None => format!("{}{:02} error {}", e.segment_id, el.position, el.code),
                                })
                                .collect();
                            let at = format!(
                                "{} (segment {} of the set, loop {}, code {})",
                                e.segment_id, e.position, e.loop_id, e.code
                            );
                            if elements.is_empty() { at } else { format!("{at}: {}", elements.join(", ")) }
                        })
                        .collect();
                    format!(
                        "transaction set {} of group {} was rejected (IK5 {}){}",
                        set.control_number,
                        ack.group_control,
                        set.status,
                        if errors.is_empty() { String::new() } else { format!(" at {}", errors.join("; ")) }
                    )
                }
                // A group partly accepted (AK9 P) rejected only the sets it lists.
                None if ack.status == "R" => format!("group {} was rejected (AK9 R)", ack.group_control),
                _ => continue,
            };
            notices.push(ClaimNotice::Rejected {
                claim_id: claim.claim.id.clone(),
                by: "999",
                file: file.to_string(),
                reason,
            });
        }
    }
    notices
}

/// Claims a 277CA says the payer did not accept for adjudication, with the status codes it gave.
fn rejected_claims(statuses: &[x12::ClaimStatus], theirs: &[&Exported], file: &str) -> Vec<ClaimNotice> {
    statuses
        .iter()
        .filter(|s| !s.accepted() && theirs.iter().any(|e| e.claim.id == s.claim_id))
        .map(|s| {
            let codes: Vec<String> = s
                .statuses
                .iter()
                .map(|c| format!("STC {}:{}:{} ({})", c.category, c.code, c.entity, category_meaning(&c.category)))
                .collect();
            ClaimNotice::Rejected {
                claim_id: s.claim_id.clone(),
                by: "277CA",
                file: file.to_string(),
                reason: format!("the payer did not accept the claim for adjudication: {}", codes.join(", ")),
            }
        })
        .collect()
}

/// Claim status categories (code list 507) a rejection carries.
fn category_meaning(category: &str) -> &'static str {
    match category {
        "A3" => "returned as unprocessable",
        "A4" => "not found",
        "A6" => "rejected for missing information",
        "A7" => "rejected for invalid information",
        "A8" => "rejected for relational field in error",
        _ => "not accepted",
    }
}

/// A read error without the value it quotes, which could identify the patient; the place and what belongs there
/// are enough to find it.
fn read_error(error: &ReadError, index: usize, count: usize) -> String {
    let text = match error {
        ReadError::InvalidValue { location, expected, .. } => format!("{location} does not hold {expected}"),
        other => other.to_string(),
    };
    if count > 1 { format!("interchange {}: {text}", index + 1) } else { text }
}

type FileRead = (PathBuf, Result<Vec<Document>, String>);

/// Hands every interchange of every file in `folder` to `read`; a file or interchange that cannot be read is a
/// notice naming the file and the segment, and the others are still read.
fn read_each(
    folder: &Path,
    extensions: &[&str],
    notices: &mut Vec<ClaimNotice>,
    mut read: impl FnMut(&Path, &Document) -> Result<(), ReadError>,
) -> Result<(), AdapterError> {
    for (path, documents) in read_folder(folder, extensions)? {
        let file = path.display().to_string();
        let documents = match documents {
            Ok(documents) => documents,
            Err(reason) => {
                notices.push(ClaimNotice::Unreadable { file, reason });
                continue;
            }
        };
        for (n, document) in documents.iter().enumerate() {
            if let Err(e) = read(&path, document) {
                notices
                    .push(ClaimNotice::Unreadable { file: file.clone(), reason: read_error(&e, n, documents.len()) });
            }
        }
    }
    Ok(())
}

/// Every file with one of `extensions` in `folder`, by name, each read as its interchanges.
fn read_folder(folder: &Path, extensions: &[&str]) -> Result<Vec<FileRead>, AdapterError> {
    let entries = std::fs::read_dir(folder)
        .map_err(|e| AdapterError::Config(format!("cannot read the folder {}: {e}", folder.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| extensions.iter().any(|wanted| x.eq_ignore_ascii_case(wanted)))
        })
        .collect();
    files.sort();
    Ok(files
        .into_iter()
        .map(|path| {
            let read = read_file(&path);
            (path, read)
        })
        .collect())
}

/// The one way a file comes into the harness on this channel: its text, split into interchanges and parsed.
fn read_file(path: &Path) -> Result<Vec<Document>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the file: {e}"))?;
    // X12 is ASCII; anything else is kept as Latin-1 so the parser can say where it is.
    let text = String::from_utf8(bytes).unwrap_or_else(|e| e.into_bytes().iter().map(|&b| char::from(b)).collect());
    let pieces = interchanges(&text);
    let count = pieces.len();
    pieces
        .iter()
        .enumerate()
        .map(|(n, piece)| {
            Document::parse(piece)
                .map_err(|e| if count > 1 { format!("interchange {}: {e}", n + 1) } else { e.to_string() })
        })
        .collect()
}

/// A file may hold several interchanges back to back; each runs from its ISA to its IEA, with the segment
/// terminator the first ISA declares (its 106th character).
fn interchanges(text: &str) -> Vec<String> {
    let text = text.trim_start_matches(['\u{feff}', ' ', '\r', '\n', '\t']);
    let Some(terminator) = text.chars().nth(105) else { return vec![text.to_string()] };
    let mut out = Vec::new();
    let mut current = String::new();
    for piece in text.split(terminator) {
        if piece.trim().is_empty() {
            continue;
        }
        current.push_str(piece);
        current.push(terminator);
        if piece.trim_start().starts_with("IEA") {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::x12::fixtures::{claim, interchange, submission};
    use crate::connect::x12::professional_claim;

    /// An outbox holding claim C123 as set 0002 of group 1 — the set `tests/inputs/x12/999.x12` rejects — with
    /// another interchange after it in the same file, and an inbox holding that 999 and the 277CA and 835 fixtures.
    fn folders() -> (tempfile::TempDir, ExportFolders) {
        let dir = tempfile::tempdir().unwrap();
        let (outbox, inbox) = (dir.path().join("claims"), dir.path().join("remits"));
        std::fs::create_dir_all(&outbox).unwrap();
        std::fs::create_dir_all(&inbox).unwrap();
        let batch = |id: &str, set: u32| {
            let mut c = claim();
            c.id = id.into();
            interchange(set).with_group(1, vec![professional_claim(&submission(c), set).unwrap()]).to_x12()
        };
        std::fs::write(outbox.join("day.837"), format!("{}\r\n{}", batch("C123", 2), batch("PM-42-7", 3))).unwrap();
        let fixture = |name: &str| std::fs::read(format!("{}/tests/inputs/x12/{name}", env!("CARGO_MANIFEST_DIR")));
        std::fs::write(inbox.join("ack.999"), fixture("999.x12").unwrap()).unwrap();
        std::fs::write(inbox.join("status.277"), fixture("277ca.x12").unwrap()).unwrap();
        std::fs::write(inbox.join("era.835"), fixture("835.x12").unwrap()).unwrap();
        let folders = ExportFolders::new(outbox, Some(inbox));
        (dir, folders)
    }

    #[test]
    fn claims_are_the_patients_by_member_id_or_by_account_number_in_clm01() {
        let (_dir, folders) = folders();
        let ids = |patient: &str, members: &[&str]| -> Vec<String> {
            let members: Vec<String> = members.iter().map(|m| m.to_string()).collect();
            folders.claims(patient, &members).unwrap().into_iter().map(|c| c.id).collect()
        };
        assert_eq!(ids("p1", &["1eg4-te5-mk72"]), ["C123", "PM-42-7"]);
        assert_eq!(ids("PM-42", &[]), ["PM-42-7"]);
        assert_eq!(ids("PM-4", &[]), Vec::<String>::new(), "an account number is matched whole");
        assert_eq!(ids("p1", &["5TR7YH2WQ81"]), Vec::<String>::new());
    }

    #[test]
    fn remittances_are_the_835_answers_to_the_patients_claims_by_claim_id() {
        let (_dir, folders) = folders();
        let found = folders.remittances("p1", &["1EG4TE5MK72".into()]).unwrap();
        // The 835 answers C123 and C124; only C123 is in the outbox, and PM-42-7 has no answer yet.
        let answered: Vec<(&str, f64, f64)> =
            found.iter().map(|r| (r.value.claim_id.as_str(), r.value.charged, r.value.paid)).collect();
        assert_eq!(answered, [("C123", 250.0, 142.4)]);
        assert!(folders.remittances("PM-42", &[]).unwrap().is_empty());
        let none = ExportFolders::new(folders.outbox.clone(), None).remittances("p1", &[]).unwrap_err();
        assert!(none.to_string().contains("without `x12.inbox`"), "{none}");
    }

    #[test]
    fn a_999_rejecting_the_set_is_a_rejection_naming_the_segment_and_element() {
        let (_dir, folders) = folders();
        let notices = folders.notices("p1", &["1EG4TE5MK72".into()]).unwrap();
        let rejected: Vec<(&str, &str, &str)> = notices
            .iter()
            .filter_map(|n| match n {
                ClaimNotice::Rejected { claim_id, by, reason, .. } => Some((claim_id.as_str(), *by, reason.as_str())),
                ClaimNotice::Unreadable { .. } => None,
            })
            .collect();
        assert_eq!(
            rejected,
            [(
                "C123",
                "999",
                "transaction set 0002 of group 1 was rejected (IK5 R) at CLM (segment 18 of the set, loop 2300, code \
                 8): CLM05-2 error 7"
            )]
        );
        // The 277CA accepts C123, and rejects only a claim that is not this patient's.
        assert_eq!(notices.len(), 1, "{notices:?}");
    }

    #[test]
    fn an_unreadable_interchange_names_the_file_and_segment_and_the_others_are_still_read() {
        let (dir, folders) = folders();
        let text = std::fs::read_to_string(dir.path().join("claims/day.837")).unwrap();
        let broken = text.replacen("CLM*C123*250*", "CLM*C123**", 1);
        std::fs::write(dir.path().join("claims/day.837"), broken).unwrap();
        std::fs::write(dir.path().join("claims/empty.txt"), "").unwrap();
        let claims = folders.claims("PM-42", &[]).unwrap();
        assert_eq!(claims.len(), 1);
        let notices = folders.notices("PM-42", &[]).unwrap();
        let unreadable: Vec<String> = notices
            .iter()
            .filter_map(|n| match n {
                ClaimNotice::Unreadable { file, reason } => {
                    Some(format!("{}: {reason}", Path::new(file).file_name().unwrap().to_string_lossy()))
                }
                ClaimNotice::Rejected { .. } => None,
            })
            .collect();
        assert_eq!(unreadable.len(), 2, "{unreadable:?}");
        assert!(unreadable[0].starts_with("day.837: interchange 1: CLM02 (segment "), "{unreadable:?}");
        assert!(unreadable[0].ends_with("is empty; expected the claim's total charge"), "{unreadable:?}");
        assert!(unreadable[1].starts_with("empty.txt: the interchange is empty"), "{unreadable:?}");
    }
}
