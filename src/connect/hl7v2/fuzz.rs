//! Seeded random text and bytes through the parser, every reader and the MLLP decoder: none may panic, and
//! serialising what was parsed must be stable.

use bytes::{BufMut, BytesMut};
use tokio_util::codec::Decoder;

use super::fixtures::{ana, awkward, booked_visit, envelope, uninsured, visit};
use super::{
    Message, MessageHeader, MllpCodec, PostedCharges, adt_a04, dft_p03, read_ack, read_adt, read_dft, read_siu, siu_s12,
};

/// xorshift64*: deterministic, so a failure can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Valid messages with random characters inserted, deleted or swapped for ER7 metacharacters.
fn mutants(rng: &mut Rng, count: usize) -> Vec<String> {
    let seeds = [
        adt_a04(&envelope("F1"), &ana()).to_er7(),
        adt_a04(&envelope("F2"), &awkward()).to_er7(),
        siu_s12(&envelope("F3"), &booked_visit()).to_er7(),
        dft_p03(&envelope("F4"), &PostedCharges::from_encounter(uninsured(ana()), &visit())).to_er7(),
        "MSH|^~\\&|||||||ACK^A04^ACK|1|P|2.5.1\rMSA|AE|9\rERR|||207^x^HL70357|E\r".to_string(),
    ];
    let alphabet: Vec<char> = "|^~\\&\r\nMSHPIDFT1DG1SCHAIPIN1MSAERR0123456789XE.-ñ\u{0b}\u{1c}".chars().collect();
    (0..count)
        .map(|_| {
            let mut chars: Vec<char> = seeds[rng.below(seeds.len())].chars().collect();
            for _ in 0..=rng.below(8) {
                let at = rng.below(chars.len() + 1);
                let c = alphabet[rng.below(alphabet.len())];
                match rng.below(3) {
                    0 => chars.insert(at, c),
                    1 if at < chars.len() => {
                        chars.remove(at);
                    }
                    _ if at < chars.len() => chars[at] = c,
                    _ => chars.push(c),
                }
            }
            if rng.below(4) == 0 {
                chars.truncate(rng.below(chars.len() + 1));
            }
            chars.into_iter().collect()
        })
        .collect()
}

#[test]
fn mutated_messages_never_panic_and_serialise_stably() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut parsed = 0;
    for text in mutants(&mut rng, 3000) {
        let Ok(message) = Message::parse(&text) else { continue };
        parsed += 1;
        let _ = (read_adt(&message), read_siu(&message), read_dft(&message), read_ack(&message));
        let _ = MessageHeader::read(&message);
        let once = message.to_er7();
        let again = Message::parse(&once).map(|m| m.to_er7());
        assert_eq!(again.as_deref(), Ok(once.as_str()), "unstable serialisation of {text:?}");
    }
    assert!(parsed > 1000, "too few mutants parsed ({parsed}) to exercise the readers");
}

#[test]
fn random_bytes_in_random_chunks_never_panic_the_decoder() {
    let mut rng = Rng(0x5eed_1234_abcd_0002);
    for _ in 0..200 {
        let mut codec = MllpCodec::with_max_frame_bytes(64 + rng.below(512));
        let mut buf = BytesMut::new();
        for _ in 0..rng.below(50) {
            for _ in 0..rng.below(64) {
                let byte = match rng.below(6) {
                    0 => 0x0b,
                    1 => 0x1c,
                    2 => 0x0d,
                    _ => (rng.next() & 0xff) as u8,
                };
                buf.put_u8(byte);
            }
            while let Ok(Some(_)) = codec.decode(&mut buf) {}
        }
        let _ = codec.decode_eof(&mut buf);
    }
}
