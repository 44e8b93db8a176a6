//! A simulated system's database: FHIR resources by type and id, versioned, announcing each change to whoever listens (the interface).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use super::search::Searched;
use crate::connect::fhir::lenient::Obj;

/// A change a store made, for the interface to carry across.
#[derive(Debug, Clone)]
pub struct Change {
    pub resource_type: String,
    pub id: String,
    pub at: Instant,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("{0} is not known")]
    NotFound(String),
    #[error("version conflict on {resource}: the client had version {expected}, the store has {actual}")]
    Conflict { resource: String, expected: String, actual: String },
    #[error("{0}")]
    Invalid(String),
}

pub struct Store {
    /// Ids carry the store's prefix, so two stores never hand out the same id (which would look like a shared record).
    prefix: &'static str,
    inner: Mutex<Inner>,
    listener: Mutex<Option<UnboundedSender<Change>>>,
    /// How many patients the store holds at most (the profile's `retain_patients`); `None` keeps every one.
    retain_patients: Option<NonZeroUsize>,
    /// Told of each patient the store forgets, so what keeps things about that patient beside the store (the
    /// interface's cross-references, the clearinghouse's X12) forgets them too.
    forgetting: Mutex<Vec<ForgetHook>>,
}

type ForgetHook = Box<dyn Fn(&Forgotten) + Send + Sync>;

/// A patient the store no longer holds, with every resource of its compartment that went with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forgotten {
    pub patient: String,
    /// `(resource type, id)`, the Patient first.
    pub resources: Vec<(String, String)>,
}

impl Forgotten {
    /// The ids of the forgotten resources of one type.
    pub fn ids_of<'a>(&'a self, resource_type: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.resources.iter().filter(move |(t, _)| t == resource_type).map(|(_, id)| id.as_str())
    }
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    resources: BTreeMap<String, BTreeMap<String, Stored>>,
    /// Resource type → index key → ids, so a search touches only the resources it can match.
    index: HashMap<String, HashMap<IndexKey, Ids>>,
    /// The patients held, by when each was last used, when the store retains only so many.
    patients: Recency,
}

/// Patients by their last use — created, read, found by a search, or written about — least recent first.
#[derive(Default)]
struct Recency {
    uses: u64,
    by_use: BTreeMap<u64, String>,
    last_use: HashMap<String, u64>,
}

impl Recency {
    fn admit(&mut self, patient: &str) {
        self.uses += 1;
        self.last_use.insert(patient.to_string(), self.uses);
        self.by_use.insert(self.uses, patient.to_string());
    }

    /// A patient not admitted (the store keeps every one, or it is already forgotten) is left alone.
    fn touch(&mut self, patient: &str) {
        if let Some(last) = self.last_use.get_mut(patient) {
            self.uses += 1;
            if let Some(id) = self.by_use.remove(last) {
                self.by_use.insert(self.uses, id);
            }
            *last = self.uses;
        }
    }

    fn len(&self) -> usize {
        self.by_use.len()
    }

    fn remove(&mut self, patient: &str) {
        if let Some(last) = self.last_use.remove(patient) {
            self.by_use.remove(&last);
        }
    }

    fn least_recent(&mut self) -> Option<String> {
        let (_, patient) = self.by_use.pop_first()?;
        self.last_use.remove(&patient);
        Some(patient)
    }

    /// Oldest use first.
    #[cfg(test)]
    fn held(&self) -> Vec<&str> {
        self.by_use.values().map(String::as_str).collect()
    }
}

/// The ids an index key finds, in order, each once. Most keys find one resource or a few (a patient's charges, the
/// patient an identifier names), so they are a sorted vector: a `BTreeSet` gave every key a node of eleven slots,
/// about 300 bytes however few it held, and a simulator keeps every key of every record a run sends it (the memory
/// a run adds is memory the kernel must fault in and zero, which was a tenth of the served simulator's CPU).
#[derive(Debug, Default)]
struct Ids(Vec<String>);

