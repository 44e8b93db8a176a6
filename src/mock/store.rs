//! A simulated system's database: FHIR resources by type and id, versioned, announcing each change to whoever listens (the interface).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

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
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    resources: BTreeMap<String, BTreeMap<String, Stored>>,
    /// Resource type → index key → ids, so a search touches only the resources it can match.
    index: HashMap<String, HashMap<IndexKey, BTreeSet<String>>>,
}

/// One resource as the store keeps it: its compact JSON text, parsed again when it is read. A parsed `Value` costs
/// about ten times the memory (every JSON object is a B-tree node of its own), and a simulator keeps every record a
/// run sends it, so a soak of 10,000 flows held over a gigabyte of them.
struct Stored {
    version: u64,
    json: Arc<str>,
}

fn text(resource: &Value) -> Arc<str> {
    Arc::from(resource.to_string())
}

/// The text is the store's own serialisation of a `Value`, so it always parses.
fn parse(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or(Value::Null)
}

/// What a search can look a resource up by: an identifier token, a reference, a birth date.
pub type IndexKey = (&'static str, String);

/// The keys a resource is found by. Identifiers are indexed with and without their system, references as
/// `Type/id` wherever a search parameter of the simulator can look for them.
fn index_keys(resource: &Value) -> Vec<IndexKey> {
    let mut keys = Vec::new();
    for id in resource["identifier"].as_array().into_iter().flatten() {
        if let Some(value) = id["value"].as_str() {
            keys.push(("identifier", format!("{}|{value}", id["system"].as_str().unwrap_or_default())));
            keys.push(("identifier", format!("|{value}")));
        }
    }
    let mut reference = |v: &Value| {
        if let Some(r) = v["reference"].as_str() {
            keys.push(("reference", r.to_string()));
        }
    };
    for field in ["subject", "beneficiary", "patient", "context", "encounter"] {
        reference(&resource[field]);
    }
    for participant in resource["participant"].as_array().into_iter().flatten() {
        reference(&participant["actor"]);
    }
    if let Some(date) = resource["birthDate"].as_str() {
        keys.push(("birthdate", date.to_string()));
    }
    keys
}

impl Inner {
    /// `json` is `resource` as text, made by the caller outside the lock.
    fn put(&mut self, resource_type: &str, id: &str, resource: &Value, json: Arc<str>, version: u64) {
        let index = self.index.entry(resource_type.to_string()).or_default();
        if let Some(old) = self.resources.get(resource_type).and_then(|m| m.get(id)) {
            for key in index_keys(&parse(&old.json)) {
                if let Some(ids) = index.get_mut(&key) {
                    ids.remove(id);
                }
            }
        }
        for key in index_keys(resource) {
            index.entry(key).or_default().insert(id.to_string());
        }
        self.resources.entry(resource_type.to_string()).or_default().insert(id.to_string(), Stored { version, json });
    }
}

impl Store {
    pub fn new(prefix: &'static str) -> Store {
        Store { prefix, inner: Mutex::new(Inner::default()), listener: Mutex::new(None) }
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
        let json = text(&resource);
        self.inner().put(&resource_type, &id, &resource, json.clone(), 1);
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
            inner.put(resource_type, id, &resource, text(&resource), version + 1);
        }
        if announce {
            self.announce(resource_type, id);
        }
        Ok(resource)
    }

    pub fn read(&self, resource_type: &str, id: &str) -> Option<Value> {
        self.read_json(resource_type, id).map(|json| parse(&json))
    }

    /// The resource as JSON text, as a read answers it: nothing to parse or serialise again.
    pub fn read_json(&self, resource_type: &str, id: &str) -> Option<Arc<str>> {
        Some(self.inner().resources.get(resource_type)?.get(id)?.json.clone())
    }

    /// The resources of a type that match: `key` narrows them through the index first, and only those are parsed,
    /// outside the lock.
    pub fn find(&self, resource_type: &str, key: Option<&IndexKey>, matches: impl Fn(&Value) -> bool) -> Vec<Value> {
        self.candidates(resource_type, key)
            .iter()
            .map(|json| parse(json))
            .filter(|resource| matches(resource))
            .collect()
    }

    /// [`Store::find`], as the stored texts, which is what a search answers: nothing to serialise again. `matches`
    /// is given each candidate's text, so a search can test it without parsing the whole of it.
    pub fn find_json(
        &self,
        resource_type: &str,
        key: Option<&IndexKey>,
        matches: impl Fn(&str) -> bool,
    ) -> Vec<Arc<str>> {
        self.candidates(resource_type, key).into_iter().filter(|json| matches(json)).collect()
    }

    /// The texts of every resource of a type that `key` can find (every one without a key).
    fn candidates(&self, resource_type: &str, key: Option<&IndexKey>) -> Vec<Arc<str>> {
        let inner = self.inner();
        let Some(all) = inner.resources.get(resource_type) else { return Vec::new() };
        match key {
            Some(key) => inner
                .index
                .get(resource_type)
                .and_then(|index| index.get(key))
                .into_iter()
                .flatten()
                .filter_map(|id| all.get(id))
                .map(|stored| stored.json.clone())
                .collect(),
            None => all.values().map(|stored| stored.json.clone()).collect(),
        }
    }

    /// A FHIR transaction: every entry is created, `urn:uuid:` references between them are rewritten to the new ids.
    pub fn transaction(&self, bundle: &Value) -> Result<Value, StoreError> {
        let entries =
            bundle["entry"].as_array().ok_or_else(|| StoreError::Invalid("the Bundle has no entry".into()))?;
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
        for (entry, (_, resource_type, id)) in entries.iter().zip(&planned) {
            let mut resource = entry["resource"].clone();
            rewrite_references(&mut resource, &planned);
            stamp(&mut resource, id, 1);
            created.push((resource_type.clone(), id.clone(), resource));
            responses.push(json!({ "response": { "status": "201 Created", "location": format!("{resource_type}/{id}/_history/1") } }));
        }
        {
            let mut inner = self.inner();
            for (resource_type, id, resource) in &created {
                inner.put(resource_type, id, resource, text(resource), 1);
            }
        }
        for (resource_type, id, _) in &created {
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
        let active = store.find_json("Coverage", None, |c| parse(c)["status"] == "active");
        assert_eq!(active, vec![json]);
    }

    #[test]
    fn transaction_links_entries_by_their_new_ids() {
        let store = Store::new("t");
        let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
            {"fullUrl": "urn:uuid:c", "resource": {"resourceType": "Condition", "encounter": {"reference": "urn:uuid:e"}}, "request": {"method": "POST", "url": "Condition"}},
            {"fullUrl": "urn:uuid:e", "resource": {"resourceType": "Encounter", "diagnosis": [{"condition": {"reference": "urn:uuid:c"}}]}, "request": {"method": "POST", "url": "Encounter"}}
        ]});
        store.transaction(&bundle).unwrap();
        let encounter = &store.find("Encounter", None, |_| true)[0];
        let condition = &store.find("Condition", None, |_| true)[0];
        assert_eq!(
            encounter["diagnosis"][0]["condition"]["reference"],
            format!("Condition/{}", condition["id"].as_str().unwrap())
        );
        assert_eq!(condition["encounter"]["reference"], format!("Encounter/{}", encounter["id"].as_str().unwrap()));
    }
}
