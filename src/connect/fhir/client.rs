//! The FHIR R4 REST adapter: the same code reaches the embedded simulators and a vendor's FHIR server.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::FHIR_JSON;
use super::auth::Credentials;
use super::body;
use super::capability::{Declared, Need};
use super::claim_response;
use super::claim_response::ClaimResponseDoc;
use super::lenient::{List, Obj, Text};
use super::read::{
    self, AppointmentDoc, ChargeDoc, ClaimDoc, ConditionDoc, CoverageDoc, EncounterDoc, PatientDoc, Resource,
};
use super::resources::{self as fhir, Unreadable};
use crate::connect::http::{Answer, Failed, Outgoing, Transport};
use crate::connect::wire::{Direction, WireFormat, WireTap};
use crate::connect::{Action, Adapter, AdapterError, Applied, Query, Records, Versioned};
use crate::model::{Coverage, Patient};

/// A page of search results is followed at most this many times, so a server that links in a loop cannot hang a run.
const MAX_PAGES: usize = 100;
/// No single FHIR response a flow needs is larger than this.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// Room for a request body before it grows: a visit's transaction Bundle is about 4 KB.
const BODY_CAPACITY: usize = 4096;
const USER_AGENT: &str = concat!("handoff/", env!("CARGO_PKG_VERSION"));
/// FHIR R4 §3.1.0.8: create only if no resource matches this search.
const IF_NONE_EXIST: reqwest::header::HeaderName = reqwest::header::HeaderName::from_static("if-none-exist");

pub struct FhirAdapter {
    base: String,
    /// The base parsed once, with and without a trailing `/`, so each request's URL is the base joined with its
    /// path: parsing the whole URL text again for every request (host, IDNA and all) was 2 % of a run's CPU.
    /// `None` for a base that will not parse; its requests are sent as text and fail as they always did.
    parsed: Option<ParsedBase>,
    transport: Transport,
    credentials: Credentials,
    timeout: Duration,
    retries: u32,
    /// What the server's CapabilityStatement declares, read once; `None` when it published none that could be read.
    declared: tokio::sync::OnceCell<Option<Declared>>,
    /// Where request and response bodies are recorded, when the run keeps them.
    wire: Option<WireTap>,
    retried: RetryCount,
}

/// How many requests were sent again because the server answered 429 or 503: each is one such answer the run
/// got past, which a run against a simulator sets beside the faults the simulator says it fired.
#[derive(Debug, Clone, Default)]
pub struct RetryCount(Arc<AtomicU64>);

