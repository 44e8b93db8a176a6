//! How one HTTP request reaches its server and its answer comes back (the FHIR adapter's requests, and the
//! simulated PM's X12 to its payer): hyper's HTTP/1.1 connections, kept open ([`Connections`]), for plain HTTP
//! reached directly; reqwest for TLS and proxies.
//!
//! Why two: reqwest wraps hyper's client in layers these exchanges never use — a redirect follower that prints and
//! parses every request's URL again, a connector cloned per request, its own response wrapper. Against a server on
//! plain HTTP those layers were a tenth of the harness's CPU a run. TLS (rustls, the platform's and any configured
//! CA) and the proxies named in the environment stay with reqwest, which does them well. Both give the caller the
//! same [`Answer`], time out the same way and fail with the same errors.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use reqwest::header::{HOST, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};

use super::connections::{Connections, Server};

/// A request as its caller builds it, before it is given to either client.
pub(crate) struct Outgoing<'a> {
    pub method: Method,
    /// The URL as text, for errors and for reqwest when there is no parsed one.
    pub url: &'a str,
    pub parsed: Option<&'a reqwest::Url>,
    pub headers: HeaderMap,
    pub body: Option<Vec<u8>>,
}

/// A server's answer, its body read whole (within the limit).
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Why an exchange got no answer: the caller turns each into its finding.
#[derive(Debug)]
pub(crate) enum Failed {
    Timeout,
    Unreachable(String),
    /// The body is larger than the limit: what was seen.
    TooLarge(String),
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failed::Timeout => f.write_str("no answer within the timeout"),
            Failed::Unreachable(cause) => f.write_str(cause),
            Failed::TooLarge(detail) => f.write_str(detail),
        }
    }
}

pub(crate) struct Transport {
    /// TLS, proxies, and anything else its caller sends itself (the token endpoint of SMART credentials).
    pub reqwest: reqwest::Client,
    /// Plain HTTP when no proxy is set in the environment; `None` when one is.
    direct: Option<Connections>,
    timeout: Duration,
    limit: usize,
}

impl Transport {
    pub fn new(reqwest: reqwest::Client, timeout: Duration, limit: usize) -> Transport {
        let direct = (!proxy_in_environment()).then(Connections::default);
        Transport { reqwest, direct, timeout, limit }
    }

    /// One request and its whole answer, within the timeout (connecting, sending and reading the body, as
    /// reqwest's timeout counts).
    pub async fn send(&self, request: Outgoing<'_>) -> Result<Answer, Failed> {
        let answer = async {
            match &self.direct {
                Some(direct) if is_plain_http(request.url) => self.send_direct(direct, request).await,
                _ => self.send_reqwest(request).await,
            }
        };
        tokio::time::timeout(self.timeout, answer).await.unwrap_or(Err(Failed::Timeout))
    }

    async fn send_direct(&self, direct: &Connections, request: Outgoing<'_>) -> Result<Answer, Failed> {
        // The URL as reqwest would send it: parsed and normalised (percent-encoded) by `url`.
        let reparsed;
        let url = match request.parsed {
            Some(parsed) => parsed,
            None => {
                reparsed = reqwest::Url::parse(request.url).map_err(|e| Failed::Unreachable(e.to_string()))?;
                &reparsed
            }
        };
        let host = url.host_str().unwrap_or_default();
        let server = Server { host: host.to_string(), port: url.port_or_known_default().unwrap_or(80) };
        // What hyper-util's client adds to a request for a server reached directly (and reqwest through it): the
        // path and query alone on the request line, and a `Host` header, its port only when it is not 80.
        let mut built = hyper::Request::builder().method(request.method).uri(origin_form(url));
        if let Some(headers) = built.headers_mut() {
            *headers = request.headers;
            let named = match url.port() {
                Some(port) => HeaderValue::try_from(format!("{host}:{port}")),
                None => HeaderValue::try_from(host),
            };
            if let Ok(named) = named {
                headers.entry(HOST).or_insert(named);
            }
        }
        let body = Full::new(request.body.map(Bytes::from).unwrap_or_default());
        let built = built.body(body).map_err(|e| Failed::Unreachable(innermost(&e)))?;
        let (response, lent) = direct.send(&server, built).await.map_err(|e| Failed::Unreachable(innermost(&e)))?;
        let (parts, mut incoming) = response.into_parts();
        let mut body = within_limit(content_length(&parts.headers), self.limit)?;
        while let Some(frame) = incoming.frame().await {
            let frame = frame.map_err(|e| Failed::Unreachable(innermost(&e)))?;
            if let Ok(data) = frame.into_data() {
                gather(&mut body, &data, self.limit)?;
            }
        }
        // Only a connection whose answer was read to its end can take another request.
        direct.give_back(lent);
        Ok(Answer { status: parts.status, headers: parts.headers, body })
    }

