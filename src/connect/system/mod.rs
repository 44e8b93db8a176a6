//! One role's real system reached through every channel it has — a FHIR API, an HL7 v2 interface, X12 folders —
//! each action and query going to the first channel that can do it.
//!
//! FHIR does everything it serves; the X12 outbox answers for claims before FHIR, since it holds what went to the
//! payer; HL7 v2 carries actions where there is no FHIR, and answers queries from what the system emitted to it.

mod exports;
mod interface;

pub use exports::ExportFolders;
pub use interface::{InterfaceChannel, InterfaceSettings};

use async_trait::async_trait;

use super::fhir::FhirAdapter;
use super::{Action, Adapter, AdapterError, Applied, Query, Records};
use crate::model::Role;

pub struct System {
    role: Role,
    fhir: Option<FhirAdapter>,
    interface: Option<InterfaceChannel>,
    exports: Option<ExportFolders>,
}

/// A channel asked to do something, or why none could.
enum Attempt<T> {
    Done(Result<T, AdapterError>),
    /// The channel cannot do this: why, in its own words.
    Cannot(String),
}

impl System {
    pub fn new(
        role: Role,
        fhir: Option<FhirAdapter>,
        interface: Option<InterfaceChannel>,
        exports: Option<ExportFolders>,
    ) -> System {
        System { role, fhir, interface, exports }
    }

    fn channels(&self) -> String {
        let names: Vec<&str> = [
            self.fhir.as_ref().map(|_| "FHIR"),
            self.interface.as_ref().map(|_| "HL7 v2"),
            self.exports.as_ref().map(|_| "X12 files"),
        ]
        .into_iter()
        .flatten()
        .collect();
        names.join(" and ")
    }

    /// Why nothing could: the channels' own reasons when one tried, or what the system would need.
    fn none_could(&self, what: &str, tried: Vec<String>, fix: &str) -> AdapterError {
        match tried.as_slice() {
            [only] if self.channels().split(" and ").count() == 1 && !only.is_empty() => {
                AdapterError::NotSupported { what: only.clone() }
            }
            _ => AdapterError::NotSupported {
                what: format!("{what}: this {} is reached only through {}; {fix}", self.role, self.channels()),
            },
        }
    }

    async fn fhir_apply(&self, action: Action<'_>) -> Attempt<Applied> {
        match &self.fhir {
            Some(fhir) => match fhir.apply(action).await {
                Err(AdapterError::NotSupported { what }) => Attempt::Cannot(what),
                done => Attempt::Done(done),
            },
            None => Attempt::Cannot(String::new()),
        }
    }

    async fn fhir_fetch(&self, query: Query<'_>) -> Attempt<Records> {
        match &self.fhir {
            Some(fhir) => match fhir.fetch(query).await {
                Err(AdapterError::NotSupported { what }) => Attempt::Cannot(what),
                done => Attempt::Done(done),
            },
            None => Attempt::Cannot(String::new()),
        }
    }

    /// The member ids the system holds for the patient, which tie its exported claims to them.
    async fn member_ids(&self, patient_id: &str) -> Vec<String> {
        match self.fetch(Query::Coverage { patient_id }).await {
            Ok(Records::Coverages(coverages)) => coverages.into_iter().map(|c| c.value.member_id).collect(),
            _ => Vec::new(),
        }
    }
}

#[async_trait]
impl Adapter for System {
    fn endpoint(&self) -> String {
        let parts: Vec<String> = [
            self.fhir.as_ref().map(|f| f.endpoint()),
            self.interface.as_ref().map(InterfaceChannel::endpoint),
            self.exports.as_ref().map(ExportFolders::endpoint),
        ]
        .into_iter()
        .flatten()
        .collect();
        parts.join(" + ")
    }

    async fn apply(&self, action: Action<'_>) -> Result<Applied, AdapterError> {
        let mut tried = Vec::new();
        match self.fhir_apply(action).await {
            Attempt::Done(done) => return done,
            Attempt::Cannot(why) if !why.is_empty() => tried.push(why),
            Attempt::Cannot(_) => {}
        }
        if let Action::BuildClaim { .. } = action {
            // A PM that exports its claims builds them on its own schedule; expect_claim reads them from the outbox.
            if self.exports.is_some() {
                return Ok(Applied { id: None });
            }
            return Err(self.none_could(
                action.name(),
                tried,
                "build the claims in the system and point `x12.outbox` at its export folder",
            ));
        }
        match &self.interface {
            Some(interface) if interface.sends() => interface.apply(action).await,
            _ => Err(self.none_could(
                action.name(),
                tried,
                "give it `hl7v2.send_to` (its inbound interface) or a `fhir` API to act through",
            )),
        }
    }

