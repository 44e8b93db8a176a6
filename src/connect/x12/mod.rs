//! X12 005010 for the billing side of the handoff: the interchange envelope and tokenizer, the 837P claim and
//! 270 eligibility inquiry a PM sends, and the 271, 835, 277CA and 999 it gets back, mapped to and from the model;
//! 837P batches of any size can also be read as a stream of claims.
//!
//! Mapping functions are plain and do no I/O, like the HL7 v2 and FHIR siblings; everything that varies between
//! two sends of the same content (control numbers, timestamps, parties) is passed in, so output is reproducible.

mod ack;
mod eligibility;
mod envelope;
mod error;
mod parse;
mod professional;
mod reader;
mod remittance;
mod segment;
mod status;
mod stream;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod samples;

pub use ack::{ElementError, FunctionalAck, SegmentError, SetAck, VERSION_999, functional_ack, read_999};
pub use eligibility::{
    Benefit, Eligibility, EligibilityInquiry, VERSION_270, VERSION_271, eligibility_inquiry, read_271,
};
pub use envelope::{Interchange, InterchangeHeader, Party, TransactionSet};
pub use error::{Location, ParseError, ReadError, StreamError, WriteError};
pub use parse::{Document, Transaction};
pub use professional::{
    BillingProvider, ClaimSubmission, MAX_DIAGNOSES, MAX_LINES, MAX_POINTERS, Provider, Receiver, Submitter,
    VERSION_837P, professional_claim, read_837p, read_837p_set,
};
pub use reader::person_name;
pub use remittance::{
    Adjustment, BankAccount, ClaimPayment, Imbalance, LinePayment, ProviderAdjustment, Remittance, RemittanceAdvice,
    VERSION_835, check_balance, read_835, remittance_advice,
};
pub use segment::{Delimiters, Element, Segment};
pub use status::{
    AcknowledgedClaim, ClaimAcknowledgment, ClaimStatus, StatusCode, VERSION_277CA, claim_acknowledgment, read_277ca,
};
pub use stream::{ClaimStream, MAX_SEGMENT_BYTES, stream_837p};
