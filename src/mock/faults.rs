//! Transport faults in the simulators' HTTP layer: which request a profile's fault fires on, what the client gets instead of a proper answer, and a tally of every fault fired.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use super::listen::DropConnection;
use crate::connect::fhir::FHIR_JSON;
use crate::model::Role;
use crate::scenario::{Fault, FaultRole, Firing, Located, NakCode};

/// A response is buffered whole to cut it short; none of the simulator's is near this size.
const MAX_BUFFERED_BODY: usize = 64 * 1024 * 1024;

/// One simulator's faults and their counters, shared by both its servers so `nth`, `times` and `rate` count the
/// requests to either system as one sequence when a fault targets both.
pub struct FaultPlan {
    seed: u64,
    faults: Vec<Armed>,
}

struct Armed {
    fault: Fault,
    firing: Firing,
    line: u64,
    column: u64,
    matched: AtomicU64,
    fired: AtomicU64,
}

/// What a fault is matched against.
pub struct Seen<'a> {
    pub method: &'a str,
    pub path: &'a str,
}

impl Seen<'_> {
    /// The resource type the request is about: the first path segment, or `Bundle` for a transaction at the base.
    fn resource(&self) -> Option<&str> {
        let first = self.path.trim_start_matches('/').split('/').next().unwrap_or_default();
        match first {
            "" => Some("Bundle"),
            f if f.starts_with('$') => None,
            f => Some(f),
        }
    }

    fn operation(&self) -> Option<&str> {
        self.path.rsplit('/').next().and_then(|last| last.strip_prefix('$'))
    }
}

impl FaultPlan {
    pub fn new(seed: u64, faults: &[Located<Fault>]) -> FaultPlan {
        let faults = faults
            .iter()
            .map(|f| Armed {
                fault: f.value.clone(),
                firing: f.value.firing(),
                line: f.line,
                column: f.column,
                matched: AtomicU64::new(0),
                fired: AtomicU64::new(0),
            })
            .collect();
        FaultPlan { seed, faults }
    }

    /// Whether any HTTP fault can fire on this role's server, so a server without any needs no fault layer.
    pub fn targets(&self, role: Role) -> bool {
        self.faults.iter().any(|a| a.fault.is_http() && a.firing.role.includes(role))
    }

    /// The fault this request meets, if any. Faults are tried in the order listed; the first that fires answers
    /// the request, so the ones after it neither see nor count it.
    pub fn fire(&self, role: Role, request: &Seen) -> Option<&Fault> {
        for (index, armed) in self.faults.iter().enumerate() {
            if !armed.fault.is_http() || !armed.firing.role.includes(role) || !matches(&armed.firing, request) {
                continue;
            }
            let ordinal = armed.matched.fetch_add(1, Ordering::Relaxed) + 1;
            if fires(&armed.firing, self.seed, index as u64, ordinal) {
                armed.fired.fetch_add(1, Ordering::Relaxed);
                return Some(&armed.fault);
            }
        }
        None
    }

    /// The negative acknowledgement an HL7 message to `role` meets, if an `hl7_nak` fault fires on it.
    pub fn nak(&self, role: Role) -> Option<NakCode> {
        for (index, armed) in self.faults.iter().enumerate() {
            let Fault::Hl7Nak(nak) = &armed.fault else { continue };
            if !armed.firing.role.includes(role) {
                continue;
            }
            let ordinal = armed.matched.fetch_add(1, Ordering::Relaxed) + 1;
            if fires(&armed.firing, self.seed, index as u64, ordinal) {
                armed.fired.fetch_add(1, Ordering::Relaxed);
                return Some(nak.code);
            }
        }
        None
    }

    pub fn tally(&self) -> FaultTally {
        let faults: Vec<FaultCount> = self
            .faults
            .iter()
            .map(|a| FaultCount {
                fault: a.fault.name(),
                role: a.firing.role,
                line: a.line,
                column: a.column,
                matched: a.matched.load(Ordering::Relaxed),
                fired: a.fired.load(Ordering::Relaxed),
            })
            .collect();
        let mut fired = BTreeMap::new();
        for count in &faults {
            *fired.entry(count.fault).or_insert(0) += count.fired;
        }
        FaultTally { fired, faults }
    }
}

