//! One scenario against one target, step by step: actions go out through the adapters, expectations read back and compare.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::{Mutex, MutexGuard};

use serde_json::{Value, json};
use tokio::time::Instant;

use super::halt::Halt;
use super::outcome::{FlowOutcome, Identity, Latency, StepResult, StepStatus};
use super::{handoff, payment, poll};
use crate::connect::{Action, Adapter, AdapterError, ClaimNotice, Query, Records, Versioned};
use crate::diff::{
    self, Category, Finding, FindingKind, HopRecords, compare_appointment, compare_coverages, compare_patient,
};
use crate::model::{
    Appointment, Charge, Claim, Coverage, Diagnosis, Encounter, Identifier, Patient, Role, ServiceLine,
};
use crate::rules::ScrubContext;
use crate::scenario::{Document, RecordKind, Scenario, Step, UpdatePatient};

/// The identifier system the harness stamps on every patient it registers, to find them again in any system.
pub const TRACKING_SYSTEM: &str = "urn:handoff:tracking";

/// The adapters that play each role for one target.
#[derive(Clone)]
pub struct Systems {
    pub emr: Arc<dyn Adapter>,
    pub pm: Arc<dyn Adapter>,
}

impl Systems {
    fn at(&self, role: Role) -> &dyn Adapter {
        match role {
            Role::Emr => self.emr.as_ref(),
            Role::Pm => self.pm.as_ref(),
        }
    }
}

/// A record as it was when last judged: which one, which version, what it held.
#[derive(Debug, Clone)]
struct Judged {
    id: String,
    version: String,
    held: Held,
}

/// Why a step ended early.
enum Stop {
    /// The steps after it cannot run: there is no patient, or no system, to run them on.
    Flow,
    /// The system does not support what the step asked; the steps that do not depend on it still run.
    Step,
}

/// What a record looks like in one system, for `expect_synced`.
#[derive(Debug, Clone)]
enum Held {
    Patient(Box<Patient>),
    Coverage(Vec<Coverage>),
    Appointment(Appointment),
}

#[derive(Debug, Clone)]
struct Found {
    id: String,
    version: Option<String>,
    held: Held,
    /// Further records for the same patient: the system made duplicates.
    duplicates: usize,
}

const CHARGES: &str = "charge";
const CLAIM: &str = "claim";

/// `rules` is what `expect_claim: { scrub: cms }` checks claims against; without it such a step says it could not.
pub async fn run_flow(
    scenario: &Scenario,
    systems: &Systems,
    tracking_value: String,
    rules: Option<&ScrubContext>,
) -> FlowOutcome {
    run_flow_until(scenario, systems, tracking_value, rules, &Halt::new()).await
}

