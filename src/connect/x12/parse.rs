//! Reading an interchange: the ISA fixes the delimiters, the rest is split into segments, and the envelope
//! (ISA/IEA, GS/GE, ST/SE) is checked for matching control numbers and counts before any reader sees it.

use std::ops::Range;

use super::error::{Location, ParseError, excerpt};
use super::segment::{Delimiters, Element, Segment};

/// The ISA is fixed width: these are the byte offsets of the element separators that end ISA00..ISA15.
const ISA_SEPARATORS: [usize; 16] = [3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103];
const ISA_LEN: usize = 106;

/// A checked interchange: its segments in order (ISA is segment 1) and where each transaction set lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub delimiters: Delimiters,
    pub segments: Vec<Segment>,
    groups: Vec<GroupSpan>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct GroupSpan {
    gs: usize,
    sets: Vec<Range<usize>>,
}

/// One transaction set, ST to SE inclusive, with the version its functional group declares (GS08).
#[derive(Debug, Clone, Copy)]
pub struct Transaction<'d> {
    pub version: &'d str,
    pub segments: &'d [Segment],
}

impl<'d> Transaction<'d> {
    /// ST01: `837`, `835`, ...
    pub fn id(&self) -> &'d str {
        self.segments.first().map(|st| st.element(1)).unwrap_or("")
    }
}

impl Document {
    pub fn parse(text: &str) -> Result<Document, ParseError> {
        let text = text.trim_start_matches(['\u{feff}', ' ', '\r', '\n', '\t']);
        if text.is_empty() {
            return Err(ParseError::Empty);
        }
        if !text.starts_with("ISA") {
            return Err(ParseError::MissingIsa { found: excerpt(text.get(..3.min(text.len())).unwrap_or(text)) });
        }
        let (isa, delimiters) = read_isa(text)?;
        let mut segments = vec![isa];
        let rest = text.get(ISA_LEN..).unwrap_or("");
        for piece in rest.split(delimiters.segment) {
            // Files are often written with a line break after each terminator; it is not part of the next segment.
            let piece = piece.trim_matches(['\r', '\n']);
            if piece.trim().is_empty() {
                continue;
            }
            let segment_index = segments.len() + 1;
            segments.push(split_segment(piece, segment_index, &delimiters)?);
        }
        let groups = check_envelope(&segments)?;
        Ok(Document { delimiters, segments, groups })
    }

    /// Parses a file as read from disk: bytes that are not UTF-8 are an error naming the offset and the segment
    /// they fall in, rather than a parse of mangled text.
    pub fn parse_bytes(bytes: &[u8]) -> Result<Document, ParseError> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Document::parse(text),
            Err(e) => {
                let offset = e.valid_up_to();
                // The prefix is valid UTF-8 by construction; it says which segment the bad byte is in.
                let before = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
                Err(ParseError::NotText { byte: bytes[offset], offset, where_: segment_at_end(before) })
            }
        }
    }

    pub fn isa(&self) -> &Segment {
        // parse() never builds a Document without the ISA; the fallback keeps this total anyway.
        static EMPTY: std::sync::OnceLock<Segment> = std::sync::OnceLock::new();
        self.segments.first().unwrap_or_else(|| EMPTY.get_or_init(|| Segment::simple("ISA", &[])))
    }

    pub fn transactions(&self) -> Vec<Transaction<'_>> {
        let mut out = Vec::new();
        for group in &self.groups {
            let version = self.segments.get(group.gs).map(|gs| gs.element(8)).unwrap_or("");
            for set in &group.sets {
                if let Some(segments) = self.segments.get(set.clone()) {
                    out.push(Transaction { version, segments });
                }
            }
        }
        out
    }
}

/// Which segment the end of `text` falls in, counted as [`Document::parse`] counts them.
fn segment_at_end(text: &str) -> String {
    let text = text.trim_start_matches(['\u{feff}', ' ', '\r', '\n', '\t']);
    match text.get(..ISA_LEN).filter(|_| text.starts_with("ISA")).map(|_| read_isa(text)) {
        Some(Ok((_, d))) => {
            let rest = text.get(ISA_LEN..).unwrap_or("");
            let mut pieces: Vec<&str> = rest.split(d.segment).collect();
            let current = pieces.pop().unwrap_or("").trim_start_matches(['\r', '\n']);
            let before = pieces.iter().filter(|p| !p.trim_matches(['\r', '\n']).trim().is_empty()).count();
            let id: String = current.chars().take_while(|c| *c != d.element).take(3).collect();
            format!("segment {} {id}", before + 2).trim_end().to_string()
        }
        _ => "segment 1, ISA".into(),
    }
}

