//! Extraction speed, per core: the default gazetteers and a generated gazetteer of 100,000
//! aliases, over a corpus of the seed articles' sentences in a fixed shuffled order; with two
//! reference points on the same corpus, the raw Aho-Corasick scan (no normalization, no word
//! rules) and normalization alone. Also the automaton's build time and memory.
//!
//! Run: `cargo bench --bench extract`. Figures and the machine are in BENCHMARKS.md.

use std::collections::HashSet;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use alam_engine::normalize::Normalizer;
use alam_engine::{ExtractOptions, Extractor, Gazetteer, Problem};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

const SEEDS: [&str; 5] = [
    include_str!("../../tests/golden/000_597212ab044ab659.txt"),
    include_str!("../../tests/golden/001_ccf74e76c30f8cfa.txt"),
    include_str!("../../tests/golden/002_fefb1096909d5d87.txt"),
    include_str!("../../tests/golden/003_aba6a47032132dcb.txt"),
    include_str!("../../tests/golden/004_b6cc04d3cf09271e.txt"),
];

/// The corpus size: large enough to leave the caches, small enough for quick samples.
const CORPUS_BYTES: usize = 4 << 20;

/// A small deterministic generator (xorshift64*), so every run sees the same data.
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

/// The seed articles' sentences, shuffled deterministically and repeated to `bytes`.
fn corpus(bytes: usize) -> String {
    let sentences: Vec<&str> = SEEDS
        .iter()
        .flat_map(|a| a.split_inclusive(['.', '\n']))
        .filter(|s| !s.trim().is_empty())
        .collect();
    let mut rng = Rng(0x5EED);
    let mut text = String::with_capacity(bytes + 4096);
    while text.len() < bytes {
        text.push_str(sentences[rng.below(sentences.len())]);
        text.push(' ');
    }
    text
}

/// A JSON Lines gazetteer of `aliases` generated names (one to three words of Arabic letters),
/// ten aliases an entity; a name in `refused` (an Arabic function word the gazetteer refuses) is
/// left out of its entity.
fn generated_gazetteer(aliases: usize, refused: &HashSet<String>) -> String {
    const LETTERS: &[char] = &[
        'ا', 'ب', 'ت', 'ث', 'ج', 'ح', 'خ', 'د', 'ذ', 'ر', 'ز', 'س', 'ش', 'ص', 'ض', 'ط', 'ظ', 'ع',
        'غ', 'ف', 'ق', 'ك', 'ل', 'م', 'ن', 'ه', 'و', 'ي',
    ];
    let mut rng = Rng(0xA1A5);
    let word = |rng: &mut Rng| -> String {
        (0..3 + rng.below(5))
            .map(|_| LETTERS[rng.below(LETTERS.len())])
            .collect()
    };
    let mut out = String::new();
    for entity in 0..aliases / 10 {
        let names: Vec<String> = (0..10)
            .map(|_| {
                (0..1 + rng.below(3))
                    .map(|_| word(&mut rng))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|name| !refused.contains(name))
            .collect();
        let record = serde_json::json!({
            "id": format!("generated:entity-{entity}"),
            "name_ar": names[0],
            "name_en": format!("Entity {entity}"),
            "aliases": names[1..],
        });
        out.push_str(&record.to_string());
        out.push('\n');
    }
    out
}

fn large_extractor(aliases: usize) -> Extractor {
    // The default gazetteer files, so that the corpus still has its real mentions, and the
    // generated entities.
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../gazetteers"));
    let files: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
        .expect("gazetteers/")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("a readable gazetteer");
            (path, text)
        })
        .collect();
    // A one-word name may come out as a function word, which the gazetteer refuses: leave it
    // out and generate again (the generator is seeded, so the result is always the same).
    let mut refused = HashSet::new();
    loop {
        let mut all = files.clone();
        all.push((
            PathBuf::from("generated.jsonl"),
            generated_gazetteer(aliases, &refused),
        ));
        match Gazetteer::from_files(all) {
            Ok(gazetteer) => return Extractor::new(gazetteer).expect("automaton builds"),
            Err(e) => match e.problem() {
                Problem::FunctionWord { alias, .. } if refused.insert(alias.clone()) => {}
                _ => panic!("invalid generated gazetteer: {e}"),
            },
        }
    }
}

/// `text` cut into documents of about `size` bytes, at sentence ends.
fn split_documents(text: &str, size: usize) -> Vec<&str> {
    let mut documents = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + size).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        end = text[end..].find(". ").map_or(text.len(), |i| end + i + 2);
        documents.push(&text[start..end]);
        start = end;
    }
    documents
}

fn report(name: &str, extractor: &Extractor) {
    let stats = extractor.stats();
    eprintln!(
        "{name}: {} patterns, {} of {:.1} MiB, built in {:.0} ms",
        stats.patterns,
        stats.automaton_kind,
        stats.automaton_bytes as f64 / (1 << 20) as f64,
        stats.build_time.as_secs_f64() * 1000.0
    );
}

fn benches(c: &mut Criterion) {
    let text = corpus(CORPUS_BYTES);
    let options = ExtractOptions::default();

    let default = Extractor::embedded().expect("default gazetteers");
    report("default gazetteers", &default);
    let large = large_extractor(100_000);
    report("100,000 generated aliases + defaults", &large);

    // The corpus as the service sees it, article-sized documents (about 4 KiB each), and as
    // one 4 MiB text (whose normalization map no longer fits in the caches).
    let documents: Vec<&str> = split_documents(&text, 4096);
    let mut group = c.benchmark_group("extract");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(20);
    for (name, extractor) in [("default gazetteers", &default), ("100k aliases", &large)] {
        group.bench_function(format!("{name}, 4 KiB documents"), |b| {
            b.iter(|| {
                documents
                    .iter()
                    .map(|d| extractor.extract(d, &options).unwrap().len())
                    .sum::<usize>()
            })
        });
        group.bench_function(format!("{name}, one 4 MiB text"), |b| {
            b.iter(|| black_box(extractor.extract(&text, &options).unwrap().len()))
        });
    }

    // Reference points: the raw scan over the unnormalized text with the default gazetteers'
    // names, and normalization alone.
    let names: Vec<String> = default
        .gazetteer()
        .entities()
        .iter()
        .flat_map(|e| e.names().map(alam_engine::normalize))
        .collect();
    let raw = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(&names)
        .unwrap();
    group.bench_function("reference: raw DFA overlapping scan", |b| {
        b.iter(|| black_box(raw.find_overlapping_iter(text.as_bytes()).count()))
    });
    let mut normalizer = Normalizer::default();
    group.bench_function("reference: normalization alone", |b| {
        b.iter(|| {
            normalizer.normalize(&text);
            black_box(normalizer.as_bytes().len())
        })
    });
    group.finish();

    let mut build = c.benchmark_group("build");
    build.sample_size(10);
    build.bench_function("default gazetteers", |b| {
        b.iter_batched(
            || Gazetteer::embedded().unwrap(),
            |g| Extractor::new(g).unwrap(),
            BatchSize::LargeInput,
        )
    });
    let started = Instant::now();
    let big = large_extractor(100_000);
    eprintln!(
        "100k aliases: load + build once in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    drop(big);
    build.finish();
}

criterion_group!(extract, benches);
criterion_main!(extract);
