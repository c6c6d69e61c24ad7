//! Parsing and checking speed on the betsy suite: all 977 processes read (and, in the second
//! figure, resolved and checked with every static-analysis rule), with their WSDL and XSD imports (each import parsed once per run, as `bpel check` does). The baseline, run side by
//! side, is quick-xml alone scanning the same process texts: the ceiling for any XML-based parser.
//!
//! The second group (issue 15) checks the same processes twice: as written (XPath 1.0, the
//! default) and declared XPath 2.0 (`expressionLanguage` and `queryLanguage` set on `<process>`):
//! the processes that name no language themselves, so that both runs check the same texts.
//!
//! `cargo bench -p bpel-engine --bench parse` (criterion prints elements/s = processes/s).

use std::path::PathBuf;

use bpel_engine::check::{analyze_text, process_files};
use bpel_engine::parse::{parse_process, Loader};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

// The allocator the `bpel` binary runs with, so that the figures are what `bpel check` does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn betsy() -> Vec<(PathBuf, String)> {
    let shared = std::env::var_os("BPEL_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let (files, errors) = process_files(&[shared.join("conformance/betsy")]);
    assert!(errors.is_empty() && !files.is_empty(), "betsy not found under {}", shared.display());
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable");
            (path, text)
        })
        .collect()
}

fn parse_betsy(c: &mut Criterion) {
    let files = betsy();
    let mut group = c.benchmark_group("betsy");
    group.throughput(Throughput::Elements(files.len() as u64));
    group.sample_size(20);
    group.bench_function("quick-xml scan (baseline)", |b| {
        b.iter(|| {
            let mut events = 0usize;
            for (_, text) in &files {
                let mut reader = quick_xml::Reader::from_str(text);
                loop {
                    match reader.read_event() {
                        Ok(quick_xml::events::Event::Eof) | Err(_) => break,
                        Ok(_) => events += 1,
                    }
                }
            }
            events
        })
    });
    group.bench_function("parse (model + WSDL/XSD imports)", |b| {
        b.iter(|| {
            let mut loader = Loader::new();
            let mut diagnostics = 0usize;
            for (path, text) in &files {
                diagnostics += parse_process(&mut loader, path, text.as_str()).diagnostics.len();
            }
            diagnostics
        })
    });
    group.bench_function("check (parse + resolution + all 94 SA rules)", |b| {
        b.iter(|| {
            let mut loader = Loader::new();
            let mut diagnostics = 0usize;
            for (path, text) in &files {
                diagnostics += analyze_text(&mut loader, path, text.as_str()).diagnostics().len();
            }
            diagnostics
        })
    });
    group.finish();
}

/// `text` with XPath 2.0 declared on its `<process>` element.
fn declared_xpath2(text: &str) -> String {
    const LANGUAGES: &str = "expressionLanguage=\"urn:oasis:names:tc:wsbpel:2.0:sublang:xpath2.0\" \
                             queryLanguage=\"urn:oasis:names:tc:wsbpel:2.0:sublang:xpath2.0\" ";
    text.replacen("<process ", &format!("<process {LANGUAGES}"), 1)
}

fn check_xpath2(c: &mut Criterion) {
    let files: Vec<(PathBuf, String)> =
        betsy().into_iter().filter(|(_, text)| !text.contains("Language=") && text.contains("<process ")).collect();
    let xpath2: Vec<(PathBuf, String)> = files.iter().map(|(path, text)| (path.clone(), declared_xpath2(text))).collect();
    let mut group = c.benchmark_group("betsy_languages");
    group.throughput(Throughput::Elements(files.len() as u64));
    group.sample_size(20);
    for (name, texts) in [("check, XPath 1.0 (as written)", &files), ("check, declared XPath 2.0", &xpath2)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut loader = Loader::new();
                let mut diagnostics = 0usize;
                for (path, text) in texts {
                    diagnostics += analyze_text(&mut loader, path, text.as_str()).diagnostics().len();
                }
                diagnostics
            })
        });
    }
    group.finish();
}

criterion_group!(benches, parse_betsy, check_xpath2);
criterion_main!(benches);
