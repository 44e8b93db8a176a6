//! An HL7 v2 message log as a patient export: messages one after another (segments ended by CR, LF or CR LF,
//! optionally MLLP-framed, as an interface engine archives them), applied in order the way the receiving system
//! would — ADT A04/A08/A28/A31 register or update a patient, the last state winning; A40 merges a duplicate into
//! the survivor; other messages are skipped and counted — through the live run's ADT readers. And the ADT log
//! `handoff generate` writes.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read};

use super::columns::Column;
use super::export::{Fields, InputProblem, PatientExport, Source};
use super::record::{self, Row};
use crate::connect::hl7v2::{
    AdtEvent, Envelope, Message, PatientId, PatientMerge, PatientRecord, Route, adt, adt_a40, read_adt, read_adt_a40,
};
use crate::model::Identifier;

/// MLLP's start and end of a block: a framed log has them around each message.
const START_BLOCK: u8 = 0x0b;
const END_BLOCK: u8 = 0x1c;

/// What reading the log came to, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogCounts {
    pub messages: u64,
    /// ADT registrations and updates applied.
    pub applied: u64,
    /// A40 merges applied.
    pub merges: u64,
    /// Messages that are not a patient's registration, update or merge.
    pub skipped: u64,
}

/// Which PID-3 identifier is the system's own id and which the other system's: named by assigning authority in
/// the column map (`patient_id`, `xref`); without it, the first PID-3 repetition is the own id and the first
/// other one the cross-reference.
#[derive(Debug, Clone, Default)]
pub struct Authorities {
    pub own: Option<String>,
    pub xref: Option<String>,
}

impl Authorities {
    pub fn from_map(names: &BTreeMap<Column, String>) -> Authorities {
        Authorities { own: names.get(&Column::PatientId).cloned(), xref: names.get(&Column::Xref).cloned() }
    }
}

/// One patient as the log leaves them, and the line of the message that last set them.
struct Held {
    fields: Row,
    line: u64,
}

/// An HL7 v2 log, read whole when opened (the last message about a patient decides what they are, so nothing is
/// known until the end); memory grows with the patients in it, not with its messages.
pub struct Hl7Log {
    name: String,
    patients: Vec<Option<Held>>,
    next: usize,
    counts: LogCounts,
}

/// Segments of a log with the line each starts on; CR, LF and CR LF each end one.
struct Segments<R> {
    reader: R,
    line: u64,
    after_cr: bool,
    buf: Vec<u8>,
}

impl<R: BufRead> Segments<R> {
    fn next(&mut self) -> std::io::Result<Option<(u64, &[u8])>> {
        self.buf.clear();
        loop {
            let available = self.reader.fill_buf()?;
            if available.is_empty() {
                return Ok((!self.buf.is_empty()).then_some((self.line + 1, &self.buf[..])));
            }
            let mut used = 0;
            let mut ended = false;
            for &b in available {
                used += 1;
                match b {
                    b'\n' if self.after_cr => self.after_cr = false,
                    b'\r' | b'\n' => {
                        self.after_cr = b == b'\r';
                        ended = true;
                        break;
                    }
                    _ => {
                        self.after_cr = false;
                        self.buf.push(b);
                    }
                }
            }
            self.reader.consume(used);
            if ended {
                self.line += 1;
                return Ok(Some((self.line, &self.buf[..])));
            }
        }
    }
}

