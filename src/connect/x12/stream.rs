//! Reading an 837P batch as a stream: segments come from a [`BufRead`] one at a time into buffers that are reused,
//! the envelope is checked as each trailer arrives, and each claim is handed on as soon as the next HL, CLM or SE
//! closes it, so memory stays the same however large the file is.

use std::io::{BufRead, Read};

use crate::model::Claim;

use super::error::{Location, ParseError, ReadError, StreamError, excerpt};
use super::parse::{
    EnvelopeCheck, ISA_LEN, LEADING, Place, Spare, fill_segment, read_isa, segment_named, segment_text,
};
use super::professional::{ClaimLoops, EXPECTED_837};
use super::reader::no_transaction;
use super::segment::{Delimiters, Segment, Value};

/// The longest segment read before the reader gives up looking for its terminator. 837P segments are a few hundred
/// bytes at most; a file whose terminator never comes must not be read whole into memory.
pub const MAX_SEGMENT_BYTES: usize = 1 << 20;

const BOM: &[u8] = "\u{feff}".as_bytes();

/// The claims of every 837 set in an interchange, or in each of several one after another, read from `source` as
/// they come: see [`ClaimStream`].
pub fn stream_837p<R: BufRead>(source: R) -> ClaimStream<R> {
    ClaimStream {
        source,
        delimiters: Delimiters::default(),
        envelope: None,
        segment: Segment { index: 0, id: Value::default(), elements: Vec::new() },
        spare: Spare::default(),
        piece: Vec::new(),
        offset: 0,
        segments: 0,
        loops: None,
        first_st: None,
        saw_837: false,
        stopped: false,
    }
}

/// An iterator of claims, each `Ok` once complete, or the first problem in the text as an `Err`, after which it
/// ends. It checks what [`super::Document::parse`] and [`super::read_837p`] check, with the same messages, but
/// one segment at a time: claims before a problem are handed on before the problem is found.
pub struct ClaimStream<R> {
    source: R,
    delimiters: Delimiters,
    /// `None` until the ISA has been read.
    envelope: Option<EnvelopeCheck>,
    /// The current segment, refilled in place.
    segment: Segment,
    spare: Spare,
    /// The current segment's bytes.
    piece: Vec<u8>,
    /// Bytes of the source consumed so far.
    offset: usize,
    /// Segments read so far, ISA included: the index of the current one.
    segments: usize,
    /// The claims of the 837 set open now.
    loops: Option<ClaimLoops>,
    /// What to say if the interchange holds no 837 set: the error its first ST would give.
    first_st: Option<ReadError>,
    saw_837: bool,
    stopped: bool,
}

impl<R: BufRead> ClaimStream<R> {
    /// Segments read so far, ISA included.
    pub fn segments_read(&self) -> usize {
        self.segments
    }

    fn next_claim(&mut self) -> Result<Option<Claim>, StreamError> {
        if self.envelope.is_none() {
            self.read_header()?;
        }
        loop {
            if !self.next_segment()? {
                return self.end().map(|()| None);
            }
            let Some(envelope) = self.envelope.as_mut() else { return Ok(None) };
            if envelope.is_closed() {
                self.next_interchange()?;
                continue;
            }
            let place = envelope.check(&self.segment)?;
            if place == Place::SetHeader {
                self.open_set();
            }
            let Some(loops) = self.loops.as_mut() else { continue };
            let claim = loops.feed(&self.segment)?;
            if matches!(place, Place::SetTrailer { .. }) {
                // The SE closed the set's last claim inside feed; nothing is left open.
                self.loops = None;
            }
            if claim.is_some() {
                return Ok(claim);
            }
        }
    }

    fn open_set(&mut self) {
        let is_837 = self.segment.element(1) == "837";
        if self.first_st.is_none() {
            self.first_st = Some(no_transaction(Some(&self.segment), "837", EXPECTED_837));
        }
        self.saw_837 |= is_837;
        self.loops = is_837.then(ClaimLoops::default);
    }

    /// The text ended: the envelope must be closed, and there must have been an 837 set in it.
    fn end(&mut self) -> Result<(), StreamError> {
        if let Some(envelope) = &self.envelope {
            envelope.finish(self.segments)?;
        }
        if !self.saw_837 {
            let none = || no_transaction(None, "837", EXPECTED_837);
            return Err(self.first_st.take().unwrap_or_else(none).into());
        }
        Ok(())
    }

