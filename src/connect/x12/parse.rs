//! Reading an interchange: the ISA fixes the delimiters, the rest is split into segments, and the envelope
//! (ISA/IEA, GS/GE, ST/SE) is checked for matching control numbers and counts before any reader sees it.

use std::ops::Range;

use super::error::{Location, ParseError, excerpt};
use super::segment::{Components, Delimiters, Element, Segment, Value};

/// The ISA is fixed width: these are the byte offsets of the element separators that end ISA00..ISA15.
const ISA_SEPARATORS: [usize; 16] = [3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103];
pub(super) const ISA_LEN: usize = 106;
/// What may come before the ISA: a byte-order mark, and blank space some systems write.
pub(super) const LEADING: [char; 5] = ['\u{feff}', ' ', '\r', '\n', '\t'];

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
        let text = text.trim_start_matches(LEADING);
        if text.is_empty() {
            return Err(ParseError::Empty);
        }
        if !text.starts_with("ISA") {
            return Err(ParseError::MissingIsa { found: excerpt(text.get(..3.min(text.len())).unwrap_or(text)) });
        }
        let (isa, delimiters) = read_isa(text)?;
        let rest = text.get(ISA_LEN..).unwrap_or("");
        // One terminator a segment: the list is made at its size rather than grown (and copied) as it fills.
        let mut segments = Vec::with_capacity(rest.matches(delimiters.segment).count() + 1);
        segments.push(isa);
        let mut spare = Spare::default();
        for piece in rest.split(delimiters.segment) {
            let Some(piece) = segment_text(piece) else { continue };
            let mut segment = Segment { index: segments.len() + 1, id: Value::default(), elements: Vec::new() };
            fill_segment(&mut segment, &mut spare, piece, &delimiters)?;
            segments.push(segment);
        }
        let groups = group_spans(&segments)?;
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
    let text = text.trim_start_matches(LEADING);
    match text.get(..ISA_LEN).filter(|_| text.starts_with("ISA")).map(|_| read_isa(text)) {
        Some(Ok((_, d))) => {
            let rest = text.get(ISA_LEN..).unwrap_or("");
            let mut pieces: Vec<&str> = rest.split(d.segment).collect();
            let current = pieces.pop().unwrap_or("");
            let before = pieces.iter().filter(|p| segment_text(p).is_some()).count();
            segment_named(before + 2, current, d.element)
        }
        _ => "segment 1, ISA".into(),
    }
}

/// `segment 15 NM1`: the segment at `index` whose text so far is `current`.
pub(super) fn segment_named(index: usize, current: &str, element: char) -> String {
    let current = current.trim_start_matches(['\r', '\n']);
    let id: String = current.chars().take_while(|c| *c != element).take(3).collect();
    format!("segment {index} {id}").trim_end().to_string()
}

pub(super) fn read_isa(text: &str) -> Result<(Segment, Delimiters), ParseError> {
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

/// A segment's text without its terminator and the line break often written after it; `None` for a blank piece.
pub(super) fn segment_text(piece: &str) -> Option<&str> {
    let piece = piece.trim_matches(['\r', '\n']);
    (!piece.trim().is_empty()).then_some(piece)
}

/// Elements a [`Segment`] no longer uses, kept for the next one with the room their repetitions and components
/// took, so reading a stream of segments allocates only while the first few are read. (A value needs no keeping:
/// nearly every one is held inline.)
#[derive(Debug, Default)]
pub(super) struct Spare {
    elements: Vec<Element>,
}

/// Splits one segment's text into `seg` (whose `index` is already set), reusing what `seg` and `spare` hold.
///
/// The text is walked once, from one delimiter to the next, rather than split into elements, each element into
/// repetitions and each repetition into components: most values are a few bytes long, and a search set up for each
/// would cost more than the value.
pub(super) fn fill_segment(
    seg: &mut Segment,
    spare: &mut Spare,
    piece: &str,
    d: &Delimiters,
) -> Result<(), ParseError> {
    // The delimiters come from an ISA, whose characters are checked to be ASCII (`read_isa`): each is one byte, and
    // no byte of a longer character can be taken for one.
    let [element, repetition, component] = [d.element, d.repetition, d.component].map(|c| u8::try_from(c).unwrap_or(0));
    let bytes = piece.as_bytes();
    let id_end = memchr::memchr(element, bytes).unwrap_or(bytes.len());
    let id = piece.get(..id_end).unwrap_or("");
    let valid_id = (2..=3).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !valid_id {
        return Err(ParseError::InvalidSegmentId { segment_index: seg.index, found: excerpt(id) });
    }
    seg.id = Value::from(id);
    let mut n = 0;
    if id_end < bytes.len() {
        if seg.elements.is_empty() && spare.elements.is_empty() {
            // A segment read into nothing reusable (each of a Document's) is given room for its elements at once.
            seg.elements.reserve_exact(memchr::memchr_iter(element, bytes).count());
        }
        let ends = memchr::memchr3_iter(element, repetition, component, &bytes[id_end + 1..]).map(|i| i + id_end + 1);
        let (mut start, mut rep, mut comp) = (id_end + 1, 0, 0);
        // The end of the text ends the last element as a delimiter would.
        for end in ends.chain(std::iter::once(bytes.len())) {
            let ended = bytes.get(end).copied().unwrap_or(element);
            if n == seg.elements.len() {
                seg.elements.push(spare.elements.pop().unwrap_or_default());
            }
            let repetitions = &mut seg.elements[n].0;
            if rep == repetitions.len() {
                repetitions.push(Components::new());
            }
            let values = &mut repetitions[rep];
            let value = Value::from(piece.get(start..end).unwrap_or(""));
            match values.get_mut(comp) {
                Some(held) => *held = value,
                None => values.push(value),
            }
            start = end + 1;
            if ended == component {
                comp += 1;
                continue;
            }
            values.truncate(comp + 1);
            comp = 0;
            if ended == repetition {
                rep += 1;
                continue;
            }
            repetitions.truncate(rep + 1);
            rep = 0;
            n += 1;
        }
    }
    spare.elements.extend(seg.elements.drain(n..));
    Ok(())
}

/// Where each group and set lies, with the envelope checked as [`EnvelopeCheck`] checks a stream.
fn group_spans(segments: &[Segment]) -> Result<Vec<GroupSpan>, ParseError> {
    let mut envelope = EnvelopeCheck::new(segments.first().map(|isa| isa.element(13)).unwrap_or(""));
    let mut groups: Vec<GroupSpan> = Vec::new();
    for (at, seg) in segments.iter().enumerate().skip(1) {
        match envelope.check(seg)? {
            Place::GroupHeader => groups.push(GroupSpan { gs: at, sets: Vec::new() }),
            Place::SetTrailer { st } => {
                if let Some(group) = groups.last_mut() {
                    // Segment indexes are 1-based positions; the spans are 0-based.
                    group.sets.push(st - 1..at + 1);
                }
            }
            _ => {}
        }
    }
    envelope.finish(segments.len())?;
    Ok(groups)
}

/// Where a segment stands in the envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    GroupHeader,
    SetHeader,
    SetBody,
    /// The SE, with the 1-based index of the ST it closes.
    SetTrailer {
        st: usize,
    },
    GroupTrailer,
    InterchangeTrailer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Interchange,
    Group,
    Set,
    Closed,
}

