//! The transport faults a simulator profile can plant: the connection or the HTTP exchange misbehaving, told apart from defects in the data (docs/faults.md).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Within;
use crate::model::Role;

/// A transport fault: the system answers with an error, late, wrongly or not at all, whatever the data (docs/faults.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// HTTP 500 Internal Server Error with an OperationOutcome; the request is not acted on.
    #[serde(rename = "http_500")]
    Http500(Trigger),
    /// HTTP 503 Service Unavailable with an OperationOutcome; the request is not acted on.
    #[serde(rename = "http_503")]
    Http503(Trigger),
    /// HTTP 429 Too Many Requests with an OperationOutcome and `Retry-After`; the request is not acted on.
    #[serde(rename = "http_429")]
    Http429(Throttle),
    /// No answer ever comes: the connection stays open until the client gives up or the simulator stops.
    Hang(Trigger),
    /// The connection is reset (TCP RST) without any HTTP response.
    Reset(Trigger),
    /// The request is acted on, but the answer's body is cut short: `Content-Type: application/fhir+json` and not valid JSON.
    MalformedJson(Trigger),
    /// The request is acted on and the answer is the right resource, but sent as `Content-Type: text/html`.
    WrongContentType(Trigger),
    /// The receiving system answers an HL7 v2 message with a negative acknowledgement. The MLLP interface applies it; HTTP requests never see it.
    Hl7Nak(Nak),
}

/// Which system a fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FaultRole {
    /// The EMR only.
    Emr,
    /// The PM only.
    Pm,
    /// Both systems; `nth`, `times` and `rate` count the requests to either as one sequence.
    Both,
}

impl FaultRole {
    pub fn includes(self, role: Role) -> bool {
        match self {
            FaultRole::Both => true,
            FaultRole::Emr => role == Role::Emr,
            FaultRole::Pm => role == Role::Pm,
        }
    }
}

/// Which requests a fault may fire on: every field given must match; one left out matches anything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestMatch {
    /// The HTTP method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<HttpMethod>,
    /// The FHIR resource type the request is about (`Patient`, `Claim`), or `Bundle` for a transaction posted to the base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// How the request path starts, such as `/Patient/` or `/Patient/123`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A FHIR operation, with or without its `$`: `build-claim`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
}

/// The HTTP methods the simulators answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// Reads and searches.
    Get,
    /// Creates, transactions and operations.
    Post,
    /// Updates.
    Put,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
        }
    }
}

/// The negative acknowledgement an HL7 v2 receiver sends back in MSA-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum NakCode {
    /// Application Error: the message was understood but could not be processed; a sender may retry.
    #[serde(rename = "AE")]
    Ae,
    /// Application Reject: the message was refused; resending it unchanged will not help.
    #[serde(rename = "AR")]
    Ar,
}

/// Where and how often a fault fires, as one value whatever the fault's own parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Firing {
    pub role: FaultRole,
    pub on: RequestMatch,
    pub rate: Option<f64>,
    pub nth: Option<u64>,
    pub times: Option<u64>,
}

// Every fault takes the same where-and-how-often fields beside its own, flat in the YAML. Serde cannot flatten a
// struct into one that denies unknown fields (and flattening loses source positions), so each variant's parameters
// are declared in full, from one list.
macro_rules! fault_parameters {
    ($(#[$meta:meta])* $name:ident { $($(#[$field_meta:meta])* $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Which system misbehaves: `emr`, `pm` or `both`.
            pub role: FaultRole,
            /// Which requests it may fire on; every request but discovery (`/metadata`) when left out.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub on: Option<RequestMatch>,
            /// Fires on each matching request with this chance, from 0 to 1, drawn from the simulator's `seed`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub rate: Option<f64>,
            /// Fires on this matching request only, counting from 1.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub nth: Option<u64>,
            /// Fires on the first this many matching requests.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub times: Option<u64>,
            $($(#[$field_meta])* pub $field: $ty,)*
        }

        impl $name {
            pub fn firing(&self) -> Firing {
                Firing {
                    role: self.role,
                    on: self.on.clone().unwrap_or_default(),
                    rate: self.rate,
                    nth: self.nth,
                    times: self.times,
                }
            }
        }
    };
}

fault_parameters! {
    /// Where and how often a fault fires: on every matching request unless `rate`, `nth` or `times` says otherwise.
    Trigger {}
}

fault_parameters! {
    /// Where and how often `http_429` fires (as for any fault), and how long it tells the client to wait.
    Throttle {
        /// Sent as `Retry-After` in whole seconds, rounded up.
        retry_after: Within,
    }
}

fault_parameters! {
    /// Where and how often `hl7_nak` fires (as for any fault), and which negative acknowledgement it sends.
    Nak {
        /// `AE` (application error) or `AR` (application reject).
        code: NakCode,
    }
}

impl Fault {
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Http500(_) => "http_500",
            Fault::Http503(_) => "http_503",
            Fault::Http429(_) => "http_429",
            Fault::Hang(_) => "hang",
            Fault::Reset(_) => "reset",
            Fault::MalformedJson(_) => "malformed_json",
            Fault::WrongContentType(_) => "wrong_content_type",
            Fault::Hl7Nak(_) => "hl7_nak",
        }
    }

    pub fn firing(&self) -> Firing {
        match self {
            Fault::Http500(t)
            | Fault::Http503(t)
            | Fault::Hang(t)
            | Fault::Reset(t)
            | Fault::MalformedJson(t)
            | Fault::WrongContentType(t) => t.firing(),
            Fault::Http429(t) => t.firing(),
            Fault::Hl7Nak(t) => t.firing(),
        }
    }

    /// Whether the fault happens on HTTP; `hl7_nak` happens on the MLLP interface instead.
    pub fn is_http(&self) -> bool {
        !matches!(self, Fault::Hl7Nak(_))
    }
}
