//! Why a system did not do what was asked: each becomes a finding, never a crash.

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum AdapterError {
    #[error("cannot reach {url}: {cause}")]
    Unreachable { url: String, cause: String },
    #[error("{url} did not answer within {seconds:.1}s")]
    Timeout { url: String, seconds: f64 },
    #[error("{url} answered HTTP {status}{}", outcome.as_ref().map(|o| format!(": {o}")).unwrap_or_default())]
    Http { url: String, status: u16, outcome: Option<String> },
    #[error("{url} sent something that is not valid {expected}: {detail}")]
    Malformed { url: String, expected: &'static str, detail: String },
    /// The system understood the request and refused it (an HL7 ACK with AE or AR): `text` is its reason.
    #[error("{endpoint} answered {code}: {text}")]
    Rejected { endpoint: String, code: &'static str, text: String },
    #[error("not supported by this system: {what}")]
    NotSupported { what: String },
    #[error("{0}")]
    Config(String),
}

impl AdapterError {
    /// The finding kind this error is reported as.
    pub fn kind(&self) -> &'static str {
        match self {
            AdapterError::Unreachable { .. } => "unreachable",
            AdapterError::Timeout { .. } => "timeout",
            AdapterError::Http { .. } => "http_error",
            AdapterError::Malformed { .. } => "malformed_response",
            AdapterError::Rejected { .. } => "rejected",
            AdapterError::NotSupported { .. } => "not_supported",
            AdapterError::Config(_) => "configuration",
        }
    }

    /// A system that cannot be reached at all ends the run with exit code 3.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, AdapterError::Unreachable { .. } | AdapterError::Timeout { .. })
    }
}
