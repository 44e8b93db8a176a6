//! X12 837P reading throughput in claims and service lines per second: the streamed parse and validation that
//! `handoff validate` and `handoff scrub` run, and the whole-text `Document::parse` + `read_837p` beside it.
//!
//! The batch is `examples/x12_837p_batch.rs`'s, 2,000 claims written to memory. Run: `cargo bench --bench x12`
//! (docs/performance.md has the numbers, the machine, and the whole-process comparison with pyx12).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use handoff::connect::x12::{Document, read_837p, stream_837p};

#[allow(dead_code)]
#[path = "../examples/x12_837p_batch.rs"]
mod batch;

const CLAIMS: u32 = 2_000;

fn x12_throughput(c: &mut Criterion) {
    let mut text = Vec::new();
    batch::write_batch(CLAIMS, 1, &mut text).expect("the batch is written");
    let claims: Vec<_> = stream_837p(text.as_slice()).collect::<Result<_, _>>().expect("the batch reads");
    let lines: usize = claims.iter().map(|c| c.lines.len()).sum();
    eprintln!("{CLAIMS} claims, {lines} service lines, {} bytes", text.len());

    for (unit, count) in [("claims", CLAIMS as u64), ("lines", lines as u64)] {
        let mut group = c.benchmark_group(format!("x12_837p_{unit}"));
        group.throughput(Throughput::Elements(count));
        group.bench_function("stream_parse_and_validate", |b| {
            b.iter(|| stream_837p(black_box(text.as_slice())).filter(|c| c.is_ok()).count())
        });
        group.bench_function("document_parse_and_read", |b| {
            b.iter(|| read_837p(&Document::parse_bytes(black_box(&text)).expect("parses")).expect("reads").len())
        });
        group.finish();
    }
}

criterion_group!(benches, x12_throughput);
criterion_main!(benches);