impl RetryCount {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn add_one(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// How to reach a server: beyond its address and credentials.
pub struct Connection {
    pub timeout: Duration,
    /// Extra CA certificates to trust, PEM.
    pub ca_pem: Option<Vec<u8>>,
    /// Tries after a 429 or 503.
    pub retries: u32,
}

/// A request's body: a resource built as a `Value`, or one written from the model as JSON without a `Value`
/// (src/connect/fhir/body.rs).
#[derive(Clone, Copy)]
enum Body<'a> {
    Value(&'a Value),
    Written(&'a body::Written),
}

impl<'a> Body<'a> {
    fn resource_type(self) -> Option<&'a str> {
        match self {
            Body::Value(value) => value["resourceType"].as_str(),
            Body::Written(written) => Some(written.resource_type),
        }
    }

    fn to_bytes(self) -> Vec<u8> {
        match self {
            Body::Value(value) => {
                // Written straight into bytes: `to_string` goes through `Display`, a formatter call for every
                // piece. Into a buffer the size of most bodies, not grown from 128 bytes.
                let mut bytes = Vec::with_capacity(BODY_CAPACITY);
                if serde_json::to_writer(&mut bytes, value).is_err() {
                    bytes.clear();
                }
                bytes
            }
            Body::Written(written) => written.json.clone(),
        }
    }

    /// The body as a `Value`, for the wire log (kept only when a run keeps its artifacts).
    fn to_value(self) -> Value {
        match self {
            Body::Value(value) => value.clone(),
            Body::Written(written) => serde_json::from_slice(&written.json).unwrap_or_default(),
        }
    }
}

/// What a write is conditional on (FHIR R4 §3.1.0.8 and §3.1.0.7.1).
#[derive(Debug, Clone, Copy)]
enum Precondition<'a> {
    None,
    /// Update only the version last read.
    IfMatch(&'a str),
    /// Create only if no resource matches this search.
    IfNoneExist(&'a str),
}

/// The longest `Retry-After` the harness will honour; a server asking for more is treated as down.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

impl FhirAdapter {
    /// An adapter with no credentials, for the simulators and open test servers.
    pub fn new(base_url: &str, timeout: Duration) -> Result<FhirAdapter, AdapterError> {
        FhirAdapter::configured(base_url, Credentials::None, Connection { timeout, ca_pem: None, retries: 3 })
    }

    pub fn configured(
        base_url: &str,
        credentials: Credentials,
        connection: Connection,
    ) -> Result<FhirAdapter, AdapterError> {
        let mut builder = reqwest::Client::builder()
            .timeout(connection.timeout)
            .user_agent(USER_AGENT)
            // reqwest's own retries are of HTTP/2 and HTTP/3 refusals, which this build does not speak (reqwest's
            // default features are off), so they never happen; yet its default policy copied every request's
            // headers and body before sending it, in case. 429 and 503 are retried below, as the server asks.
            .retry(reqwest::retry::never().max_retries_per_request(0))
            // A redirect is answered as it is, a finding naming its status, as the direct client answers it
            // (src/connect/http.rs): a FHIR API that moves is a thing to know, and following a POST
            // elsewhere is not safe.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(pem) = &connection.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| AdapterError::Config(format!("the CA file is not PEM certificates: {e}")))?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder.build().map_err(|e| AdapterError::Config(format!("cannot build an HTTP client: {e}")))?;
        let base = base_url.trim_end_matches('/').to_string();
        Ok(FhirAdapter {
            parsed: ParsedBase::new(&base),
            base,
            transport: Transport::new(http, connection.timeout, MAX_BODY_BYTES),
            credentials,
            timeout: connection.timeout,
            retries: connection.retries,
            declared: tokio::sync::OnceCell::new(),
            wire: None,
            retried: RetryCount::default(),
        })
    }

    /// The same adapter, recording every body it sends and receives into `tap` (never headers, so never
    /// credentials); `None` records nothing.
    pub fn with_wire(mut self, tap: Option<WireTap>) -> FhirAdapter {
        self.wire = tap;
        self
    }

    /// The same adapter, counting the requests it sends again into `count` (shared with other adapters).
    pub fn with_retry_count(mut self, count: RetryCount) -> FhirAdapter {
        self.retried = count;
        self
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else if path.is_empty() {
            self.base.clone()
        } else {
            format!("{}/{}", self.base, path)
        }
    }

    /// `url` (from [`FhirAdapter::url`]) as a parsed URL, built from the parsed base without parsing the host
    /// again; `None` sends `url` as text, for an absolute URL (a next-page link) or a path that would not join as
    /// it reads.
    fn parsed_url(&self, path: &str) -> Option<reqwest::Url> {
        let parsed = self.parsed.as_ref()?;
        if path.is_empty() {
            return Some(parsed.root.clone());
        }
        // A first segment with a `:` would join as a scheme, and one starting with `/` from the host: both are
        // sent as text, as `url` reads.
        let first = path.split(['/', '?', '#']).next().unwrap_or_default();
        if first.contains(':') || path.starts_with(['/', '\\']) {
            return None;
        }
        parsed.directory.join(path).ok()
    }

    /// Refuses, without sending it, a request the server's CapabilityStatement says it cannot serve. `doing` says
    /// what the request was for, written only when it is refused (this is asked before every request).
    async fn require(&self, need: Need<'_>, doing: impl FnOnce() -> String) -> Result<(), AdapterError> {
        let declared = self
            .declared
            .get_or_init(|| async {
                match self.send(Method::GET, "metadata", None, Precondition::None).await {
                    Ok(statement) if statement["resourceType"] == "CapabilityStatement" => {
                        Some(Declared::from_statement(&statement))
                    }
                    Ok(_) => {
                        tracing::info!(base = %self.base, "/metadata is not a CapabilityStatement: every request will be tried");
                        None
                    }
                    Err(error) => {
                        tracing::info!(base = %self.base, %error, "no CapabilityStatement: every request will be tried");
                        None
                    }
                }
            })
            .await;
        match declared.as_ref().and_then(|d| d.lacks(need)) {
            Some(missing) => Err(AdapterError::NotSupported {
                what: format!("{} ({missing} is not in its CapabilityStatement)", doing()),
            }),
            None => Ok(()),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Body<'_>>,
        precondition: Precondition<'_>,
    ) -> Result<Value, AdapterError> {
        let bytes = self.exchange(method, path, body, precondition).await?.1;
        self.parse(path, &bytes)
    }

    /// The answer read straight into `T` (a struct of the fields its reader needs), not through a `Value`.
    async fn send_as<T: for<'de> Deserialize<'de> + Default>(
        &self,
        method: Method,
        path: &str,
        body: Option<Body<'_>>,
    ) -> Result<T, AdapterError> {
        let bytes = self.exchange(method, path, body, Precondition::None).await?.1;
        self.parse_as(path, &bytes)
    }

    fn parse(&self, path: &str, bytes: &[u8]) -> Result<Value, AdapterError> {
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(bytes).map_err(|e| self.not_json(path, e))
    }

    /// An empty answer reads as `T::default()`, as an empty answer read as `null` did.
    fn parse_as<T: for<'de> Deserialize<'de> + Default>(&self, path: &str, bytes: &[u8]) -> Result<T, AdapterError> {
        if bytes.is_empty() {
            return Ok(T::default());
        }
        serde_json::from_slice::<Obj<T>>(bytes).map(|o| o.0).map_err(|e| self.not_json(path, e))
    }

    fn not_json(&self, path: &str, error: serde_json::Error) -> AdapterError {
        AdapterError::Malformed { url: self.url(path), expected: "FHIR JSON", detail: error.to_string() }
    }

    /// One request, retried as the server asks, with the status it finally answered and the body of a success
    /// (checked to be JSON by its content type; parsed by the caller, into what it needs).
    async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<Body<'_>>,
        precondition: Precondition<'_>,
    ) -> Result<(StatusCode, Vec<u8>), AdapterError> {
        let url = self.url(path);
        let parsed = self.parsed_url(path);
        let label = self.wire.as_ref().map(|_| self.request_label(&method, path, body.and_then(|b| b.resource_type())));
        if let (Some(label), Some(body)) = (&label, body) {
            self.record(Direction::Sent, label.clone(), &body.to_value());
        }
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            let answer = self.attempt(method.clone(), &url, parsed.as_ref(), body, precondition).await?;
            let status = answer.status;
            if status == StatusCode::UNAUTHORIZED
                && !refreshed
                && let Credentials::Smart(smart) = &self.credentials
            {
                // A token the server has stopped honouring: get a new one, once.
                smart.forget().await;
                refreshed = true;
                continue;
            }
            if (status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE)
                && attempt < self.retries
            {
                let backoff = Duration::from_millis(200) * 2u32.pow(attempt);
                let wait = retry_after(&answer.headers).unwrap_or(backoff);
                if wait <= MAX_RETRY_AFTER {
                    attempt += 1;
                    self.retried.add_one();
                    tracing::info!(%url, status = status.as_u16(), ?wait, "retrying");
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
            return Ok((status, self.read_response(answer, url, label.as_deref())?));
        }
    }

    /// `url` is sent as `parsed` when there is one (the same URL, not parsed again), otherwise as text.
    async fn attempt(
        &self,
        method: Method,
        url: &str,
        parsed: Option<&reqwest::Url>,
        body: Option<Body<'_>>,
        precondition: Precondition<'_>,
    ) -> Result<Answer, AdapterError> {
        let mut headers = HeaderMap::with_capacity(6);
        // Header values made once, not parsed from text for every request.
        headers.insert(ACCEPT, HeaderValue::from_static(FHIR_JSON));
        headers.insert(reqwest::header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
        let authorization = match &self.credentials {
            Credentials::None => None,
            Credentials::Bearer(token) => Some(bearer(token.expose())),
            Credentials::Basic { username, password } => Some(basic(username, password.expose())),
            Credentials::Smart(smart) => {
                Some(bearer(smart.access_token(&self.transport.reqwest, &self.base).await?.expose()))
            }
        };
        if let Some(authorization) = authorization {
            headers.insert(reqwest::header::AUTHORIZATION, authorization);
        }
        let condition = match precondition {
            Precondition::None => None,
            Precondition::IfMatch(version) => Some((reqwest::header::IF_MATCH, format!("W/\"{version}\""))),
            Precondition::IfNoneExist(query) => Some((IF_NONE_EXIST, query.to_string())),
        };
        if let Some((name, value)) = condition {
            let value = HeaderValue::try_from(value).map_err(|e| AdapterError::Unreachable {
                url: url.to_string(),
                cause: format!("the {name} header cannot be sent: {e}"),
            })?;
            headers.insert(name, value);
        }
        let body = body.map(|body| {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
            body.to_bytes()
        });
        self.transport.send(Outgoing { method, url, parsed, headers, body }).await.map_err(|failed| match failed {
            Failed::Timeout => AdapterError::Timeout { url: url.to_string(), seconds: self.timeout.as_secs_f64() },
            Failed::Unreachable(cause) => AdapterError::Unreachable { url: url.to_string(), cause },
            Failed::TooLarge(detail) => {
                AdapterError::Malformed { url: url.to_string(), expected: "a FHIR response", detail }
            }
        })
    }

    /// `label` names the request, for the wire log.
    fn read_response(&self, answer: Answer, url: String, label: Option<&str>) -> Result<Vec<u8>, AdapterError> {
        let status = answer.status;
        let content_type = answer.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let json = content_type.starts_with(FHIR_JSON) || content_type.starts_with("application/json");
        // Copied only when it is not JSON, for the error that names it.
        let content_type = if json { String::new() } else { content_type.to_string() };
        let bytes = answer.body;
        if !bytes.is_empty() && !json && status.is_success() {
            return Err(AdapterError::Malformed {
                url,
                expected: "FHIR JSON",
                detail: format!("content type `{content_type}`"),
            });
        }
        let body = if json { bytes } else { Vec::new() };
        // A success's body is parsed by the caller into the fields it needs; it is built into a `Value` here only
        // to be recorded, or to read the OperationOutcome of an error.
        if label.is_some() || !status.is_success() {
            let value = self.parse(&url, &body)?;
            if let Some(label) = label
                && !value.is_null()
            {
                self.record(Direction::Received, format!("{} {label}", status.as_u16()), &value);
            }
            if !status.is_success() {
                let outcome = outcome_text(&value).map(|text| self.credentials.scrub(&text));
                return Err(AdapterError::Http { url, status: status.as_u16(), outcome });
            }
        }
        Ok(body)
    }

    fn record(&self, direction: Direction, label: String, body: &Value) {
        if let Some(tap) = &self.wire {
            let text = serde_json::to_string_pretty(body).unwrap_or_default();
            tap.record(direction, WireFormat::Fhir, label, None, self.credentials.scrub(&text).into_bytes());
        }
    }

    /// What a request is, shortly: `POST Patient`, `GET Coverage`, `POST Bundle`, `POST Patient $build-claim`.
    fn request_label(&self, method: &Method, path: &str, resource_type: Option<&str>) -> String {
        // Next-page links are absolute, sometimes on another host: what follows the base path names the request.
        let without_host = |url: &'_ str| match url.split_once("://") {
            Some((_, rest)) => rest.split_once('/').map_or("", |(_, p)| p).to_string(),
            None => url.to_string(),
        };
        let base_path = without_host(&self.base);
        let relative = without_host(path);
        let relative = relative.strip_prefix(base_path.as_str()).filter(|_| path.contains("://")).unwrap_or(&relative);
        let mut parts = relative.split('?').next().unwrap_or_default().split('/').filter(|p| !p.is_empty());
        let what: Vec<&str> = match parts.next() {
            // A transaction or batch is posted to the base.
            None => vec![resource_type.unwrap_or("base")],
            Some(resource) => std::iter::once(resource).chain(parts.filter(|p| p.starts_with('$'))).collect(),
        };
        format!("{method} {}", what.join(" "))
    }

    async fn create(&self, resource: Body<'_>) -> Result<String, AdapterError> {
        let resource_type = resource.resource_type().unwrap_or_default();
        self.require(Need::Interaction { resource: resource_type, code: "create" }, || {
            format!("creating {resource_type}")
        })
        .await?;
        let created: Created = self.send_as(Method::POST, resource_type, Some(resource)).await?;
        created.id(&self.url(resource_type))
    }

    /// Creates the resource unless one matching `query` exists (FHIR conditional create): the id, and whether it
    /// was made now, so a scenario run twice against the same server does not register its patient twice.
    async fn create_unless(&self, resource: Body<'_>, query: &str) -> Result<(String, bool), AdapterError> {
        let resource_type = resource.resource_type().unwrap_or_default();
        let doing = || format!("registering a {resource_type}");
        self.require(Need::Interaction { resource: resource_type, code: "create" }, doing).await?;
        self.require(Need::ConditionalCreate { resource: resource_type }, doing).await?;
        let (status, held) =
            self.exchange(Method::POST, resource_type, Some(resource), Precondition::IfNoneExist(query)).await?;
        let held: Created = self.parse_as(resource_type, &held)?;
        Ok((held.id(&self.url(resource_type))?, status == StatusCode::CREATED))
    }

    async fn read(&self, resource_type: &str, id: &str) -> Result<Value, AdapterError> {
        self.require(Need::Interaction { resource: resource_type, code: "read" }, || {
            format!("reading {resource_type}")
        })
        .await?;
        self.send(Method::GET, &format!("{resource_type}/{id}"), None, Precondition::None).await
    }

    /// A read by id, into the fields its reader needs.
    async fn read_as<R: Resource>(&self, id: &str) -> Result<R, AdapterError> {
        let resource_type = R::TYPE;
        self.require(Need::Interaction { resource: resource_type, code: "read" }, || {
            format!("reading {resource_type}")
        })
        .await?;
        self.send_as(Method::GET, &format!("{resource_type}/{id}"), None).await
    }

    /// Every match of a search, following `Bundle.link[next]` across pages, each read into the fields its reader
    /// needs.
    async fn search<R: Resource>(&self, params: &[(&str, &str)]) -> Result<Vec<R>, AdapterError> {
        let resource_type = R::TYPE;
        let doing = || format!("searching {resource_type}");
        self.require(Need::Interaction { resource: resource_type, code: "search-type" }, doing).await?;
        for (name, _) in params {
            self.require(Need::SearchParam { resource: resource_type, name }, || format!("{} by {name}", doing()))
                .await?;
        }
        let mut next = format!("{resource_type}?");
        for (i, (name, value)) in params.iter().enumerate() {
            if i > 0 {
                next.push('&');
            }
            next.push_str(name);
            next.push('=');
            next.push_str(&encode(value));
        }
        let mut next = Some(next);
        let mut found = Vec::new();
        for _ in 0..MAX_PAGES {
            let Some(path) = next.take() else { break };
            let bundle: Searchset<R> = self.send_as(Method::GET, &path, None).await?;
            if !bundle.resource_type.is("Bundle") {
                return Err(AdapterError::Malformed {
                    url: self.url(&path),
                    expected: "FHIR searchset Bundle",
                    detail: format!("resourceType is {}", bundle.resource_type.shown()),
                });
            }
            next = bundle.link.0.into_iter().find(|l| l.relation.is("next")).and_then(|l| l.0.url.0);
            for Obj(entry) in bundle.entry {
                let is_match = entry.search.mode.as_deref().is_none_or(|m| m == "match");
                if entry.resource.resource_type().is(resource_type) && is_match {
                    found.push(entry.resource.0);
                }
            }
        }
        Ok(found)
    }

    fn readable<T>(&self, what: &str, result: Result<T, Unreadable>) -> Result<T, AdapterError> {
        result.map_err(|Unreadable(detail)| AdapterError::Malformed {
            url: self.url(what),
            expected: "FHIR R4 resource",
            detail,
        })
    }

    async fn coverage_of(&self, patient_id: &str) -> Result<Vec<Versioned<Coverage>>, AdapterError> {
        let mut found: Vec<CoverageDoc> = self.search(&[("beneficiary", &format!("Patient/{patient_id}"))]).await?;
        // Primary first: the order a claim bills them in.
        found.sort_by_key(CoverageDoc::order);
        self.each_read(found, read::coverage)
    }

    /// Each resource found, read into the model and versioned.
    fn each_read<R: Resource, T>(
        &self,
        found: Vec<R>,
        reader: impl Fn(R) -> Result<T, Unreadable>,
    ) -> Result<Vec<Versioned<T>>, AdapterError> {
        found
            .into_iter()
            .map(|r| {
                let versioned = versioned(&r, ());
                let value = self.readable(R::TYPE, reader(r))?;
                Ok(holding(versioned, value))
            })
            .collect()
    }

    async fn documentation(&self, patient_id: &str) -> Result<Records, AdapterError> {
        let encounters: Vec<EncounterDoc> = self.search(&[("patient", &format!("Patient/{patient_id}"))]).await?;
        // The latest; of several as late, the last found.
        let Some(encounter) = encounters.iter().max_by(|a, b| last_updated(*a).cmp(last_updated(*b))) else {
            return Ok(Records::Documentation(None));
        };
        let encounter_id = encounter.id().as_deref().unwrap_or_default();
        let conditions: Vec<ConditionDoc> = self.search(&[("encounter", &format!("Encounter/{encounter_id}"))]).await?;
        let diagnoses = read::encounter_diagnoses(encounter, |id| {
            conditions.iter().find(|c| c.id().is(id)).and_then(|c| c.code.first_code()).map(str::to_string)
        });
        let charge_items: Vec<ChargeDoc> = self.search(&[("context", &format!("Encounter/{encounter_id}"))]).await?;
        let charges = charge_items
            .into_iter()
            .map(|c| self.readable("ChargeItem", read::charge(c)))
            .collect::<Result<Vec<_>, _>>()?;
        let documented = self.readable("Encounter", read::encounter(encounter, diagnoses, &charges))?;
        Ok(Records::Documentation(Some(versioned(encounter, documented))))
    }

    async fn claims(&self, patient_id: &str) -> Result<Records, AdapterError> {
        let found: Vec<ClaimDoc> = self.search(&[("patient", &format!("Patient/{patient_id}"))]).await?;
        let mut claims = Vec::with_capacity(found.len());
        for resource in &found {
            let coverage = match resource.coverage_id() {
                Some(id) => Some(self.readable("Coverage", read::coverage(self.read_as(id).await?))?),
                None => None,
            };
            let id = resource.id().as_deref().unwrap_or_default();
            let claim = self.readable("Claim", read::claim(resource, id, coverage.as_ref()))?;
            claims.push(versioned(resource, claim));
        }
        Ok(Records::Claims(claims))
    }

    /// Each ClaimResponse with the Claim it answers, whose lines say what each adjudicated item was.
    async fn remittances(&self, patient_id: &str) -> Result<Records, AdapterError> {
        let found: Vec<ClaimResponseDoc> = self.search(&[("patient", &format!("Patient/{patient_id}"))]).await?;
        let mut remittances = Vec::with_capacity(found.len());
        for resource in found {
            let lines = match resource.request() {
                Some(id) => self.readable("Claim", read::claim(&self.read_as::<ClaimDoc>(id).await?, id, None))?.lines,
                None => Vec::new(),
            };
            let versioned = versioned(&resource, ());
            let remittance = self.readable("ClaimResponse", claim_response::remittance(resource, &lines))?;
            remittances.push(holding(versioned, remittance));
        }
        Ok(Records::Remittances(remittances))
    }

    async fn update_patient(
        &self,
        id: &str,
        patient: &Patient,
        tracking: &crate::model::Identifier,
    ) -> Result<Applied, AdapterError> {
        let current = self.read("Patient", id).await?;
        let version = current["meta"]["versionId"].as_str().map(str::to_string);
        // Start from what the system holds, so fields it keeps that the model does not are not wiped.
        let mut updated = current.clone();
        let fresh = fhir::patient_to_fhir(&tracked(patient, tracking));
        for key in ["name", "telecom", "address", "gender", "birthDate"] {
            match fresh.get(key) {
                Some(v) => updated[key] = v.clone(),
                None => {
                    if let Some(o) = updated.as_object_mut() {
                        o.remove(key);
                    }
                }
            }
        }
        self.require(Need::Interaction { resource: "Patient", code: "update" }, || "updating a Patient".into()).await?;
        let precondition = version.as_deref().map(Precondition::IfMatch).unwrap_or(Precondition::None);
        self.send(Method::PUT, &format!("Patient/{id}"), Some(Body::Value(&updated)), precondition).await?;
        Ok(Applied { id: Some(id.to_string()) })
    }
}

#[async_trait]
impl Adapter for FhirAdapter {
    fn endpoint(&self) -> String {
        self.base.clone()
    }

    async fn apply(&self, action: Action<'_>) -> Result<Applied, AdapterError> {
        match action {
            Action::Register { patient, tracking } => {
                let query = format!("identifier={}", encode(&format!("{}|{}", tracking.system, tracking.value)));
                let patient_json = body::patient(&tracked(patient, tracking));
                let (id, created) = self.create_unless(Body::Written(&patient_json), &query).await?;
                // A patient already registered keeps the coverage they were registered with.
                if created {
                    for (i, coverage) in patient.coverages().iter().enumerate() {
                        self.create(Body::Written(&body::coverage(coverage, &id, i + 1))).await?;
                    }
                }
                Ok(Applied { id: Some(id) })
            }
            Action::UpdatePatient { id, patient, tracking } => self.update_patient(id, patient, tracking).await,
            Action::Schedule { patient_id, appointment } => {
                let id = self.create(Body::Written(&body::appointment(appointment, patient_id))).await?;
                Ok(Applied { id: Some(id) })
            }
            Action::Document { patient_id, encounter } => {
                self.require(Need::System("transaction"), || "documenting a visit".into()).await?;
                let bundle = body::documentation(encounter, patient_id);
                let response: TransactionResponse = self
                    .send_as(Method::POST, "", Some(Body::Written(&bundle)))
                    .await
                    .map_err(|e| not_supported_on(e, "FHIR transactions (documenting a visit)"))?;
                let encounter_id = response
                    .entry
                    .iter()
                    .filter_map(|e| e.response.location.as_deref())
                    .find(|l| l.starts_with("Encounter/"))
                    .and_then(|l| l.split('/').nth(1))
                    .map(str::to_string);
                Ok(Applied { id: encounter_id })
            }
            Action::PostCharges { patient_id, charges } => {
                let subject = fhir::reference("Patient", patient_id);
                for charge in charges {
                    self.create(Body::Value(&fhir::charge_to_fhir(charge, &subject, &Value::Null))).await?;
                }
                Ok(Applied { id: None })
            }
            Action::BuildClaim { patient_id } => {
                self.require(Need::Operation { resource: "Patient", name: "build-claim" }, || {
                    "building a claim".into()
                })
                .await?;
                let parameters = json!({ "resourceType": "Parameters" });
                let claim: Created = self
                    .send_as(
                        Method::POST,
                        &format!("Patient/{patient_id}/$build-claim"),
                        Some(Body::Value(&parameters)),
                    )
                    .await
                    .map_err(|e| not_supported_on(e, "building a claim (operation $build-claim)"))?;
                Ok(Applied { id: Some(claim.id(&self.url("Claim"))?) })
            }
        }
    }

    async fn fetch(&self, query: Query<'_>) -> Result<Records, AdapterError> {
        match query {
            Query::PatientByIdentifier(identifier) => {
                let token = format!("{}|{}", identifier.system, identifier.value);
                let found: Vec<PatientDoc> = self.search(&[("identifier", &token)]).await?;
                Ok(Records::Patients(self.each_read(found, read::patient)?))
            }
            Query::Capabilities => {
                let statement = self.send(Method::GET, "metadata", None, Precondition::None).await?;
                if statement["resourceType"] != "CapabilityStatement" {
                    return Err(AdapterError::Malformed {
                        url: self.url("metadata"),
                        expected: "CapabilityStatement",
                        detail: format!("resourceType is {}", statement["resourceType"]),
                    });
                }
                // Already read, so the requests that follow are checked against it without asking again.
                let _ = self.declared.set(Some(Declared::from_statement(&statement)));
                Ok(Records::Capabilities(fhir::capabilities_from_fhir(&statement)))
            }
            Query::PatientsBornOn(date) => {
                let found: Vec<PatientDoc> = self.search(&[("birthdate", &date.to_string())]).await?;
                Ok(Records::Patients(self.each_read(found, read::patient)?))
            }
            Query::Coverage { patient_id } => Ok(Records::Coverages(self.coverage_of(patient_id).await?)),
            Query::Appointments { patient_id } => {
                let found: Vec<AppointmentDoc> = self.search(&[("patient", &format!("Patient/{patient_id}"))]).await?;
                Ok(Records::Appointments(self.each_read(found, read::appointment)?))
            }
            Query::Documentation { patient_id } => self.documentation(patient_id).await,
            Query::Charges { patient_id } => {
                let found: Vec<ChargeDoc> = self.search(&[("patient", &format!("Patient/{patient_id}"))]).await?;
                Ok(Records::Charges(self.each_read(found, read::charge)?))
            }
            Query::Claims { patient_id } => self.claims(patient_id).await,
            Query::ClaimNotices { .. } => Err(AdapterError::NotSupported { what: "claim acknowledgments".into() }),
            Query::Remittance { patient_id } => self.remittances(patient_id).await,
        }
    }
}

/// `Authorization: Bearer …`, marked sensitive so it is never printed in a debug view of the request.
fn bearer(token: &str) -> HeaderValue {
    sensitive(format!("Bearer {token}").into_bytes())
}

/// `Authorization: Basic …` (RFC 7617).
fn basic(username: &str, password: &str) -> HeaderValue {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    sensitive(format!("Basic {encoded}").into_bytes())
}

/// A credential that cannot be a header value (a control character in a token) is sent empty: the server answers
/// 401, which names the problem, as reqwest's send failed on it before.
fn sensitive(bytes: Vec<u8>) -> HeaderValue {
    let mut value = HeaderValue::from_bytes(&bytes).unwrap_or_else(|_| HeaderValue::from_static(""));
    value.set_sensitive(true);
    value
}

/// `Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let wait = when.duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// The patient with the harness's tracking identifier, so the record can be found again in any system.
fn tracked(patient: &Patient, tracking: &crate::model::Identifier) -> Patient {
    let mut patient = patient.clone();
    if !patient.identifiers.contains(tracking) {
        patient.identifiers.push(tracking.clone());
    }
    patient
}

fn versioned<R: Resource, T>(resource: &R, value: T) -> Versioned<T> {
    Versioned {
        id: resource.id().0.clone().unwrap_or_default(),
        version: resource.meta().version_id.0.clone(),
        last_updated: resource.meta().last_updated.0.clone(),
        value,
    }
}

/// The id and versions read before the resource was moved into its reader, now holding what it read.
fn holding<T>(head: Versioned<()>, value: T) -> Versioned<T> {
    Versioned { id: head.id, version: head.version, last_updated: head.last_updated, value }
}

fn last_updated(resource: &impl Resource) -> &str {
    resource.meta().last_updated.as_deref().unwrap_or_default()
}

/// A base URL parsed once: as it is (a transaction is posted to it) and as the directory its paths join onto.
struct ParsedBase {
    root: reqwest::Url,
    directory: reqwest::Url,
}

impl ParsedBase {
    /// `None` unless `base` is an absolute http(s) URL without a query or fragment: a relative path joined onto
    /// `base/` is then the URL that `base/path` parses to (the URL standard parses both the same way).
    fn new(base: &str) -> Option<ParsedBase> {
        let root = reqwest::Url::parse(base).ok()?;
        let plain = matches!(root.scheme(), "http" | "https") && root.query().is_none() && root.fragment().is_none();
        let directory = reqwest::Url::parse(&format!("{base}/")).ok()?;
        plain.then_some(ParsedBase { root, directory })
    }
}

/// A searchset Bundle, its matches read as `R`.
#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Searchset<R: Default> {
    resource_type: Text,
    link: List<Obj<Link>>,
    entry: List<Obj<SearchEntry<R>>>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Link {
    relation: Text,
    url: Text,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct SearchEntry<R: Default> {
    search: Obj<SearchMode>,
    resource: Obj<R>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct SearchMode {
    mode: Text,
}

/// What a create or an operation answered with: only its id is needed.
#[derive(Default, Deserialize)]
#[serde(default)]
struct Created {
    id: Text,
}

impl Created {
    fn id(self, url: &str) -> Result<String, AdapterError> {
        self.id.0.ok_or_else(|| AdapterError::Malformed {
            url: url.to_string(),
            expected: "FHIR resource",
            detail: "the created resource has no id".into(),
        })
    }
}

/// A transaction's answer: where each entry was created.
#[derive(Default, Deserialize)]
#[serde(default)]
struct TransactionResponse {
    entry: List<Obj<TransactionEntry>>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct TransactionEntry {
    response: Obj<Location>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Location {
    location: Text,
}

/// The issue texts of an OperationOutcome, which is what a vendor says went wrong.
fn outcome_text(body: &Value) -> Option<String> {
    if body["resourceType"] != "OperationOutcome" {
        return None;
    }
    let texts: Vec<String> = body["issue"]
        .as_array()?
        .iter()
        .filter_map(|i| {
            let text = i["diagnostics"].as_str().or_else(|| i["details"]["text"].as_str())?;
            // Where the server says the problem is (`Patient.birthDate`), unless its text already does.
            Some(match i["expression"][0].as_str().or_else(|| i["location"][0].as_str()) {
                Some(at) if !text.contains(at) => format!("{at}: {text}"),
                _ => text.to_string(),
            })
        })
        .collect();
    (!texts.is_empty()).then(|| texts.join("; "))
}

fn not_supported_on(error: AdapterError, what: &str) -> AdapterError {
    match error {
        AdapterError::Http { status, .. }
            if [StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED, StatusCode::NOT_IMPLEMENTED]
                .iter()
                .any(|s| s.as_u16() == status) =>
        {
            AdapterError::NotSupported { what: what.to_string() }
        }
        other => other,
    }
}

/// Search values carry `|`, `/` and spaces; percent-encode all but the unreserved characters.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(byte as char),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.extend(['%', char::from(HEX[usize::from(byte >> 4)]), char::from(HEX[usize::from(byte & 15)])]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert(reqwest::header::RETRY_AFTER, "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(reqwest::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn names_each_request_by_method_and_resource_without_ids_or_search_values() {
        let adapter = FhirAdapter::new("http://127.0.0.1:8080/fhir", Duration::from_secs(1)).unwrap();
        let label = |method: Method, path: &str, body: Option<&str>| adapter.request_label(&method, path, body);
        assert_eq!(label(Method::POST, "Patient", None), "POST Patient");
        assert_eq!(label(Method::PUT, "Patient/p12", None), "PUT Patient");
        assert_eq!(label(Method::GET, "Coverage?beneficiary=Patient/p12", None), "GET Coverage");
        assert_eq!(label(Method::POST, "Patient/p12/$build-claim", None), "POST Patient $build-claim");
        assert_eq!(label(Method::POST, "", Some("Bundle")), "POST Bundle");
        assert_eq!(label(Method::GET, "http://127.0.0.1:8080/fhir/Encounter?_offset=20", None), "GET Encounter");
        assert_eq!(label(Method::GET, "https://other.example/fhir/Claim?page=2", None), "GET Claim");
    }

    #[test]
    fn joins_each_path_onto_the_parsed_base_as_its_text_would_parse() {
        let adapter = FhirAdapter::new("http://127.0.0.1:8080/fhir/", Duration::from_secs(1)).unwrap();
        for path in [
            "",
            "metadata",
            "Patient",
            "Patient/p12",
            "Patient/p12/$build-claim",
            "Coverage?beneficiary=Patient/p12",
            "Patient?identifier=urn%3Ahandoff%3Atracking%7Crun%3Aa",
            "Patient/a b",
        ] {
            let joined = adapter.parsed_url(path).map(|u| u.to_string());
            let parsed = reqwest::Url::parse(&adapter.url(path)).unwrap().to_string();
            assert_eq!(joined.as_deref(), Some(parsed.as_str()), "{path}");
        }
        assert_eq!(adapter.parsed_url("Patient/p12").unwrap().as_str(), "http://127.0.0.1:8080/fhir/Patient/p12");
        assert_eq!(adapter.parsed_url("").unwrap().as_str(), "http://127.0.0.1:8080/fhir");
        // Sent as text: a next-page link, a path that would join as a scheme or from the host.
        assert_eq!(adapter.parsed_url("http://127.0.0.1:8080/fhir/Claim?page=2"), None);
        assert_eq!(adapter.parsed_url("urn:x/Patient"), None);
        assert_eq!(adapter.parsed_url("//other.example/Patient"), None);
        // A base that does not parse, or carries a query, is always sent as text.
        let unparsed = FhirAdapter::new("not a url", Duration::from_secs(1)).unwrap();
        assert_eq!(unparsed.parsed_url("Patient"), None);
        let queried = FhirAdapter::new("http://127.0.0.1:8080/fhir?tenant=a", Duration::from_secs(1)).unwrap();
        assert_eq!(queried.parsed_url("Patient"), None);
    }

    #[test]
    fn encodes_token_searches() {
        assert_eq!(encode("urn:handoff|a b"), "urn%3Ahandoff%7Ca%20b");
        assert_eq!(encode("Patient/12"), "Patient/12");
    }

    #[test]
    fn reads_the_issue_text_of_an_operation_outcome() {
        let body = json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid", "diagnostics": "birthDate is required"}]});
        assert_eq!(outcome_text(&body).as_deref(), Some("birthDate is required"));
        assert_eq!(outcome_text(&json!({"resourceType": "Patient"})), None);
        let medplum = json!({"resourceType": "OperationOutcome", "issue": [
            {"severity": "error", "code": "structure", "details": {"text": "Invalid date format"}, "expression": ["Patient.birthDate"]},
            {"severity": "error", "code": "structure", "details": {"text": "Invalid additional property \"colour\""}, "expression": ["Patient.colour"]},
        ]});
        assert_eq!(
            outcome_text(&medplum).as_deref(),
            Some("Patient.birthDate: Invalid date format; Patient.colour: Invalid additional property \"colour\"")
        );
    }
}
