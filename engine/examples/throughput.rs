//! In-process extraction throughput for BENCHMARKS.md: loads a corpus of JSON Lines documents
//! (`{"id", "text"}`, as `bench/compare.py corpus` writes them), builds the extractor, times
//! `Extractor::extract` over every document, and prints one JSON line with the build time, MB/s
//! (of the best pass, and of the median pass: on a shared machine the best is the least
//! disturbed) and the peak resident memory (VmHWM).
//!
//! With `--ceiling normalize`, times normalization alone instead; with `--ceiling raw-scan`, an
//! Aho-Corasick DFA's overlapping scan of the raw text for the gazetteers' raw names and
//! aliases (no normalization, no word rules, no choice): the two ceilings of the engine's speed.
//!
//! `cargo run --release -p alam-engine --example throughput -- CORPUS.jsonl [--gazetteers DIR]
//! [--passes N] [--ceiling normalize|raw-scan]`

use std::time::Instant;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use alam_engine::normalize::Normalizer;
use alam_engine::{ExtractOptions, Extractor, Gazetteer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let corpus = args
        .first()
        .ok_or("usage: throughput CORPUS.jsonl [--gazetteers DIR] [--passes N] [--ceiling KIND]")?;
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let passes: usize = flag("--passes").map_or(Ok(3), |p| p.parse())?;

    let mut documents = Vec::new();
    for line in std::fs::read_to_string(corpus)?.lines() {
        let value: serde_json::Value = serde_json::from_str(line)?;
        documents.push(
            value["text"]
                .as_str()
                .ok_or("a document without text")?
                .to_string(),
        );
    }
    let bytes: usize = documents.iter().map(String::len).sum();
    let rss_corpus = vm_kib("VmRSS:");

    let started = Instant::now();
    let gazetteer = match flag("--gazetteers") {
        Some(dir) => Gazetteer::load_dir(dir)?,
        None => Gazetteer::embedded()?,
    };
    let loaded = started.elapsed();
    let extractor = Extractor::new(gazetteer)?;
    let built = started.elapsed();
    let rss_built = vm_kib("VmRSS:");

    let options = ExtractOptions::default();
    let mut normalizer = Normalizer::default();
    let raw_names: Vec<&str> = extractor
        .gazetteer()
        .entities()
        .iter()
        .flat_map(|e| e.names())
        .collect();
    let (tool, mut pass): (&str, Box<Pass>) = match flag("--ceiling") {
        None => (
            "alam (in-process)",
            Box::new(|doc| extractor.extract(doc, &options).map_or(0, |m| m.len())),
        ),
        Some(kind) if kind == "normalize" => (
            "reference: normalization alone",
            Box::new(|doc| {
                normalizer.normalize(doc);
                normalizer.as_bytes().len()
            }),
        ),
        Some(kind) if kind == "raw-scan" => {
            let automaton = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&raw_names)?;
            (
                "reference: raw aho-corasick DFA overlapping scan",
                Box::new(move |doc| automaton.find_overlapping_iter(doc).count()),
            )
        }
        Some(other) => return Err(format!("unknown --ceiling {other:?}").into()),
    };
    // One untimed pass warms the caches and the thread-local scratch.
    let mut mentions = 0;
    for doc in &documents {
        mentions += pass(doc);
    }
    let mut times = Vec::with_capacity(passes);
    for _ in 0..passes {
        let t = Instant::now();
        for doc in &documents {
            std::hint::black_box(pass(doc));
        }
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let best = times.first().copied().unwrap_or(f64::NAN);
    let median = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
    let mb = bytes as f64 / 1e6;
    println!(
        "{}",
        serde_json::json!({
            "tool": tool,
            "documents": documents.len(),
            "mb": mb,
            "patterns": if tool.contains("raw") { raw_names.len() } else { extractor.stats().patterns },
            "automaton": extractor.stats().automaton_kind,
            "automaton_mib": extractor.stats().automaton_bytes as f64 / 1048576.0,
            "load_s": loaded.as_secs_f64(),
            "build_s": built.as_secs_f64(),
            "best_pass_s": best,
            "mb_per_s": mb / best,
            "median_mb_per_s": mb / median,
            "mentions": mentions,
            "rss_corpus_mib": rss_corpus / 1024.0,
            "rss_after_build_mib": rss_built / 1024.0,
            "peak_rss_mib": vm_kib("VmHWM:") / 1024.0,
        })
    );
    Ok(())
}

/// What one pass does with a document; the count it returns keeps the work from being skipped.
type Pass<'a> = dyn FnMut(&str) -> usize + 'a;

/// A `/proc/self/status` field in KiB (Linux), 0 elsewhere.
fn vm_kib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0.0)
}
