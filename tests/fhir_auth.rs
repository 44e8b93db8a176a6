//! Authenticating to a FHIR server: SMART Backend Services against a token endpoint in the test, basic, and retries.

use std::path::Path;
use std::time::Duration;

use handoff::connect::fhir::auth::Credentials;
use handoff::connect::fhir::{Connection, FhirAdapter};
use handoff::connect::{Adapter, Query, Records};
use handoff::scenario::{Auth, JwtAlgorithm, SecretSource, SmartBackend};
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn keys() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/inputs/keys"))
}

fn statement() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(
        json!({"resourceType": "CapabilityStatement", "software": {"name": "Vendor"}, "rest": [{"resource": [{"type": "Patient"}]}]})
            .to_string(),
        "application/fhir+json",
    )
}

fn smart(algorithm: JwtAlgorithm, key_file: &str) -> Auth {
    Auth::SmartBackend(SmartBackend {
        client_id: "handoff-ci".into(),
        key_file: key_file.into(),
        algorithm,
        kid: Some("key-2026".into()),
        scope: "system/Patient.rs system/Coverage.rs".into(),
        token_url: None,
    })
}

fn adapter(server: &MockServer, auth: Option<&Auth>) -> FhirAdapter {
    let credentials = Credentials::load(auth, keys()).unwrap();
    let connection = Connection { timeout: Duration::from_secs(5), ca_pem: None, retries: 3 };
    FhirAdapter::configured(&server.uri(), credentials, connection).unwrap()
}

/// The form fields of each request the token endpoint received.
async fn token_requests(server: &MockServer) -> Vec<Vec<(String, String)>> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/token")
        .map(|r| url::form_urlencoded::parse(&r.body).into_owned().collect())
        .collect()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
}

async fn smart_flow(algorithm: JwtAlgorithm, key: &str, public: &str, jwt_alg: jsonwebtoken::Algorithm) {
    let server = MockServer::start().await;
    let token_url = format!("{}/token", server.uri());
    Mock::given(method("GET"))
        .and(path("/.well-known/smart-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token_endpoint": token_url})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "tok-1", "token_type": "bearer", "expires_in": 300})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/metadata"))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(statement())
        .mount(&server)
        .await;

    let fhir = adapter(&server, Some(&smart(algorithm, key)));
    let before = jiff::Timestamp::now().as_second();
    for _ in 0..3 {
        let Records::Capabilities(c) = fhir.fetch(Query::Capabilities).await.unwrap() else { panic!() };
        assert_eq!(c.product.as_deref(), Some("Vendor"));
    }
    // Three requests, one token: it is cached until shortly before it expires.
    let requests = token_requests(&server).await;
    assert_eq!(requests.len(), 1);
    let form = &requests[0];
    assert_eq!(field(form, "grant_type"), "client_credentials");
    assert_eq!(field(form, "scope"), "system/Patient.rs system/Coverage.rs");
    assert_eq!(field(form, "client_assertion_type"), "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");

    let jwt = field(form, "client_assertion");
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    assert_eq!(header.alg, jwt_alg);
    assert_eq!(header.kid.as_deref(), Some("key-2026"));
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let pem = std::fs::read(keys().join(public)).unwrap();
    let key = match jwt_alg {
        jsonwebtoken::Algorithm::RS384 => DecodingKey::from_rsa_pem(&pem).unwrap(),
        _ => DecodingKey::from_ec_pem(&pem).unwrap(),
    };
    let mut validation = Validation::new(jwt_alg);
    validation.set_audience(&[&token_url]);
    validation.set_issuer(&["handoff-ci"]);
    let claims: Value = jsonwebtoken::decode(jwt, &key, &validation).unwrap().claims;
    assert_eq!(claims["iss"], "handoff-ci");
    assert_eq!(claims["sub"], "handoff-ci");
    assert_eq!(claims["aud"], token_url);
    let exp = claims["exp"].as_i64().unwrap();
    assert!(exp <= jiff::Timestamp::now().as_second() + 300 && exp >= before + 299, "exp {exp}");
    assert_eq!(claims["jti"].as_str().unwrap().len(), 36);
}

