//! Build script: embeds the default gazetteers (the workspace's `gazetteers/` folder), so that
//! `Gazetteer::embedded()` needs no file at run time.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

/// Writes `embedded_gazetteers.rs`: a `(file name, contents)` entry for every `*.toml` and
/// `*.jsonl` file in `gazetteers/`, in name order.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../gazetteers");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|p| {
        matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("toml" | "jsonl")
        )
    });
    files.sort();
    let mut code = String::from("&[\n");
    for path in files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or("gazetteer file name is not UTF-8")?;
        let path = path.canonicalize()?;
        code.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    code.push(']');
    fs::write(out_dir.join("embedded_gazetteers.rs"), code)?;
    Ok(())
}