fn read_isa(text: &str) -> Result<(Segment, Delimiters), ParseError> {
    let bytes = text.as_bytes();
    let header = bytes.get(..ISA_LEN).ok_or(ParseError::TruncatedIsa { found: bytes.len() })?;
    if let Some(pos) = header.iter().position(|b| !b.is_ascii()) {
        let element = ISA_SEPARATORS.iter().filter(|&&s| s < pos).count();
        return Err(ParseError::Mismatch {
            location: Location::new(1, "ISA", element, None),
            found: "a character outside ASCII".into(),
            expected: "plain ASCII; the ISA is 106 fixed-width ASCII characters".into(),
        });
    }
    let element = char::from(header[3]);
    for (n, &offset) in ISA_SEPARATORS.iter().enumerate().skip(1) {
        if header[offset] != header[3] {
            return Err(ParseError::IsaWidth { location: Location::new(1, "ISA", n, None), separator: element });
        }
    }
    let delimiters = Delimiters {
        element,
        repetition: char::from(header[82]),
        component: char::from(header[104]),
        segment: char::from(header[105]),
    };
    let all = [delimiters.element, delimiters.repetition, delimiters.component, delimiters.segment];
    let distinct = all.iter().enumerate().all(|(i, a)| all.iter().skip(i + 1).all(|b| a != b));
    if !distinct || all.iter().any(|c| c.is_ascii_alphanumeric() || *c == ' ') {
        return Err(ParseError::BadDelimiters {
            element: delimiters.element,
            repetition: delimiters.repetition,
            component: delimiters.component,
            segment: delimiters.segment,
            expected: "four distinct characters that are neither letters, digits nor spaces",
        });
    }
    // ISA values are padded, never composite: ISA11 and ISA16 are the delimiters themselves.
    let body = text.get(4..105).unwrap_or("");
    let elements = body.split(delimiters.element).map(Element::simple).collect();
    Ok((Segment { index: 1, id: "ISA".into(), elements }, delimiters))
}

fn split_segment(piece: &str, segment_index: usize, d: &Delimiters) -> Result<Segment, ParseError> {
    let mut parts = piece.split(d.element);
    let id = parts.next().unwrap_or("");
    let valid_id = (2..=3).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !valid_id {
        return Err(ParseError::InvalidSegmentId { segment_index, found: excerpt(id) });
    }
    let elements = parts
        .map(|e| {
            Element(e.split(d.repetition).map(|rep| rep.split(d.component).map(str::to_string).collect()).collect())
        })
        .collect();
    Ok(Segment { index: segment_index, id: id.to_string(), elements })
}

fn check_envelope(segments: &[Segment]) -> Result<Vec<GroupSpan>, ParseError> {
    let isa_control = segments.first().map(|isa| isa.element(13).to_string()).unwrap_or_default();
    let mut groups = Vec::new();
    let mut i = 1;
    loop {
        let Some(seg) = segments.get(i) else {
            return Err(ParseError::Truncated { segment_index: i, expected: "a GS group header or the IEA trailer" });
        };
        match seg.id.as_str() {
            "GS" => {
                let (group, next) = check_group(segments, i)?;
                groups.push(group);
                i = next;
            }
            "IEA" => {
                expect_count(seg, 1, groups.len(), "the number of GS/GE functional groups")?;
                expect_control(seg, 2, &isa_control, "ISA13, the interchange control number")?;
                if let Some(extra) = segments.get(i + 1) {
                    return Err(structure(extra, "nothing after the IEA trailer (one interchange per text)"));
                }
                return Ok(groups);
            }
            _ => return Err(structure(seg, "a GS group header or the IEA trailer")),
        }
    }
}

fn check_group(segments: &[Segment], gs_at: usize) -> Result<(GroupSpan, usize), ParseError> {
    let gs_control = segments.get(gs_at).map(|gs| gs.element(6).to_string()).unwrap_or_default();
    let mut sets = Vec::new();
    let mut i = gs_at + 1;
    loop {
        let Some(seg) = segments.get(i) else {
            return Err(ParseError::Truncated {
                segment_index: i,
                expected: "an ST transaction set or the GE trailer",
            });
        };
        match seg.id.as_str() {
            "ST" => {
                let end = check_set(segments, i)?;
                sets.push(i..end + 1);
                i = end + 1;
            }
            "GE" => {
                expect_count(seg, 1, sets.len(), "the number of ST/SE transaction sets in the group")?;
                expect_control(seg, 2, &gs_control, "GS06, the group control number")?;
                return Ok((GroupSpan { gs: gs_at, sets }, i + 1));
            }
            _ => return Err(structure(seg, "an ST transaction set header or the GE trailer")),
        }
    }
}

