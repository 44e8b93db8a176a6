//! Sending one message over MLLP and waiting for the reply, as an EMR or PM interface does.

use std::fmt::Display;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::net::{TcpStream, ToSocketAddrs};
use tokio_util::codec::Framed;

use super::Message;
use super::mllp::{MllpCodec, MllpError};

/// Connects, sends `message` in one MLLP frame and returns the first framed reply (normally the ACK), all within
/// `timeout`. One connection per message keeps a failure from leaking into the next exchange; the caller checks
/// the reply with [`read_ack`](super::read_ack).
pub async fn send<A>(addr: A, message: &Message, timeout: Duration) -> Result<Message, MllpError>
where
    A: ToSocketAddrs + Display,
{
    let label = addr.to_string();
    match tokio::time::timeout(timeout, exchange(addr, &label, message)).await {
        Ok(result) => result,
        Err(_) => Err(MllpError::Timeout { addr: label, seconds: timeout.as_secs_f64() }),
    }
}

async fn exchange<A: ToSocketAddrs>(addr: A, label: &str, message: &Message) -> Result<Message, MllpError> {
    let stream =
        TcpStream::connect(addr).await.map_err(|source| MllpError::Connect { addr: label.to_string(), source })?;
    let mut framed = Framed::new(stream, MllpCodec::default());
    framed.send(message.to_er7()).await?;
    let reply = framed.next().await.ok_or_else(|| MllpError::NoReply { addr: label.to_string() })??;
    Message::parse(&reply).map_err(|source| MllpError::InvalidReply { addr: label.to_string(), source })
}