impl Ids {
    fn insert(&mut self, id: &str) {
        // A store hands out ids in increasing order, so a new record's id goes last: no search. A search of a key
        // that finds thousands (25,000 creates of one patient by a load generator) probed strings all over the
        // heap, most of a create's time.
        if self.0.last().is_none_or(|last| last.as_str() < id) {
            // Room for one id, not the four a first push gives: many keys never find a second (an identifier, a
            // patient's one encounter, claim or appointment).
            self.0.reserve_exact(usize::from(self.0.is_empty()));
            self.0.push(id.to_string());
            return;
        }
        if let Err(at) = self.0.binary_search_by(|held| held.as_str().cmp(id)) {
            self.0.insert(at, id.to_string());
        }
    }

    fn remove(&mut self, id: &str) {
        if let Ok(at) = self.0.binary_search_by(|held| held.as_str().cmp(id)) {
            self.0.remove(at);
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a Ids {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// The patient a resource is about, by its index keys: itself, or the Patient it refers to.
fn patient_of<'a>(resource_type: &str, id: &'a str, keys: &'a [IndexKey]) -> Option<&'a str> {
    if resource_type == "Patient" {
        return Some(id);
    }
    keys.iter().find_map(|(kind, key)| if *kind == "reference" { key.strip_prefix("Patient/") } else { None })
}

/// One resource as the store keeps it: its compact JSON text, parsed again when it is read, and beside it what a
/// search tests in it ([`Searched`]), so testing a candidate parses nothing. A parsed `Value` of the
/// whole record costs about ten times the memory (every JSON object is a B-tree node of its own), and a simulator
/// keeps every record a run sends it, so a soak of 10,000 flows held over a gigabyte of them.
struct Stored {
    version: u64,
    json: Arc<str>,
    /// Also what the resource was indexed under, so an update or a purge finds its old keys without a parse.
    searched: Searched,
}

impl Stored {
    /// Made before the store is locked: serialising is most of what a write costs.
    fn of(resource: &Value, version: u64) -> Stored {
        Stored { version, json: text(resource), searched: Searched::of(resource) }
    }
}

fn text(resource: &Value) -> Arc<str> {
    // Written into the thread's one buffer, then copied once into a text of its exact size: a new `String` for
    // each record grew by doubling, copying itself each time and leaving the store new memory to fault in.
    // Not `to_string`, which goes through `Display`: a formatter call for every piece of the record.
    thread_local! {
        static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        let text = match serde_json::to_writer(&mut *buffer, resource) {
            Ok(()) => Arc::from(std::str::from_utf8(buffer).unwrap_or_default()),
            Err(_) => Arc::from(""),
        };
        // A bundle of a thousand entries should not hold a thread's memory for good.
        if buffer.capacity() > 1 << 20 {
            *buffer = Vec::new();
        }
        text
    })
}

/// The text is the store's own serialisation of a `Value`, so it always parses.
fn parse(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or(Value::Null)
}

/// A resource a search found: its id, and its text as stored, which is what the search answers.
pub struct Found {
    pub id: String,
    pub json: Arc<str>,
}

/// What a search can look a resource up by: an identifier token, a reference, a birth date.
pub type IndexKey = (&'static str, String);

/// The keys a resource is found by, from what a search tests in it. Identifiers are indexed with and without their
/// system, references as written (`Type/id`) wherever a search parameter of the simulator can look for them.
fn index_keys(searched: &Searched) -> Vec<IndexKey> {
    let mut keys = Vec::new();
    for (system, value) in &searched.identifiers {
        keys.push(("identifier", format!("{system}|{value}")));
        keys.push(("identifier", format!("|{value}")));
    }
    keys.extend(searched.references.iter().map(|(_, reference)| ("reference", reference.clone())));
    if let Some(date) = &searched.birth_date {
        keys.push(("birthdate", date.clone()));
    }
    keys
}

impl Inner {
    fn put(&mut self, resource_type: &str, id: &str, stored: Stored) {
        // The type's maps are looked up by `&str` first: a `String` for the type on every write was an allocation
        // for nothing once the type is known.
        let index = match self.index.get_mut(resource_type) {
            Some(index) => index,
            None => self.index.entry(resource_type.to_string()).or_default(),
        };
        if let Some(old) = self.resources.get(resource_type).and_then(|m| m.get(id)) {
            for key in index_keys(&old.searched) {
                if let Some(ids) = index.get_mut(&key) {
                    ids.remove(id);
                }
            }
        }
        let keys = index_keys(&stored.searched);
        if let Some(patient) = patient_of(resource_type, id, &keys) {
            self.patients.touch(patient);
        }
        for key in keys {
            index.entry(key).or_default().insert(id);
        }
        let resources = match self.resources.get_mut(resource_type) {
            Some(resources) => resources,
            None => self.resources.entry(resource_type.to_string()).or_default(),
        };
        resources.insert(id.to_string(), stored);
    }

    /// Counts a new patient, and forgets the least recently used ones while more than `retain` are held.
    fn admit_patient(&mut self, id: &str, retain: Option<NonZeroUsize>) -> Vec<Forgotten> {
        let Some(retain) = retain else { return Vec::new() };
        self.patients.admit(id);
        let mut forgotten = Vec::new();
        while self.patients.len() > retain.get() {
            let Some(oldest) = self.patients.least_recent() else { break };
            forgotten.push(self.forget(oldest));
        }
        forgotten
    }

    fn forget(&mut self, patient: String) -> Forgotten {
        self.patients.remove(&patient);
        let resources = self.compartment(&patient);
        for (resource_type, id) in &resources {
            self.remove(resource_type, id);
        }
        Forgotten { patient, resources }
    }

    /// The patient and everything that refers to it through an indexed reference, and what refers to those in
    /// turn (a charge's encounter, a diagnosis's encounter): the patient's compartment, as FHIR calls it.
    fn compartment(&self, patient: &str) -> Vec<(String, String)> {
        let mut found = vec![("Patient".to_string(), patient.to_string())];
        let mut seen: HashSet<(String, String)> = found.iter().cloned().collect();
        let mut next = 0;
        while let Some((resource_type, id)) = found.get(next).cloned() {
            next += 1;
            let key: IndexKey = ("reference", format!("{resource_type}/{id}"));
            for (referring_type, keys) in &self.index {
                for referring in keys.get(&key).into_iter().flatten() {
                    let entry = (referring_type.clone(), referring.clone());
                    if seen.insert(entry.clone()) {
                        found.push(entry);
                    }
                }
            }
        }
        found
    }

    /// Drops a resource and its index keys; a key that no longer finds anything goes too, so an index does not
    /// grow with the keys of resources long gone.
    fn remove(&mut self, resource_type: &str, id: &str) {
        let Some(stored) = self.resources.get_mut(resource_type).and_then(|m| m.remove(id)) else { return };
        let Some(index) = self.index.get_mut(resource_type) else { return };
        for key in index_keys(&stored.searched) {
            if let Some(ids) = index.get_mut(&key) {
                ids.remove(id);
                if ids.is_empty() {
                    index.remove(&key);
                }
            }
        }
    }
}

impl Store {
    /// A store that keeps every record it is sent.
    pub fn new(prefix: &'static str) -> Store {
        Store::retaining(prefix, None)
    }

    /// A store that holds at most `patients` patients: when one more is created, the patient least recently used
    /// (created, read, found by a search or written about) is forgotten with its whole compartment, as a database
    /// purged of stale records would. A flow under way uses its patient at every step, so it keeps it.
    pub fn retaining(prefix: &'static str, patients: Option<NonZeroUsize>) -> Store {
        Store {
            prefix,
            inner: Mutex::new(Inner::default()),
            listener: Mutex::new(None),
            retain_patients: patients,
            forgetting: Mutex::new(Vec::new()),
        }
    }

    /// Forgets a patient now, with its compartment, as a purge of a finished patient would; false when the store
    /// does not hold it.
    pub fn forget_patient(&self, id: &str) -> bool {
        let forgotten = {
            let mut inner = self.inner();
            if !inner.resources.get("Patient").is_some_and(|held| held.contains_key(id)) {
                return false;
            }
            inner.forget(id.to_string())
        };
        self.tell_forgotten(vec![forgotten]);
        true
    }

    /// `hook` is called, outside the store's lock, with each patient the store forgets.
    pub fn when_forgetting(&self, hook: impl Fn(&Forgotten) + Send + Sync + 'static) {
        self.forgetting.lock().unwrap_or_else(|e| e.into_inner()).push(Box::new(hook));
    }

    fn tell_forgotten(&self, forgotten: Vec<Forgotten>) {
        if forgotten.is_empty() {
            return;
        }
        let hooks = self.forgetting.lock().unwrap_or_else(|e| e.into_inner());
        for patient in &forgotten {
            hooks.iter().for_each(|hook| hook(patient));
        }
    }

    pub fn listen(&self, sender: UnboundedSender<Change>) {
        *self.listener.lock().unwrap_or_else(|e| e.into_inner()) = Some(sender);
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere cannot leave a map half-written, so a poisoned lock is still safe to use.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn announce(&self, resource_type: &str, id: &str) {
        if let Some(sender) = self.listener.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            let _ = sender.send(Change {
                resource_type: resource_type.to_string(),
                id: id.to_string(),
                at: Instant::now(),
            });
        }
    }

    /// Store a new resource; `announce` is false for writes the interface itself makes, so nothing echoes back.
    pub fn create(&self, resource: Value, announce: bool) -> Value {
        self.create_json(resource, announce).0
    }

    /// [`Store::create`], with the stored text too, which is what a create answers: nothing to serialise again.
    pub fn create_json(&self, mut resource: Value, announce: bool) -> (Value, Arc<str>) {
        let resource_type = resource["resourceType"].as_str().unwrap_or_default().to_string();
        let id = {
            let mut inner = self.inner();
            inner.next_id += 1;
            format!("{}{:06}", self.prefix, inner.next_id)
        };
        // Nothing can read the id before it is put, so the text is made outside the lock.
        stamp(&mut resource, &id, 1);
        let stored = Stored::of(&resource, 1);
        let json = stored.json.clone();
        let forgotten = {
            let mut inner = self.inner();
            inner.put(&resource_type, &id, stored);
            if resource_type == "Patient" { inner.admit_patient(&id, self.retain_patients) } else { Vec::new() }
        };
        self.tell_forgotten(forgotten);
        if announce {
            self.announce(&resource_type, &id);
        }
        (resource, json)
    }

    pub fn update(
        &self,
        resource_type: &str,
        id: &str,
        mut resource: Value,
        if_match: Option<&str>,
        announce: bool,
    ) -> Result<Value, StoreError> {
        {
            let mut inner = self.inner();
            let stored = inner
                .resources
                .get(resource_type)
                .and_then(|m| m.get(id))
                .ok_or_else(|| StoreError::NotFound(format!("{resource_type}/{id}")))?;
            let version = stored.version;
            if let Some(expected) = if_match
                && expected != version.to_string()
            {
                return Err(StoreError::Conflict {
                    resource: format!("{resource_type}/{id}"),
                    expected: expected.to_string(),
                    actual: version.to_string(),
                });
            }
            stamp(&mut resource, id, version + 1);
            inner.put(resource_type, id, Stored::of(&resource, version + 1));
        }
        if announce {
            self.announce(resource_type, id);
        }
        Ok(resource)
    }

    pub fn read(&self, resource_type: &str, id: &str) -> Option<Value> {
        self.read_json(resource_type, id).map(|json| parse(&json))
    }

    /// The fields `T` names of a resource, read straight from its stored text (a field of the wrong kind reads as
    /// absent, as it would from a `Value`), with no `Value` built of the rest.
    pub fn read_as<T: DeserializeOwned + Default>(&self, resource_type: &str, id: &str) -> Option<T> {
        let json = self.read_json(resource_type, id)?;
        Some(serde_json::from_str::<Obj<T>>(&json).map(|read| read.0).unwrap_or_default())
    }

    /// The resource as JSON text, as a read answers it: nothing to parse or serialise again.
    pub fn read_json(&self, resource_type: &str, id: &str) -> Option<Arc<str>> {
        let mut inner = self.inner();
        if resource_type == "Patient" {
            inner.patients.touch(id);
        }
        Some(inner.resources.get(resource_type)?.get(id)?.json.clone())
    }

    /// The resources of a type that match: `key` narrows them through the index first, and only those are parsed,
    /// outside the lock.
    pub fn find(&self, resource_type: &str, key: Option<&IndexKey>, matches: impl Fn(&Value) -> bool) -> Vec<Value> {
        self.candidates(resource_type, key, |_, stored| Some(stored.json.clone()))
            .iter()
            .map(|json| parse(json))
            .filter(|resource| matches(resource))
            .collect()
    }

    /// [`Store::find`], as the stored texts, which is what a search answers: nothing to serialise again. `matches`
    /// is given what a search tests in each candidate, kept beside its text, so nothing is parsed.
    pub fn find_json(
        &self,
        resource_type: &str,
        key: Option<&IndexKey>,
        matches: impl Fn(&Searched) -> bool,
    ) -> Vec<Found> {
        self.candidates(resource_type, key, |id, stored| {
            matches(&stored.searched).then(|| Found { id: id.to_string(), json: stored.json.clone() })
        })
    }

    /// What `take` makes of each resource of a type that `key` can find (every one without a key), under the lock.
    fn candidates<T>(
        &self,
        resource_type: &str,
        key: Option<&IndexKey>,
        mut take: impl FnMut(&str, &Stored) -> Option<T>,
    ) -> Vec<T> {
        let mut guard = self.inner();
        let inner = &mut *guard;
        let Some(all) = inner.resources.get(resource_type) else { return Vec::new() };
        match key {
            Some(key) => {
                let ids = inner.index.get(resource_type).and_then(|index| index.get(key));
                // A search by a patient, or for patients by identifier or birth date, uses those patients (a scan
                // of every resource does not).
                match (resource_type, key) {
                    ("Patient", _) => ids.into_iter().flatten().for_each(|id| inner.patients.touch(id)),
                    (_, ("reference", reference)) => {
                        if let Some(patient) = reference.strip_prefix("Patient/") {
                            inner.patients.touch(patient);
                        }
                    }
                    _ => {}
                }
                ids.into_iter()
                    .flatten()
                    .filter_map(|id| all.get_key_value(id))
                    .filter_map(|(id, stored)| take(id, stored))
                    .collect()
            }
            None => all.iter().filter_map(|(id, stored)| take(id, stored)).collect(),
        }
    }

    /// A FHIR transaction: every entry is created, `urn:uuid:` references between them are rewritten to the new ids.
    /// The bundle is taken, so each entry's resource is moved into the store rather than copied.
    pub fn transaction(&self, mut bundle: Value) -> Result<Value, StoreError> {
        let entries =
            bundle["entry"].as_array_mut().ok_or_else(|| StoreError::Invalid("the Bundle has no entry".into()))?;
        for (i, entry) in entries.iter().enumerate() {
            if entry["request"]["method"] != "POST" {
                return Err(StoreError::Invalid(format!(
                    "Bundle.entry[{i}].request.method is {}; this simulator takes POST entries only",
                    entry["request"]["method"]
                )));
            }
            if !entry["resource"].is_object() {
                return Err(StoreError::Invalid(format!("Bundle.entry[{i}].resource is missing")));
            }
        }
        // Ids are known before anything is stored, so every reference can point forward or back.
        let planned: Vec<(String, String, String)> = {
            let mut inner = self.inner();
            entries
                .iter()
                .map(|e| {
                    inner.next_id += 1;
                    let id = format!("{}{:06}", self.prefix, inner.next_id);
                    let resource_type = e["resource"]["resourceType"].as_str().unwrap_or_default().to_string();
                    (e["fullUrl"].as_str().unwrap_or_default().to_string(), resource_type, id)
                })
                .collect()
        };
        let mut responses = Vec::new();
        let mut created = Vec::new();
        for (entry, (_, resource_type, id)) in entries.iter_mut().zip(&planned) {
            let mut resource = entry["resource"].take();
            rewrite_references(&mut resource, &planned);
            stamp(&mut resource, id, 1);
            created.push((resource_type, id, Stored::of(&resource, 1)));
            responses.push(json!({ "response": { "status": "201 Created", "location": format!("{resource_type}/{id}/_history/1") } }));
        }
        let mut forgotten = Vec::new();
        {
            let mut inner = self.inner();
            for (resource_type, id, stored) in created {
                inner.put(resource_type, id, stored);
            }
            for (_, _, id) in planned.iter().filter(|(_, resource_type, _)| resource_type == "Patient") {
                forgotten.extend(inner.admit_patient(id, self.retain_patients));
            }
        }
        self.tell_forgotten(forgotten);
        for (_, resource_type, id) in &planned {
            self.announce(resource_type, id);
        }
        Ok(json!({ "resourceType": "Bundle", "type": "transaction-response", "entry": responses }))
    }
}

fn stamp(resource: &mut Value, id: &str, version: u64) {
    resource["id"] = json!(id);
    resource["meta"] = json!({
        "versionId": version.to_string(),
        "lastUpdated": jiff::Timestamp::now().round(jiff::Unit::Millisecond).unwrap_or_else(|_| jiff::Timestamp::now()).to_string(),
    });
}

fn rewrite_references(value: &mut Value, planned: &[(String, String, String)]) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("reference")
                && let Some((_, resource_type, id)) = planned.iter().find(|(url, _, _)| url == reference)
            {
                *reference = format!("{resource_type}/{id}");
            }
            map.values_mut().for_each(|v| rewrite_references(v, planned));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_references(v, planned)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_checks_the_version_the_client_read() {
        let store = Store::new("t");
        let created = store.create(json!({"resourceType": "Patient"}), false);
        let id = created["id"].as_str().unwrap();
        let v2 = store
            .update("Patient", id, json!({"resourceType": "Patient", "gender": "female"}), Some("1"), false)
            .unwrap();
        assert_eq!(v2["meta"]["versionId"], "2");
        let stale = store.update("Patient", id, json!({"resourceType": "Patient"}), Some("1"), false);
        assert!(matches!(stale, Err(StoreError::Conflict { .. })));
    }

    #[test]
    fn an_update_moves_the_resource_to_its_new_index_keys_and_reads_back_as_stored() {
        let store = Store::new("t");
        let held = json!({"resourceType": "Patient", "identifier": [{"system": "urn:a", "value": "1"}]});
        let id = store.create(held, false)["id"].as_str().unwrap().to_string();
        let moved = json!({"resourceType": "Patient", "identifier": [{"system": "urn:a", "value": "2"}]});
        store.update("Patient", &id, moved, Some("1"), false).unwrap();
        let by = |value: &str| store.find("Patient", Some(&("identifier", format!("urn:a|{value}"))), |_| true);
        assert!(by("1").is_empty());
        let found = by("2");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0]["identifier"][0]["value"], "2");
        assert_eq!(found[0]["meta"]["versionId"], "2");
        let read = store.read("Patient", &id).unwrap();
        assert_eq!(read, found[0]);
        assert_eq!(store.read_json("Patient", &id).unwrap().as_ref(), read.to_string());
    }

    #[test]
    fn creates_and_searches_answer_with_the_text_a_read_answers() {
        let store = Store::new("t");
        let (created, json) = store.create_json(json!({"resourceType": "Coverage", "status": "active"}), false);
        let id = created["id"].as_str().unwrap();
        assert_eq!(id, "t000001");
        assert_eq!(store.read_json("Coverage", id).unwrap(), json);
        assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), created);
        store.create(json!({"resourceType": "Coverage", "status": "cancelled"}), false);
        let found = store.find_json("Coverage", None, |c| c.id.as_deref() == Some("t000001"));
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].id.as_str(), &found[0].json), ("t000001", &json));
    }

    #[test]
    fn transaction_links_entries_by_their_new_ids() {
        let store = Store::new("t");
        let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
            {"fullUrl": "urn:uuid:c", "resource": {"resourceType": "Condition", "encounter": {"reference": "urn:uuid:e"}}, "request": {"method": "POST", "url": "Condition"}},
            {"fullUrl": "urn:uuid:e", "resource": {"resourceType": "Encounter", "diagnosis": [{"condition": {"reference": "urn:uuid:c"}}]}, "request": {"method": "POST", "url": "Encounter"}}
        ]});
        store.transaction(bundle).unwrap();
        let encounter = &store.find("Encounter", None, |_| true)[0];
        let condition = &store.find("Condition", None, |_| true)[0];
        assert_eq!(
            encounter["diagnosis"][0]["condition"]["reference"],
            format!("Condition/{}", condition["id"].as_str().unwrap())
        );
        assert_eq!(condition["encounter"]["reference"], format!("Encounter/{}", encounter["id"].as_str().unwrap()));
    }

    /// A patient with coverage, an appointment, an encounter with a diagnosis and a charge on it, and a claim, as
    /// a flow leaves them; the Condition and ChargeItem point at the encounter as well as the patient.
    fn register_and_bill(store: &Store, member: &str) -> String {
        let patient = store
            .create(json!({"resourceType": "Patient", "identifier": [{"system": "urn:mrn", "value": member}]}), false);
        let id = patient["id"].as_str().unwrap().to_string();
        let subject = json!({"reference": format!("Patient/{id}")});
        store.create(json!({"resourceType": "Coverage", "beneficiary": subject}), false);
        store.create(json!({"resourceType": "Appointment", "participant": [{"actor": subject}]}), false);
        let encounter = store.create(json!({"resourceType": "Encounter", "subject": subject}), false);
        let context = json!({"reference": format!("Encounter/{}", encounter["id"].as_str().unwrap())});
        store.create(json!({"resourceType": "Condition", "subject": subject, "encounter": context}), false);
        store.create(json!({"resourceType": "ChargeItem", "subject": subject, "context": context}), false);
        store.create(json!({"resourceType": "Claim", "patient": subject}), false);
        id
    }

    fn count(store: &Store, resource_type: &str) -> usize {
        store.find(resource_type, None, |_| true).len()
    }

    #[test]
    fn a_store_retaining_two_patients_forgets_the_oldest_with_its_whole_compartment() {
        let store = Store::retaining("t", NonZeroUsize::new(2));
        let told = Arc::new(Mutex::new(Vec::new()));
        let hook = told.clone();
        store.when_forgetting(move |f: &Forgotten| hook.lock().unwrap().push(f.clone()));
        let first = register_and_bill(&store, "M1");
        let second = register_and_bill(&store, "M2");
        assert!(told.lock().unwrap().is_empty());
        assert_eq!(count(&store, "ChargeItem"), 2);

        let third = register_and_bill(&store, "M3");
        let told = told.lock().unwrap().clone();
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].patient, first);
        assert_eq!(told[0].patient, "t000001");
        // The patient, then what refers to it in the order created, then what refers to its encounter.
        let types: Vec<&str> = told[0].resources.iter().map(|(t, _)| t.as_str()).collect();
        let mut sorted = types[1..].to_vec();
        sorted.sort();
        assert_eq!(types[0], "Patient");
        assert_eq!(sorted, ["Appointment", "ChargeItem", "Claim", "Condition", "Coverage", "Encounter"]);
        assert_eq!(told[0].ids_of("Encounter").collect::<Vec<_>>(), ["t000004"]);
        assert!(store.read("Patient", &first).is_none());
        assert!(store.read_json("Encounter", "t000004").is_none());
        for resource_type in ["Patient", "Coverage", "Appointment", "Encounter", "Condition", "ChargeItem", "Claim"] {
            assert_eq!(count(&store, resource_type), 2, "{resource_type}");
        }
        // Nothing of the first patient is found by what it was indexed under; the others are.
        let by_member =
            |member: &str| store.find("Patient", Some(&("identifier", format!("urn:mrn|{member}"))), |_| true);
        assert!(by_member("M1").is_empty());
        assert_eq!(by_member("M2")[0]["id"], second.as_str());
        assert_eq!(by_member("M3")[0]["id"], third.as_str());
        let charges_of = |id: &str| store.find("ChargeItem", Some(&("reference", format!("Patient/{id}"))), |_| true);
        assert!(charges_of(&first).is_empty());
        assert_eq!(charges_of(&second).len(), 1);
        let inner = store.inner();
        assert!(!inner.index["ChargeItem"].contains_key(&("reference", format!("Patient/{first}"))));
        assert_eq!(inner.index["ChargeItem"].len(), 2 * 2, "a subject and a context key for each patient held");
        // The searches above used the third patient, then the second.
        assert_eq!(inner.patients.held(), [third, second]);
    }

    #[test]
    fn a_store_keeps_a_bounded_number_of_resources_however_many_patients_pass_through() {
        let store = Store::retaining("t", NonZeroUsize::new(3));
        let forgotten = Arc::new(Mutex::new(0));
        let hook = forgotten.clone();
        store.when_forgetting(move |_| *hook.lock().unwrap() += 1);
        for n in 0..50 {
            register_and_bill(&store, &format!("M{n}"));
        }
        assert_eq!(*forgotten.lock().unwrap(), 47);
        let inner = store.inner();
        let held: usize = inner.resources.values().map(BTreeMap::len).sum();
        assert_eq!(held, 3 * 7);
        let keys: usize = inner.index.values().map(HashMap::len).sum();
        // Patient: 2 identifier keys; Coverage, Appointment, Encounter, Claim: 1 each; Condition, ChargeItem: 2 each.
        assert_eq!(keys, 3 * 10);
    }

    #[test]
    fn a_store_without_a_limit_keeps_every_patient_and_a_transaction_counts_its_patients() {
        let store = Store::new("t");
        for n in 0..20 {
            register_and_bill(&store, &format!("M{n}"));
        }
        assert_eq!(count(&store, "Patient"), 20);
        assert_eq!(store.inner().patients.len(), 0);

        let store = Store::retaining("t", NonZeroUsize::new(1));
        let first = register_and_bill(&store, "M1");
        let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
            {"fullUrl": "urn:uuid:p", "resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient"}},
            {"fullUrl": "urn:uuid:c", "resource": {"resourceType": "Coverage", "beneficiary": {"reference": "urn:uuid:p"}}, "request": {"method": "POST", "url": "Coverage"}}
        ]});
        store.transaction(bundle).unwrap();
        assert!(store.read("Patient", &first).is_none());
        assert_eq!(count(&store, "Patient"), 1);
        assert_eq!(count(&store, "Coverage"), 1);
        assert_eq!(count(&store, "Claim"), 0);
    }

    #[test]
    fn a_patient_read_searched_for_or_written_about_is_kept_over_one_left_alone() {
        let store = Store::retaining("t", NonZeroUsize::new(3));
        let ids: Vec<String> = (1..=3).map(|n| register_and_bill(&store, &format!("M{n}"))).collect();
        assert_eq!(store.inner().patients.held(), [ids[0].as_str(), &ids[1], &ids[2]]);
        // Oldest first: the first patient is read, the second found by a search on its charges.
        store.read_json("Patient", &ids[0]).unwrap();
        store.find("ChargeItem", Some(&("reference", format!("Patient/{}", ids[1]))), |_| true);
        assert_eq!(store.inner().patients.held(), [ids[2].as_str(), &ids[0], &ids[1]]);
        // A new claim about the third, and a search for the first by its identifier.
        store.create(json!({"resourceType": "Claim", "patient": {"reference": format!("Patient/{}", ids[2])}}), false);
        store.find("Patient", Some(&("identifier", "urn:mrn|M1".to_string())), |_| true);
        assert_eq!(store.inner().patients.held(), [ids[1].as_str(), &ids[2], &ids[0]]);
        // A scan of every patient uses none of them.
        store.find("Patient", None, |_| true);
        let fourth = register_and_bill(&store, "M4");
        assert!(store.read("Patient", &ids[1]).is_none());
        assert_eq!(store.inner().patients.held(), [ids[2].as_str(), &ids[0], &fourth]);
    }

    #[test]
    fn a_patient_forgotten_on_request_goes_with_its_compartment_and_only_once() {
        let store = Store::new("t");
        let told = Arc::new(Mutex::new(Vec::new()));
        let hook = told.clone();
        store.when_forgetting(move |f: &Forgotten| hook.lock().unwrap().push(f.patient.clone()));
        let first = register_and_bill(&store, "M1");
        let second = register_and_bill(&store, "M2");
        assert!(store.forget_patient(&first));
        assert!(!store.forget_patient(&first));
        assert!(!store.forget_patient("t999999"));
        assert_eq!(*told.lock().unwrap(), [first]);
        for resource_type in ["Patient", "Coverage", "Appointment", "Encounter", "Condition", "ChargeItem", "Claim"] {
            assert_eq!(count(&store, resource_type), 1, "{resource_type}");
        }
        assert_eq!(store.find("Claim", None, |_| true)[0]["patient"]["reference"], format!("Patient/{second}"));
    }
}