    async fn send_reqwest(&self, request: Outgoing<'_>) -> Result<Answer, Failed> {
        let builder = match request.parsed {
            Some(parsed) => self.reqwest.request(request.method, parsed.clone()),
            None => self.reqwest.request(request.method, request.url),
        };
        let mut builder = builder.headers(request.headers);
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let mut response = builder.send().await.map_err(reqwest_failure)?;
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let body = read_limited(response, self.limit).await?;
        Ok(Answer { status, headers, body })
    }
}

/// A reqwest response's body, read no further than `limit` bytes (for what is sent through reqwest itself: the
/// token endpoint of SMART credentials, and [`Transport`]'s TLS and proxied requests).
pub(crate) async fn read_limited(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, Failed> {
    let mut body = within_limit(response.content_length(), limit)?;
    while let Some(chunk) = response.chunk().await.map_err(reqwest_failure)? {
        gather(&mut body, &chunk, limit)?;
    }
    Ok(body)
}

/// The path and query of a URL, as they go on the request line (never its fragment).
fn origin_form(url: &reqwest::Url) -> &str {
    &url[url::Position::BeforePath..url::Position::AfterQuery]
}

/// A buffer sized once for the body the server announces; a server announcing more than the limit is refused
/// before a byte is read, so it cannot fill memory.
fn within_limit(announced: Option<u64>, limit: usize) -> Result<Vec<u8>, Failed> {
    match announced {
        Some(n) if n > limit as u64 => {
            Err(Failed::TooLarge(format!("it announces a body of {n} bytes, over the {limit}-byte limit")))
        }
        Some(n) => Ok(Vec::with_capacity(n as usize)),
        None => Ok(Vec::new()),
    }
}

/// `data` added to `body`, which a server streaming more than `limit` bytes (an endless chunked body) cannot take
/// past it.
fn gather(body: &mut Vec<u8>, data: &[u8], limit: usize) -> Result<(), Failed> {
    body.extend_from_slice(data);
    if body.len() > limit {
        return Err(Failed::TooLarge(format!("the body is over {limit} bytes")));
    }
    Ok(())
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(reqwest::header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

fn is_plain_http(url: &str) -> bool {
    url.get(..7).is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
}

/// Whether the environment names a proxy for plain HTTP, as reqwest reads it (`HTTP_PROXY`, `ALL_PROXY`, either
/// case): such requests go through reqwest, which honours it and `NO_PROXY`.
fn proxy_in_environment() -> bool {
    ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

fn reqwest_failure(error: reqwest::Error) -> Failed {
    if error.is_timeout() { Failed::Timeout } else { Failed::Unreachable(innermost(&error)) }
}

/// The deepest cause of an error: "Connection refused (os error 111)", not "error sending request".
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    cause
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server that answers by the request's path, as written here byte for byte (so it can lie about lengths):
    /// `/ok` a FHIR body, `/moved` a redirect to it, `/huge` a length over the limit, `/endless` a chunked body that never ends, `/hang`
    /// nothing at all. Each request's head is sent back in the `/ok` body's `echo`, to see what was sent.
    async fn server() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else { return };
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && socket.read(&mut byte).await.unwrap_or(0) == 1 {
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&head).to_string();
                    let path = head.split(' ').nth(1).unwrap_or_default().to_string();
                    match path.as_str() {
                        "/ok" => {
                            let body = serde_json::json!({"resourceType": "Patient", "echo": head}).to_string();
                            let answer = format!(
                                "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/fhir+json\r\nretry-after: 2\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                                body.len()
                            );
                            let _ = socket.write_all(answer.as_bytes()).await;
                        }
                        "/moved" => {
                            let _ = socket
                                .write_all(
                                    b"HTTP/1.1 301 Moved Permanently\r\nlocation: /ok\r\ncontent-length: 0\r\n\r\n",
                                )
                                .await;
                        }
                        "/huge" => {
                            let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 10000000000\r\n\r\n{").await;
                        }
                        "/endless" => {
                            let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n").await;
                            let chunk = format!("400\r\n{}\r\n", "x".repeat(0x400));
                            while socket.write_all(chunk.as_bytes()).await.is_ok() {}
                        }
                        _ => tokio::time::sleep(Duration::from_secs(30)).await,
                    }
                });
            }
        });
        format!("http://{address}")
    }

    /// The direct client and reqwest, in that order, each with a 64 KB limit and a 500 ms timeout.
    fn both() -> [Transport; 2] {
        let reqwest = || reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let timeout = Duration::from_millis(500);
        let mut through_reqwest = Transport::new(reqwest(), timeout, 64 * 1024);
        through_reqwest.direct = None;
        let mut direct = Transport::new(reqwest(), timeout, 64 * 1024);
        // Built even where a proxy is set for the tests, as the test is of it.
        direct.direct = Some(Connections::default());
        [direct, through_reqwest]
    }

    fn get(url: &str) -> Outgoing<'_> {
        Outgoing { method: Method::GET, url, parsed: None, headers: HeaderMap::new(), body: None }
    }

    fn failure(result: Result<Answer, Failed>) -> String {
        match result {
            Ok(answer) => format!("answered {}", answer.status),
            Err(Failed::Timeout) => "timeout".to_string(),
            Err(Failed::Unreachable(cause)) => format!("unreachable: {cause}"),
            Err(Failed::TooLarge(detail)) => format!("too large: {detail}"),
        }
    }

    #[tokio::test]
    async fn both_clients_give_the_same_answer_and_send_the_same_request() {
        let base = server().await;
        let url = format!("{base}/ok");
        let mut echoes = Vec::new();
        for transport in both() {
            let mut headers = HeaderMap::new();
            headers.insert(reqwest::header::ACCEPT, reqwest::header::HeaderValue::from_static("application/fhir+json"));
            let request =
                Outgoing { method: Method::POST, url: &url, parsed: None, headers, body: Some(b"{}".to_vec()) };
            let answer = transport.send(request).await.expect("an answer");
            assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(answer.headers[reqwest::header::RETRY_AFTER], "2");
            let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
            assert_eq!(body["resourceType"], "Patient");
            let echo = body["echo"].as_str().unwrap().to_ascii_lowercase();
            assert!(echo.starts_with("post /ok http/1.1\r\n"), "{echo}");
            assert!(echo.contains("\r\naccept: application/fhir+json\r\n"), "{echo}");
            assert!(echo.contains("\r\ncontent-length: 2\r\n"), "{echo}");
            assert!(echo.contains(&format!("\r\nhost: {}\r\n", base.trim_start_matches("http://"))), "{echo}");
            echoes.push(echo);
        }
        assert_eq!(echoes[0], echoes[1], "the two clients sent different requests");
    }

    #[tokio::test]
    async fn both_clients_fail_alike() {
        let base = server().await;
        // Bound but not listening, and held to the end: a port given back could be given to another test's server.
        let reserved = tokio::net::TcpSocket::new_v4().unwrap();
        reserved.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let closed = format!("http://{}/ok", reserved.local_addr().unwrap());
        let [direct, through_reqwest] = both();
        for url in [format!("{base}/huge"), format!("{base}/endless"), format!("{base}/hang"), closed.clone()] {
            let (a, b) = (failure(direct.send(get(&url)).await), failure(through_reqwest.send(get(&url)).await));
            assert_eq!(a, b, "{url}");
        }
        assert_eq!(failure(direct.send(get(&closed)).await), "unreachable: Connection refused (os error 111)");
        for transport in [&direct, &through_reqwest] {
            assert_eq!(failure(transport.send(get(&format!("{base}/moved"))).await), "answered 301 Moved Permanently");
        }
        assert_eq!(
            failure(direct.send(get(&format!("{base}/huge"))).await),
            "too large: it announces a body of 10000000000 bytes, over the 65536-byte limit"
        );
        assert_eq!(
            failure(direct.send(get(&format!("{base}/endless"))).await),
            "too large: the body is over 65536 bytes"
        );
        assert_eq!(failure(direct.send(get(&format!("{base}/hang"))).await), "timeout");
    }

    #[test]
    fn only_plain_http_goes_direct() {
        assert!(is_plain_http("http://127.0.0.1:8080/fhir"));
        assert!(is_plain_http("HTTP://ehr.example/fhir"));
        assert!(!is_plain_http("https://ehr.example/fhir"));
        assert!(!is_plain_http("http:/"));
    }

    #[test]
    fn the_request_line_carries_the_path_and_query_as_url_writes_them() {
        let line = |url: &str| origin_form(&reqwest::Url::parse(url).unwrap()).to_string();
        assert_eq!(line("http://127.0.0.1:8080/fhir/Patient?name=a%20b#top"), "/fhir/Patient?name=a%20b");
        assert_eq!(line("http://ehr.example?x=1"), "/?x=1");
        assert_eq!(line("http://ehr.example"), "/");
        assert_eq!(line("http://user:p%2Fss@ehr.example/fhir/Coverage"), "/fhir/Coverage");
        assert_eq!(line("http://[::1]:9000/fhir/Patient/a b"), "/fhir/Patient/a%20b");
    }
}
