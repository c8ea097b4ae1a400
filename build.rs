//! Build script: embeds the default gazetteers, and compiles the gRPC contract (feature `server`)
//! with protox, a protobuf compiler in pure Rust, so that a fresh machine needs nothing but cargo.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    embed_gazetteers(&out_dir)?;
    #[cfg(feature = "server")]
    compile_proto(&out_dir)?;
    Ok(())
}

/// Writes `embedded_gazetteers.rs`: a `(file name, contents)` entry for every `*.toml` and
/// `*.jsonl` file in `gazetteers/`, in name order.
fn embed_gazetteers(out_dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("gazetteers");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)?
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
        code.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    code.push(']');
    fs::write(out_dir.join("embedded_gazetteers.rs"), code)?;
    Ok(())
}

#[cfg(feature = "server")]
fn compile_proto(out_dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let proto = "proto/alam/v1/extractor.proto";
    println!("cargo:rerun-if-changed={proto}");
    let descriptors = protox::compile([proto], ["proto"])?;
    let descriptor_path = out_dir.join("alam_descriptor.bin");
    fs::write(
        &descriptor_path,
        prost::Message::encode_to_vec(&descriptors),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
