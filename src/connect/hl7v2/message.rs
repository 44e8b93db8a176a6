//! An HL7 v2 message as a tree (segment → field → repetition → component → subcomponent) of unescaped text, and
//! its ER7 serialisation.

use std::fmt;

use super::Delimiters;
use super::escape::escape;

/// Values are held unescaped, so a name like `O'Connor|Smith` is stored as typed and escaped only on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub delimiters: Delimiters,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub id: String,
    /// `fields[0]` is field 1. For MSH, fields 1 and 2 hold the delimiters as read; serialisation writes the
    /// message's own delimiters there instead, so the two can never disagree on the wire.
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Field {
    pub repetitions: Vec<Repetition>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repetition {
    pub components: Vec<Component>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Component {
    pub subcomponents: Vec<String>,
}

const NOTHING: &str = "";

impl Component {
    pub fn from_subcomponents<S: Into<String>>(parts: impl IntoIterator<Item = S>) -> Component {
        Component { subcomponents: parts.into_iter().map(Into::into).collect() }
    }

    /// The first subcomponent, which is all most components have.
    pub fn value(&self) -> &str {
        self.subcomponents.first().map_or(NOTHING, String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.subcomponents.iter().all(String::is_empty)
    }
}

impl Repetition {
    pub fn from_components<S: Into<String>>(parts: impl IntoIterator<Item = S>) -> Repetition {
        Repetition { components: parts.into_iter().map(|p| Component { subcomponents: vec![p.into()] }).collect() }
    }

    /// Component `n`, counted from 1 as HL7 does (`CX.4` is `component(4)`); empty when absent.
    pub fn component(&self, n: usize) -> &str {
        n.checked_sub(1).and_then(|i| self.components.get(i)).map_or(NOTHING, Component::value)
    }

    pub fn is_empty(&self) -> bool {
        self.components.iter().all(Component::is_empty)
    }
}

impl Field {
    pub fn from_components<S: Into<String>>(parts: impl IntoIterator<Item = S>) -> Field {
        Field::from_repetitions([Repetition::from_components(parts)])
    }

    /// Empty repetitions are dropped: a value that is not there is not repeated.
    pub fn from_repetitions(repetitions: impl IntoIterator<Item = Repetition>) -> Field {
        Field { repetitions: repetitions.into_iter().filter(|r| !r.is_empty()).collect() }
    }

    /// The first component of the first repetition, which is the whole value of a simple field.
    pub fn value(&self) -> &str {
        self.component(1)
    }

    /// Component `n` (from 1) of the first repetition; empty when absent.
    pub fn component(&self, n: usize) -> &str {
        self.repetitions.first().map_or(NOTHING, |r| r.component(n))
    }

    pub fn is_empty(&self) -> bool {
        self.repetitions.iter().all(Repetition::is_empty)
    }
}

impl From<&str> for Field {
    fn from(text: &str) -> Field {
        Field::from_components([text])
    }
}

impl From<String> for Field {
    fn from(text: String) -> Field {
        Field::from_components([text])
    }
}

impl Segment {
    pub fn new(id: &str) -> Segment {
        Segment { id: id.to_string(), fields: Vec::new() }
    }

    /// Sets field `n` (from 1, as HL7 numbers them) and returns the segment, so segments read like their spec.
    pub fn with(mut self, n: usize, field: impl Into<Field>) -> Segment {
        self.set(n, field);
        self
    }

    /// Field 0 does not exist in HL7; setting it does nothing rather than shifting every other field.
    pub fn set(&mut self, n: usize, field: impl Into<Field>) {
        let Some(index) = n.checked_sub(1) else { return };
        if self.fields.len() <= index {
            self.fields.resize_with(index + 1, Field::default);
        }
        if let Some(slot) = self.fields.get_mut(index) {
            *slot = field.into();
        }
    }

    pub fn field(&self, n: usize) -> Option<&Field> {
        n.checked_sub(1).and_then(|i| self.fields.get(i))
    }

    /// The simple value of field `n`; empty when absent.
    pub fn value(&self, n: usize) -> &str {
        self.field(n).map_or(NOTHING, Field::value)
    }

    /// Component `c` of field `n`'s first repetition (`PID-5.2` is `component(5, 2)`); empty when absent.
    pub fn component(&self, n: usize, c: usize) -> &str {
        self.field(n).map_or(NOTHING, |f| f.component(c))
    }

    pub fn repetitions(&self, n: usize) -> &[Repetition] {
        self.field(n).map_or(&[], |f| f.repetitions.as_slice())
    }
}

impl Message {
    pub fn new(segments: Vec<Segment>) -> Message {
        Message { delimiters: Delimiters::default(), segments }
    }

    /// The first segment with this id.
    pub fn segment(&self, id: &str) -> Option<&Segment> {
        self.segments.iter().find(|s| s.id == id)
    }

    /// Every segment with this id, each with its 1-based position in the message (for error messages).
    pub fn segments_with_id<'a>(&'a self, id: &'a str) -> impl Iterator<Item = (usize, &'a Segment)> + 'a {
        self.segments.iter().enumerate().filter(move |(_, s)| s.id == id).map(|(i, s)| (i + 1, s))
    }

    /// Field `n` of the first `segment_id` segment as it stands on the wire, escapes and all (`PID-5` →
    /// `Lopez-Hernandez^Ana^Maria`): what a reviewer or an interface analyst compares.
    pub fn encoded_field(&self, segment_id: &str, n: usize) -> Option<String> {
        let segment = self.segment(segment_id)?;
        if segment_id == "MSH" && n <= 2 {
            return Some(match n {
                1 => self.delimiters.field.to_string(),
                _ => self.delimiters.encoding_characters(),
            });
        }
        let mut out = String::new();
        write_field(segment.field(n)?, &self.delimiters, &mut out);
        Some(out)
    }

    /// ER7 text: every segment ends with a carriage return, as the standard requires.
    /// What the message is, as people name it: MSH-9's code and trigger, `ADT^A04`.
    pub fn kind(&self) -> String {
        let msh = |c| self.segment("MSH").map_or("", |s| s.component(9, c));
        format!("{}^{}", msh(1), msh(2))
    }

    pub fn to_er7(&self) -> String {
        let mut out = String::new();
        for (i, segment) in self.segments.iter().enumerate() {
            write_segment(segment, i == 0, &self.delimiters, &mut out);
            out.push('\r');
        }
        out
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_er7())
    }
}

