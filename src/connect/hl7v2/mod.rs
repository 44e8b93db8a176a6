//! HL7 v2.5.1 over MLLP: the ER7 message model, parser and serialiser, the canonical model ⇄ ADT (A04, A08, A40),
//! SIU (S12–S15), DFT and ACK mappings an EMR–PM interface uses, and the MLLP framing, client and listener that
//! carry them.
//!
//! Mapping functions are plain and do no I/O, like their FHIR sibling; everything that varies between two sends
//! of the same content (control id, timestamp, route) comes in through an [`Envelope`] so output is reproducible.

mod ack;
mod adt;
mod charge;
mod client;
mod delimiters;
mod dft;
mod diagnosis;
mod error;
mod escape;
mod event;
mod header;
mod insurance;
mod merge;
mod message;
pub mod mllp;
mod parse;
mod patient;
mod provider;
mod reader;
mod schedule_event;
mod server;
mod siu;
pub mod values;
mod visit;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod samples;

pub use ack::{AckCode, Acknowledgment, ErrorCondition, ReceivedAck, ack, read_ack, reject_unreadable};
pub use adt::{AdtEvent, adt, adt_a04, adt_a08, read_adt};
pub use charge::{CPT, HCPCS, ft1, read_ft1};
pub use client::send;
pub use delimiters::Delimiters;
pub use dft::{PostedCharges, dft_p03, read_dft};
pub use diagnosis::{ICD10, dg1, read_dg1};
pub use error::{Location, ParseError, ReadError, TooMany};
pub use escape::{escape, unescape};
pub use header::{Envelope, MessageHeader, MessageType, PROCESSING_ID, Route, VERSION, msh};
pub use insurance::{BillingOrder, in1, read_in1};
pub use merge::{PatientMerge, adt_a40, read_adt_a40};
pub use message::{Component, Field, Message, Repetition, Segment};
pub use mllp::{MllpCodec, MllpError};
pub use patient::{PatientId, PatientRecord, pid, read_pid};
pub use reader::Located;
pub use schedule_event::{ScheduleEvent, ScheduleNotice, read_schedule_notice, siu_s13, siu_s14, siu_s15};
pub use server::serve;
pub use siu::{Booking, ScheduledAppointment, read_siu, siu_s12};
