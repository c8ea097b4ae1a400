//! The gazetteer loader on arbitrary files (see `checks::gazetteer`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::gazetteer(data));