    /// Skips what may precede the ISA, then reads its 106 fixed-width bytes, which fix the delimiters.
    fn read_header(&mut self) -> Result<(), StreamError> {
        loop {
            let buffered = self.source.fill_buf()?;
            let skip = if buffered.starts_with(BOM) {
                BOM.len()
            } else {
                match buffered.first() {
                    Some(&b) if LEADING.contains(&char::from(b)) => 1,
                    _ => break,
                }
            };
            self.source.consume(skip);
            self.offset += skip;
        }
        let mut header = Vec::with_capacity(ISA_LEN);
        (&mut self.source).take(ISA_LEN as u64).read_to_end(&mut header)?;
        let start = self.offset;
        self.offset += header.len();
        if header.is_empty() {
            return Err(ParseError::Empty.into());
        }
        let text = match std::str::from_utf8(&header) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            // A character cut by the end of the 106 bytes is outside ASCII, which the ISA check names.
            Err(e) if e.error_len().is_none() && header.len() == ISA_LEN => String::from_utf8_lossy(&header),
            Err(e) => {
                let at = e.valid_up_to();
                let where_ = "segment 1, ISA".to_string();
                return Err(ParseError::NotText { byte: header[at], offset: start + at, where_ }.into());
            }
        };
        if !text.starts_with("ISA") {
            return Err(
                ParseError::MissingIsa { found: excerpt(text.get(..3.min(text.len())).unwrap_or(&text)) }.into()
            );
        }
        let (isa, delimiters) = read_isa(&text)?;
        self.envelope = Some(EnvelopeCheck::new(isa.element(13)));
        self.delimiters = delimiters;
        self.segments = 1;
        Ok(())
    }

    /// After an IEA, the segment just read must open another interchange: a file of several (as a PM's batch
    /// export often is) is read as one stream, its segments counted from the first ISA. The new ISA fixes its own
    /// delimiters; it is read with the ones before it, which a file keeps the same from one interchange to the next.
    fn next_interchange(&mut self) -> Result<(), StreamError> {
        if self.segment.id != "ISA" {
            return Err(ParseError::Structure {
                segment_index: self.segments,
                found: self.segment.id.to_string(),
                expected: "another interchange's ISA header, or nothing after the IEA trailer",
            }
            .into());
        }
        let mut text = std::str::from_utf8(&self.piece).ok().and_then(segment_text).unwrap_or_default().to_string();
        text.push(self.delimiters.segment);
        let (isa, delimiters) = read_isa(&text).map_err(|e| placed(e, self.segments))?;
        self.envelope = Some(EnvelopeCheck::new(isa.element(13)));
        self.delimiters = delimiters;
        Ok(())
    }

    /// Reads the next segment that is not blank into `self.segment`; false at the end of the text.
    fn next_segment(&mut self) -> Result<bool, StreamError> {
        let terminator = self.delimiters.segment as u8;
        loop {
            self.piece.clear();
            let start = self.offset;
            let read = (&mut self.source).take(MAX_SEGMENT_BYTES as u64 + 1).read_until(terminator, &mut self.piece)?;
            if read == 0 {
                return Ok(false);
            }
            self.offset += read;
            if self.piece.last() == Some(&terminator) {
                self.piece.pop();
            } else if self.piece.len() > MAX_SEGMENT_BYTES {
                return Err(ParseError::SegmentTooLong {
                    segment_index: self.segments + 1,
                    limit: MAX_SEGMENT_BYTES,
                    terminator: self.delimiters.segment,
                }
                .into());
            }
            let text = match std::str::from_utf8(&self.piece) {
                Ok(text) => text,
                Err(e) => {
                    let at = e.valid_up_to();
                    let before = std::str::from_utf8(&self.piece[..at]).unwrap_or_default();
                    let where_ = segment_named(self.segments + 1, before, self.delimiters.element);
                    return Err(ParseError::NotText { byte: self.piece[at], offset: start + at, where_ }.into());
                }
            };
            let Some(text) = segment_text(text) else { continue };
            self.segments += 1;
            self.segment.index = self.segments;
            fill_segment(&mut self.segment, &mut self.spare, text, &self.delimiters)?;
            return Ok(true);
        }
    }
}

impl<R: BufRead> Iterator for ClaimStream<R> {
    type Item = Result<Claim, StreamError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.stopped {
            return None;
        }
        let next = self.next_claim();
        if !matches!(next, Ok(Some(_))) {
            self.stopped = true;
        }
        next.transpose()
    }
}

