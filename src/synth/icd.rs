//! The ICD-10-CM code set, read from the gzip-compressed TSV in `data/`, so generated diagnoses can be held to what a claim may carry.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

/// The header the TSV must start with; a different one means a different layout, which is read wrongly rather than not at all.
const HEADER: &str = "code\tbillable\tdescription";

/// The longest code without its dot (`S52.531A` → 7 characters); used to normalise a look-up without allocating.
const MAX_CODE_LEN: usize = 7;

/// Every code of one ICD-10-CM release and whether it is billable (a leaf that may appear on a claim).
#[derive(Debug, Clone, Default)]
pub struct IcdCodeSet {
    /// Keyed without the dot, as 837P carries codes, so both spellings resolve to one entry.
    codes: HashMap<Box<str>, bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum IcdError {
    #[error("cannot open the ICD-10-CM code set {}: {source}", file.display())]
    Open { file: PathBuf, source: io::Error },
    #[error("{}:{line}: cannot read the ICD-10-CM code set ({source}); expected a gzip-compressed, UTF-8 TSV", file.display())]
    Read { file: PathBuf, line: u64, source: io::Error },
    #[error("{}:1: expected the header `code<TAB>billable<TAB>description`, found `{found}`", file.display())]
    Header { file: PathBuf, found: String },
    #[error("{}:{line}: expected three tab-separated columns (code, billable, description), found `{found}`", file.display())]
    Columns { file: PathBuf, line: u64, found: String },
    #[error("{}:{line}: `{code}` is not an ICD-10-CM code; expected a letter, two letters or digits, then optionally a dot and one to four more (E11.65)", file.display())]
    Code { file: PathBuf, line: u64, code: String },
    #[error("{}:{line}: the billable column of `{code}` must be 0 or 1, found `{found}`", file.display())]
    Billable { file: PathBuf, line: u64, code: String, found: String },
    #[error("{}:{line}: `{code}` is listed again with a different billable flag; keep one row per code", file.display())]
    Conflict { file: PathBuf, line: u64, code: String },
    #[error("{}: holds no codes; regenerate it as data/README.md describes", file.display())]
    Empty { file: PathBuf },
}

impl IcdCodeSet {
    /// Reads a gzip-compressed TSV (`code`, `billable`, `description`) such as `data/icd10cm-2026.tsv.gz`.
    pub fn load(path: &Path) -> Result<IcdCodeSet, IcdError> {
        let file = File::open(path).map_err(|source| IcdError::Open { file: path.to_path_buf(), source })?;
        IcdCodeSet::from_gz_reader(file, path)
    }

    /// Reads gzip-compressed TSV from any reader; `file` names it in errors.
    /// The FY2026 code set built into the binary, so generated runs need no data folder beside them.
    pub fn embedded() -> Result<IcdCodeSet, IcdError> {
        let bytes: &[u8] = include_bytes!("../../data/icd10cm-2026.tsv.gz");
        IcdCodeSet::from_gz_reader(bytes, "data/icd10cm-2026.tsv.gz (built in)")
    }

    pub fn from_gz_reader(reader: impl Read, file: impl Into<PathBuf>) -> Result<IcdCodeSet, IcdError> {
        // Multi-member so a file recompressed by tools that write several gzip members still reads whole.
        let decoder = MultiGzDecoder::new(BufReader::with_capacity(1 << 16, reader));
        IcdCodeSet::from_tsv_reader(BufReader::with_capacity(1 << 16, decoder), file)
    }

