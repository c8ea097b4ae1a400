//! Build script: compiles the gRPC contract with protox, a protobuf compiler in pure Rust, so
//! that a fresh machine needs nothing but cargo. (The engine's own build script embeds the
//! default gazetteers.)

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    compile_proto(&out_dir)?;
    Ok(())
}

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
