//! Extraction on arbitrary text with an arbitrary gazetteer (see `checks::extract`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::extract(data));