/// Returns the position of the SE that closes the set opened at `st_at`.
fn check_set(segments: &[Segment], st_at: usize) -> Result<usize, ParseError> {
    let st_control = segments.get(st_at).map(|st| st.element(2).to_string()).unwrap_or_default();
    let mut i = st_at + 1;
    loop {
        let Some(seg) = segments.get(i) else {
            return Err(ParseError::Truncated {
                segment_index: i,
                expected: "the SE trailer of the open transaction set",
            });
        };
        match seg.id.as_str() {
            "SE" => {
                expect_count(seg, 1, i - st_at + 1, "the number of segments from ST to SE inclusive")?;
                expect_control(seg, 2, &st_control, "ST02, the transaction set control number")?;
                return Ok(i);
            }
            "ISA" | "IEA" | "GS" | "GE" | "ST" => {
                return Err(structure(seg, "the SE trailer before another envelope segment"));
            }
            _ => i += 1,
        }
    }
}

fn structure(seg: &Segment, expected: &'static str) -> ParseError {
    ParseError::Structure { segment_index: seg.index, found: seg.id.clone(), expected }
}

fn expect_count(seg: &Segment, element: usize, count: usize, what: &str) -> Result<(), ParseError> {
    let found = seg.element(element);
    if found.trim().parse::<usize>().ok() == Some(count) {
        return Ok(());
    }
    Err(ParseError::Mismatch {
        location: Location::new(seg.index, &seg.id, element, None),
        found: excerpt(found),
        expected: format!("{count}, {what}"),
    })
}