impl Hl7Log {
    pub fn open(source: Source, authorities: &Authorities) -> Result<Hl7Log, InputProblem> {
        let name = source.name;
        let reader: Box<dyn Read + Send> = source.reader;
        let mut segments =
            Segments { reader: BufReader::with_capacity(1 << 20, reader), line: 0, after_cr: false, buf: Vec::new() };
        let mut log = Applier {
            name: name.clone(),
            authorities,
            patients: Vec::new(),
            by_id: HashMap::new(),
            counts: LogCounts::default(),
        };
        let mut message: Vec<u8> = Vec::new();
        let mut starts_on = 0;
        loop {
            let problem = |line, message: String| InputProblem { file: name.clone(), line: Some(line), message };
            let at = segments.line + 1;
            let next = segments.next().map_err(|e| problem(at, format!("cannot read: {e}")))?;
            let Some((line, segment)) = next else { break };
            let segment = segment.strip_prefix(&[START_BLOCK]).unwrap_or(segment);
            let segment = segment.strip_suffix(&[END_BLOCK]).unwrap_or(segment);
            if segment.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if segment.starts_with(b"MSH") {
                if !message.is_empty() {
                    log.apply(&message, starts_on)?;
                }
                message.clear();
                starts_on = line;
            } else if message.is_empty() {
                // Only what the line starts with: the rest may be a patient's values.
                let found = String::from_utf8_lossy(&segment[..segment.len().min(3)]).into_owned();
                return Err(problem(
                    line,
                    format!(
                        "a line starting `{found}` is outside any message; expected each message to start with an \
                         MSH segment (`MSH|^~\\&|...`); hint: is this an HL7 v2 log?"
                    ),
                ));
            }
            message.extend_from_slice(segment);
            message.push(b'\r');
        }
        if !message.is_empty() {
            log.apply(&message, starts_on)?;
        }
        if log.counts.messages == 0 {
            return Err(InputProblem {
                file: name,
                line: None,
                message: "holds no HL7 v2 message; expected messages starting with MSH".into(),
            });
        }
        Ok(Hl7Log { name, patients: log.patients, next: 0, counts: log.counts })
    }

    pub fn counts(&self) -> &LogCounts {
        &self.counts
    }
}

/// The log applied message by message.
struct Applier<'a> {
    name: String,
    authorities: &'a Authorities,
    patients: Vec<Option<Held>>,
    /// Each patient's place in `patients`, by their own id.
    by_id: HashMap<String, usize>,
    counts: LogCounts,
}

impl Applier<'_> {
    fn apply(&mut self, bytes: &[u8], line: u64) -> Result<(), InputProblem> {
        self.counts.messages += 1;
        let number = self.counts.messages;
        let problem = |what: String| InputProblem {
            file: self.name.clone(),
            line: Some(line),
            message: format!("message {number}{what}"),
        };
        let text = std::str::from_utf8(bytes)
            .map_err(|e| problem(format!(": byte {} is not UTF-8; expected UTF-8 text", e.valid_up_to())))?;
        let message = Message::parse(text).map_err(|e| problem(format!(": {e}")))?;
        let control = message.segment("MSH").map(|m| m.value(10).to_string()).unwrap_or_default();
        let located = |e: &dyn std::fmt::Display| problem(format!(" (MSH-10 `{control}`): {e}"));
        let msh = message.segment("MSH");
        let (code, trigger) = msh.map_or(("", ""), |m| (m.component(9, 1), m.component(9, 2)));
        match (code, trigger) {
            ("ADT", "A04" | "A08" | "A28" | "A31") => {
                let record = read_adt(&message).map_err(|e| located(&e))?;
                self.counts.applied += 1;
                self.register(record, line);
            }
            ("ADT", "A40") => {
                let merge = read_adt_a40(&message).map_err(|e| located(&e))?;
                self.counts.merges += 1;
                self.merge(merge, line);
            }
            _ => self.counts.skipped += 1,
        }
        Ok(())
    }

    /// The own id and cross-reference of a record, as the authorities say.
    fn ids(&self, record: &PatientRecord) -> (String, String) {
        let by_authority = |authority: &str| {
            std::iter::once((&record.id.assigning_authority, &record.id.value))
                .chain(record.patient.identifiers.iter().map(|i| (&i.system, &i.value)))
                .find(|(system, _)| system.as_str() == authority)
                .map(|(_, value)| value.clone())
        };
        let own = match &self.authorities.own {
            Some(authority) => by_authority(authority).unwrap_or_else(|| record.id.value.clone()),
            None => record.id.value.clone(),
        };
        let xref = match &self.authorities.xref {
            Some(authority) => by_authority(authority),
            None => record.patient.identifiers.first().map(|i| i.value.clone()),
        };
        let xref = xref.filter(|x| *x != own).unwrap_or_default();
        (own, xref)
    }

    /// A registration or update: the patient as the message has them. An update without IN1 leaves the coverage
    /// as it was, as receivers treat a segment not sent.
    fn register(&mut self, record: PatientRecord, line: u64) {
        let (own, xref) = self.ids(&record);
        let mut fields = record::row(&record.patient, own.clone(), xref);
        match self.by_id.get(&own).and_then(|&i| self.patients[i].as_mut()) {
            Some(held) => {
                if record.patient.coverage.is_none() {
                    for c in [Column::Payer, Column::MemberId] {
                        fields[c.index()] = std::mem::take(&mut held.fields[c.index()]);
                    }
                }
                *held = Held { fields, line };
            }
            None => {
                self.by_id.insert(own, self.patients.len());
                self.patients.push(Some(Held { fields, line }));
            }
        }
    }

    /// A merge: the retired records are gone, their coverage kept where the survivor has none.
    fn merge(&mut self, merge: PatientMerge, line: u64) {
        let mut coverage = None;
        for retired in &merge.retired {
            if let Some(held) = self.by_id.remove(&retired.value).and_then(|i| self.patients[i].take()) {
                coverage.get_or_insert([Column::Payer, Column::MemberId].map(|c| held.fields[c.index()].clone()));
            }
        }
        let (own, _) = self.ids(&merge.surviving);
        let had_coverage = merge.surviving.patient.coverage.is_some();
        self.register(merge.surviving, line);
        if let (Some([payer, member]), false) = (coverage, had_coverage)
            && let Some(held) = self.by_id.get(&own).and_then(|&i| self.patients[i].as_mut())
            && held.fields[Column::Payer.index()].is_empty()
        {
            held.fields[Column::Payer.index()] = payer;
            held.fields[Column::MemberId.index()] = member;
        }
    }
}

