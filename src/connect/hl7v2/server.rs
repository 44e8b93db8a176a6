//! An MLLP listener that hands each incoming message to an async handler and frames the ACK it returns.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use jiff::Timestamp;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Framed;

use super::ack::reject_unreadable;
use super::mllp::{MllpCodec, MllpError};
use super::{ErrorCondition, Message};

/// Accepts connections until the task running it is dropped or aborted, answering each framed message on the
/// connection it came in on. `handler` maps a parsed message to the ACK to send back; text that does not parse
/// is answered with an `AR` built from whatever of its MSH could be read, without calling `handler`.
pub async fn serve<H, F>(listener: TcpListener, handler: H)
where
    H: Fn(Message) -> F + Send + Sync + 'static,
    F: Future<Output = Message> + Send + 'static,
{
    let handler = Arc::new(handler);
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let handler = Arc::clone(&handler);
                tokio::spawn(async move {
                    match answer(stream, handler.as_ref()).await {
                        // A sender that hangs up after its ACK, without a clean close, is ordinary.
                        Err(MllpError::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                            tracing::debug!(%peer, "MLLP peer reset the connection")
                        }
                        Err(error) => tracing::warn!(%peer, %error, "MLLP connection ended with an error"),
                        Ok(()) => {}
                    }
                });
            }
            Err(error) => {
                // Usually out of file descriptors or a peer that reset before accept: wait and carry on, since
                // one bad moment should not take the interface down.
                tracing::warn!(%error, "MLLP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn answer<H, F>(stream: TcpStream, handler: &H) -> Result<(), MllpError>
where
    H: Fn(Message) -> F,
    F: Future<Output = Message>,
{
    let mut framed = Framed::new(stream, MllpCodec::default());
    while let Some(frame) = framed.next().await {
        let reply = match frame {
            Ok(text) => match Message::parse(&text) {
                Ok(message) => handler(message).await,
                Err(error) => reject_unreadable(
                    &text,
                    error.error_condition(),
                    &error.to_string(),
                    &reply_control_id(),
                    Timestamp::now(),
                ),
            },
            Err(error @ MllpError::FrameTooLarge { .. }) => {
                // The frame is gone, so nothing of its header can be echoed; say why, then hang up, as the
                // stream can no longer be trusted to be in step.
                let reject = reject_unreadable(
                    "",
                    ErrorCondition::APPLICATION_INTERNAL_ERROR,
                    &error.to_string(),
                    &reply_control_id(),
                    Timestamp::now(),
                );
                framed.send(reject.to_er7()).await?;
                return Err(error);
            }
            Err(error) => return Err(error),
        };
        framed.send(reply.to_er7()).await?;
    }
    Ok(())
}

/// Unique within this process and unlikely to repeat across restarts: milliseconds since the epoch and a counter.
fn reply_control_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) % 1000;
    format!("R{}{n:03}", Timestamp::now().as_millisecond())
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use crate::connect::hl7v2::fixtures::{ana, envelope};
    use crate::connect::hl7v2::{AckCode, Acknowledgment, MessageHeader, ack, adt_a04, read_ack, send};

    /// A receiver that accepts everything, as a well-behaved PM interface would.
    async fn accepting_receiver() -> (SocketAddr, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(serve(listener, |message: Message| async move {
            let header = MessageHeader::read(&message).unwrap();
            let control_id = format!("ACK-{}", header.control_id);
            ack(&header, &control_id, header.sent_at.unwrap_or_else(Timestamp::now), &Acknowledgment::accept("filed"))
        }));
        (addr, task)
    }

    #[tokio::test]
    async fn a_sent_message_is_acknowledged_with_its_control_id() {
        let (addr, receiver) = accepting_receiver().await;
        let reply = send(addr, &adt_a04(&envelope("MSG0001"), &ana()), Duration::from_secs(5)).await.unwrap();
        let received = read_ack(&reply).unwrap();
        assert_eq!(received.acknowledged_control_id, "MSG0001");
        assert_eq!(received.acknowledgment, Acknowledgment::accept("filed"));
        assert_eq!(reply.segment("MSH").unwrap().value(10), "ACK-MSG0001");
        receiver.abort();
    }

    #[tokio::test]
    async fn one_connection_carries_many_messages_and_garbage_is_rejected() {
        let (addr, receiver) = accepting_receiver().await;
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut framed = Framed::new(stream, MllpCodec::default());
        let texts = [
            adt_a04(&envelope("MSG0002"), &ana()).to_er7(),
            "this is not HL7".to_string(),
            "MSH|^~\\&|EMR|NORTH|PM|NORTH|20261201||ADT^A04^ADT_A01\rPID|1\r".to_string(),
            adt_a04(&envelope("MSG0003"), &ana()).to_er7(),
        ];
        let mut answers = Vec::new();
        for text in texts {
            framed.send(text).await.unwrap();
            let reply = Message::parse(&framed.next().await.unwrap().unwrap()).unwrap();
            let received = read_ack(&reply).unwrap();
            answers.push((received.acknowledgment.code, received.acknowledged_control_id, reply));
        }
        let codes: Vec<_> = answers.iter().map(|(code, id, _)| (*code, id.as_str())).collect();
        assert_eq!(
            codes,
            [(AckCode::Accept, "MSG0002"), (AckCode::Reject, ""), (AckCode::Reject, ""), (AckCode::Accept, "MSG0003")]
        );
        // The reject for a readable header goes back to its sender.
        assert_eq!(answers[2].2.segment("MSH").unwrap().value(5), "EMR");
        receiver.abort();
    }

    #[tokio::test]
    async fn a_receiver_that_never_answers_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let silent = tokio::spawn(async move {
            let (_stream, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        let result = send(addr, &adt_a04(&envelope("MSG0004"), &ana()), Duration::from_millis(200)).await;
        assert!(matches!(result, Err(MllpError::Timeout { .. })), "{result:?}");
        silent.abort();
    }

    #[tokio::test]
    async fn a_receiver_that_hangs_up_or_is_not_there_is_reported() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let rude = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            drop(stream);
        });
        let result = send(addr, &adt_a04(&envelope("MSG0005"), &ana()), Duration::from_secs(5)).await;
        assert!(matches!(result, Err(MllpError::NoReply { .. } | MllpError::Io(_))), "{result:?}");
        rude.await.unwrap();

        // Bound but not listening: unlike the closed listener's port, no other test's listener can be given it.
        let reserved = tokio::net::TcpSocket::new_v4().unwrap();
        reserved.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let nobody = reserved.local_addr().unwrap();
        let result = send(nobody, &adt_a04(&envelope("MSG0006"), &ana()), Duration::from_secs(5)).await;
        assert!(matches!(result, Err(MllpError::Connect { .. })), "{result:?}");
    }
}
