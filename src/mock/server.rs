//! One simulated system's FHIR R4 REST API over axum: read, search with paging, create, update with If-Match, transactions, and `$build-claim`, behind the profile's transport faults.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::billing::build_claim;
use super::capability::{RESOURCES, capability_statement};
use super::faults::{self, FaultLayer, FaultPlan};
use super::search::{self, PAGING};
use super::store::{Store, StoreError};
use super::submission::Clearinghouse;
use crate::connect::fhir::FHIR_JSON;
use crate::connect::fhir::read::{self, ConditionDoc, EncounterDoc};
use crate::connect::fhir::resources as fhir;
use crate::model::{Claim, Role};
use crate::scenario::Product;

const DEFAULT_PAGE: usize = 20;
const MAX_PAGE: usize = 200;

pub struct ServerState {
    pub store: Arc<Store>,
    pub base: String,
    pub profile: String,
    pub role: Role,
    /// Whether this system builds claims (the PM, or a shared system).
    pub bills: bool,
    /// The simulator's faults, shared with the other role's server.
    pub faults: Arc<FaultPlan>,
    /// The product this endpoint plays, as the profile declares it.
    pub product: Option<Product>,
    /// Where a billing system sends the claims it builds; shared by both roles of a shared record.
    pub clearinghouse: Option<Arc<Clearinghouse>>,
    /// FHIR requests served by both of the simulator's systems, faulted or not, for `GET /$requests`.
    pub requests: Arc<AtomicU64>,
}

pub fn router(state: Arc<ServerState>) -> Router {
    let mut api = Router::new()
        .route("/", post(transaction))
        .route("/Patient/{id}/$build-claim", post(build_claim_operation))
        .route("/{resource_type}", get(search_type).post(create))
        .route("/{resource_type}/{id}", get(read).put(update));
    if state.faults.targets(state.role) {
        let layer = FaultLayer { plan: state.faults.clone(), role: state.role };
        api = api.layer(middleware::from_fn_with_state(layer, faults::apply));
    }
    // Discovery and the fault tally sit outside the fault layer: a client can always find out what it talks to.
    // Every FHIR request is counted, so a benchmark can set what the harness asked against the time it took.
    let fhir = Router::new()
        .route("/metadata", get(metadata))
        .merge(api)
        .layer(middleware::from_fn_with_state(state.requests.clone(), count_request));
    Router::new()
        .route("/$faults", get(fault_tally))
        .route("/$requests", get(request_tally))
        .route("/$remittance", get(remittance_exchanges))
        .merge(fhir)
        .with_state(state)
}

async fn count_request(State(requests): State<Arc<AtomicU64>>, request: Request, next: Next) -> Response {
    requests.fetch_add(1, Ordering::Relaxed);
    next.run(request).await
}

/// Not FHIR: how many FHIR requests the simulator's EMR and PM served between them.
async fn request_tally(State(state): State<Arc<ServerState>>) -> Response {
    axum::Json(json!({ "requests": state.requests.load(Ordering::Relaxed) })).into_response()
}

fn fhir_json(status: StatusCode, body: &Value) -> Response {
    // Not `to_string`, which goes through `Display`: a formatter call for every piece of the body.
    fhir_text(status, serde_json::to_string(body).unwrap_or_default())
}

fn fhir_text(status: StatusCode, body: impl Into<Body>) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON))], body.into()).into_response()
}

/// A text kept shared (a record as the store keeps it, a payer's answer), sent as the body without copying it.
pub(super) fn shared_text(json: Arc<str>) -> Body {
    struct Text(Arc<str>);
    impl AsRef<[u8]> for Text {
        fn as_ref(&self) -> &[u8] {
            self.0.as_bytes()
        }
    }
    Body::from(Bytes::from_owner(Text(json)))
}

fn outcome(status: StatusCode, code: &str, text: &str) -> Response {
    fhir_json(
        status,
        &json!({
            "resourceType": "OperationOutcome",
            "issue": [{ "severity": "error", "code": code, "diagnostics": text }],
        }),
    )
}

fn known_type(resource_type: &str) -> Result<(), Response> {
    if RESOURCES.contains(&resource_type) {
        Ok(())
    } else {
        Err(outcome(StatusCode::NOT_FOUND, "not-supported", &format!("this system does not support {resource_type}")))
    }
}

