//! Reading and writing CSV exports (RFC 4180: quoted fields, doubled quotes, line breaks inside quotes), a row at
//! a time from a large buffer, so a file of any size is read with the memory of a few rows.

use std::io::{self, Read};

/// How much is read from the file at once.
const CHUNK: usize = 4 << 20;

/// One row: its fields, unquoted, the line it starts on and where in the source it starts.
pub struct Row<'a> {
    pub line: u64,
    /// The offset of the row's first byte in the source, counted from where the reader started.
    pub start: u64,
    data: &'a [u8],
    fields: &'a [(usize, usize)],
}

impl<'a> Row<'a> {
    pub fn get(&self, i: usize) -> &'a [u8] {
        self.fields.get(i).map(|&(start, end)| &self.data[start..end]).unwrap_or_default()
    }

    /// The bytes the fields are cut from: unquoted fields lie in them one separator apart, in order.
    pub fn bytes(&self) -> &'a [u8] {
        self.data
    }

    /// Where each field starts and ends in [`Row::bytes`].
    pub fn cuts(&self) -> &'a [(usize, usize)] {
        self.fields
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("cannot read: {0}")]
    Io(#[from] io::Error),
    #[error(
        "line {line}: the quote at column {column} opens a field that is never closed; close it with `\"` (and write \
         a `\"` inside one as `\"\"`)"
    )]
    Unclosed { line: u64, column: u64 },
}

pub struct CsvReader<R> {
    source: R,
    buf: Vec<u8>,
    pos: usize,
    filled: usize,
    eof: bool,
    /// The line the next row starts on, 1-based.
    line: u64,
    /// How many bytes of the source were read before `buf[0]`, counted from where the reader started.
    consumed: u64,
    fields: Vec<(usize, usize)>,
    unquoted: Vec<u8>,
}

impl<R: Read> CsvReader<R> {
    pub fn new(source: R) -> CsvReader<R> {
        CsvReader::starting(source, 0, 1, CHUNK)
    }

    /// A reader of a source that starts `offset` bytes into a file, on line `line`, reading `chunk` bytes at a
    /// time: a part of a file read on a thread of its own ([`super::blocks`]).
    pub fn starting(source: R, offset: u64, line: u64, chunk: usize) -> CsvReader<R> {
        CsvReader {
            source,
            buf: vec![0; chunk.max(1)],
            pos: 0,
            filled: 0,
            eof: false,
            line,
            consumed: offset,
            fields: Vec::new(),
            unquoted: Vec::new(),
        }
    }

    /// Where the next row (or blank line) starts in the source.
    pub fn offset(&self) -> u64 {
        self.consumed + self.pos as u64
    }

    /// The line the next row (or blank line) starts on.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Skips to the start of the next line, quotes or not, without counting it: a part of a file starts at the
    /// first line that begins in it, which is a row's start unless a quoted field spans it (the part is then read
    /// again from where the part before it really ended).
    pub fn skip_to_next_line(&mut self) -> Result<(), CsvError> {
        loop {
            if let Some(at) = memchr::memchr(b'\n', &self.buf[self.pos..self.filled]) {
                self.pos += at + 1;
                return Ok(());
            }
            self.pos = self.filled;
            if self.eof {
                return Ok(());
            }
            self.refill()?;
        }
    }