/// The envelope (ISA/IEA, GS/GE, ST/SE) checked one segment at a time after the ISA, so an interchange read as a
/// stream is checked as it arrives: counts and control numbers are compared when each trailer comes.
#[derive(Debug, Clone)]
pub(super) struct EnvelopeCheck {
    level: Level,
    isa_control: String,
    groups: usize,
    gs_control: String,
    sets: usize,
    st_at: usize,
    st_control: String,
}

impl EnvelopeCheck {
    /// `isa_control` is ISA13, which the IEA must repeat.
    pub(super) fn new(isa_control: &str) -> EnvelopeCheck {
        EnvelopeCheck {
            level: Level::Interchange,
            isa_control: isa_control.to_string(),
            groups: 0,
            gs_control: String::new(),
            sets: 0,
            st_at: 0,
            st_control: String::new(),
        }
    }

    pub(super) fn check(&mut self, seg: &Segment) -> Result<Place, ParseError> {
        match (self.level, seg.id.as_str()) {
            (Level::Interchange, "GS") => {
                self.level = Level::Group;
                self.groups += 1;
                self.sets = 0;
                set_text(&mut self.gs_control, seg.element(6));
                Ok(Place::GroupHeader)
            }
            (Level::Interchange, "IEA") => {
                expect_count(seg, 1, self.groups, "the number of GS/GE functional groups")?;
                expect_control(seg, 2, &self.isa_control, "ISA13, the interchange control number")?;
                self.level = Level::Closed;
                Ok(Place::InterchangeTrailer)
            }
            (Level::Interchange, _) => Err(structure(seg, "a GS group header or the IEA trailer")),
            (Level::Group, "ST") => {
                self.level = Level::Set;
                self.sets += 1;
                self.st_at = seg.index;
                set_text(&mut self.st_control, seg.element(2));
                Ok(Place::SetHeader)
            }
            (Level::Group, "GE") => {
                expect_count(seg, 1, self.sets, "the number of ST/SE transaction sets in the group")?;
                expect_control(seg, 2, &self.gs_control, "GS06, the group control number")?;
                self.level = Level::Interchange;
                Ok(Place::GroupTrailer)
            }
            (Level::Group, _) => Err(structure(seg, "an ST transaction set header or the GE trailer")),
            (Level::Set, "SE") => {
                let count = seg.index - self.st_at + 1;
                expect_count(seg, 1, count, "the number of segments from ST to SE inclusive")?;
                expect_control(seg, 2, &self.st_control, "ST02, the transaction set control number")?;
                self.level = Level::Group;
                Ok(Place::SetTrailer { st: self.st_at })
            }
            (Level::Set, "ISA" | "IEA" | "GS" | "GE" | "ST") => {
                Err(structure(seg, "the SE trailer before another envelope segment"))
            }
            (Level::Set, _) => Ok(Place::SetBody),
            (Level::Closed, _) => Err(structure(seg, "nothing after the IEA trailer (one interchange per text)")),
        }
    }

    /// Whether the IEA has closed the interchange.
    pub(super) fn is_closed(&self) -> bool {
        self.level == Level::Closed
    }

    /// The interchange ended after segment `last_index`: whatever is still open is missing its trailer.
    pub(super) fn finish(&self, last_index: usize) -> Result<(), ParseError> {
        let expected = match self.level {
            Level::Closed => return Ok(()),
            Level::Interchange => "a GS group header or the IEA trailer",
            Level::Group => "an ST transaction set or the GE trailer",
            Level::Set => "the SE trailer of the open transaction set",
        };
        Err(ParseError::Truncated { segment_index: last_index, expected })
    }
}

/// Replaces the text, keeping the allocation.
pub(super) fn set_text(into: &mut String, value: &str) {
    into.clear();
    into.push_str(value);
}

fn structure(seg: &Segment, expected: &'static str) -> ParseError {
    ParseError::Structure { segment_index: seg.index, found: seg.id.to_string(), expected }
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