/// As [`run_flow`], stopping when `halt` says so: the step under way is an error saying why (keeping what it had
/// found), the steps after it are skipped, and the steps before it stand.
pub async fn run_flow_until(
    scenario: &Scenario,
    systems: &Systems,
    tracking_value: String,
    rules: Option<&ScrubContext>,
    halt: &Halt,
) -> FlowOutcome {
    let mut flow = Flow {
        systems,
        tracking: Identifier { system: TRACKING_SYSTEM.into(), value: tracking_value },
        keyed: scenario.patient.clone(),
        patient_ids: HashMap::new(),
        origin: HashMap::new(),
        changed_at: HashMap::new(),
        seen_version: HashMap::new(),
        appointment: None,
        documented: None,
        unsupported: HashMap::new(),
        built_claim: None,
        predicted: Vec::new(),
        rules,
        out: FlowOutcome { scenario: scenario.name.clone(), ..Default::default() },
        step: 0,
        action: "",
    };
    let mut stopped = false;
    for (index, step) in scenario.steps.iter().enumerate() {
        flow.step = index + 1;
        flow.action = step.label();
        // Why this step is not run, if it is not: the run was stopped, an earlier step failed, or what it would
        // check was never made.
        let skipped = match halt.reason() {
            Some(why) => {
                flow.out.unfinished = true;
                Some(format!("not run: {why}"))
            }
            None if stopped => Some("an earlier step could not be done".to_string()),
            None => flow.cannot_check(&step.value).map(|why| format!("nothing to check: {why}")),
        };
        if let Some(message) = skipped {
            flow.out.steps.push(StepResult {
                step: flow.step,
                action: flow.action.into(),
                status: StepStatus::Skipped,
                message: Some(message),
                elapsed_ms: 0,
            });
            continue;
        }
        let started = Instant::now();
        let before = flow.out.findings.len();
        tracing::debug!(scenario = %scenario.name, step = flow.step, action = flow.action, "step started");
        let result = tokio::select! {
            result = flow.run_step(&step.value) => result,
            why = halt.halted() => {
                flow.out.steps.push(StepResult {
                    step: flow.step,
                    action: flow.action.into(),
                    status: StepStatus::Error,
                    message: Some(format!("stopped before it finished: {why}")),
                    elapsed_ms: millis(started.elapsed()),
                });
                flow.out.unfinished = true;
                stopped = true;
                continue;
            }
        };
        let new = &flow.out.findings[before..];
        let status = if new.iter().any(|f| f.category == Category::System) {
            StepStatus::Error
        } else if new.iter().any(|f| f.counts) {
            StepStatus::Failed
        } else {
            StepStatus::Passed
        };
        // A step in error says why, before what else it found.
        let message = new
            .iter()
            .find(|f| status == StepStatus::Error && f.category == Category::System)
            .or_else(|| new.iter().find(|f| f.counts))
            .map(|f| f.message.clone());
        flow.out.steps.push(StepResult {
            step: flow.step,
            action: flow.action.into(),
            status,
            message,
            elapsed_ms: millis(started.elapsed()),
        });
        stopped = matches!(result, Err(Stop::Flow));
    }
    let mut identities: Vec<Identity> =
        flow.patient_ids.iter().map(|(role, id)| Identity { role: *role, patient_id: id.clone() }).collect();
    identities.sort_by_key(|i| i.role);
    flow.out.identities = identities;
    flow.out
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

struct Flow<'a> {
    systems: &'a Systems,
    tracking: Identifier,
    /// The patient as staff last keyed them: the truth every system is held to.
    keyed: Patient,
    patient_ids: HashMap<Role, String>,
    /// Where each kind of record was last keyed, and when.
    origin: HashMap<&'static str, Role>,
    changed_at: HashMap<&'static str, Instant>,
    /// Each record as last judged in each system, so an update is judged once it lands.
    seen_version: HashMap<(Role, &'static str), Judged>,
    appointment: Option<Appointment>,
    documented: Option<Encounter>,
    /// Records a system could not make because it does not support the step that makes them, and why.
    unsupported: HashMap<&'static str, String>,
    /// The id the PM gave the claim it built, whose remittance `expect_remittance` waits for.
    built_claim: Option<String>,
    /// The scrubber's error-severity breaks on the claim, held against what the payer decides.
    predicted: Vec<payment::Prediction>,
    rules: Option<&'a ScrubContext>,
    out: FlowOutcome,
    step: usize,
    action: &'static str,
}

impl Flow<'_> {
    async fn run_step(&mut self, step: &Step) -> Result<(), Stop> {
        match step {
            Step::Register(r) => self.register(r.at).await,
            Step::UpdatePatient(u) => self.update_patient(u).await,
            Step::Schedule(s) => {
                let patient_id = self.patient_at(s.at).await?;
                let appointment =
                    Appointment { start: s.start, minutes: s.minutes, provider_npi: s.provider_npi.clone() };
                self.act(s.at, "appointment", Action::Schedule { patient_id: &patient_id, appointment: &appointment })
                    .await?;
                self.keyed(RecordKind::Appointment.as_str(), s.at, 3);
                self.appointment = Some(appointment);
                Ok(())
            }
            Step::Document(d) => self.document(d).await,
            Step::BuildClaim(b) => {
                let patient_id = self.patient_at(b.at).await?;
                self.rekey_missing_charges(b.at, &patient_id).await?;
                self.built_claim = self.act(b.at, "claim", Action::BuildClaim { patient_id: &patient_id }).await?;
                self.changed_at.insert(CLAIM, Instant::now());
                Ok(())
            }
            Step::ExpectSynced(e) => {
                self.expect_synced(e.record, e.at, e.within.0).await;
                Ok(())
            }
            Step::ExpectCharges(e) => {
                self.expect_charges(e.at, e.within.0).await;
                Ok(())
            }
            Step::ExpectClaim(e) => {
                if let Some(claim) = self.expect_claim(e.at).await
                    && e.scrub.is_some()
                {
                    self.scrub(&claim, e.at);
                }
                Ok(())
            }
            Step::ExpectRemittance(e) => {
                self.expect_remittance(e.at, e.within.0).await;
                Ok(())
            }
        }
    }

    fn finding(&self, category: Category, kind: FindingKind, record: &str, field: &str, system: Role) -> Finding {
        Finding::new(category, kind, self.out.scenario.clone(), self.step, self.action, record, field, system)
    }

    fn system_error(&mut self, role: Role, record: &str, error: &AdapterError) {
        let mut f = self.finding(Category::System, FindingKind::from_adapter_kind(error.kind()), record, "", role);
        f.message = format!("{} ({role}): {error}", self.action);
        self.out.unreachable |= error.is_unreachable();
        self.out.findings.push(f);
    }

    fn keyed(&mut self, record: &'static str, at: Role, fields: usize) {
        self.origin.insert(record, at);
        self.changed_at.insert(record, Instant::now());
        self.out.tallies.keyed_fields += fields;
    }

    async fn act(&mut self, role: Role, record: &'static str, action: Action<'_>) -> Result<Option<String>, Stop> {
        match self.systems.at(role).apply(action).await {
            Ok(applied) => Ok(applied.id),
            // Without a patient nothing after can run, whatever the reason.
            Err(error) => Err(self.halt(role, record, &error, matches!(action, Action::Register { .. }))),
        }
    }

    /// A system error ends the step; it ends the flow too unless the system only lacks support for this step.
    fn halt(&mut self, role: Role, record: &'static str, error: &AdapterError, fatal: bool) -> Stop {
        self.system_error(role, record, error);
        if fatal || !matches!(error, AdapterError::NotSupported { .. }) {
            return Stop::Flow;
        }
        let why = format!("the {role} could not do step {} ({}): {error}", self.step, self.action);
        self.unsupported.entry(record).or_insert(why);
        Stop::Step
    }

    /// Why an expectation cannot be checked: a step that would have made what it reads was not supported.
    fn cannot_check(&self, step: &Step) -> Option<String> {
        let reads: &[&str] = match step {
            Step::ExpectSynced(e) => &[e.record.as_str()],
            Step::ExpectCharges(_) => &["encounter", CHARGES],
            Step::ExpectClaim(_) => &["encounter", CHARGES, "claim"],
            // The payer answers the claim built: no claim, nothing to wait for.
            Step::ExpectRemittance(_) => &["encounter", CHARGES, "claim"],
            _ => &[],
        };
        reads.iter().find_map(|record| self.unsupported.get(record).cloned())
    }

    async fn register(&mut self, at: Role) -> Result<(), Stop> {
        let (keyed, tracking) = (self.keyed.clone(), self.tracking.clone());
        let id = self.act(at, "patient", Action::Register { patient: &keyed, tracking: &tracking }).await?;
        match id {
            Some(id) => {
                self.patient_ids.insert(at, id);
            }
            None => {
                self.lookup_patient(at).await?;
            }
        }
        if keyed.coverage.is_some() {
            self.origin.insert(RecordKind::Coverage.as_str(), at);
            self.changed_at.insert(RecordKind::Coverage.as_str(), Instant::now());
        }
        self.keyed(RecordKind::Patient.as_str(), at, diff::patient_fields(&keyed));
        Ok(())
    }

    async fn update_patient(&mut self, update: &UpdatePatient) -> Result<(), Stop> {
        let id = self.patient_at(update.at).await?;
        let mut fields = 0;
        if let Some(name) = &update.name {
            fields += name.given.len() + 1;
            self.keyed.name = name.clone();
        }
        if let Some(address) = &update.address {
            fields += address.line.len() + 3;
            self.keyed.address = Some(address.clone());
        }
        if let Some(phone) = &update.phone {
            fields += 1;
            self.keyed.phone = Some(phone.clone());
        }
        let (keyed, tracking) = (self.keyed.clone(), self.tracking.clone());
        self.act(update.at, "patient", Action::UpdatePatient { id: &id, patient: &keyed, tracking: &tracking }).await?;
        self.keyed(RecordKind::Patient.as_str(), update.at, fields);
        Ok(())
    }

    async fn document(&mut self, doc: &Document) -> Result<(), Stop> {
        let patient_id = self.patient_at(doc.at).await?;
        let scheduled = self.appointment.as_ref();
        // Validation guarantees a schedule step when these are not written out.
        let date_of_service = doc
            .date_of_service
            .or(scheduled.map(|a| a.start.date()))
            .unwrap_or(crate::model::Date(jiff::civil::date(1970, 1, 1)));
        let rendering_npi = doc.rendering_npi.clone().or(scheduled.map(|a| a.provider_npi.clone())).unwrap_or_default();
        let encounter = Encounter {
            date_of_service,
            place_of_service: doc.place_of_service.clone(),
            rendering_npi: rendering_npi.clone(),
            diagnoses: doc.diagnoses.iter().map(|code| Diagnosis { code: code.clone() }).collect(),
            service_lines: doc
                .services
                .iter()
                .map(|s| ServiceLine {
                    code: s.code.clone(),
                    modifiers: s.modifiers.clone(),
                    units: s.units,
                    dx_pointers: s.dx.clone(),
                    place_of_service: doc.place_of_service.clone(),
                    date_of_service,
                    rendering_npi: rendering_npi.clone(),
                })
                .collect(),
        };
        self.act(doc.at, "encounter", Action::Document { patient_id: &patient_id, encounter: &encounter }).await?;
        let elements = encounter.diagnoses.len()
            + encounter.service_lines.iter().map(|l| 5 + l.modifiers.len() + l.dx_pointers.len()).sum::<usize>();
        self.keyed(CHARGES, doc.at, elements);
        self.documented = Some(encounter);
        Ok(())
    }

    /// The patient's id in a system; if staff cannot find them there, they key them in again, which is counted.
    async fn patient_at(&mut self, role: Role) -> Result<String, Stop> {
        if let Some(id) = self.lookup_patient(role).await? {
            return Ok(id);
        }
        let (keyed, tracking) = (self.keyed.clone(), self.tracking.clone());
        let fields = diff::patient_fields(&keyed);
        let id = self.act(role, "patient", Action::Register { patient: &keyed, tracking: &tracking }).await?;
        let id = match id {
            Some(id) => id,
            None => self.lookup_patient(role).await?.ok_or(Stop::Flow)?,
        };
        self.patient_ids.insert(role, id.clone());
        self.out.tallies.keyed_fields += fields;
        self.out.tallies.rekeyed_fields += fields;
        let mut f = self.finding(Category::Redundancy, FindingKind::DuplicateEntry, "patient", "patient", role);
        f.message = format!(
            "the patient was not in the {role}, so staff registered them there again: {fields} fields keyed twice"
        );
        f.expected = json!(fields);
        self.out.findings.push(f);
        Ok(id)
    }

    async fn lookup_patient(&mut self, role: Role) -> Result<Option<String>, Stop> {
        if let Some(id) = self.patient_ids.get(&role) {
            return Ok(Some(id.clone()));
        }
        match find_patient(self.systems.at(role), &self.tracking, &self.keyed).await {
            Ok(found) => {
                let id = found.map(|(p, _)| p.id);
                if let Some(id) = &id {
                    self.patient_ids.insert(role, id.clone());
                }
                Ok(id)
            }
            Err(error) => {
                self.system_error(role, "patient", &error);
                Err(Stop::Flow)
            }
        }
    }

    async fn read(&self, role: Role, record: RecordKind) -> Result<Option<Found>, AdapterError> {
        let known = self.patient_ids.get(&role).map(String::as_str);
        read_record(self.systems.at(role), record, &self.tracking, &self.keyed, known, self.appointment.as_ref()).await
    }

    /// Charges the PM never received are keyed there by hand before billing, and counted as keyed twice.
    async fn rekey_missing_charges(&mut self, at: Role, patient_id: &str) -> Result<(), Stop> {
        let Some(documented) = self.documented.clone() else { return Ok(()) };
        let held = match self.systems.at(at).fetch(Query::Charges { patient_id }).await {
            Ok(Records::Charges(c)) => c.into_iter().map(|c| c.value.code).collect::<Vec<_>>(),
            Ok(_) => Vec::new(),
            Err(error) => return Err(self.halt(at, CHARGES, &error, false)),
        };
        let mut unmatched = held;
        let mut missing = Vec::new();
        for (i, line) in documented.service_lines.iter().enumerate() {
            match unmatched.iter().position(|c| *c == line.code) {
                Some(p) => {
                    unmatched.remove(p);
                }
                None => missing.push((i, line)),
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let charges: Vec<Charge> = missing.iter().map(|(_, line)| documented.charge_for(line)).collect();
        self.act(at, CHARGES, Action::PostCharges { patient_id, charges: &charges }).await?;
        for (i, line) in &missing {
            let fields = 5 + line.modifiers.len() + line.dx_pointers.len();
            self.out.tallies.keyed_fields += fields;
            self.out.tallies.rekeyed_fields += fields;
            let mut f = self.finding(
                Category::Redundancy,
                FindingKind::DuplicateEntry,
                CHARGES,
                &format!("line[{}]", i + 1),
                at,
            );
            f.expected = json!(fields);
            f.message = format!(
                "the charge for {} never reached the {at}, so staff keyed it there: {fields} fields keyed twice",
                line.code
            );
            self.out.findings.push(f);
        }
        Ok(())
    }

    async fn expect_synced(&mut self, record: RecordKind, at: Role, within: std::time::Duration) {
        let name = record.as_str();
        let (Some(&source), Some(&changed)) = (self.origin.get(name), self.changed_at.get(name)) else {
            let mut f = self.finding(Category::Sync, FindingKind::MissingRecord, name, "", at);
            f.message = format!("no {name} was keyed before this step, so there is nothing to wait for");
            self.out.findings.push(f);
            return;
        };
        let reference = match self.read(source, record).await {
            Ok(Some(found)) => found.held,
            Ok(None) => {
                let mut f = self.finding(Category::Sync, FindingKind::MissingRecord, name, "", source);
                f.message = format!("the {name} keyed in the {source} is not there when read back");
                self.out.findings.push(f);
                return;
            }
            Err(error) => return self.system_error(source, name, &error),
        };
        let previous = self.seen_version.get(&(at, name)).cloned();
        let deadline = changed + within;
        let adapter = self.systems.at(at);
        let (tracking, keyed) = (self.tracking.clone(), self.keyed.clone());
        let known_id = self.patient_ids.get(&at).cloned();
        let appointment = self.appointment.clone();
        // The newest record seen that could be the change, and since when it has held what it holds.
        let current: Mutex<Option<(Found, Instant)>> = Mutex::new(None);
        let polled = poll::until(deadline + late_grace(within), || {
            let (tracking, keyed, known_id, appointment, previous, reference, current) =
                (&tracking, &keyed, known_id.clone(), appointment.clone(), &previous, &reference, &current);
            async move {
                let found =
                    read_record(adapter, record, tracking, keyed, known_id.as_deref(), appointment.as_ref()).await?;
                let Some(found) = found else { return Ok(None) };
                let now = Instant::now();
                let another_record = previous.as_ref().is_some_and(|p| found.id != p.id);
                let new_version = previous
                    .as_ref()
                    .is_none_or(|p| another_record || found.version.as_deref().unwrap_or_default() != p.version);
                if !new_version {
                    return Ok(None);
                }
                let mut held = lock(current);
                let since = match held.as_ref() {
                    Some((seen, since))
                        if seen.id == found.id && compare_held(&seen.held, &found.held).diffs.is_empty() =>
                    {
                        *since
                    }
                    _ => now,
                };
                *held = Some((found.clone(), since));
                // Judged once it agrees, or once it has moved from what was judged last time and then held still:
                // a record arrives in parts (a coverage after its patient) and an unrelated update (new coverage
                // on the patient) is not the change being waited for.
                let agrees = compare_held(reference, &found.held).disagreements() == 0;
                let moved = previous
                    .as_ref()
                    .is_none_or(|p| another_record || !compare_held(&p.held, &found.held).diffs.is_empty());
                let settled = agrees || (moved && now.saturating_duration_since(since) >= QUIET);
                Ok::<_, AdapterError>(settled.then_some((found, since)))
            }
        })
        .await
        .map(|found| found.or_else(|| current.into_inner().unwrap_or_else(|e| e.into_inner())));
        let compared = compare_held(&reference, &reference);
        match polled {
            Err(error) => self.system_error(at, name, &error),
            Ok(None) => {
                self.out.tallies.sync_expected += compared.fields;
                self.out.tallies.sync_gaps += compared.fields;
                let mut f = self.finding(Category::Sync, FindingKind::MissingRecord, name, "", at);
                f.message = if previous.is_some() {
                    format!("the change to the {name} in the {source} did not reach the {at} within {}", human(within))
                } else {
                    format!("the {name} keyed in the {source} did not reach the {at} within {}", human(within))
                };
                self.out.findings.push(f);
            }
            Ok(Some((found, arrived))) => {
                let latency = millis(arrived.saturating_duration_since(changed));
                self.out.latencies.push(Latency { record: name.into(), at, ms: latency });
                let judged = Judged {
                    id: found.id.clone(),
                    version: found.version.clone().unwrap_or_default(),
                    held: found.held.clone(),
                };
                self.seen_version.insert((at, name), judged);
                if record == RecordKind::Patient {
                    self.patient_ids.insert(at, found.id.clone());
                }
                if found.duplicates > 0 {
                    let mut f = self.finding(Category::Sync, FindingKind::DuplicateRecord, name, "", at);
                    f.expected = json!(1);
                    f.actual = json!(found.duplicates + 1);
                    f.message = format!("the {at} holds {} records for this {name}", found.duplicates + 1);
                    self.out.findings.push(f);
                }
                let comparison = compare_held(&reference, &found.held);
                let late = arrived > deadline;
                self.out.tallies.sync_expected += comparison.fields;
                // A late record agreed with nothing within the window.
                self.out.tallies.sync_gaps += if late { comparison.fields } else { comparison.disagreements() };
                if late {
                    let mut f = self.finding(Category::Sync, FindingKind::Late, name, "", at);
                    f.latency_ms = Some(latency);
                    f.expected = json!(format!("within {}", human(within)));
                    f.actual = json!(format!("{latency}ms"));
                    f.message =
                        format!("the {name} reached the {at} after {latency} ms, past its {} window", human(within));
                    self.out.findings.push(f);
                }
                for d in &comparison.diffs {
                    let mut f = self.finding(Category::Sync, d.kind, name, &d.field, at);
                    f.expected = d.expected.clone();
                    f.actual = d.actual.clone();
                    f.latency_ms = Some(latency);
                    f.message = format!(
                        "{name}.{} in the {at} is {} where the {source} has {} ({})",
                        d.field,
                        shown(&d.actual),
                        shown(&d.expected),
                        d.kind.as_str().replace('_', " ")
                    );
                    self.out.findings.push(f);
                }
            }
        }
    }

    async fn expect_charges(&mut self, at: Role, within: std::time::Duration) {
        let Some(documented) = self.documented.clone() else { return };
        let wanted = documented.service_lines.len();
        let changed = self.changed_at.get(CHARGES).copied().unwrap_or_else(Instant::now);
        let deadline = changed + within;
        let adapter = self.systems.at(at);
        let tracking = self.tracking.clone();
        let known_id = Mutex::new(self.patient_ids.get(&at).cloned());
        let keyed = self.keyed.clone();
        let last: Mutex<Vec<Charge>> = Mutex::new(Vec::new());
        let polled = poll::until(deadline + late_grace(within), || {
            let (tracking, keyed, known_id, last) = (&tracking, &keyed, &known_id, &last);
            async move {
                let id = lock(known_id).clone();
                let id = match id {
                    Some(id) => id,
                    None => match find_patient(adapter, tracking, keyed).await? {
                        Some((found, _)) => {
                            *lock(known_id) = Some(found.id.clone());
                            found.id
                        }
                        None => return Ok(None),
                    },
                };
                let Records::Charges(charges) = adapter.fetch(Query::Charges { patient_id: &id }).await? else {
                    return Ok(None);
                };
                let held: Vec<Charge> = charges.into_iter().map(|c| c.value).collect();
                let complete = held.len() >= wanted;
                *lock(last) = held;
                Ok::<_, AdapterError>(complete.then(Instant::now))
            }
        })
        .await;
        let last = last.into_inner().unwrap_or_else(|e| e.into_inner());
        if let Some(id) = known_id.into_inner().unwrap_or_else(|e| e.into_inner()) {
            self.patient_ids.insert(at, id);
        }
        self.out.tallies.sync_expected += wanted;
        match polled {
            Err(error) => {
                self.out.tallies.sync_gaps += wanted;
                self.system_error(at, CHARGES, &error);
            }
            Ok(Some(arrived)) => {
                self.out.latencies.push(Latency {
                    record: CHARGES.into(),
                    at,
                    ms: millis(arrived.saturating_duration_since(changed)),
                });
            }
            Ok(None) => {
                let mut remaining: Vec<&str> = last.iter().map(|c| c.code.as_str()).collect();
                for (i, line) in documented.service_lines.iter().enumerate() {
                    if let Some(p) = remaining.iter().position(|c| *c == line.code) {
                        remaining.remove(p);
                        continue;
                    }
                    self.out.tallies.sync_gaps += 1;
                    let mut f = self.finding(
                        Category::Sync,
                        FindingKind::MissingRecord,
                        CHARGES,
                        &format!("line[{}]", i + 1),
                        at,
                    );
                    f.expected = json!(line.code);
                    f.message = format!(
                        "no charge for {} (line {}) reached the {at} within {}",
                        line.code,
                        i + 1,
                        human(within)
                    );
                    self.out.findings.push(f);
                }
            }
        }
    }

    /// Traces every documented element to the claim; returns the claim, for the rules to check.
    async fn expect_claim(&mut self, at: Role) -> Option<Claim> {
        let documented = self.documented.clone()?;
        let Ok(Some(pm_patient)) = self.lookup_patient(at).await else { return None };
        let claim = match self.systems.at(at).fetch(Query::Claims { patient_id: &pm_patient }).await {
            Ok(Records::Claims(claims)) => claims.into_iter().last().map(|c| c.value),
            Ok(_) => None,
            Err(error) => {
                self.system_error(at, "claim", &error);
                return None;
            }
        };
        let emr_documentation = self.documentation_at(Role::Emr).await;
        let pm_encounter = self.documentation_at(at).await;
        let charges = match self.systems.at(at).fetch(Query::Charges { patient_id: &pm_patient }).await {
            Ok(Records::Charges(c)) => Some(c.into_iter().map(|c| c.value).collect::<Vec<_>>()),
            Ok(_) | Err(AdapterError::NotSupported { .. }) => None,
            Err(error) => {
                self.system_error(at, CHARGES, &error);
                None
            }
        };
        let coverage = self.keyed.coverage.clone();
        let hops = HopRecords {
            emr: emr_documentation.as_ref(),
            pm_encounter: pm_encounter.as_ref(),
            charges: charges.as_deref(),
            claim: claim.as_ref(),
        };
        let lineage = diff::trace(&documented, coverage.as_ref(), hops);
        self.claim_notices(at, &pm_patient, claim.as_ref()).await;
        let template = self.finding(Category::Handoff, FindingKind::MissingRecord, "claim", "", at);
        let (findings, tallies) = handoff::lineage_findings(&lineage, claim.is_some(), at, &template);
        self.out.tallies += tallies;
        self.out.findings.extend(findings);
        claim
    }

    /// What payers and clearinghouses said about the claim (a rejection, with its reason), and claim files the
    /// system holds that could not be read. A system that keeps no such responses has nothing to say.
    async fn claim_notices(&mut self, at: Role, patient_id: &str, claim: Option<&Claim>) {
        let notices = match self.systems.at(at).fetch(Query::ClaimNotices { patient_id }).await {
            Ok(Records::ClaimNotices(notices)) => notices,
            Ok(_) | Err(AdapterError::NotSupported { .. }) => return,
            Err(error) => return self.system_error(at, "claim", &error),
        };
        for notice in notices {
            match notice {
                ClaimNotice::Rejected { claim_id, by, file, reason } => {
                    if claim.is_none_or(|c| c.id != claim_id) {
                        continue;
                    }
                    let mut f = self.finding(Category::Rule, FindingKind::Rejected, "claim", "", at);
                    f.actual = json!(by);
                    f.hop = Some(diff::Hop::Claim.as_str().into());
                    f.message = format!("the claim was rejected ({by} in {file}): {reason}");
                    self.out.findings.push(f);
                }
                ClaimNotice::Unreadable { file, reason } => {
                    let mut f = self.finding(Category::System, FindingKind::MalformedResponse, "claim", "", at);
                    f.message = format!("{} ({at}): {file} cannot be read: {reason}", self.action);
                    self.out.findings.push(f);
                }
            }
        }
    }

    /// The claim checked against the rules before it would be sent; each break predicts a denial.
    fn scrub(&mut self, claim: &Claim, at: Role) {
        let Some(rules) = self.rules else {
            let mut f = self.finding(Category::System, FindingKind::Configuration, "claim", "", at);
            f.message = "expect_claim asks to scrub the claim, but no rules were loaded for this run".into();
            self.out.findings.push(f);
            return;
        };
        let template = self.finding(Category::Rule, FindingKind::RuleBreak, "claim", "", at);
        let scrubbed = handoff::scrub_findings(claim, rules, at, &template);
        self.out.tallies += scrubbed.tallies;
        self.out.findings.extend(scrubbed.findings);
        self.predicted.extend(scrubbed.predicted);
    }

    /// Waits for the payer's answer to the claim built, then judges each documented service by what was paid for it.
    async fn expect_remittance(&mut self, at: Role, within: std::time::Duration) {
        let Some(documented) = self.documented.clone() else { return };
        let Ok(Some(patient_id)) = self.lookup_patient(at).await else { return };
        let built = self.changed_at.get(CLAIM).copied().unwrap_or_else(Instant::now);
        let adapter = self.systems.at(at);
        let wanted = self.built_claim.clone();
        let polled = poll::until(built + within, || {
            let (patient_id, wanted) = (&patient_id, &wanted);
            async move {
                let Records::Remittances(found) = adapter.fetch(Query::Remittance { patient_id }).await? else {
                    return Ok(None);
                };
                let mut answer =
                    found.into_iter().map(|r| r.value).filter(|r| wanted.as_ref().is_none_or(|w| *w == r.claim_id));
                Ok::<_, AdapterError>(answer.next_back().map(|r| (r, Instant::now())))
            }
        })
        .await;
        let remittance = match polled {
            Err(error) => {
                self.system_error(at, "remittance", &error);
                return;
            }
            Ok(None) => {
                let mut f = self.finding(Category::Payment, FindingKind::MissingRecord, "remittance", "", at);
                f.expected = json!(format!("within {}", human(within)));
                f.message = format!(
                    "no answer from the payer to claim {} reached the {at} within {}",
                    wanted.as_deref().unwrap_or("(unknown)"),
                    human(within)
                );
                self.out.findings.push(f);
                return;
            }
            Ok(Some((remittance, arrived))) => {
                let ms = millis(arrived.saturating_duration_since(built));
                self.out.latencies.push(Latency { record: "remittance".into(), at, ms });
                remittance
            }
        };
        // A read that fails is a finding like any other, so no fault a simulator planted passes unreported; the
        // remittance is still judged, without the claim's lines to trace it to.
        let claim = match adapter.fetch(Query::Claims { patient_id: &patient_id }).await {
            Ok(Records::Claims(claims)) => claims.into_iter().map(|c| c.value).rfind(|c| c.id == remittance.claim_id),
            Ok(_) => None,
            Err(error) => {
                self.system_error(at, "claim", &error);
                None
            }
        };
        let outcomes = diff::trace_to_remittance(&documented, claim.as_ref(), &remittance);
        let template = self.finding(Category::Payment, FindingKind::Denied, "remittance", "", at);
        let (findings, tallies) =
            payment::judge(&remittance, &outcomes, &self.predicted, &self.out.findings, &template);
        self.out.tallies += tallies;
        self.out.findings.extend(findings);
    }

    /// The visit as a system holds it, for the lineage; a system that cannot say leaves that hop unknown, and a
    /// read that fails is a finding, so no error (nor a fault a simulator planted) passes unreported.
    async fn documentation_at(&mut self, role: Role) -> Option<Encounter> {
        let patient = self.lookup_patient(role).await.ok()??;
        match self.systems.at(role).fetch(Query::Documentation { patient_id: &patient }).await {
            Ok(Records::Documentation(found)) => found.map(|v| v.value),
            Ok(_) | Err(AdapterError::NotSupported { .. }) => None,
            Err(error) => {
                self.system_error(role, "encounter", &error);
                None
            }
        }
    }
}

/// The patient in a system: by the identifier the harness gave them, or, where the system did not keep it,
/// by birth date and name as staff would search. The newest record wins when there are several.
async fn find_patient(
    adapter: &dyn Adapter,
    tracking: &Identifier,
    keyed: &Patient,
) -> Result<Option<(Versioned<Patient>, Found)>, AdapterError> {
    let Records::Patients(mut found) = adapter.fetch(Query::PatientByIdentifier(tracking)).await? else {
        return Ok(None);
    };
    if found.is_empty()
        && let Records::Patients(born) = adapter.fetch(Query::PatientsBornOn(keyed.birth_date)).await?
    {
        // A record that carries another registration's tracking identifier is someone else, however alike.
        found = born
            .into_iter()
            .filter(|p| p.value.identifiers.iter().all(|i| i.system != tracking.system))
            .filter(|p| same_person(&p.value, keyed))
            .collect();
    }
    let duplicates = found.len().saturating_sub(1);
    found.sort_by(|a, b| a.last_updated.cmp(&b.last_updated));
    Ok(found.pop().map(|p| {
        let summary = Found {
            id: p.id.clone(),
            version: p.version.clone(),
            held: Held::Patient(Box::new(p.value.clone())),
            duplicates,
        };
        (p, summary)
    }))
}

/// The same first name and a family name that matches, allowing for case, spacing and a cut-off end.
fn same_person(held: &Patient, keyed: &Patient) -> bool {
    let first = |p: &Patient| p.name.given.first().map(|g| diff::text(g)).unwrap_or_default();
    let (a, b) = (diff::text(&held.name.family), diff::text(&keyed.name.family));
    first(held) == first(keyed) && !a.is_empty() && (a.starts_with(&b) || b.starts_with(&a))
}

async fn read_record(
    adapter: &dyn Adapter,
    record: RecordKind,
    tracking: &Identifier,
    keyed: &Patient,
    patient_id: Option<&str>,
    appointment: Option<&Appointment>,
) -> Result<Option<Found>, AdapterError> {
    if record == RecordKind::Patient {
        return Ok(find_patient(adapter, tracking, keyed).await?.map(|(_, found)| found));
    }
    let patient_id = match patient_id {
        Some(id) => id.to_string(),
        None => match find_patient(adapter, tracking, keyed).await? {
            Some((p, _)) => p.id,
            None => return Ok(None),
        },
    };
    let found = match record {
        RecordKind::Coverage => match adapter.fetch(Query::Coverage { patient_id: &patient_id }).await? {
            Records::Coverages(c) if !c.is_empty() => {
                // The record's version is its newest coverage's: a new payer or a change to one is a new version.
                let newest = c.iter().max_by(|a, b| a.last_updated.cmp(&b.last_updated)).cloned();
                newest.map(|n| Found {
                    id: n.id,
                    version: Some(
                        c.iter().map(|x| x.version.clone().unwrap_or_default()).collect::<Vec<_>>().join(","),
                    ),
                    held: Held::Coverage(c.into_iter().map(|x| x.value).collect()),
                    duplicates: 0,
                })
            }
            _ => None,
        },
        _ => match adapter.fetch(Query::Appointments { patient_id: &patient_id }).await? {
            Records::Appointments(a) => {
                let duplicates = a.len().saturating_sub(1);
                let wanted = appointment.map(|a| a.start);
                let best = a.iter().position(|x| Some(x.value.start) == wanted).unwrap_or(a.len().saturating_sub(1));
                a.into_iter().nth(best).map(|a| Found {
                    id: a.id,
                    version: a.version,
                    held: Held::Appointment(a.value),
                    duplicates,
                })
            }
            _ => None,
        },
    };
    Ok(found)
}

fn compare_held(expected: &Held, actual: &Held) -> diff::Comparison {
    match (expected, actual) {
        (Held::Patient(e), Held::Patient(a)) => compare_patient(e, a),
        (Held::Coverage(e), Held::Coverage(a)) => compare_coverages(e, a),
        (Held::Appointment(e), Held::Appointment(a)) => compare_appointment(e, a),
        (e, _) => compare_held(e, e),
    }
}

/// How long a record that does not agree must hold still before it is judged as it is.
const QUIET: std::time::Duration = std::time::Duration::from_millis(500);

/// How long past its window the harness keeps looking, so a record that comes late is told from one that never comes.
fn late_grace(within: std::time::Duration) -> std::time::Duration {
    (within / 2).min(std::time::Duration::from_secs(5))
}

fn shown(value: &Value) -> String {
    match value {
        Value::Null => "nothing".into(),
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

fn human(d: std::time::Duration) -> String {
    crate::scenario::Within(d).to_string()
}

/// A poll's state, shared between its tries: each try runs to its end before the next, so the lock is never
/// contended; a `Mutex` rather than a `RefCell` only so that a flow can move between the runtime's threads.
fn lock<T>(held: &Mutex<T>) -> MutexGuard<'_, T> {
    held.lock().unwrap_or_else(|e| e.into_inner())
}
