//! X12 batches read as a stream, one transaction set at a time: each ST…SE is handed to the project's own 837P and
//! 835 readers inside its interchange's ISA and GS, so memory holds one set, not the file, and every error names the
//! segment by its position in the file.

use std::io::{BufRead, BufReader, Read};

use crate::connect::x12::{Document, Location, ParseError, ReadError, read_835, read_837p};
use crate::model::{Claim, Remittance};

use super::super::{InputProblem, Source};

/// One claim as a PM's 837P batch carries it, with what ties it to the chart.
#[derive(Debug, Clone)]
pub struct BilledClaim {
    pub claim: Claim,
    /// 2300 REF*EA, the medical record number: the EMR's patient id.
    pub medical_record: Option<String>,
    /// The encounter a FHIR Claim names (`item.encounter`).
    pub encounter: Option<String>,
    /// Where it was read, for messages: `claims.837 segment 14` or `Claim.ndjson line 3`.
    pub at: String,
}

/// Where one transaction set's segments sit in the file: its ISA, its GS, and its ST.
#[derive(Debug, Clone, Copy)]
struct Placement {
    isa: usize,
    gs: usize,
    st: usize,
}

impl Placement {
    /// The set is read as its own interchange of ISA, GS, the set, GE and IEA; this puts a position in that
    /// interchange back where it is in the file.
    fn in_file(&self, index: usize) -> usize {
        match index {
            1 => self.isa,
            2 => self.gs,
            n => self.st + n - 3,
        }
    }

    fn location(&self, mut location: Location) -> Location {
        location.segment_index = self.in_file(location.segment_index);
        location
    }

    fn read_error(&self, error: ReadError) -> ReadError {
        match error {
            ReadError::WrongTransaction { location, found, expected } => {
                ReadError::WrongTransaction { location: self.location(location), found, expected }
            }
            ReadError::MissingValue { location, expected } => {
                ReadError::MissingValue { location: self.location(location), expected }
            }
            ReadError::InvalidValue { location, found, expected } => {
                ReadError::InvalidValue { location: self.location(location), found, expected }
            }
            missing @ ReadError::MissingSegment { .. } => missing,
        }
    }

    fn parse_error(&self, error: ParseError) -> ParseError {
        match error {
            ParseError::Mismatch { location, found, expected } => {
                ParseError::Mismatch { location: self.location(location), found, expected }
            }
            ParseError::Structure { segment_index, found, expected } => {
                ParseError::Structure { segment_index: self.in_file(segment_index), found, expected }
            }
            ParseError::InvalidSegmentId { segment_index, found } => {
                ParseError::InvalidSegmentId { segment_index: self.in_file(segment_index), found }
            }
            other => other,
        }
    }
}

/// A problem in an X12 file, with the hint every X12 problem shares.
fn problem(file: &str, message: impl std::fmt::Display, st: Option<usize>) -> InputProblem {
    let within = st.map(|s| format!(" (in the transaction set that starts at segment {s}, ST)")).unwrap_or_default();
    InputProblem {
        file: file.to_string(),
        line: None,
        message: format!(
            "{message}{within}\n  hint: an X12 005010 interchange (ISA…IEA) is expected; segments are counted from \
             the ISA, which is segment 1"
        ),
    }
}

/// The trailing fields an envelope segment must agree on.
struct Envelope {
    isa: String,
    isa_index: usize,
    isa_control: String,
    groups: usize,
    gs: Option<(String, usize, String)>,
    sets: usize,
}

/// One transaction set being read: its file and where it sits in it.
struct SetAt<'a> {
    file: &'a str,
    placement: Placement,
}

impl SetAt<'_> {
    fn error(&self, error: ReadError) -> InputProblem {
        problem(self.file, self.placement.read_error(error), Some(self.placement.st))
    }
}