impl PatientExport for Hl7Log {
    fn name(&self) -> &str {
        &self.name
    }

    /// PID and IN1 can hold every column; one a message leaves empty is an empty value, which is compared.
    fn carries(&self, _column: Column) -> bool {
        true
    }

    fn next_patient(&mut self) -> Result<Option<(Fields<'_>, u64)>, InputProblem> {
        while self.next < self.patients.len() {
            self.next += 1;
            if let Some(held) = &self.patients[self.next - 1] {
                return Ok(Some((std::array::from_fn(|i| held.fields[i].as_bytes()), held.line)));
            }
        }
        Ok(None)
    }
}

/// The assigning authority each system's ids are filed under in a generated log.
pub fn generated_authority(side: &str) -> String {
    side.to_ascii_uppercase()
}

/// What a generated message is, apart from its content.
pub fn envelope(side: &str, control_id: String, sent_at: jiff::Timestamp) -> Envelope {
    let other = if side == "emr" { "PM" } else { "EMR" };
    Envelope {
        route: Route {
            sending_application: format!("HANDOFF-{}", side.to_ascii_uppercase()),
            sending_facility: "CLINIC".into(),
            receiving_application: format!("HANDOFF-{other}"),
            receiving_facility: "CLINIC".into(),
        },
        control_id,
        sent_at,
    }
}

fn patient_record(fields: &Row, own: &str, xref: &str) -> Option<PatientRecord> {
    let mut patient = record::patient(fields)?;
    let other = &fields[Column::Xref.index()];
    if !other.is_empty() {
        patient.identifiers.push(Identifier { system: xref.to_string(), value: other.clone() });
    }
    let id = PatientId { value: fields[Column::PatientId.index()].clone(), assigning_authority: own.to_string() };
    Some(PatientRecord { id, patient })
}

/// An ADT^A04 or ^A08 carrying a generated row, its segments ended by CR LF as an archive keeps them.
pub fn adt_text(envelope: &Envelope, event: AdtEvent, fields: &Row, own: &str, xref: &str) -> Option<String> {
    Some(archived(&adt(envelope, event, &patient_record(fields, own, xref)?)))
}

/// An ADT^A40 merging `retired` into the patient of `fields`.
pub fn merge_text(envelope: &Envelope, fields: &Row, retired: &str, own: &str, xref: &str) -> Option<String> {
    let surviving = patient_record(fields, own, xref)?;
    let retired = vec![PatientId { value: retired.to_string(), assigning_authority: own.to_string() }];
    Some(archived(&adt_a40(envelope, &PatientMerge { surviving, retired })))
}