    /// Reads the uncompressed TSV; `file` names it in errors.
    pub fn from_tsv_reader(mut reader: impl BufRead, file: impl Into<PathBuf>) -> Result<IcdCodeSet, IcdError> {
        let file = file.into();
        let mut codes = HashMap::with_capacity(100_000);
        let mut text = String::with_capacity(256);
        let mut line = 0u64;
        loop {
            text.clear();
            line += 1;
            let read = reader.read_line(&mut text);
            match read {
                Ok(0) => break,
                Ok(_) => {}
                Err(source) => return Err(IcdError::Read { file, line, source }),
            }
            let row = text.trim_end_matches(['\n', '\r']);
            if line == 1 {
                if row != HEADER {
                    return Err(IcdError::Header { file, found: row.to_string() });
                }
                continue;
            }
            let mut columns = row.splitn(3, '\t');
            let (Some(code), Some(flag), Some(_description)) = (columns.next(), columns.next(), columns.next()) else {
                return Err(IcdError::Columns { file, line, found: row.to_string() });
            };
            let Some(key) = undotted(code).filter(|_| is_code_shape(code)) else {
                return Err(IcdError::Code { file, line, code: code.to_string() });
            };
            let billable = match flag {
                "0" => false,
                "1" => true,
                _ => return Err(IcdError::Billable { file, line, code: code.to_string(), found: flag.to_string() }),
            };
            // The source lists a category twice when it is also a one-category block (B20, Z68); only a disagreement is an error.
            match codes.insert(Box::from(key.as_str()), billable) {
                Some(previous) if previous != billable => {
                    return Err(IcdError::Conflict { file, line, code: code.to_string() });
                }
                _ => {}
            }
        }
        if codes.is_empty() {
            return Err(IcdError::Empty { file });
        }
        Ok(IcdCodeSet { codes })
    }

    /// Whether `code` is a billable code of this release; accepts it with or without its dot (`E11.65`, `E1165`).
    pub fn is_billable(&self, code: &str) -> bool {
        self.lookup(code).unwrap_or(false)
    }

    /// Whether `code` is in this release at all, billable or a category header.
    pub fn contains(&self, code: &str) -> bool {
        self.lookup(code).is_some()
    }

    /// How many distinct codes the release holds.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// How many of them are billable.
    pub fn billable_count(&self) -> usize {
        self.codes.values().filter(|billable| **billable).count()
    }

    fn lookup(&self, code: &str) -> Option<bool> {
        let key = undotted(code.trim())?;
        self.codes.get(key.as_str()).copied()
    }
}

/// A code without its dot, upper-cased, on the stack: look-ups run once per generated diagnosis.
struct Key {
    bytes: [u8; MAX_CODE_LEN],
    len: usize,
}

impl Key {
    fn as_str(&self) -> &str {
        // Only ASCII letters and digits are ever written into `bytes`.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

/// The code without its dot; `None` when it cannot be an ICD-10-CM code (a dot anywhere but after the category, too long, not ASCII).
fn undotted(code: &str) -> Option<Key> {
    let mut key = Key { bytes: [0; MAX_CODE_LEN], len: 0 };
    for (at, byte) in code.bytes().enumerate() {
        if byte == b'.' {
            if at != 3 || code.len() == 4 {
                return None;
            }
            continue;
        }
        if !byte.is_ascii_alphanumeric() || key.len == MAX_CODE_LEN {
            return None;
        }
        key.bytes[key.len] = byte.to_ascii_uppercase();
        key.len += 1;
    }
    (key.len >= 3).then_some(key)
}

/// The shape the code set itself uses: a letter, two letters or digits (`QA0` exists since FY2026), then `.` and one to four more.
fn is_code_shape(code: &str) -> bool {
    let bytes = code.as_bytes();
    let upper_alnum = |b: &u8| b.is_ascii_uppercase() || b.is_ascii_digit();
    match bytes {
        [first, second, third, rest @ ..]
            if first.is_ascii_uppercase() && upper_alnum(second) && upper_alnum(third) =>
        {
            match rest {
                [] => true,
                [b'.', tail @ ..] => (1..=4).contains(&tail.len()) && tail.iter().all(upper_alnum),
                _ => false,
            }
        }
        _ => false,
    }
}

/// The shipped FY2026 code set, loaded once for every test that needs it.
#[cfg(test)]
pub(crate) fn shipped() -> &'static IcdCodeSet {
    static CODES: std::sync::OnceLock<IcdCodeSet> = std::sync::OnceLock::new();
    CODES.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/icd10cm-2026.tsv.gz");
        IcdCodeSet::load(&path).unwrap_or_else(|err| panic!("{err}"))
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn parse(text: &str) -> Result<IcdCodeSet, IcdError> {
        IcdCodeSet::from_tsv_reader(text.as_bytes(), "codes.tsv")
    }

    #[test]
    fn the_shipped_release_holds_every_code_once() {
        let codes = shipped();
        assert_eq!(codes.len(), 98_225 - 39, "98,225 rows, 39 of them categories listed twice");
        assert_eq!(
            codes.billable_count(),
            74_724 - 5,
            "five billable categories are listed twice (B20, F99, P84, R99, Z66)"
        );
        assert!(codes.is_billable("E11.65"));
        assert!(codes.is_billable("E1165"), "837P carries codes without the dot");
        assert!(codes.is_billable("e11.65"));
        assert!(!codes.is_billable("E11"), "a category is not billable");
        assert!(codes.contains("E11"));
        assert!(!codes.is_billable("E11.6"), "a subcategory with children is not billable");
        assert!(!codes.contains("E116.5"), "a dot in the wrong place is not the same code");
        assert!(!codes.contains("U99.99"));
        assert!(!codes.contains(""));
        assert!(codes.is_billable("QA0.0101"), "FY2026 codes with a letter second");
    }

    #[test]
    fn loading_the_shipped_release_is_fast() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/icd10cm-2026.tsv.gz");
        let started = std::time::Instant::now();
        IcdCodeSet::load(&path).unwrap();
        let took = started.elapsed();
        // Generous for an unoptimised test build on a shared machine; an optimised build takes tens of milliseconds.
        assert!(took.as_secs() < 5, "loading took {took:?}");
    }