/// Reads every transaction set of every interchange in `source`, handing each to `each` as a checked document with
/// where it sits in the file.
fn each_set(
    source: Source,
    each: &mut dyn FnMut(&Document, &SetAt<'_>) -> Result<(), InputProblem>,
) -> Result<(), InputProblem> {
    let name = source.name;
    let mut reader = BufReader::with_capacity(1 << 16, source.reader);
    let io = |e: std::io::Error| InputProblem { file: name.clone(), line: None, message: format!("cannot read: {e}") };
    // Leading whitespace and a byte-order mark are not part of the interchange.
    loop {
        let buf = reader.fill_buf().map_err(io)?;
        let skip = buf.iter().take_while(|b| b" \r\n\t".contains(b)).count();
        let skip = if skip == 0 && buf.starts_with("\u{feff}".as_bytes()) { 3 } else { skip };
        if skip == 0 {
            break;
        }
        reader.consume(skip);
    }
    let mut head = Vec::with_capacity(106);
    (&mut reader).take(106).read_to_end(&mut head).map_err(io)?;
    if head.len() < 106 || !head.starts_with(b"ISA") {
        let error = Document::parse_bytes(&head).err().unwrap_or(ParseError::TruncatedIsa { found: head.len() });
        return Err(problem(&name, error, None));
    }
    let (element, terminator) = (head[3], head[105]);
    let mut pending_isa = Some(head);
    let mut envelope: Option<Envelope> = None;
    let mut set: Vec<u8> = Vec::new();
    let mut st_at: Option<usize> = None;
    let mut index = 0usize;
    let mut raw = Vec::new();
    loop {
        raw.clear();
        if let Some(isa) = pending_isa.take() {
            raw = isa;
        } else if reader.read_until(terminator, &mut raw).map_err(io)? == 0 {
            break;
        }
        let text = raw.strip_suffix(&[terminator]).unwrap_or(&raw);
        let start = text.iter().take_while(|b| b" \r\n\t".contains(b)).count();
        let text = &text[start..];
        if text.is_empty() {
            continue;
        }
        index += 1;
        let Ok(text) = std::str::from_utf8(text) else {
            return Err(problem(&name, format!("segment {index} is not text; an X12 interchange is ASCII"), None));
        };
        let id = text.split(char::from(element)).next().unwrap_or("");
        let field = |n: usize| text.split(char::from(element)).nth(n).unwrap_or("").trim().to_string();
        let structure = |expected: &'static str| {
            problem(&name, ParseError::Structure { segment_index: index, found: id.to_string(), expected }, st_at)
        };
        let mismatch = |n: usize, expected: String| {
            let location = Location::new(index, id, n, None);
            problem(&name, ParseError::Mismatch { location, found: field(n), expected }, None)
        };
        if let Some(st) = st_at {
            set.extend_from_slice(text.as_bytes());
            set.push(terminator);
            if matches!(id, "ISA" | "IEA" | "GS" | "GE" | "ST") {
                return Err(structure("the SE trailer before another envelope segment"));
            }
            if id != "SE" {
                continue;
            }
            let env = envelope.as_mut().expect("an ST is only taken inside an interchange");
            let (gs, gs_index, gs_control) = env.gs.clone().expect("an ST is only taken inside a group");
            env.sets += 1;
            let t = char::from(terminator);
            let e = char::from(element);
            let mut mini = format!("{}{t}{gs}{t}", env.isa);
            mini.push_str(&String::from_utf8_lossy(&set));
            mini.push_str(&format!("GE{e}1{e}{gs_control}{t}IEA{e}1{e}{}{t}", env.isa_control));
            let placement = Placement { isa: env.isa_index, gs: gs_index, st };
            let doc = Document::parse(&mini).map_err(|e| problem(&name, placement.parse_error(e), Some(st)))?;
            each(&doc, &SetAt { file: &name, placement })?;
            set.clear();
            st_at = None;
            continue;
        }
        match id {
            "ISA" => {
                if envelope.is_some() {
                    return Err(structure("the IEA trailer of the open interchange before the next ISA"));
                }
                envelope = Some(Envelope {
                    isa: text.to_string(),
                    isa_index: index,
                    isa_control: field(13),
                    groups: 0,
                    gs: None,
                    sets: 0,
                });
            }
            "GS" => match envelope.as_mut() {
                Some(env) if env.gs.is_none() => {
                    env.gs = Some((text.to_string(), index, field(6)));
                    env.sets = 0;
                }
                _ => return Err(structure("a GS only inside an interchange, after the GE of any group before it")),
            },
            "ST" => {
                if envelope.as_ref().is_none_or(|e| e.gs.is_none()) {
                    return Err(structure("an ST only inside a GS functional group"));
                }
                st_at = Some(index);
                set.extend_from_slice(text.as_bytes());
                set.push(terminator);
            }
            "GE" => {
                let Some(env) = envelope.as_mut() else { return Err(structure("a GE only inside an interchange")) };
                let Some((_, _, control)) = env.gs.take() else {
                    return Err(structure("a GE only after its GS"));
                };
                if field(1).parse::<usize>().ok() != Some(env.sets) {
                    return Err(mismatch(
                        1,
                        format!("{}, the number of ST/SE transaction sets in the group", env.sets),
                    ));
                }
                if field(2).trim_start_matches('0') != control.trim_start_matches('0') {
                    return Err(mismatch(2, format!("`{control}`, matching GS06, the group control number")));
                }
                env.groups += 1;
            }
            "IEA" => {
                let Some(env) = envelope.take() else { return Err(structure("an IEA only after its ISA")) };
                if env.gs.is_some() {
                    return Err(structure("the GE trailer of the open group before the IEA"));
                }
                if field(1).parse::<usize>().ok() != Some(env.groups) {
                    return Err(mismatch(1, format!("{}, the number of GS/GE functional groups", env.groups)));
                }
                if field(2).trim_start_matches('0') != env.isa_control.trim_start_matches('0') {
                    let expected = format!("`{}`, matching ISA13, the interchange control number", env.isa_control);
                    return Err(mismatch(2, expected));
                }
            }
            _ => return Err(structure("an envelope segment (ISA, GS, ST, GE, IEA) between transaction sets")),
        }
    }
    if st_at.is_some() || envelope.is_some() {
        let expected = if st_at.is_some() { "the SE trailer of the open transaction set" } else { "the IEA trailer" };
        return Err(problem(&name, ParseError::Truncated { segment_index: index, expected }, st_at));
    }
    Ok(())
}