    /// The next row that is not blank, or `None` at the end of the file.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>, CsvError> {
        loop {
            if let Some(end) = self.split_plain() {
                let (start, line) = (self.pos, self.line);
                self.line += 1;
                self.pos = end + 1;
                let mut record_end = end;
                if end > start && self.buf[end - 1] == b'\r' {
                    record_end = end - 1;
                    if let Some(last) = self.fields.last_mut() {
                        last.1 = record_end;
                    }
                }
                if record_end == start {
                    continue;
                }
                let offset = self.consumed + start as u64;
                return Ok(Some(Row { line, start: offset, data: &self.buf, fields: &self.fields }));
            }
            let Some((end, next, quoted, breaks)) = self.record_end()? else { return Ok(None) };
            let line = self.line;
            self.line += breaks;
            let start = self.pos;
            let offset = self.consumed + start as u64;
            self.pos = next;
            let mut record = &self.buf[start..end];
            if let [rest @ .., b'\r'] = record {
                record = rest;
            }
            if record.is_empty() {
                continue;
            }
            self.fields.clear();
            if !quoted {
                let mut from = start;
                for i in memchr::memchr_iter(b',', record) {
                    self.fields.push((from, start + i));
                    from = start + i + 1;
                }
                self.fields.push((from, start + record.len()));
                return Ok(Some(Row { line, start: offset, data: &self.buf, fields: &self.fields }));
            }
            unquote(record, &mut self.unquoted, &mut self.fields);
            return Ok(Some(Row { line, start: offset, data: &self.unquoted, fields: &self.fields }));
        }
    }

    /// Cuts the row at `pos` on its commas into `fields` in one pass, sixteen bytes at a time, and returns where its
    /// line break is; `None`, with `fields` left to [`CsvReader::next_row`]'s other way, for a row with a quote in
    /// it or one whose line break is not among the whole sixteen-byte steps read so far (the end of the buffer).
    /// Nearly every row is plain: looking for its commas, quotes and line break at once costs half of finding its
    /// end first and its commas after (a million patients' export: 40 ms against 80 ms).
    fn split_plain(&mut self) -> Option<usize> {
        self.fields.clear();
        let (mut from, mut at) = (self.pos, self.pos);
        while let Some(chunk) = self.buf[..self.filled].get(at..at + 16) {
            let (mut commas, special) = marks(chunk.try_into().ok()?);
            if special != 0 {
                let first = special.trailing_zeros();
                if self.buf[at + first as usize] != b'\n' {
                    return None;
                }
                commas &= (1 << first) - 1;
                cut_at(&mut self.fields, &mut from, at, commas);
                let end = at + first as usize;
                self.fields.push((from, end));
                return Some(end);
            }
            cut_at(&mut self.fields, &mut from, at, commas);
            at += 16;
        }
        None
    }

    /// Where the record at `pos` ends (before its line break), where the next begins, whether it holds a quote,
    /// and how many line breaks it spans; reads more of the file until the record is whole.
    fn record_end(&mut self) -> Result<Option<(usize, usize, bool, u64)>, CsvError> {
        let mut scan = self.pos;
        // Where the last quote that opened a field is: the one to name if the file ends inside it.
        let mut opened = self.pos;
        let mut in_quotes = false;
        let mut quoted = false;
        let mut breaks = 0;
        loop {
            // Only quotes and line breaks matter here; memchr finds them many bytes at a time.
            while let Some(at) = memchr::memchr2(b'"', b'\n', &self.buf[scan..self.filled]) {
                scan += at;
                if self.buf[scan] == b'"' {
                    in_quotes = !in_quotes;
                    quoted = true;
                    if in_quotes {
                        opened = scan;
                    }
                } else {
                    breaks += 1;
                    if !in_quotes {
                        return Ok(Some((scan, scan + 1, quoted, breaks)));
                    }
                }
                scan += 1;
            }
            scan = self.filled;
            if self.eof {
                if in_quotes {
                    return Err(self.unclosed_at(opened));
                }
                if self.pos == self.filled {
                    return Ok(None);
                }
                return Ok(Some((self.filled, self.filled, quoted, breaks)));
            }
            scan -= self.pos;
            opened -= self.pos;
            self.refill()?;
        }
    }

    /// The line and column (in characters, counted from 1) of the quote at `opened`, within the record at `pos`.
    fn unclosed_at(&self, opened: usize) -> CsvError {
        let before = &self.buf[self.pos..opened];
        let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
        let characters = before[line_start..].iter().filter(|b| (**b as i8) >= -0x40).count();
        CsvError::Unclosed {
            line: self.line + memchr::memchr_iter(b'\n', before).count() as u64,
            column: characters as u64 + 1,
        }
    }

    /// Moves the unread bytes to the front and reads more after them, growing the buffer for a row longer than it.
    fn refill(&mut self) -> io::Result<()> {
        self.buf.copy_within(self.pos..self.filled, 0);
        self.consumed += self.pos as u64;
        self.filled -= self.pos;
        self.pos = 0;
        if self.filled == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.source.read(&mut self.buf[self.filled..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.filled += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// A field ends at each comma whose bit is set in `commas`, counted from `at`.
fn cut_at(fields: &mut Vec<(usize, usize)>, from: &mut usize, at: usize, mut commas: u32) {
    while commas != 0 {
        let comma = at + commas.trailing_zeros() as usize;
        fields.push((*from, comma));
        *from = comma + 1;
        commas &= commas - 1;
    }
}

/// Which of sixteen bytes are commas, and which are a quote or a line break, one bit a byte.
#[cfg(target_arch = "x86_64")]
#[inline]
fn marks(chunk: &[u8; 16]) -> (u32, u32) {
    // SAFETY: SSE2 is part of every x86_64 processor (the target's baseline), so the function it enables runs here.
    unsafe { marks_sse2(chunk) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn marks_sse2(chunk: &[u8; 16]) -> (u32, u32) {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x, _mm_set1_epi8};
    let [l0, l1, l2, l3, l4, l5, l6, l7, h0, h1, h2, h3, h4, h5, h6, h7] = *chunk;
    let bytes = _mm_set_epi64x(
        i64::from_le_bytes([h0, h1, h2, h3, h4, h5, h6, h7]),
        i64::from_le_bytes([l0, l1, l2, l3, l4, l5, l6, l7]),
    );
    let commas = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b',' as i8));
    let quotes = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'"' as i8));
    let breaks = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\n' as i8));
    (_mm_movemask_epi8(commas) as u32, _mm_movemask_epi8(_mm_or_si128(quotes, breaks)) as u32)
}

