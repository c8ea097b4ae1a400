//! Replays every input of `fuzz/regressions/` with the checks of the fuzz target its name
//! starts with (`extract-…`, `gazetteer-…`; see `fuzz/regressions/README.md`), so that a crash
//! fuzzing found stays fixed without cargo-fuzz or a nightly toolchain.

use std::path::{Path, PathBuf};

use crate::fuzz_checks;

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
            fuzz_checks::extract(&data);
        } else if name.starts_with("gazetteer-") {
            fuzz_checks::gazetteer(&data);
        } else {
            panic!("{name}: a regression input is named after its target (extract-, gazetteer-)");
        }
    }
}