/// Every claim of an 837P file, with its 2300 REF*EA when it has one.
pub fn read_claims(source: Source, claims: &mut Vec<BilledClaim>) -> Result<(), InputProblem> {
    each_set(source, &mut |doc, at| {
        let read = read_837p(doc).map_err(|e| at.error(e))?;
        let mut records = Vec::new();
        let mut open: Option<usize> = None;
        for seg in &doc.segments {
            match (seg.id.as_str(), seg.element(1)) {
                ("CLM", _) => {
                    records.push((seg.index, None));
                    open = Some(records.len() - 1);
                }
                ("HL", _) => open = None,
                ("REF", "EA") => {
                    if let Some(i) = open {
                        records[i].1 = Some(seg.element(2).to_string());
                    }
                }
                _ => {}
            }
        }
        for (claim, (clm, medical_record)) in read.into_iter().zip(records) {
            let at = format!("{} segment {}", at.file, at.placement.in_file(clm));
            claims.push(BilledClaim { claim, medical_record, encounter: None, at });
        }
        Ok(())
    })
}

/// Every claim's remittance in an 835 file, with where it was read.
pub fn read_remittances(source: Source, remits: &mut Vec<(Remittance, String)>) -> Result<(), InputProblem> {
    each_set(source, &mut |doc, at| {
        for advice in read_835(doc).map_err(|e| at.error(e))? {
            for claim in &advice.claims {
                remits.push((claim.to_model(), at.file.to_string()));
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::x12::fixtures::{claim, interchange, submission};
    use crate::connect::x12::professional_claim;

    /// Two interchanges in one file, the second holding two transaction sets, each set one claim.
    fn batch() -> String {
        let set = |id: &str, n: u32| {
            let mut c = claim();
            c.id = id.into();
            professional_claim(&submission(c), n).unwrap()
        };
        let first = interchange(1).with_group(1, vec![set("A1", 1)]).to_x12();
        let second = interchange(2).with_group(2, vec![set("B1", 1), set("B2", 2)]).to_x12();
        format!("{first}\r\n{second}\n")
    }

    fn claims(text: &str) -> Result<Vec<BilledClaim>, String> {
        let mut claims = Vec::new();
        let source = Source { name: "batch.837".into(), reader: Box::new(std::io::Cursor::new(text.to_string())) };
        read_claims(source, &mut claims).map_err(|p| p.to_string())?;
        Ok(claims)
    }

    fn segment_of(text: &str, needle: &str) -> usize {
        // Segments are counted from the first ISA, whichever interchange they are in.
        text.split('~').map(str::trim).filter(|s| !s.is_empty()).position(|s| s.starts_with(needle)).unwrap() + 1
    }

    #[test]
    fn every_claim_of_every_interchange_is_read_and_placed_in_the_file() {
        let text = batch();
        let read = claims(&text).unwrap();
        let ids: Vec<_> = read.iter().map(|c| (c.claim.id.as_str(), c.at.clone())).collect();
        let at = |id: &str| format!("batch.837 segment {}", segment_of(&text, &format!("CLM*{id}*")));
        assert_eq!(ids, [("A1", at("A1")), ("B1", at("B1")), ("B2", at("B2"))]);
        assert_eq!(read[2].claim.lines.len(), 3);
        assert_eq!(read[0].medical_record, None);
    }

    #[test]
    fn a_medical_record_number_is_kept_for_its_claim() {
        let mut set = professional_claim(&submission(claim()), 1).unwrap();
        let clm = set.body.iter().position(|s| s.id == "CLM").unwrap();
        set.body.insert(clm + 1, crate::connect::x12::Segment::simple("REF", &["EA", "E00000042"]));
        let text = interchange(1).with_group(1, vec![set]).to_x12();
        let read = claims(&text).unwrap();
        assert_eq!(read[0].medical_record.as_deref(), Some("E00000042"));
    }

    #[test]
    fn errors_in_a_later_interchange_name_the_segment_by_its_place_in_the_file() {
        let text = batch();
        let bad = text.replacen("CLM*B2*250*", "CLM*B2*lots*", 1);
        let error = claims(&bad).unwrap_err();
        let clm = segment_of(&bad, "CLM*B2*");
        let st = segment_of(&bad[bad.find("CLM*B1*").unwrap()..], "ST*837") + segment_of(&bad, "CLM*B1*") - 1;
        assert!(
            error.starts_with(&format!(
                "batch.837: CLM02 (segment {clm}) is `lots`; expected the claim's total charge (in the transaction \
                 set that starts at segment {st}, ST)"
            )),
            "{error}"
        );
        let cut = &text[..text.rfind("GE*").unwrap()];
        let error = claims(cut).unwrap_err();
        assert!(error.starts_with("batch.837: the interchange ends after segment"), "{error}");
        let miscounted = text.replacen("GE*2*2~", "GE*3*2~", 1);
        let error = claims(&miscounted).unwrap_err();
        let ge = segment_of(&miscounted, "GE*3*2");
        assert!(
            error.starts_with(&format!(
                "batch.837: GE01 (segment {ge}) is `3`; expected 2, the number of ST/SE transaction sets in the group"
            )),
            "{error}"
        );
    }

    #[test]
    fn a_remittance_file_given_as_claims_says_which_transaction_it_is() {
        let text = batch().replace("ST*837*", "ST*835*");
        let error = claims(&text).unwrap_err();
        assert!(error.contains("ST01 (segment 3) is `835`; expected 837, a professional claim"), "{error}");
    }
}
