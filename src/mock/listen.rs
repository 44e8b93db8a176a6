//! Serving a simulator's router on its listener, with every connection owned by the server: stopping the simulator closes them all, and a fault can reset its own.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::service::Service as _;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinSet;

/// Put in a response's extensions to have the connection reset instead of the response sent.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// Accepts until the task running it is aborted. Connection tasks live in a `JoinSet` owned by this future, so
/// aborting it aborts them too — `axum::serve` detaches them, which would leave a held-open (`hang`) request behind.
pub async fn serve(listener: TcpListener, app: Router) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(stream, app.clone()));
                }
                Err(e) if is_connection_error(&e) => {}
                Err(e) => {
                    // Most likely out of file descriptors: wait for some connections to close rather than spin.
                    tracing::error!("simulator cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            },
            // Reaps finished connections so the set does not grow with every connection ever served.
            Some(_) = connections.join_next() => {}
        }
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    )
}

/// A request, from anywhere in the connection's handling, that the connection be reset.
#[derive(Default)]
struct Abort {
    requested: AtomicBool,
    notify: Notify,
}

impl Abort {
    fn request(&self) {
        self.requested.store(true, Ordering::Release);
        // `notify_one` keeps a permit if the connection task is not waiting yet, so the request cannot be missed.
        self.notify.notify_one();
    }
}

async fn connection(stream: TcpStream, app: Router) {
    let abort = Arc::new(Abort::default());
    let io = TokioIo::new(Socket { stream, abort: abort.clone() });
    let app = TowerToHyperService::new(app);
    let handler_abort = abort.clone();
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let answer = app.call(request);
        let abort = handler_abort.clone();
        async move {
            let response = answer.await?;
            if response.extensions().get::<DropConnection>().is_some() {
                abort.request();
                // Never answer: the connection task drops this connection, and with it this future.
                std::future::pending::<()>().await;
            }
            Ok::<_, Infallible>(response)
        }
    });
    let serving = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
    tokio::select! {
        result = serving => {
            if let Err(e) = result {
                tracing::trace!("simulator connection ended: {e}");
            }
        }
        // Dropping the connection drops its socket, which then closes with a reset.
        () = abort.notify.notified() => {}
    }
}

/// A connection's socket, which closes with a TCP reset rather than an orderly FIN once a reset was requested.
struct Socket {
    stream: TcpStream,
    abort: Arc<Abort>,
}

impl Drop for Socket {
    fn drop(&mut self) {
        if self.abort.requested.load(Ordering::Acquire) {
            // With SO_LINGER at zero, close() sends RST and discards anything unsent: the client sees a reset.
            if let Err(e) = self.stream.set_zero_linger() {
                tracing::debug!("cannot make the simulator's connection reset on close: {e}");
            }
        }
    }
}

impl AsyncRead for Socket {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Socket {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
