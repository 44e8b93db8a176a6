//! A booked visit in the schedule.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::DateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Appointment {
    pub start: DateTime,
    pub minutes: u32,
    /// NPI of the provider the patient will see.
    pub provider_npi: String,
}