fn expect_control(seg: &Segment, element: usize, opened: &str, what: &str) -> Result<(), ParseError> {
    let found = seg.element(element);
    let same = match (found.trim().parse::<u64>(), opened.trim().parse::<u64>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => found.trim() == opened.trim(),
    };
    if same {
        return Ok(());
    }
    Err(ParseError::Mismatch {
        location: Location::new(seg.index, &seg.id, element, None),
        found: excerpt(found),
        expected: format!("`{}`, matching {what}", excerpt(opened)),
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::interchange;
    use super::super::{Segment, TransactionSet};
    use super::*;

    #[test]
    fn bytes_that_are_not_text_are_named_by_offset_and_segment() {
        let mut bytes = interchange(1).with_group(1, vec![]).to_x12().into_bytes();
        assert_eq!(Document::parse_bytes(&bytes).map(|d| d.segments.len()), Ok(4));
        let gs_start = bytes.iter().position(|&b| b == b'~').unwrap() + 1;
        bytes[gs_start + 4] = 0xFF;
        let error = Document::parse_bytes(&bytes).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("byte 0xFF at offset {} (segment 2 GS) is not text; an X12 interchange is ASCII", gs_start + 4)
        );
        bytes[10] = 0xC3;
        let error = Document::parse_bytes(&bytes).unwrap_err().to_string();
        assert!(error.starts_with("byte 0xC3 at offset 10 (segment 1, ISA)"), "{error}");
    }

    fn sample() -> String {
        let set = |n| TransactionSet {
            id: "999".into(),
            version: "005010X231A1".into(),
            control_number: n,
            body: vec![
                Segment::simple("AK1", &["HC", "17", "005010X222A1"]),
                Segment::simple("AK9", &["A", "1", "1", "1"]),
            ],
        };
        interchange(42).with_group(17, vec![set(1), set(2)]).to_x12()
    }

    #[test]
    fn writes_a_fixed_width_isa_and_counted_trailers() {
        let text = sample();
        assert_eq!(text.find('~'), Some(105));
        assert!(text.starts_with(
            "ISA*00*          *00*          *ZZ*BAYVIEWCLINIC  *ZZ*CLEARHOUSE     *261201*1430*^*00501*000000042*0*T*:~"
        ));
        assert!(
            text.contains("GS*FA*BAYVIEWCLINIC*CLEARHOUSE*20261201*1430*17*X*005010X231A1~ST*999*0001*005010X231A1~")
        );
        assert!(text.contains("SE*4*0002~GE*2*17~IEA*1*000000042~"));
    }

    #[test]
    fn reads_back_what_it_writes_with_line_breaks_between_segments() {
        let text = sample().replace('~', "~\r\n");
        let doc = Document::parse(&text).unwrap();
        assert_eq!(doc.delimiters, Delimiters::default());
        assert_eq!(doc.segments.len(), 12);
        let sets = doc.transactions();
        assert_eq!(sets.len(), 2);
        assert_eq!(sets[1].id(), "999");
        assert_eq!(sets[1].version, "005010X231A1");
        assert_eq!(sets[1].segments[0].index, 7);
        assert_eq!(doc.isa().element(13), "000000042");
    }

    #[test]
    fn takes_delimiters_from_the_isa() {
        let text = sample().replace('*', "|").replace('~', "\n").replace("|^|", "|!|").replace("|T|:", "|T|>");
        let doc = Document::parse(&text).unwrap();
        assert_eq!(doc.delimiters, Delimiters { element: '|', repetition: '!', component: '>', segment: '\n' });
        assert_eq!(doc.segments[3].element(3), "005010X222A1");
    }

    fn mismatch(text: &str) -> (usize, String, usize) {
        match Document::parse(text) {
            Err(ParseError::Mismatch { location, .. }) => {
                (location.segment_index, location.segment_id, location.element)
            }
            other => panic!("expected a mismatch, got {other:?}"),
        }
    }

    #[test]
    fn envelope_count_and_control_errors_name_their_segment() {
        let text = sample();
        assert_eq!(mismatch(&text.replace("SE*4*0002", "SE*5*0002")), (10, "SE".into(), 1));
        assert_eq!(mismatch(&text.replace("SE*4*0002", "SE*4*0003")), (10, "SE".into(), 2));
        assert_eq!(mismatch(&text.replace("GE*2*17", "GE*1*17")), (11, "GE".into(), 1));
        assert_eq!(mismatch(&text.replace("GE*2*17", "GE*2*18")), (11, "GE".into(), 2));
        assert_eq!(mismatch(&text.replace("IEA*1*", "IEA*2*")), (12, "IEA".into(), 1));
        assert_eq!(mismatch(&text.replace("IEA*1*000000042", "IEA*1*000000043")), (12, "IEA".into(), 2));
        let err = Document::parse(&text.replace("SE*4*0002", "SE*5*0002")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "SE01 (segment 10) is `5`; expected 4, the number of segments from ST to SE inclusive"
        );
    }

    #[test]
    fn structure_and_truncation_are_reported() {
        let text = sample();
        let cut = &text[..text.find("SE*4*0002").unwrap()];
        assert_eq!(
            Document::parse(cut),
            Err(ParseError::Truncated { segment_index: 9, expected: "the SE trailer of the open transaction set" })
        );
        assert!(matches!(
            Document::parse(&text.replace("ST*999*0002", "XX*999*0002")),
            Err(ParseError::Structure { segment_index: 7, .. })
        ));
        assert!(matches!(Document::parse(&format!("{text}ISA")), Err(ParseError::Structure { segment_index: 13, .. })));
        assert_eq!(Document::parse(&text[..50]), Err(ParseError::TruncatedIsa { found: 50 }));
        assert_eq!(Document::parse("  \r\n"), Err(ParseError::Empty));
        assert!(matches!(Document::parse("MSH|^~\\&|"), Err(ParseError::MissingIsa { .. })));
        assert!(matches!(Document::parse(&text.replacen("ZZ*", "ZZ* ", 1)), Err(ParseError::IsaWidth { .. })));
        assert!(matches!(Document::parse(&text.replace(":~", "*~")), Err(ParseError::BadDelimiters { .. })));
        assert!(matches!(
            Document::parse(&text.replace("AK9", "ak9")),
            Err(ParseError::InvalidSegmentId { segment_index: 5, .. })
        ));
    }

    #[test]
    fn never_panics_on_garbage() {
        let text = sample();
        for cut in 0..text.len() {
            let _ = Document::parse(&text[..cut]);
        }
        let mut seed = 0x2545_f491_u64;
        for _ in 0..2000 {
            let mut bytes = text.clone().into_bytes();
            for _ in 0..4 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let at = (seed as usize) % bytes.len();
                bytes[at] = b"*~:^\r\n0A\xc3\xa9 "[(seed >> 32) as usize % 11];
            }
            let _ = Document::parse(&String::from_utf8_lossy(&bytes));
        }
        let _ = Document::parse(&"é".repeat(200));
        let huge = text.replace("AK1*HC", &format!("AK1*{}", "H".repeat(10_000_000)));
        let err = Document::parse(&huge.replace("SE*4*0001", "SE*9*0001")).unwrap_err();
        assert!(err.to_string().len() < 200, "{err}");
    }
}