/// A problem with an ISA after the first, placed at that ISA's own segment: read alone, the ISA is segment 1.
fn placed(error: ParseError, index: usize) -> ParseError {
    match error {
        ParseError::Mismatch { mut location, found, expected } => {
            location.segment_index = index;
            ParseError::Mismatch { location, found, expected }
        }
        ParseError::IsaWidth { mut location, separator } => {
            location.segment_index = index;
            ParseError::IsaWidth { location, separator }
        }
        ParseError::TruncatedIsa { found } => ParseError::Mismatch {
            location: Location::new(index, "ISA", 0, None),
            found: format!("{found} characters long"),
            expected: "exactly 106 characters including the segment terminator".into(),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::io::BufReader;

    use super::super::fixtures::{claim, interchange, submission};
    use super::super::{Document, professional_claim, read_837p};
    use super::*;

    /// Two 837 sets, the second with two claims for one subscriber, as a PM's nightly batch might hold them.
    fn batch() -> String {
        let first = professional_claim(&submission(claim()), 1).unwrap();
        let mut second = professional_claim(&submission(Claim { id: "C124".into(), ..claim() }), 2).unwrap();
        let clm_at = second.body.iter().position(|s| s.id == "CLM").unwrap();
        let mut again: Vec<Segment> = second.body[clm_at..].to_vec();
        again[0].elements[0] = "C125".into();
        second.body.extend(again);
        interchange(7).with_group(3, vec![first, second]).to_x12()
    }

    /// What the whole-text reader says: the claims, or the error as the user sees it.
    fn whole(text: &str) -> Result<Vec<Claim>, String> {
        let doc = Document::parse(text).map_err(|e| e.to_string())?;
        read_837p(&doc).map_err(|e| e.to_string())
    }

    /// The same, streamed through a buffer of a few bytes so segments straddle every refill.
    fn streamed(bytes: &[u8]) -> Result<Vec<Claim>, String> {
        stream_837p(BufReader::with_capacity(7, bytes)).collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())
    }

    #[test]
    fn streams_the_claims_the_whole_text_reader_reads() {
        let text = batch();
        let ids: Vec<String> = streamed(text.as_bytes()).unwrap().into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["C123", "C124", "C125"]);
        assert_eq!(streamed(text.as_bytes()), whole(&text));
        let broken_lines = format!("\u{feff}\r\n{}", text.replace('~', "~\r\n"));
        assert_eq!(streamed(broken_lines.as_bytes()).unwrap(), whole(&text).unwrap());
        for sample in ["837p.x12", "837p_two_claims.x12", "payer_837p.x12"] {
            let path = format!("{}/tests/interop/x12/{sample}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&path).unwrap();
            let read = streamed(text.as_bytes()).unwrap();
            assert!(!read.is_empty(), "{sample}");
            assert_eq!(Ok(read), whole(&text), "{sample}");
        }
    }

    #[test]
    fn reports_what_the_whole_text_reader_reports() {
        let text = batch();
        let broken = [
            text.replacen("SE*", "SE*99*", 1),
            text.replace("GE*2*3", "GE*3*3"),
            text.replace("GE*2*3", "GE*2*4"),
            text.replace("IEA*1*000000007", "IEA*1*000000008"),
            text[..text.find("GE*").unwrap()].to_string(),
            text[..text.rfind("SE*").unwrap()].to_string(),
            text.replace("IEA*", "XX*"),
            text.replace("ST*837", "ST*835"),
            text.replace("SV1*HC:99214:25*150*", "SV1*HC:99214:25*1X0*"),
            text.replace("*1:2~", "*1:Z~"),
            text.replace("DTP*472*D8*20261201~", "NTE*ADD*NO DATE~"),
            text.replace("NM1*IL*1*Lopez-Hernandez*Ana*Maria***MI*1EG4TE5MK72", "NM1*IL*1*Lopez-Hernandez*Ana"),
            text.replacen("CLM*C123", "cLM*C123", 1),
            text[..60].to_string(),
            text.replace("*:~", "**~"),
            "  \n".to_string(),
            "MSH|^~\\&|".to_string(),
        ];
        for (n, text) in broken.iter().enumerate() {
            let expected = whole(text);
            assert!(expected.is_err(), "case {n} should be refused");
            assert_eq!(streamed(text.as_bytes()), expected, "case {n}");
        }
        // After the IEA, the stream reads on only into another interchange.
        let (after, index) = (format!("{text}IEA*1*000000007~"), text.matches('~').count() + 1);
        assert_eq!(
            streamed(after.as_bytes()).unwrap_err(),
            format!(
                "segment {index} is `IEA`; expected another interchange's ISA header, or nothing after the IEA trailer"
            )
        );
        // A set of another kind is checked as envelope and skipped, as the whole-text reader skips it.
        let mixed = text.replace("ST*837*0002", "ST*835*0002");
        assert_eq!(streamed(mixed.as_bytes()).map(|c| c.len()), Ok(1));
        assert_eq!(streamed(mixed.as_bytes()), whole(&mixed));
        let no_sets = interchange(1).with_group(1, vec![]).to_x12();
        assert_eq!(
            streamed(no_sets.as_bytes()).unwrap_err(),
            "the 837 transaction has no ST segment; expected one to read 837, a professional claim"
        );
    }

    #[test]
    fn interchanges_one_after_another_are_read_as_one_batch_and_placed_from_the_first_isa() {
        let first = batch();
        let another = professional_claim(&submission(Claim { id: "C200".into(), ..claim() }), 1).unwrap();
        let second = interchange(8).with_group(4, vec![another]).to_x12();
        let both = format!("{first}\r\n{second}\n");
        let ids: Vec<String> = streamed(both.as_bytes()).unwrap().into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["C123", "C124", "C125", "C200"]);
        // A fault in the second interchange is named by its place in the file: its ISA, read alone, would be
        // segment 1.
        let isa_at = first.matches('~').count() + 1;
        let short = format!("{first}{}", second.replacen("*00*", "*0*", 1));
        assert_eq!(
            streamed(short.as_bytes()).unwrap_err(),
            format!(
                "ISA (segment {isa_at}) is `105 characters long`; expected exactly 106 characters including the \
                 segment terminator"
            )
        );
        let narrow = format!("{first}{}", second.replacen("*00*          *", "*00*           ", 1));
        assert_eq!(
            streamed(narrow.as_bytes()).unwrap_err(),
            format!(
                "ISA02 (segment {isa_at}) is not followed by the element separator `*`; expected ISA elements of \
                 fixed width"
            )
        );
        // Its IEA is matched to its own ISA13.
        let wrong = format!("{first}{}", second.replace("IEA*1*000000008", "IEA*1*000000007"));
        let index = wrong.matches('~').count();
        assert_eq!(
            streamed(wrong.as_bytes()).unwrap_err(),
            format!(
                "IEA02 (segment {index}) is `000000007`; expected `000000008`, matching ISA13, the interchange \
                 control number"
            )
        );
    }

    #[test]
    fn names_the_segment_of_a_byte_that_is_not_text() {
        let mut bytes = batch().into_bytes();
        let at = bytes.windows(4).position(|w| w == b"NM1*").unwrap() + 6;
        bytes[at] = 0xFF;
        let expected = Document::parse_bytes(&bytes).unwrap_err().to_string();
        assert!(expected.contains("(segment 5 NM1)"), "{expected}");
        assert_eq!(streamed(&bytes).unwrap_err(), expected);
        bytes[2] = 0xC3;
        assert_eq!(streamed(&bytes).unwrap_err(), Document::parse_bytes(&bytes).unwrap_err().to_string());
    }

    #[test]
    fn a_segment_without_a_terminator_stops_at_the_limit() {
        let text = batch();
        let mut bytes = text.as_bytes()[..ISA_LEN].to_vec();
        bytes.extend_from_slice(b"NM1*");
        bytes.extend(std::iter::repeat_n(b'A', MAX_SEGMENT_BYTES * 3));
        let error = streamed(&bytes).unwrap_err();
        assert!(error.starts_with("segment 2 runs past 1048576 bytes without the segment terminator `~`"), "{error}");
    }

    #[test]
    fn of_two_problems_the_first_in_the_text_is_reported() {
        // Without its DTP, the first claim's line has no date, and the first SE's count is one too many; the
        // whole-text reader checks the envelope before any claim, the stream meets the claim first.
        let text = batch().replacen("DTP*472*D8*20261201~", "", 1);
        assert!(whole(&text).unwrap_err().starts_with("SE01 (segment "));
        assert_eq!(
            streamed(text.as_bytes()).unwrap_err(),
            "the 837 transaction has no DTP segment; expected one to read the date of service (DTP*472) of a service line"
        );
    }

    #[test]
    fn claims_before_a_problem_are_handed_on_first() {
        let text = batch().replace("IEA*1*000000007", "IEA*1*000000008");
        let mut stream = stream_837p(text.as_bytes());
        let ids: Vec<String> = stream.by_ref().map_while(Result::ok).map(|c| c.id).collect();
        assert_eq!(ids, ["C123", "C124", "C125"]);
        assert!(stream.next().is_none(), "the stream ends after its error");
        let mut stream = stream_837p(text.as_bytes());
        assert_eq!(stream.nth(2).map(|c| c.map(|c| c.id).ok()), Some(Some("C125".to_string())));
        let error = stream.next().unwrap().unwrap_err().to_string();
        assert_eq!(
            error,
            "IEA02 (segment 76) is `000000008`; expected `000000007`, matching ISA13, the interchange control number"
        );
        assert_eq!(stream.segments_read(), 76);
    }
}