fn parse_body(body: &Bytes, resource_type: Option<&str>) -> Result<Value, Response> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| outcome(StatusCode::BAD_REQUEST, "structure", &format!("the body is not JSON: {e}")))?;
    let actual = value["resourceType"].as_str().unwrap_or_default();
    if let Some(expected) = resource_type
        && actual != expected
    {
        return Err(outcome(
            StatusCode::BAD_REQUEST,
            "invalid",
            &format!("resourceType is `{actual}` but the request is for {expected}"),
        ));
    }
    Ok(value)
}

fn store_error(error: StoreError) -> Response {
    match error {
        StoreError::NotFound(what) => outcome(StatusCode::NOT_FOUND, "not-found", &format!("{what} is not known")),
        e @ StoreError::Conflict { .. } => outcome(StatusCode::PRECONDITION_FAILED, "conflict", &e.to_string()),
        StoreError::Invalid(text) => outcome(StatusCode::BAD_REQUEST, "invalid", &text),
    }
}

/// `json` is `resource` as the store keeps it.
fn created(resource: &Value, json: Arc<str>) -> Response {
    let location = format!(
        "{}/{}/_history/{}",
        resource["resourceType"].as_str().unwrap_or_default(),
        resource["id"].as_str().unwrap_or_default(),
        resource["meta"]["versionId"].as_str().unwrap_or("1")
    );
    let mut response = fhir_text(StatusCode::CREATED, shared_text(json));
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

async fn metadata(State(state): State<Arc<ServerState>>) -> Response {
    fhir_json(
        StatusCode::OK,
        &capability_statement(&state.profile, state.role.as_str(), &state.base, state.bills, state.product.as_ref()),
    )
}

/// Not FHIR: the simulator's own account of the faults it fired, so a test or a report can tell them from the system's.
async fn fault_tally(State(state): State<Arc<ServerState>>) -> Response {
    axum::Json(state.faults.tally()).into_response()
}

/// Not FHIR: every X12 exchange with the payer about a patient's claims (837P, 999, 277CA, 835), oldest first.
async fn remittance_exchanges(
    State(state): State<Arc<ServerState>>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let Some(patient) = params.iter().find(|(p, _)| p == "patient").map(|(_, v)| v.rsplit('/').next().unwrap_or(v))
    else {
        return outcome(StatusCode::BAD_REQUEST, "required", "`$remittance` needs `?patient=` and a patient id");
    };
    let exchanges = state.clearinghouse.as_ref().map(|c| c.exchanges_for(patient)).unwrap_or_default();
    axum::Json(json!({ "patient": patient, "exchanges": exchanges })).into_response()
}

async fn transaction(State(state): State<Arc<ServerState>>, body: Bytes) -> Response {
    let bundle = match parse_body(&body, Some("Bundle")) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if bundle["type"] != "transaction" {
        return outcome(StatusCode::BAD_REQUEST, "invalid", "a Bundle posted to the base must be of type transaction");
    }
    for entry in bundle["entry"].as_array().into_iter().flatten() {
        if let Err(r) = known_type(entry["resource"]["resourceType"].as_str().unwrap_or_default()) {
            return r;
        }
    }
    match state.store.transaction(bundle) {
        Ok(response) => fhir_json(StatusCode::OK, &response),
        Err(e) => store_error(e),
    }
}

async fn create(
    State(state): State<Arc<ServerState>>,
    Path(resource_type): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = known_type(&resource_type) {
        return r;
    }
    let resource = match parse_body(&body, Some(&resource_type)) {
        Ok(resource) => resource,
        Err(r) => return r,
    };
    // Conditional create: `If-None-Exist: identifier=system|value` creates only when nothing matches.
    if let Some(query) = headers.get("If-None-Exist").and_then(|v| v.to_str().ok()) {
        let params: Vec<(String, String)> = match query_pairs(query) {
            Some(p) => p,
            None => return outcome(StatusCode::BAD_REQUEST, "invalid", "If-None-Exist is not a search query"),
        };
        if let Some((param, _)) = params.iter().find(|(p, _)| !search::supports(&resource_type, p)) {
            return outcome(
                StatusCode::BAD_REQUEST,
                "not-supported",
                &format!("this system does not support the search parameter `{param}` on {resource_type}"),
            );
        }
        let key = params.iter().find_map(|(p, v)| search::index_key(&resource_type, p, v));
        let found = state.store.find_json(&resource_type, key.as_ref(), |r| {
            params.iter().all(|(p, v)| search::matches(&resource_type, r, p, v).unwrap_or(false))
        });
        match found.as_slice() {
            [] => {}
            [existing] => return fhir_text(StatusCode::OK, shared_text(existing.json.clone())),
            more => {
                return outcome(
                    StatusCode::PRECONDITION_FAILED,
                    "duplicate",
                    &format!("If-None-Exist matches {} resources; it must match at most one", more.len()),
                );
            }
        }
    }
    let (resource, json) = state.store.create_json(resource, true);
    created(&resource, json)
}

/// `a=1&b=x%7Cy` as decoded pairs.
fn query_pairs(query: &str) -> Option<Vec<(String, String)>> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&format!("/?{query}").parse().ok()?).ok().map(|q| q.0)
}