/// How many times each fault fired, as `GET /$faults` answers and a run can account for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultTally {
    /// Faults fired, by kind, over every fault of that kind in the profile.
    pub fired: BTreeMap<&'static str, u64>,
    /// Each fault in the order the profile lists it.
    pub faults: Vec<FaultCount>,
}

impl FaultTally {
    /// How many times faults of this kind (`http_503`, `reset`…) fired.
    pub fn fired(&self, kind: &str) -> u64 {
        self.fired.get(kind).copied().unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultCount {
    pub fault: &'static str,
    pub role: FaultRole,
    /// Where the profile lists it.
    pub line: u64,
    pub column: u64,
    /// Requests that matched its `role` and `on` and reached it.
    pub matched: u64,
    pub fired: u64,
}

fn matches(firing: &Firing, request: &Seen) -> bool {
    let on = &firing.on;
    on.method.is_none_or(|m| m.as_str() == request.method)
        && on.resource.as_deref().is_none_or(|r| request.resource() == Some(r))
        && on.path.as_deref().is_none_or(|p| request.path.starts_with(p))
        && on.operation.as_deref().is_none_or(|o| request.operation() == Some(o.trim_start_matches('$')))
}

/// Whether the `ordinal`th matching request (from 1) fires the fault.
fn fires(firing: &Firing, seed: u64, index: u64, ordinal: u64) -> bool {
    if let Some(rate) = firing.rate {
        // Drawn from the request's place in the sequence, not from a shared generator, so the same requests fire
        // however the draws of other faults interleave.
        return draw(seed, index, ordinal) < rate;
    }
    if let Some(nth) = firing.nth {
        return ordinal == nth;
    }
    if let Some(times) = firing.times {
        return ordinal <= times;
    }
    true
}

/// A uniform number in [0, 1) for one (seed, fault, request) triple, from SplitMix64's finaliser.
pub(super) fn draw(seed: u64, index: u64, ordinal: u64) -> f64 {
    let mix = |mut z: u64| {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let bits = mix(mix(mix(seed) ^ index) ^ ordinal);
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// The state the fault layer of one server runs with.
#[derive(Clone)]
pub struct FaultLayer {
    pub plan: Arc<FaultPlan>,
    pub role: Role,
}

/// The middleware: lets the request through to the FHIR handlers, or answers it as the fault it meets says.
pub async fn apply(State(layer): State<FaultLayer>, request: Request, next: Next) -> Response {
    let fault = {
        let seen = Seen { method: request.method().as_str(), path: request.uri().path() };
        layer.plan.fire(layer.role, &seen).cloned()
    };
    let Some(fault) = fault else {
        return next.run(request).await;
    };
    match fault {
        Fault::Http500(_) => {
            outcome(StatusCode::INTERNAL_SERVER_ERROR, "exception", "simulated fault `http_500`: internal server error")
        }
        Fault::Http503(_) => outcome(
            StatusCode::SERVICE_UNAVAILABLE,
            "transient",
            "simulated fault `http_503`: the system is unavailable, try again later",
        ),
        Fault::Http429(throttle) => {
            let mut response = outcome(
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                "simulated fault `http_429`: too many requests, slow down",
            );
            let seconds = retry_after_seconds(throttle.retry_after.0);
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
        Fault::Hang(_) => {
            // Dropped when the client gives up (hyper sees the connection close) or the simulator stops (its
            // connections are aborted with it), so it never outlives either.
            std::future::pending::<Response>().await
        }
        Fault::Reset(_) => {
            let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            response.extensions_mut().insert(DropConnection);
            response
        }
        Fault::MalformedJson(_) => cut_short(next.run(request).await).await,
        Fault::WrongContentType(_) => {
            let mut response = next.run(request).await;
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            response
        }
        // Never fired over HTTP (`fire` skips it); the MLLP interface applies it to HL7 messages.
        Fault::Hl7Nak(_) => next.run(request).await,
    }
}

fn outcome(status: StatusCode, code: &str, text: &str) -> Response {
    let body = json!({
        "resourceType": "OperationOutcome",
        "issue": [{ "severity": "error", "code": code, "diagnostics": text }],
    });
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON))], body.to_string()).into_response()
}

/// `Retry-After` takes whole seconds; rounding up keeps a client that obeys it from coming back early.
fn retry_after_seconds(wait: std::time::Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// The response as a connection dropped mid-body would leave it: the first half of the JSON, still labelled FHIR JSON.
async fn cut_short(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, MAX_BUFFERED_BODY).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let mut half = text.len() / 2;
    while !text.is_char_boundary(half) {
        half -= 1;
    }
    // A JSON document cut before its end never parses; an empty body would, as "no content", so it gets a start.
    let cut = if half == 0 { "{\"resourceType\": ".to_string() } else { text[..half].to_string() };
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(cut))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{RequestMatch, Trigger};

