//! Replays every input of `fuzz/regressions/` with the checks of the fuzz target its name
//! starts with (`extract-…`, `gazetteer-…`; see `fuzz/regressions/README.md`), so that a crash
//! fuzzing found stays fixed without cargo-fuzz or a nightly toolchain.

use std::path::{Path, PathBuf};

use alam::{ExtractOptions, Extractor, Gazetteer, OffsetEncoding};

fn regressions() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none_or(|e| e != "md"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_regression_input_passes_its_fuzz_targets_checks() {
    let files = regressions();
    assert!(!files.is_empty());
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let data = std::fs::read(&path).unwrap();
        if name.starts_with("extract-") {
            extract(&data);
        } else if name.starts_with("gazetteer-") {
            gazetteer(&data);
        } else {
            panic!("{name}: a regression input is named after its target (extract-, gazetteer-)");
        }
    }
}

/// The checks of `fuzz/fuzz_targets/extract.rs`.
fn extract(data: &[u8]) {
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

/// The offset of every character boundary of `text` in `encoding`.
fn boundaries(text: &str, encoding: OffsetEncoding) -> Vec<usize> {
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

/// The checks of `fuzz/fuzz_targets/gazetteer.rs`.
fn gazetteer(data: &[u8]) {
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
