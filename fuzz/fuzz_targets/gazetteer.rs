//! The gazetteer loader on arbitrary files, as TOML and as JSON Lines: it either loads (and then
//! the automaton builds) or fails with an error; it never panics.
#![no_main]

use std::path::PathBuf;

use alam::{Extractor, Gazetteer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for name in ["fuzz.toml", "fuzz.jsonl"] {
        match Gazetteer::from_files([(PathBuf::from(name), text.to_string())]) {
            Ok(gazetteer) => {
                let extractor = Extractor::new(gazetteer).expect("a valid gazetteer builds");
                let _ = extractor.shared_aliases();
            }
            Err(error) => assert!(!error.to_string().is_empty()),
        }
    }
});
