//! Plain-HTTP/1.1 connections kept open to each server, one request at a time on each: hyper's own connection,
//! taken from an idle list and put back once its answer has been read.
//!
//! Why not hyper-util's pooled client: for every request it keys its pool by scheme and authority, races a
//! checkout against a connector future it builds whether or not an idle connection is there, and spawns a task that
//! waits for the connection to be free again once the answer's body has been read. A harness request reads its answer
//! whole before it does anything else, so it can put the connection back itself. That was about a tenth of the
//! harness's CPU against a simulator on loopback.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;

/// The half of a connection a request is sent on.
type Sender = SendRequest<Full<Bytes>>;

/// How many idle connections are kept to one server: more than a run's `--jobs` sends at once to it by default.
const IDLE_PER_SERVER: usize = 256;
/// How long a connection is kept unused, as hyper-util's client keeps them: past it, a server or a load balancer
/// between may have dropped it without a word, and a request sent on it would wait out its whole timeout.
const IDLE_FOR: Duration = Duration::from_secs(90);

/// The host and port a connection goes to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Server {
    /// As the URL writes it: an IPv6 address in brackets.
    pub host: String,
    pub port: u16,
}

/// Why a request got no answer on a connection.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unsent {
    #[error("{0}")]
    Connect(#[source] std::io::Error),
    #[error("{0}")]
    Http(#[source] hyper::Error),
}

/// A connection lent to one request; [`Connections::give_back`] returns it once the answer is read whole.
pub(crate) struct Lent {
    server: Server,
    sender: Sender,
}

/// Each server's idle connections, the most recently used last, with when each was put back.
#[derive(Default)]
pub(crate) struct Connections {
    idle: Mutex<HashMap<Server, Vec<(Sender, Instant)>>>,
}

impl Connections {
    /// Sends `request` on an idle connection to `server`, or a new one. A request that a reused connection closed
    /// before taking (the server closed it while it was idle) is sent again on a new connection, as hyper-util's
    /// client does; one that was sent is never sent twice.
    pub async fn send(
        &self,
        server: &Server,
        request: hyper::Request<Full<Bytes>>,
    ) -> Result<(hyper::Response<Incoming>, Lent), Unsent> {
        let (mut sender, reused) = match self.idle_to(server).await {
            Some(sender) => (sender, true),
            None => (connect(server).await?, false),
        };
        let response = match sender.try_send_request(request).await {
            Ok(response) => response,
            Err(mut failed) => match failed.take_message() {
                Some(request) if reused => {
                    sender = connect(server).await?;
                    sender.send_request(request).await.map_err(Unsent::Http)?
                }
                _ => return Err(Unsent::Http(failed.into_error())),
            },
        };
        Ok((response, Lent { server: server.clone(), sender }))
    }

    /// A connection whose answer was read to its end, kept for the next request to its server. One the server is
    /// closing (it said `Connection: close`, or went away) is let go.
    pub fn give_back(&self, lent: Lent) {
        let Lent { server, sender } = lent;
        // One that is not free yet (its connection task has still to see the end of the answer) is waited for when
        // it is next taken.
        if sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let kept = idle.entry(server).or_default();
        if kept.len() < IDLE_PER_SERVER {
            kept.push((sender, Instant::now()));
        }
    }

    /// The most recently used open connection to `server`, once it is free. Those idle too long are let go.
    async fn idle_to(&self, server: &Server) -> Option<Sender> {
        loop {
            let mut sender = {
                let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
                let kept = idle.get_mut(server)?;
                // Put back in turn, the oldest are first: those past their time go together, and the last is fresh.
                let fresh = kept.iter().position(|(_, since)| since.elapsed() < IDLE_FOR).unwrap_or(kept.len());
                kept.drain(..fresh);
                kept.pop()?.0
            };
            if !sender.is_closed() && sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }
}

async fn connect(server: &Server) -> Result<Sender, Unsent> {
    let host = server.host.trim_start_matches('[').trim_end_matches(']');
    let stream = tokio::net::TcpStream::connect((host, server.port)).await.map_err(Unsent::Connect)?;
    // As reqwest does: a request's few packets go out without waiting for an acknowledgement.
    stream.set_nodelay(true).map_err(Unsent::Connect)?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.map_err(Unsent::Http)?;
    // The connection's reading and writing run on their own; they end when the server closes it or every sender
    // of it is gone.
    tokio::spawn(connection);
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use http_body_util::BodyExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A server that answers every request `ok`, counting the connections it accepts; with `close_after_each`, it
    /// closes each connection after its first answer without saying so (as a server whose idle timeout is short).
    async fn server(close_after_each: bool) -> (Server, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buffer = vec![0u8; 4096];
                    let mut seen = Vec::new();
                    loop {
                        let Ok(n) = socket.read(&mut buffer).await else { return };
                        if n == 0 {
                            return;
                        }
                        seen.extend_from_slice(&buffer[..n]);
                        while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                            seen.drain(..end + 4);
                            let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                            if socket.write_all(answer).await.is_err() || close_after_each {
                                return;
                            }
                        }
                    }
                });
            }
        });
        (Server { host: "127.0.0.1".into(), port }, accepted)
    }

    async fn get(connections: &Connections, server: &Server) -> String {
        let request = hyper::Request::get("/").header("host", "127.0.0.1").body(Full::default()).unwrap();
        let (response, lent) = connections.send(server, request).await.expect("an answer");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        connections.give_back(lent);
        String::from_utf8_lossy(&body).into_owned()
    }

    #[tokio::test]
    async fn requests_one_after_another_share_one_connection() {
        let (server, accepted) = server(false).await;
        let connections = Connections::default();
        for _ in 0..3 {
            assert_eq!(get(&connections, &server).await, "ok");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_connection_the_server_closed_while_idle_is_replaced() {
        let (server, accepted) = server(true).await;
        let connections = Connections::default();
        for _ in 0..3 {
            assert_eq!(get(&connections, &server).await, "ok");
            // The server's close reaches the idle connection before the next request, or races it: either way the
            // next request is answered on a new connection.
            tokio::task::yield_now().await;
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn requests_at_once_each_get_their_own_connection_and_keep_them() {
        let (server, accepted) = server(false).await;
        let connections = Connections::default();
        let both = futures::future::join(get(&connections, &server), get(&connections, &server)).await;
        assert_eq!(both, ("ok".to_string(), "ok".to_string()));
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
        assert_eq!(connections.idle.lock().unwrap()[&server].len(), 2);
        assert_eq!(get(&connections, &server).await, "ok");
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_connection_idle_too_long_is_not_used_again() {
        let (server, accepted) = server(false).await;
        let connections = Connections::default();
        assert_eq!(get(&connections, &server).await, "ok");
        if let Some(kept) = connections.idle.lock().unwrap().get_mut(&server) {
            kept[0].1 = kept[0].1.checked_sub(IDLE_FOR).expect("a machine up longer than the idle time");
        }
        assert_eq!(get(&connections, &server).await, "ok");
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
        assert_eq!(connections.idle.lock().unwrap()[&server].len(), 1);
        assert_eq!(get(&connections, &server).await, "ok");
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_refused_connection_is_the_operating_systems_reason() {
        // Bound but not listening: the port stays ours, so no other test's server can be given it while this one
        // connects, and the kernel refuses the connection.
        let reserved = tokio::net::TcpSocket::new_v4().unwrap();
        reserved.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let port = reserved.local_addr().unwrap().port();
        let connections = Connections::default();
        let request = hyper::Request::get("/").body(Full::default()).unwrap();
        let Err(failed) = connections.send(&Server { host: "127.0.0.1".into(), port }, request).await else {
            panic!("port {port} answered though nothing listens on it");
        };
        assert!(
            matches!(failed, Unsent::Connect(ref e) if e.kind() == std::io::ErrorKind::ConnectionRefused),
            "{failed}"
        );
    }
}