#[cfg(not(target_arch = "x86_64"))]
fn marks(chunk: &[u8; 16]) -> (u32, u32) {
    let mut marks = (0, 0);
    for (i, b) in chunk.iter().enumerate() {
        marks.0 |= u32::from(*b == b',') << i;
        marks.1 |= u32::from(*b == b'"' || *b == b'\n') << i;
    }
    marks
}

/// The fields of a record with quotes in it, unquoted into `out`.
fn unquote(record: &[u8], out: &mut Vec<u8>, fields: &mut Vec<(usize, usize)>) {
    out.clear();
    let mut from = 0;
    let mut in_quotes = false;
    let mut i = 0;
    while i < record.len() {
        let b = record[i];
        match (b, in_quotes) {
            (b'"', true) if record.get(i + 1) == Some(&b'"') => {
                out.push(b'"');
                i += 1;
            }
            (b'"', _) => in_quotes = !in_quotes,
            (b',', false) => {
                fields.push((from, out.len()));
                // Kept, so the fields lie one byte apart as an unquoted row's do.
                out.push(b',');
                from = out.len();
            }
            _ => out.push(b),
        }
        i += 1;
    }
    fields.push((from, out.len()));
}

/// Appends `value` as one CSV field, quoted only when it must be.
pub fn write_field(out: &mut Vec<u8>, value: &str) {
    if value.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.push(b'"');
        for b in value.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(value.as_bytes());
    }
}

