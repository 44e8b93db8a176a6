//! Proving who the harness is to a FHIR server: bearer, basic, or SMART Backend Services (a signed JWT exchanged for a cached token).

use std::path::Path;
use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::connect::AdapterError;
use crate::connect::http::{Failed, read_limited};
use crate::scenario::{Auth, JwtAlgorithm, SecretSource};

/// A credential: never printed, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

pub enum Credentials {
    None,
    Bearer(Secret),
    Basic { username: String, password: Secret },
    Smart(Box<SmartClient>),
}

/// A token is renewed this long before the server says it expires, so no request carries one that dies in flight.
const RENEW_BEFORE: Duration = Duration::from_secs(60);
/// A token response or SMART configuration is a few hundred bytes; anything near this is not one.
const MAX_AUTH_BODY_BYTES: usize = 1024 * 1024;
/// SMART Backend Services caps a client assertion's life at five minutes.
const ASSERTION_LIFETIME_SECS: i64 = 300;

pub struct SmartClient {
    client_id: String,
    key: EncodingKey,
    algorithm: Algorithm,
    kid: Option<String>,
    scope: String,
    token_url: Option<String>,
    cached: Mutex<Option<(Secret, Instant)>>,
    /// Every access token this client was given, so none is repeated from what a server says back.
    issued: std::sync::Mutex<Vec<Secret>>,
}

#[derive(Serialize)]
struct Assertion<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    jti: String,
}

impl Credentials {
    /// Reads the secrets a target names; relative files are found beside the target file.
    pub fn load(spec: Option<&Auth>, base_dir: &Path) -> Result<Credentials, String> {
        match spec {
            None => Ok(Credentials::None),
            Some(Auth::Bearer(source)) => Ok(Credentials::Bearer(read_secret(source, base_dir, "bearer token")?)),
            Some(Auth::Basic { username, password }) => Ok(Credentials::Basic {
                username: username.clone(),
                password: read_secret(password, base_dir, "password")?,
            }),
            Some(Auth::SmartBackend(smart)) => {
                let path = base_dir.join(&smart.key_file);
                let pem = std::fs::read(&path)
                    .map_err(|e| format!("cannot read the SMART private key {}: {e}", path.display()))?;
                let (key, algorithm) = match smart.algorithm {
                    JwtAlgorithm::RS384 => (EncodingKey::from_rsa_pem(&pem), Algorithm::RS384),
                    JwtAlgorithm::ES384 => (EncodingKey::from_ec_pem(&pem), Algorithm::ES384),
                };
                let key =
                    key.map_err(|e| format!("{} is not a PEM {:?} private key: {e}", path.display(), smart.algorithm))?;
                Ok(Credentials::Smart(Box::new(SmartClient {
                    client_id: smart.client_id.clone(),
                    key,
                    algorithm,
                    kid: smart.kid.clone(),
                    scope: smart.scope.clone(),
                    token_url: smart.token_url.clone(),
                    cached: Mutex::new(None),
                    issued: Default::default(),
                })))
            }
        }
    }
}

impl Credentials {
    /// `text` from a server (an error's text, a body kept as an artifact) with every credential this client holds
    /// or was given replaced by `[redacted]`: a server that quotes back the token it refused must not put it in a
    /// report.
    pub fn scrub(&self, text: &str) -> String {
        let held: Vec<Secret> = match self {
            Credentials::None => Vec::new(),
            Credentials::Bearer(token) => vec![token.clone()],
            Credentials::Basic { password, .. } => vec![password.clone()],
            Credentials::Smart(smart) => smart.issued.lock().map(|i| i.clone()).unwrap_or_default(),
        };
        redact(text, held.iter().map(Secret::expose))
    }
}

fn redact<'a>(text: &str, secrets: impl Iterator<Item = &'a str>) -> String {
    let mut text = text.to_string();
    for secret in secrets.filter(|s| !s.is_empty()) {
        if text.contains(secret) {
            text = text.replace(secret, "[redacted]");
        }
    }
    text
}

fn read_secret(source: &SecretSource, base_dir: &Path, what: &str) -> Result<Secret, String> {
    match (&source.env, &source.file) {
        (Some(var), None) => std::env::var(var)
            .map(Secret)
            .map_err(|_| format!("the environment variable {var} (holding the {what}) is not set")),
        (None, Some(file)) => {
            let path = base_dir.join(file);
            std::fs::read_to_string(&path)
                .map(|s| Secret(s.trim().to_string()))
                .map_err(|e| format!("cannot read the {what} from {}: {e}", path.display()))
        }
        _ => Err(format!("say where the {what} is with exactly one of `env` or `file`")),
    }
}

