//! MLLP framing (`0x0B` message `0x1C 0x0D`) as a tokio codec, with a size limit so a peer that never ends its
//! frame cannot make us buffer without bound.

use std::io;

use bytes::{Buf, BufMut, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use super::ParseError;

pub const START_BLOCK: u8 = 0x0B;
pub const END_BLOCK: u8 = 0x1C;
pub const CARRIAGE_RETURN: u8 = 0x0D;
/// Far above any real ADT, SIU or DFT, well below what would hurt a 24 GiB machine serving many peers.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum MllpError {
    #[error("an MLLP frame exceeded the {limit}-byte limit")]
    FrameTooLarge { limit: usize },
    #[error("the connection closed in the middle of an MLLP frame, after {received} bytes of it")]
    IncompleteFrame { received: usize },
    #[error("the message contains an MLLP framing byte (0x0B or 0x1C), so it cannot be framed; escape it as \\X0B\\")]
    FramingByteInMessage,
    #[error("cannot connect to {addr}: {source}")]
    Connect { addr: String, source: io::Error },
    #[error("{addr} did not answer within {seconds:.1}s")]
    Timeout { addr: String, seconds: f64 },
    #[error("{addr} closed the connection without replying")]
    NoReply { addr: String },
    #[error("{addr} replied with something that is not an HL7 message: {source}")]
    InvalidReply { addr: String, source: ParseError },
    #[error("MLLP I/O error: {0}")]
    Io(#[from] io::Error),
}

/// Frames HL7 text for the wire and finds messages in a byte stream.
///
/// Bytes before a start block are skipped, as is the CR after an end block if it arrives late; a second start
/// block before the end abandons the first, unfinished frame. A frame's bytes are read as UTF-8 or, failing that,
/// as ISO-8859-1, the character set older US systems send; either way every byte becomes a character.
#[derive(Debug, Clone)]
pub struct MllpCodec {
    max_frame_bytes: usize,
    /// How much of the current frame has been searched for its end already, so a frame arriving a byte at a
    /// time is not searched from the start each time.
    searched: usize,
}

impl Default for MllpCodec {
    fn default() -> Self {
        MllpCodec::with_max_frame_bytes(DEFAULT_MAX_FRAME_BYTES)
    }
}

impl MllpCodec {
    pub fn with_max_frame_bytes(max_frame_bytes: usize) -> MllpCodec {
        MllpCodec { max_frame_bytes, searched: 0 }
    }
}

impl Decoder for MllpCodec {
    type Item = String;
    type Error = MllpError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<String>, MllpError> {
        loop {
            if self.searched == 0 {
                match buf.iter().position(|b| *b == START_BLOCK) {
                    Some(start) => buf.advance(start),
                    None => {
                        buf.clear();
                        return Ok(None);
                    }
                }
            }
            // buf[0] is the start block; the payload follows it.
            let payload = buf.get(1..).unwrap_or_default();
            let found = payload.iter().skip(self.searched).position(|b| *b == END_BLOCK || *b == START_BLOCK);
            match found.map(|offset| self.searched + offset) {
                Some(end) if payload.get(end) == Some(&END_BLOCK) => {
                    self.searched = 0;
                    if end > self.max_frame_bytes {
                        buf.clear();
                        return Err(MllpError::FrameTooLarge { limit: self.max_frame_bytes });
                    }
                    let frame = buf.split_to(1 + end + 1);
                    if buf.first() == Some(&CARRIAGE_RETURN) {
                        buf.advance(1);
                    }
                    return Ok(Some(text_of(frame.get(1..1 + end).unwrap_or_default())));
                }
                Some(restart) => {
                    self.searched = 0;
                    buf.advance(1 + restart);
                }
                None => {
                    self.searched = payload.len();
                    if self.searched > self.max_frame_bytes {
                        self.searched = 0;
                        buf.clear();
                        return Err(MllpError::FrameTooLarge { limit: self.max_frame_bytes });
                    }
                    return Ok(None);
                }
            }
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<String>, MllpError> {
        if let Some(frame) = self.decode(buf)? {
            return Ok(Some(frame));
        }
        // What is left, if anything, is a frame that was started and never ended.
        let received = buf.len().saturating_sub(1);
        if buf.is_empty() {
            Ok(None)
        } else {
            buf.clear();
            self.searched = 0;
            Err(MllpError::IncompleteFrame { received })
        }
    }
}

fn text_of(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|b| char::from(*b)).collect(),
    }
}

impl Encoder<&str> for MllpCodec {
    type Error = MllpError;

    fn encode(&mut self, text: &str, buf: &mut BytesMut) -> Result<(), MllpError> {
        let bytes = text.as_bytes();
        if bytes.len() > self.max_frame_bytes {
            return Err(MllpError::FrameTooLarge { limit: self.max_frame_bytes });
        }
        if bytes.iter().any(|b| *b == START_BLOCK || *b == END_BLOCK) {
            return Err(MllpError::FramingByteInMessage);
        }
        buf.reserve(bytes.len() + 3);
        buf.put_u8(START_BLOCK);
        buf.put_slice(bytes);
        buf.put_u8(END_BLOCK);
        buf.put_u8(CARRIAGE_RETURN);
        Ok(())
    }
}

impl Encoder<String> for MllpCodec {
    type Error = MllpError;

    fn encode(&mut self, text: String, buf: &mut BytesMut) -> Result<(), MllpError> {
        self.encode(text.as_str(), buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(text: &str) -> Vec<u8> {
        let mut buf = BytesMut::new();
        MllpCodec::default().encode(text, &mut buf).unwrap();
        buf.to_vec()
    }

    fn decode_all(codec: &mut MllpCodec, buf: &mut BytesMut) -> Vec<String> {
        let mut frames = Vec::new();
        while let Some(frame) = codec.decode(buf).unwrap() {
            frames.push(frame);
        }
        frames
    }

    #[test]
    fn encodes_with_start_and_end_blocks() {
        assert_eq!(framed("MSH|x\r"), b"\x0bMSH|x\r\x1c\x0d");
    }

    #[test]
    fn a_frame_arriving_byte_by_byte_is_read_once_complete() {
        let mut codec = MllpCodec::default();
        let mut buf = BytesMut::new();
        let bytes = framed("MSH|^~\\&|Muñoz\r");
        let mut frames = Vec::new();
        for byte in &bytes {
            buf.put_u8(*byte);
            frames.extend(decode_all(&mut codec, &mut buf));
        }
        assert_eq!(frames, vec!["MSH|^~\\&|Muñoz\r".to_string()]);
        assert!(buf.is_empty());
    }

    #[test]
    fn two_frames_in_one_read_are_both_read() {
        let mut codec = MllpCodec::default();
        let mut buf = BytesMut::from(&[framed("one"), framed("two")].concat()[..]);
        assert_eq!(decode_all(&mut codec, &mut buf), vec!["one", "two"]);
    }

    #[test]
    fn leading_garbage_late_cr_and_abandoned_frames_are_skipped() {
        let mut codec = MllpCodec::default();
        let mut buf = BytesMut::from(&b"garbage\r\n\x0bhalf a fr"[..]);
        assert!(decode_all(&mut codec, &mut buf).is_empty());
        buf.put_slice(b"ame\x0bwhole\x1c");
        assert_eq!(decode_all(&mut codec, &mut buf), vec!["whole"]);
        buf.put_slice(b"\x0dnoise\x0bnext\x1c\x0d");
        assert_eq!(decode_all(&mut codec, &mut buf), vec!["next"]);
    }

    #[test]
    fn an_endless_frame_is_an_error_not_a_growing_buffer() {
        let mut codec = MllpCodec::with_max_frame_bytes(16);
        let mut buf = BytesMut::from(&b"\x0b0123456789"[..]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        buf.put_slice(b"0123456789");
        assert!(matches!(codec.decode(&mut buf), Err(MllpError::FrameTooLarge { limit: 16 })));
        assert!(buf.is_empty());
        let mut whole = BytesMut::from(&b"\x0b0123456789abcdefXYZ\x1c\x0d"[..]);
        assert!(matches!(MllpCodec::with_max_frame_bytes(16).decode(&mut whole), Err(MllpError::FrameTooLarge { .. })));
        assert!(matches!(
            MllpCodec::with_max_frame_bytes(4).encode("too long", &mut BytesMut::new()),
            Err(MllpError::FrameTooLarge { limit: 4 })
        ));
    }

    #[test]
    fn a_frame_cut_off_by_end_of_stream_is_an_error() {
        let mut codec = MllpCodec::default();
        let mut buf = BytesMut::from(&b"\x0bMSH|half"[..]);
        assert!(matches!(codec.decode_eof(&mut buf), Err(MllpError::IncompleteFrame { received: 8 })));
        let mut garbage_only = BytesMut::from(&b"\r\n"[..]);
        assert!(codec.decode_eof(&mut garbage_only).unwrap().is_none());
    }

    #[test]
    fn text_that_would_break_framing_is_refused() {
        let mut buf = BytesMut::new();
        assert!(matches!(MllpCodec::default().encode("a\u{1c}b", &mut buf), Err(MllpError::FramingByteInMessage)));
    }

    #[test]
    fn latin_1_frames_are_read_character_for_character() {
        let mut codec = MllpCodec::default();
        let mut buf = BytesMut::from(&b"\x0bMu\xf1oz\x1c\x0d"[..]);
        assert_eq!(decode_all(&mut codec, &mut buf), vec!["Muñoz"]);
    }
}