fn archived(message: &Message) -> String {
    message.to_er7().replace('\r', "\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::columns::COLUMNS;

    fn row(id: &str, family: &str, phone: &str) -> Row {
        [
            id,
            "P1",
            family,
            "Ana",
            "Maria",
            "1958-03-12",
            "female",
            "1200 Bayview Ave",
            "Tampa",
            "FL",
            "33606",
            phone,
            "medicare",
            "1EG4TE5MK72",
        ]
        .map(String::from)
    }

    fn at(n: i64) -> jiff::Timestamp {
        jiff::Timestamp::from_second(1_790_000_000 + n).unwrap()
    }

    fn open(text: &str) -> Result<Hl7Log, InputProblem> {
        let source =
            Source { name: "emr.hl7".into(), reader: Box::new(std::io::Cursor::new(text.as_bytes().to_vec())) };
        Hl7Log::open(source, &Authorities::default())
    }

    fn all(log: &mut Hl7Log) -> Vec<([String; COLUMNS], u64)> {
        let mut out = Vec::new();
        while let Some((fields, line)) = log.next_patient().unwrap() {
            out.push((fields.map(|f| String::from_utf8_lossy(f).into_owned()), line));
        }
        out
    }

    /// The line the message with this control id starts on.
    fn log_lines_before(text: &str, control: &str) -> u64 {
        let at = text.find(&format!("|{control}|")).unwrap();
        text[..at].matches('\n').count() as u64 + 1
    }

    fn a04(control: &str, fields: &Row) -> String {
        adt_text(&envelope("emr", control.into(), at(0)), AdtEvent::Register, fields, "EMR", "PM").unwrap()
    }

    #[test]
    fn the_last_message_about_a_patient_wins_and_a_merge_retires_the_duplicate() {
        let first = row("E1", "Lopez-Hernandez", "(813) 555-0142");
        let changed = row("E1", "Lopez-Hern", "8135550142");
        let duplicate = row("E1R", "Lopez-Hernandez", "(813) 555-0142");
        let e = |c: &str| envelope("emr", c.into(), at(1));
        let siu = "MSH|^~\\&|A|B|C|D|20261201090000||SIU^S12^SIU_S12|S1|P|2.5.1\r\nSCH|1\r\n";
        let log = [
            a04("M1", &first),
            format!("\u{0b}{}\u{1c}\r\n", a04("M2", &duplicate).trim_end()),
            siu.to_string(),
            adt_text(&e("M3"), AdtEvent::Update, &changed, "EMR", "PM").unwrap(),
            merge_text(&e("M4"), &changed, "E1R", "EMR", "PM").unwrap(),
        ]
        .concat();
        let text = log;
        let mut log = open(&text).unwrap();
        assert_eq!(log.counts(), &LogCounts { messages: 5, applied: 3, merges: 1, skipped: 1 });
        let patients = all(&mut log);
        assert_eq!(patients.len(), 1, "the duplicate was merged away");
        let (fields, line) = &patients[0];
        assert_eq!(fields, &changed);
        let merge_line = log_lines_before(&text, "M4");
        assert_eq!(*line, merge_line, "the A40 is the last message to set them");
    }

    #[test]
    fn an_update_without_insurance_keeps_the_coverage() {
        let first = row("E1", "Lopez", "");
        let mut uninsured = row("E1", "Lopez", "555-0100");
        uninsured[Column::Payer.index()].clear();
        uninsured[Column::MemberId.index()].clear();
        let e = envelope("emr", "M2".into(), at(1));
        let log = [a04("M1", &first), adt_text(&e, AdtEvent::Update, &uninsured, "EMR", "PM").unwrap()].concat();
        let patients = all(&mut open(&log).unwrap());
        assert_eq!(patients[0].0[Column::Phone.index()], "555-0100");
        assert_eq!(patients[0].0[Column::MemberId.index()], "1EG4TE5MK72");
    }

    #[test]
    fn errors_name_the_line_the_message_and_its_control_id() {
        let good = a04("M1", &row("E1", "Lopez", ""));
        let bad = a04("M2", &row("E2", "Nguyen", "")).replace("|19580312|", "|1958-03-12|");
        let error = open(&format!("{good}{bad}")).err().unwrap().to_string();
        let line = good.matches("\r\n").count() + 1;
        assert_eq!(
            error,
            format!(
                "emr.hl7:{line}: message 2 (MSH-10 `M2`): PID-7 (segment 3) is `1958-03-12`; expected the birth \
                 date as YYYYMMDD"
            )
        );
        let error = open("PID|1||E1\r\n").err().unwrap().to_string();
        assert!(error.starts_with("emr.hl7:1: a line starting `PID` is outside any message"), "{error}");
        let error = open("MSH|^~\\&|A\r\n").err().unwrap().to_string();
        assert!(error.starts_with("emr.hl7:1: message 1: MSH-9 (segment 1) is empty"), "{error}");
        assert!(open("\r\n\n").err().unwrap().to_string().contains("holds no HL7 v2 message"));
    }
}