impl SmartClient {
    /// The signed client assertion for one token request.
    pub fn assertion(&self, token_url: &str, now: i64) -> Result<String, AdapterError> {
        let mut header = Header::new(self.algorithm);
        header.kid = self.kid.clone();
        header.typ = Some("JWT".into());
        let claims = Assertion {
            iss: &self.client_id,
            sub: &self.client_id,
            aud: token_url,
            exp: now + ASSERTION_LIFETIME_SECS,
            iat: now,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| AdapterError::Config(format!("cannot sign the SMART client assertion: {e}")))
    }

    /// A valid access token: the cached one, or a new one from the token endpoint.
    pub async fn access_token(&self, http: &reqwest::Client, base: &str) -> Result<Secret, AdapterError> {
        let mut cached = self.cached.lock().await;
        if let Some((token, renew_at)) = cached.as_ref()
            && Instant::now() < *renew_at
        {
            return Ok(token.clone());
        }
        let token_url = match &self.token_url {
            Some(url) => url.clone(),
            None => discover_token_url(http, base).await?,
        };
        let assertion = self.assertion(&token_url, jiff::Timestamp::now().as_second())?;
        let form = [
            ("grant_type", "client_credentials"),
            ("scope", self.scope.as_str()),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion.as_str()),
        ];
        let response = http
            .post(&token_url)
            .form(&form)
            .send()
            .await
            .map_err(|e| AdapterError::Unreachable { url: token_url.clone(), cause: e.to_string() })?;
        let status = response.status();
        let body = read_limited(response, MAX_AUTH_BODY_BYTES).await.map_err(|failed| unread(&token_url, failed))?;
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        if !status.is_success() {
            let why = body["error_description"].as_str().or(body["error"].as_str());
            let why = why.map(|w| redact(w, [assertion.as_str()].into_iter()));
            return Err(AdapterError::Http { url: token_url, status: status.as_u16(), outcome: why });
        }
        let token = body["access_token"].as_str().ok_or_else(|| AdapterError::Malformed {
            url: token_url.clone(),
            expected: "an OAuth token response",
            detail: "it has no access_token".into(),
        })?;
        let lifetime = Duration::from_secs(body["expires_in"].as_u64().unwrap_or(300));
        let token = Secret(token.to_string());
        if let Ok(mut issued) = self.issued.lock() {
            issued.push(token.clone());
        }
        *cached = Some((token.clone(), Instant::now() + lifetime.saturating_sub(RENEW_BEFORE)));
        Ok(token)
    }

    /// Drops the cached token, after the server refused it.
    pub async fn forget(&self) {
        *self.cached.lock().await = None;
    }
}

async fn discover_token_url(http: &reqwest::Client, base: &str) -> Result<String, AdapterError> {
    let url = format!("{}/.well-known/smart-configuration", base.trim_end_matches('/'));
    let response = http
        .get(&url)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| AdapterError::Unreachable { url: url.clone(), cause: e.to_string() })?;
    if !response.status().is_success() {
        return Err(AdapterError::Http {
            url,
            status: response.status().as_u16(),
            outcome: Some("no SMART configuration; set `token_url` in the target".into()),
        });
    }
    let body = read_limited(response, MAX_AUTH_BODY_BYTES).await.map_err(|failed| unread(&url, failed))?;
    let config: serde_json::Value = serde_json::from_slice(&body).map_err(|e| AdapterError::Malformed {
        url: url.clone(),
        expected: "SMART configuration JSON",
        detail: e.to_string(),
    })?;
    config["token_endpoint"].as_str().map(str::to_string).ok_or(AdapterError::Malformed {
        url,
        expected: "SMART configuration JSON",
        detail: "it has no token_endpoint".into(),
    })
}

/// An answer from the authorisation server whose body could not be read: too large, or cut off.
fn unread(url: &str, failed: Failed) -> AdapterError {
    match failed {
        Failed::TooLarge(detail) => {
            AdapterError::Malformed { url: url.to_string(), expected: "a FHIR response", detail }
        }
        failed => AdapterError::Unreachable { url: url.to_string(), cause: failed.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let s = Secret("hunter2".into());
        assert_eq!(format!("{s:?}"), "[redacted]");
    }

    #[test]
    fn what_a_server_quotes_back_is_scrubbed_of_the_credential() {
        let bearer = Credentials::Bearer(Secret("tok-123".into()));
        assert_eq!(
            bearer.scrub("token tok-123 is unknown; tok-123 revoked"),
            "token [redacted] is unknown; [redacted] revoked"
        );
        let basic = Credentials::Basic { username: "svc".into(), password: Secret("pw".into()) };
        assert_eq!(basic.scrub("user svc, password pw"), "user svc, password [redacted]");
        assert_eq!(Credentials::None.scrub("nothing held"), "nothing held");
    }

    #[test]
    fn a_secret_source_needs_exactly_one_place() {
        let both = SecretSource { env: Some("A".into()), file: Some("b".into()) };
        let err = read_secret(&both, Path::new("."), "password").unwrap_err();
        assert_eq!(err, "say where the password is with exactly one of `env` or `file`");
    }
}
