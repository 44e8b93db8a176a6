//! Fuzz target: any bytes through the MLLP decoder, the ER7 parser, every message reader and the reject a
//! listener answers unreadable text with. Nothing may panic; what parses must serialise stably, and every
//! reject must itself be a message a sender can parse.
#![no_main]

use bytes::BytesMut;
use handoff::connect::hl7v2::{
    ErrorCondition, Message, MessageHeader, MllpCodec, read_ack, read_adt, read_adt_a40, read_dft,
    read_schedule_notice, read_siu, reject_unreadable,
};
use libfuzzer_sys::fuzz_target;
use tokio_util::codec::Decoder;

fuzz_target!(|data: &[u8]| {
    let mut codec = MllpCodec::with_max_frame_bytes(64 * 1024);
    let mut buf = BytesMut::from(data);
    while let Ok(Some(_)) = codec.decode(&mut buf) {}
    let _ = codec.decode_eof(&mut buf);

    let Ok(text) = std::str::from_utf8(data) else { return };
    match Message::parse(text) {
        Ok(message) => {
            let _ = read_adt(&message).map_err(|e| e.to_string());
            let _ = read_adt_a40(&message).map_err(|e| e.to_string());
            let _ = read_siu(&message).map_err(|e| e.to_string());
            let _ = read_schedule_notice(&message).map_err(|e| e.to_string());
            let _ = read_dft(&message).map_err(|e| e.to_string());
            let _ = read_ack(&message).map_err(|e| e.to_string());
            let _ = MessageHeader::read(&message).map_err(|e| e.to_string());
            let once = message.to_er7();
            let again = Message::parse(&once).map(|m| m.to_er7());
            assert_eq!(again.as_deref(), Ok(once.as_str()), "unstable serialisation");
        }
        Err(error) => {
            let reason = error.to_string();
            let reject =
                reject_unreadable(text, error.error_condition(), &reason, "1", jiff::Timestamp::UNIX_EPOCH).to_er7();
            if let Err(e) = Message::parse(&reject) {
                panic!("the reject of unreadable text does not parse: {e}\n{reject:?}");
            }
        }
    }
    let _ = reject_unreadable(text, ErrorCondition::UNSUPPORTED_MESSAGE_TYPE, "x", "1", jiff::Timestamp::UNIX_EPOCH);
});