    #[test]
    fn reads_gzip_and_names_the_file_it_cannot_open() {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(b"code\tbillable\tdescription\nI10\t1\tEssential (primary) hypertension\r\n").unwrap();
        let gz = encoder.finish().unwrap();
        let codes = IcdCodeSet::from_gz_reader(gz.as_slice(), "codes.tsv.gz").unwrap();
        assert!(codes.is_billable("I10"));

        let err = IcdCodeSet::load(Path::new("/nonexistent/icd.tsv.gz")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/icd.tsv.gz"), "{err}");
    }

    #[test]
    fn a_file_that_is_not_gzip_is_an_error_at_line_one() {
        let err = IcdCodeSet::from_gz_reader(&b"code\tbillable\tdescription\n"[..], "plain.tsv").unwrap_err();
        assert!(matches!(err, IcdError::Read { line: 1, .. }), "{err:?}");
        assert!(err.to_string().starts_with("plain.tsv:1: "), "{err}");
    }

    #[test]
    fn a_truncated_gzip_is_an_error_at_the_line_it_broke_on() {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(b"code\tbillable\tdescription\n").unwrap();
        for n in 0..5_000 {
            writeln!(encoder, "A{:02}.{}\t1\tSomething", n % 100, n).unwrap();
        }
        let gz = encoder.finish().unwrap();
        let err = IcdCodeSet::from_gz_reader(&gz[..gz.len() / 2], "cut.tsv.gz").unwrap_err();
        let IcdError::Read { line, .. } = err else { panic!("{err:?}") };
        assert!(line > 1, "{line}");
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let cases = [
            ("code,billable,description\n", "codes.tsv:1: expected the header"),
            ("code\tbillable\tdescription\nI10\t1\n", "codes.tsv:2: expected three tab-separated columns"),
            ("code\tbillable\tdescription\nI10\t1\tx\n\n", "codes.tsv:3: expected three"),
            ("code\tbillable\tdescription\nI10\tyes\tx\n", "codes.tsv:2: the billable column of `I10` must be 0 or 1"),
            ("code\tbillable\tdescription\nI10\t1\tx\nE1165\t1\tx\n", "codes.tsv:3: `E1165` is not an ICD-10-CM code"),
            ("code\tbillable\tdescription\ne11.65\t1\tx\n", "codes.tsv:2: `e11.65` is not"),
            ("code\tbillable\tdescription\nE11.65432\t1\tx\n", "codes.tsv:2: `E11.65432` is not"),
            ("code\tbillable\tdescription\nI10\t1\tx\nI10\t0\tx\n", "codes.tsv:3: `I10` is listed again"),
            ("code\tbillable\tdescription\n", "codes.tsv: holds no codes"),
        ];
        for (text, expected) in cases {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{text:?}: {err}");
        }
    }

    #[test]
    fn an_identical_repeat_is_not_an_error() {
        let codes = parse("code\tbillable\tdescription\nB20\t1\tHIV\nB20\t1\tHIV\n").unwrap();
        assert_eq!(codes.len(), 1);
    }

    #[test]
    fn invalid_utf8_is_an_error_at_its_line() {
        let err =
            IcdCodeSet::from_tsv_reader(&b"code\tbillable\tdescription\nI10\t1\t\xff\n"[..], "bad.tsv").unwrap_err();
        assert!(err.to_string().starts_with("bad.tsv:2: "), "{err}");
    }
}