#[tokio::test]
async fn smart_backend_services_with_rs384() {
    smart_flow(JwtAlgorithm::RS384, "test-rs384.pem", "test-rs384.pub.pem", jsonwebtoken::Algorithm::RS384).await;
}

#[tokio::test]
async fn smart_backend_services_with_es384() {
    smart_flow(JwtAlgorithm::ES384, "test-es384.pem", "test-es384.pub.pem", jsonwebtoken::Algorithm::ES384).await;
}

#[tokio::test]
async fn every_assertion_has_its_own_jti() {
    let Credentials::Smart(client) =
        Credentials::load(Some(&smart(JwtAlgorithm::RS384, "test-rs384.pem")), keys()).unwrap()
    else {
        panic!()
    };
    let jti = |jwt: String| {
        let payload = jwt.split('.').nth(1).unwrap().to_string();
        let bytes = base64_url(&payload);
        serde_json::from_slice::<Value>(&bytes).unwrap()["jti"].as_str().unwrap().to_string()
    };
    let a = jti(client.assertion("https://auth.example/token", 1_800_000_000).unwrap());
    let b = jti(client.assertion("https://auth.example/token", 1_800_000_000).unwrap());
    assert_ne!(a, b);
}

fn base64_url(text: &str) -> Vec<u8> {
    // A tiny decoder keeps the test independent of the code under test.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes() {
        let v = alphabet.iter().position(|a| *a == c).unwrap() as u32;
        bits = (bits << 6) | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

#[tokio::test]
async fn a_refused_token_is_renewed_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "tok", "expires_in": 3600})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/metadata"))
        .respond_with(ResponseTemplate::new(401))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path("/metadata")).respond_with(statement()).mount(&server).await;
    let mut auth = smart(JwtAlgorithm::RS384, "test-rs384.pem");
    if let Auth::SmartBackend(s) = &mut auth {
        s.token_url = Some(format!("{}/token", server.uri()));
    }
    let fhir = adapter(&server, Some(&auth));
    assert!(matches!(fhir.fetch(Query::Capabilities).await.unwrap(), Records::Capabilities(_)));
    assert_eq!(token_requests(&server).await.len(), 2);
}

#[tokio::test]
async fn basic_auth_reads_the_password_from_a_file() {
    let server = MockServer::start().await;
    // "svc:s3cret" in base64.
    Mock::given(method("GET"))
        .and(path("/metadata"))
        .and(header("authorization", "Basic c3ZjOnMzY3JldA=="))
        .respond_with(statement())
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("password"), "s3cret\n").unwrap();
    let auth =
        Auth::Basic { username: "svc".into(), password: SecretSource { env: None, file: Some("password".into()) } };
    let credentials = Credentials::load(Some(&auth), dir.path()).unwrap();
    let connection = Connection { timeout: Duration::from_secs(5), ca_pem: None, retries: 0 };
    let fhir = FhirAdapter::configured(&server.uri(), credentials, connection).unwrap();
    assert!(fhir.fetch(Query::Capabilities).await.is_ok());
}

#[tokio::test]
async fn a_429_is_retried_after_the_time_the_server_asks_for() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/metadata"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path("/metadata")).respond_with(statement()).mount(&server).await;
    let fhir = adapter(&server, None);
    let started = std::time::Instant::now();
    assert!(fhir.fetch(Query::Capabilities).await.is_ok());
    assert!(started.elapsed() >= Duration::from_secs(1), "waited only {:?}", started.elapsed());
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_503_that_never_clears_is_reported_with_its_status_after_the_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).and(path("/metadata")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    let fhir = adapter(&server, None);
    let err = fhir.fetch(Query::Capabilities).await.unwrap_err();
    assert!(matches!(err, handoff::connect::AdapterError::Http { status: 503, .. }), "{err:?}");
    // The first try and three more.
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}