/// Appends one row, fields separated by commas and ended by a line break.
pub fn write_row<'a>(out: &mut Vec<u8>, values: impl IntoIterator<Item = &'a str>) {
    for (i, value) in values.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_field(out, value);
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<(u64, Vec<String>)> {
        let mut reader = CsvReader::new(text.as_bytes());
        let mut all = Vec::new();
        while let Some(row) = reader.next_row().unwrap() {
            let fields = (0..row.len()).map(|i| String::from_utf8_lossy(row.get(i)).into_owned()).collect();
            all.push((row.line, fields));
        }
        all
    }

    #[test]
    fn reads_plain_and_quoted_fields_with_their_line_numbers() {
        let text = "a,b,c\r\n1,\"Smith, Jr\",\"say \"\"hi\"\"\"\n\n2,\"two\nlines\",x\n3,,";
        assert_eq!(
            rows(text),
            [
                (1, vec!["a".into(), "b".into(), "c".into()]),
                (2, vec!["1".into(), "Smith, Jr".into(), "say \"hi\"".into()]),
                (4, vec!["2".into(), "two\nlines".into(), "x".into()]),
                (6, vec!["3".into(), String::new(), String::new()]),
            ]
        );
    }

    #[test]
    fn the_fields_of_a_row_quoted_or_not_lie_one_separator_apart_in_its_bytes() {
        let mut reader = CsvReader::new("1,\"Smith, Jr\",\"say \"\"hi\"\"\",x\n2,b,c,d\n".as_bytes());
        for _ in 0..2 {
            let row = reader.next_row().unwrap().unwrap();
            let base = row.bytes().as_ptr() as usize;
            let at = |i: usize| row.get(i).as_ptr() as usize - base;
            for i in 1..row.len() {
                assert_eq!(at(i), at(i - 1) + row.get(i - 1).len() + 1, "field {i} of line {}", row.line);
            }
        }
    }

    #[test]
    fn rows_cut_sixteen_bytes_at_a_time_read_as_written_whatever_the_buffer() {
        // Rows of every length around the sixteen-byte steps, some quoted, some ended by CRLF, blank lines between.
        let mut text = String::from("id,name,note\n");
        let mut expected = vec![(1, vec!["id".to_string(), "name".into(), "note".into()])];
        let mut line = 2;
        for i in 0..300 {
            let name = "x".repeat(i % 40);
            let note = if i % 7 == 0 { "a, \"b\"".to_string() } else { format!("n{i}") };
            let mut row = Vec::new();
            write_row(&mut row, [i.to_string().as_str(), &name, &note]);
            let mut row = String::from_utf8(row).unwrap();
            if i % 5 == 0 {
                row.insert(row.len() - 1, '\r');
            }
            text.push_str(&row);
            expected.push((line, vec![i.to_string(), name, note]));
            line += 1;
            if i % 11 == 0 {
                text.push_str(if i % 2 == 0 { "\n" } else { "\r\n" });
                line += 1;
            }
        }
        for chunk in [1, 16, 17, 64, 1000, CHUNK] {
            let mut reader = CsvReader::starting(text.as_bytes(), 0, 1, chunk);
            let mut read = Vec::new();
            while let Some(row) = reader.next_row().unwrap() {
                read.push((
                    row.line,
                    (0..row.len()).map(|i| String::from_utf8_lossy(row.get(i)).into_owned()).collect(),
                ));
            }
            assert_eq!(read, expected, "read {chunk} bytes at a time");
        }
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let values = ["O'Connor", "Apt 4, rear", "say \"hi\"", "two\nlines", ""];
        let mut out = Vec::new();
        write_row(&mut out, values);
        write_row(&mut out, values);
        let read = rows(std::str::from_utf8(&out).unwrap());
        assert_eq!(read.len(), 2);
        assert_eq!(read[1].1, values);
        assert_eq!(read[1].0, 3, "the line break inside the quotes counts");
    }

    #[test]
    fn a_row_longer_than_the_buffer_is_read_whole() {
        let long = "x".repeat(CHUNK * 2 + 17);
        let read = rows(&format!("id,{long}\n2,y\n"));
        assert_eq!(read[0].1[1].len(), long.len());
        assert_eq!(read[1].1, ["2", "y"]);
    }

    #[test]
    fn an_unclosed_quote_names_the_line_it_opened_on() {
        let mut reader = CsvReader::new("a\nb\n\"never closed,1\n2\n".as_bytes());
        reader.next_row().unwrap();
        reader.next_row().unwrap();
        let error = reader.next_row().err().unwrap();
        assert!(error.to_string().starts_with("line 3: the quote at column 1 opens a field"), "{error}");
    }

    #[test]
    fn an_unclosed_quote_is_placed_by_its_own_line_and_column_whatever_the_buffer() {
        // A field quoted across a line break and closed after a character of two bytes, then a quote never closed.
        let text = "id,name,note\n1,\"Ann\nBü\",\"x\n2,b,c\n";
        for chunk in [1, 3, 7, 4096] {
            let mut reader = CsvReader::starting(text.as_bytes(), 0, 1, chunk);
            reader.next_row().unwrap();
            let error = reader.next_row().err().unwrap();
            assert!(matches!(error, CsvError::Unclosed { line: 3, column: 5 }), "chunk {chunk}: {error}");
        }
    }
}