/// Only the header's MSH-1 and MSH-2 are delimiters: an `MSH` further down (a pasted second message, say) was
/// parsed as an ordinary segment, so it is written as one, or the text would parse differently the next time.
fn write_segment(segment: &Segment, is_header: bool, d: &Delimiters, out: &mut String) {
    out.push_str(&segment.id);
    let skip = if is_header && segment.id == "MSH" {
        out.push(d.field);
        out.push_str(&d.encoding_characters());
        2
    } else {
        0
    };
    let fields = segment.fields.get(skip..).unwrap_or_default();
    // Trailing empty fields are left off, as the standard recommends and most receivers expect.
    let used = fields.iter().rposition(|f| !f.is_empty()).map_or(0, |i| i + 1);
    for field in &fields[..used] {
        out.push(d.field);
        write_field(field, d, out);
    }
}

fn write_field(field: &Field, d: &Delimiters, out: &mut String) {
    let used = field.repetitions.iter().rposition(|r| !r.is_empty()).map_or(0, |i| i + 1);
    for (i, repetition) in field.repetitions[..used].iter().enumerate() {
        if i > 0 {
            out.push(d.repetition);
        }
        let used = repetition.components.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1);
        for (j, component) in repetition.components[..used].iter().enumerate() {
            if j > 0 {
                out.push(d.component);
            }
            let used = component.subcomponents.iter().rposition(|s| !s.is_empty()).map_or(0, |i| i + 1);
            for (k, text) in component.subcomponents[..used].iter().enumerate() {
                if k > 0 {
                    out.push(d.subcomponent);
                }
                out.push_str(&escape(text, d));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_numbered_from_one_and_trailing_empties_left_off() {
        let segment = Segment::new("PV1").with(2, "O").with(5, "");
        assert_eq!(segment.value(2), "O");
        assert_eq!(segment.value(1), "");
        assert_eq!(segment.value(99), "");
        assert_eq!(Message::new(vec![segment]).to_er7(), "PV1||O\r");
    }

    #[test]
    fn field_zero_is_ignored_rather_than_shifting_fields() {
        let segment = Segment::new("PV1").with(0, "X");
        assert!(segment.fields.is_empty());
        assert_eq!(segment.component(0, 0), "");
    }

    #[test]
    fn values_are_escaped_on_the_wire_only() {
        let segment = Segment::new("NTE").with(3, Field::from_components(["a|b", "c^d"]));
        let message = Message::new(vec![segment]);
        assert_eq!(message.segments[0].component(3, 1), "a|b");
        assert_eq!(message.encoded_field("NTE", 3).as_deref(), Some(r"a\F\b^c\S\d"));
    }

    #[test]
    fn repetitions_components_and_subcomponents_use_their_delimiters() {
        let field = Field::from_repetitions([
            Repetition { components: vec![Component::from_subcomponents(["a", "b"]), Component::default()] },
            Repetition::default(),
            Repetition::from_components(["c", "", "d"]),
        ]);
        let message = Message::new(vec![Segment::new("ZZZ").with(1, field)]);
        assert_eq!(message.encoded_field("ZZZ", 1).as_deref(), Some("a&b~c^^d"));
    }
}
