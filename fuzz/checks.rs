//! The checks of the fuzz targets, shared by the targets (`fuzz_targets/`) and by the main crate's
//! `tests/fuzz_regressions.rs`, which replays `regressions/` under `cargo test` (and
//! `tests/properties.rs`, which uses `boundaries`).

#![allow(dead_code)] // each user takes what it needs

use std::path::PathBuf;

use alam_engine::{ExtractOptions, Extractor, Gazetteer, OffsetEncoding};

/// Extraction on arbitrary text with an arbitrary gazetteer: never a panic, and every mention's
/// span is exact, sorted and disjoint in all three offset encodings.
///
/// The input's first line lists aliases separated by `|` (the gazetteer: one entity each, some
/// with demonym stems and short names); the rest is the text.
pub fn extract(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let (aliases, text) = input.split_once('\n').unwrap_or((input, ""));
    let mut jsonl = String::new();
    for (i, alias) in aliases.split('|').take(64).enumerate() {
        let mut entity = serde_json::json!({
            "id": format!("fuzz:e{i}"),
            "name_ar": alias,
            "name_en": format!("E{i}"),
        });
        if i % 3 == 1 {
            entity["short_names"] =
                serde_json::json!([alias.split(' ').next_back().unwrap_or(alias)]);
        }
        if i % 4 == 2 {
            entity["demonym_stems"] = serde_json::json!([format!("{alias}ي")]);
        }
        jsonl.push_str(&entity.to_string());
        jsonl.push('\n');
    }
    // Invalid gazetteers are rejected with an error: that path is `gazetteer`'s.
    let Ok(gazetteer) = Gazetteer::from_files([(PathBuf::from("fuzz.jsonl"), jsonl)]) else {
        return;
    };
    let extractor = Extractor::new(gazetteer).expect("a valid gazetteer builds");
    for encoding in [
        OffsetEncoding::CodePoint,
        OffsetEncoding::Utf8,
        OffsetEncoding::Utf16,
    ] {
        let options = ExtractOptions {
            offsets: encoding,
            ..Default::default()
        };
        let mentions = extractor
            .extract(text, &options)
            .expect("extraction succeeds");
        let units = boundaries(text, encoding);
        let mut previous_end = 0;
        for m in &mentions {
            assert!(
                m.start < m.end && m.start >= previous_end,
                "sorted, disjoint, non-empty"
            );
            let start = units.binary_search(&m.start).expect("start on a boundary");
            let end = units.binary_search(&m.end).expect("end on a boundary");
            let slice: String = text.chars().skip(start).take(end - start).collect();
            assert_eq!(slice, m.text, "the span slices out the mention's text");
            previous_end = m.end;
        }
    }
}

/// The gazetteer loader on an arbitrary file, as TOML and as JSON Lines: it either loads (and
/// then the automaton builds) or fails with an error; it never panics.
pub fn gazetteer(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for name in ["fuzz.toml", "fuzz.jsonl"] {
        match Gazetteer::from_files([(PathBuf::from(name), text.to_string())]) {
            Ok(gazetteer) => {
                let extractor = Extractor::new(gazetteer).expect("a valid gazetteer builds");
                let _ = extractor.shared_aliases();
            }
            Err(error) => assert!(!error.to_string().is_empty()),
        }
    }
}

/// The offset of every character boundary of `text` in `encoding`, ascending.
pub fn boundaries(text: &str, encoding: OffsetEncoding) -> Vec<usize> {
    let mut offsets = vec![0];
    let mut at = 0;
    for c in text.chars() {
        at += match encoding {
            OffsetEncoding::CodePoint => 1,
            OffsetEncoding::Utf8 => c.len_utf8(),
            OffsetEncoding::Utf16 => c.len_utf16(),
        };
        offsets.push(at);
    }
    offsets
}