    fn firing(rate: Option<f64>, nth: Option<u64>, times: Option<u64>) -> Firing {
        Firing { role: FaultRole::Both, on: RequestMatch::default(), rate, nth, times }
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        use std::time::Duration;
        assert_eq!(retry_after_seconds(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::ZERO), 0);
    }

    #[test]
    fn nth_and_times_fire_where_they_say() {
        let nth: Vec<u64> = (1..=6).filter(|o| fires(&firing(None, Some(3), None), 0, 0, *o)).collect();
        assert_eq!(nth, [3]);
        let times: Vec<u64> = (1..=6).filter(|o| fires(&firing(None, None, Some(2)), 0, 0, *o)).collect();
        assert_eq!(times, [1, 2]);
        assert!((1..=6).all(|o| fires(&firing(None, None, None), 0, 0, o)));
    }

    #[test]
    fn draws_are_uniform_enough_and_depend_on_seed_and_fault() {
        let n = 100_000;
        let below = (1..=n).filter(|o| draw(7, 0, *o) < 0.25).count();
        assert!((24_000..26_000).contains(&below), "{below}");
        let pattern = |seed, index| (1..=64).map(|o| draw(seed, index, o) < 0.5).collect::<Vec<_>>();
        assert_eq!(pattern(1, 0), pattern(1, 0));
        assert_ne!(pattern(1, 0), pattern(2, 0));
        assert_ne!(pattern(1, 0), pattern(1, 1));
        assert!((1..=1000).all(|o| (0.0..1.0).contains(&draw(u64::MAX, 3, o))));
    }

    #[test]
    fn requests_name_their_resource_and_operation() {
        let seen = |path| Seen { method: "POST", path };
        assert_eq!(seen("/Patient/1/$build-claim").resource(), Some("Patient"));
        assert_eq!(seen("/Patient/1/$build-claim").operation(), Some("build-claim"));
        assert_eq!(seen("/").resource(), Some("Bundle"));
        assert_eq!(seen("/Claim/1").operation(), None);
        assert_eq!(seen("/$faults").resource(), None);
    }

    #[test]
    fn the_first_fault_that_fires_answers_and_the_later_ones_do_not_count_it() {
        let trigger = |times| Trigger { role: FaultRole::Pm, on: None, rate: None, nth: None, times };
        let plan = FaultPlan::new(
            0,
            &[Located::unlocated(Fault::Http500(trigger(Some(1)))), Located::unlocated(Fault::Reset(trigger(None)))],
        );
        let seen = Seen { method: "GET", path: "/Patient" };
        assert_eq!(plan.fire(Role::Emr, &seen), None);
        assert_eq!(plan.fire(Role::Pm, &seen).map(Fault::name), Some("http_500"));
        assert_eq!(plan.fire(Role::Pm, &seen).map(Fault::name), Some("reset"));
        let tally = plan.tally();
        assert_eq!((tally.faults[0].matched, tally.faults[0].fired), (2, 1));
        assert_eq!((tally.faults[1].matched, tally.faults[1].fired), (1, 1));
        assert_eq!(tally.fired("http_500") + tally.fired("reset"), 2);
    }
}