    async fn fetch(&self, query: Query<'_>) -> Result<Records, AdapterError> {
        let mut tried = Vec::new();
        let what = match query {
            Query::Claims { patient_id } => {
                if let Some(exports) = &self.exports {
                    let member_ids = self.member_ids(patient_id).await;
                    return exports.claims(patient_id, &member_ids).map(Records::Claims);
                }
                "claims"
            }
            Query::ClaimNotices { patient_id } => {
                return match &self.exports {
                    Some(exports) => {
                        let member_ids = self.member_ids(patient_id).await;
                        exports.notices(patient_id, &member_ids).map(Records::ClaimNotices)
                    }
                    None => Err(AdapterError::NotSupported { what: "claim acknowledgments".into() }),
                };
            }
            Query::Remittance { patient_id } => {
                if let Some(exports) = self.exports.as_ref().filter(|e| e.has_inbox()) {
                    let member_ids = self.member_ids(patient_id).await;
                    return exports.remittances(patient_id, &member_ids).map(Records::Remittances);
                }
                "remittances"
            }
            Query::Capabilities => "a capability statement",
            _ => "reading records back",
        };
        match self.fhir_fetch(query).await {
            Attempt::Done(done) => return done,
            Attempt::Cannot(why) if !why.is_empty() => tried.push(why),
            Attempt::Cannot(_) => {}
        }
        let fix = match query {
            Query::Claims { .. } => "point `x12.outbox` at the folder its claim batches are exported to",
            Query::Remittance { .. } => "point `x12.inbox` at the folder its 835 remittances arrive in",
            Query::Capabilities => "HL7 v2 and X12 publish none; declare its products and modules under `products`",
            _ => {
                if let Some(interface) = self.interface.as_ref().filter(|i| i.listens()) {
                    return interface.fetch(query);
                }
                "give it `hl7v2.listen` so the harness receives what it emits, or a `fhir` API to read"
            }
        };
        Err(self.none_could(what, tried, fix))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::connect::hl7v2::Route;
    use crate::model::{Identifier, fixtures::ana};

    async fn interface_only(role: Role) -> System {
        let settings =
            InterfaceSettings { send_to: None, listen: None, route: Route::default(), timeout: Duration::from_secs(1) };
        System::new(role, None, Some(InterfaceChannel::open(settings, None).await.unwrap()), None)
    }

    #[tokio::test]
    async fn what_no_channel_can_do_says_which_channels_there_are_and_what_would_do_it() {
        let pm = interface_only(Role::Pm).await;
        let err = pm.apply(Action::BuildClaim { patient_id: "p1" }).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "not supported by this system: build_claim: this pm is reached only through HL7 v2; build the claims in \
             the system and point `x12.outbox` at its export folder"
        );
        let tracking = Identifier { system: "urn:handoff:tracking".into(), value: "run:s".into() };
        let err = pm.apply(Action::Register { patient: &ana(), tracking: &tracking }).await.unwrap_err();
        assert!(
            err.to_string().ends_with("give it `hl7v2.send_to` (its inbound interface) or a `fhir` API to act through"),
            "{err}"
        );
        let err = pm.fetch(Query::Charges { patient_id: "p1" }).await.unwrap_err();
        assert!(
            err.to_string()
                .ends_with("give it `hl7v2.listen` so the harness receives what it emits, or a `fhir` API to read"),
            "{err}"
        );
        let err = pm.fetch(Query::Claims { patient_id: "p1" }).await.unwrap_err();
        assert!(
            err.to_string().ends_with("point `x12.outbox` at the folder its claim batches are exported to"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_pm_that_exports_its_claims_builds_them_itself() {
        let dir = tempfile::tempdir().unwrap();
        let pm = System::new(Role::Pm, None, None, Some(ExportFolders::new(dir.path().to_path_buf(), None)));
        assert_eq!(pm.apply(Action::BuildClaim { patient_id: "p1" }).await.unwrap(), Applied { id: None });
        let Records::Claims(claims) = pm.fetch(Query::Claims { patient_id: "p1" }).await.unwrap() else { panic!() };
        assert!(claims.is_empty());
        assert_eq!(pm.endpoint(), format!("x12 outbox {}", dir.path().display()));
    }
}