async fn read(State(state): State<Arc<ServerState>>, Path((resource_type, id)): Path<(String, String)>) -> Response {
    if let Err(r) = known_type(&resource_type) {
        return r;
    }
    match state.store.read_json(&resource_type, &id) {
        Some(resource) => fhir_text(StatusCode::OK, shared_text(resource)),
        None => outcome(StatusCode::NOT_FOUND, "not-found", &format!("{resource_type}/{id} is not known")),
    }
}

async fn update(
    State(state): State<Arc<ServerState>>,
    Path((resource_type, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = known_type(&resource_type) {
        return r;
    }
    let resource = match parse_body(&body, Some(&resource_type)) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if resource["id"].as_str().is_some_and(|body_id| body_id != id) {
        return outcome(StatusCode::BAD_REQUEST, "invalid", "the id in the body differs from the id in the URL");
    }
    // `If-Match: W/"3"` names the version the client last read.
    let if_match = headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_start_matches("W/").trim_matches('"').to_string());
    match state.store.update(&resource_type, &id, resource, if_match.as_deref(), true) {
        Ok(updated) => fhir_json(StatusCode::OK, &updated),
        Err(e) => store_error(e),
    }
}

async fn search_type(
    State(state): State<Arc<ServerState>>,
    Path(resource_type): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    if let Err(r) = known_type(&resource_type) {
        return r;
    }
    let selecting: Vec<&(String, String)> = params.iter().filter(|(p, _)| !PAGING.contains(&p.as_str())).collect();
    if let Some((param, _)) = selecting.iter().find(|(p, _)| !search::supports(&resource_type, p)) {
        return outcome(
            StatusCode::BAD_REQUEST,
            "not-supported",
            &format!("this system does not support the search parameter `{param}` on {resource_type}"),
        );
    }
    let key = selecting.iter().find_map(|(p, v)| search::index_key(&resource_type, p, v));
    let hits = state.store.find_json(&resource_type, key.as_ref(), |r| {
        selecting.iter().all(|(p, v)| search::matches(&resource_type, r, p, v).unwrap_or(false))
    });
    let number = |name: &str, default: usize| {
        params.iter().find(|(p, _)| p == name).and_then(|(_, v)| v.parse::<usize>().ok()).unwrap_or(default)
    };
    let count = number("_count", DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let offset = number("_offset", 0);
    let total = hits.len();
    // The search's own parameters, encoded again: a value may hold `|`, `#`, `&` or `+`.
    let selection = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().filter(|(p, _)| p != "_offset"))
        .finish();
    let link = |offset: usize| format!("{}/{}?{selection}&_offset={offset}", state.base, resource_type);
    let mut links = vec![json!({ "relation": "self", "url": link(offset) })];
    if offset + count < total {
        links.push(json!({ "relation": "next", "url": link(offset + count) }));
    }
    let head = json!({ "resourceType": "Bundle", "type": "searchset", "total": total, "link": links });
    // Each entry is written around the resource's stored text, which is already JSON: parsing it into a tree
    // only to serialise it again was most of what a search cost the simulator. The page is written into one
    // buffer of the size it will take, rather than a string for each entry joined into another.
    let page = hits.iter().skip(offset).take(count);
    let size: usize = page.clone().map(|found| found.json.len() + found.id.len() + state.base.len() + 80).sum();
    let mut bundle = Vec::with_capacity(size + 512);
    let mut url = String::new();
    let _ = serde_json::to_writer(&mut bundle, &head);
    bundle.pop();
    bundle.extend_from_slice(br#","entry":["#);
    for (i, found) in page.enumerate() {
        if i > 0 {
            bundle.push(b',');
        }
        url.clear();
        let _ = write!(url, "{}/{}/{}", state.base, resource_type, found.id);
        bundle.extend_from_slice(br#"{"fullUrl":"#);
        let _ = serde_json::to_writer(&mut bundle, url.as_str());
        bundle.extend_from_slice(br#","resource":"#);
        bundle.extend_from_slice(found.json.as_bytes());
        bundle.extend_from_slice(br#","search":{"mode":"match"}}"#);
    }
    bundle.extend_from_slice(b"]}");
    fhir_text(StatusCode::OK, bundle)
}

async fn build_claim_operation(State(state): State<Arc<ServerState>>, Path(patient_id): Path<String>) -> Response {
    if !state.bills {
        return outcome(StatusCode::NOT_FOUND, "not-supported", "this system does not build claims");
    }
    let store = &state.store;
    if store.read_json("Patient", &patient_id).is_none() {
        return outcome(StatusCode::NOT_FOUND, "not-found", &format!("Patient/{patient_id} is not known"));
    }
    let is_patients = |r: &Value, key: &str| fhir::reference_id(&r[key], "Patient") == Some(patient_id.as_str());
    let subject_key = ("reference", format!("Patient/{patient_id}"));
    let charge_items: Vec<Value> =
        store.find("ChargeItem", Some(&subject_key), |c| is_patients(c, "subject") && c["status"] == "billable");
    if charge_items.is_empty() {
        return outcome(
            StatusCode::UNPROCESSABLE_ENTITY,
            "business-rule",
            &format!("Patient/{patient_id} has no billable charges"),
        );
    }
    let mut charges = Vec::new();
    for item in &charge_items {
        match fhir::charge_from_fhir(item) {
            Ok(c) => charges.push(c),
            Err(fhir::Unreadable(why)) => return outcome(StatusCode::UNPROCESSABLE_ENTITY, "invalid", &why),
        }
    }
    let diagnoses = charge_items
        .iter()
        .find_map(|c| fhir::reference_id(&c["context"], "Encounter"))
        .and_then(|id| store.read_as::<EncounterDoc>("Encounter", id))
        .map(|encounter| {
            read::encounter_diagnoses(&encounter, |cid| {
                store.read_as::<ConditionDoc>("Condition", cid)?.code.first_code().map(str::to_string)
            })
        })
        .unwrap_or_default();
    // The primary payer is billed first; among several, the latest registered.
    let coverage_resource = store
        .find("Coverage", Some(&subject_key), |c| is_patients(c, "beneficiary"))
        .into_iter()
        .rev()
        .min_by_key(fhir::coverage_order);
    let coverage = coverage_resource.as_ref().and_then(|c| fhir::coverage_from_fhir(c).ok());
    let claim = build_claim("", &diagnoses, &charges, coverage.as_ref());
    let now = jiff::Timestamp::now().to_string();
    let resource =
        fhir::claim_to_fhir(&claim, &patient_id, coverage_resource.as_ref().and_then(|c| c["id"].as_str()), &now);
    let (stored, json) = store.create_json(resource, true);
    if let Some(clearinghouse) = &state.clearinghouse {
        let claim = Claim { id: stored["id"].as_str().unwrap_or_default().to_string(), ..claim };
        // The payer answers in its own time, as payers do: the claim is built now, the remittance comes later.
        tokio::spawn(clearinghouse.clone().submit(store.clone(), patient_id.clone(), claim, coverage));
    }
    for mut item in charge_items {
        let id = item["id"].as_str().unwrap_or_default().to_string();
        item["status"] = json!("billed");
        let _ = store.update("ChargeItem", &id, item, None, false);
    }
    created(&stored, json)
}
