//! Build script: compiles the gRPC contract with protox, a protobuf compiler in pure Rust, so
//! that a fresh machine needs nothing but cargo, and lists the methods of the service from it
//! (`alam_methods.rs`), so that the metrics know every method without a hand-kept list. (The
//! engine's own build script embeds the default gazetteers.)

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
    println!("cargo:rerun-if-changed=proto");
    let mut compiler = protox::Compiler::new(["proto"])?;
    compiler
        .include_imports(true)
        .include_source_info(true)
        .open_files([proto])?;
    // Encoded by protox itself, which keeps the methods' options (google.api.http, read by the
    // HTTP gateway); prost's descriptor types would drop them.
    fs::write(
        out_dir.join("alam_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;
    let descriptors = compiler.file_descriptor_set();
    write_methods(&descriptors, &out_dir.join("alam_methods.rs"))?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // google.rpc.Status (a batch item's error) is tonic-types', which also reads and writes
        // the details of every status.
        .extern_path(".google.rpc", "::tonic_types::pb")
        .compile_fds(descriptors)?;
    Ok(())
}

/// Writes the `(name, gRPC type)` of every method of `alam.v1.EntityExtractorService`, in the order of
/// the proto; the types are go-grpc-prometheus's words.
fn write_methods(
    descriptors: &prost_types::FileDescriptorSet,
    path: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let service = descriptors
        .file
        .iter()
        .filter(|file| file.package() == "alam.v1")
        .flat_map(|file| &file.service)
        .find(|service| service.name() == "EntityExtractorService")
        .ok_or("the proto has no alam.v1.EntityExtractorService")?;
    let mut code = String::from("&[\n");
    for method in &service.method {
        let grpc_type = match (method.client_streaming(), method.server_streaming()) {
            (false, false) => "unary",
            (true, false) => "client_stream",
            (false, true) => "server_stream",
            (true, true) => "bidi_stream",
        };
        code.push_str(&format!("    ({:?}, {grpc_type:?}),\n", method.name()));
    }
    code.push(']');
    fs::write(path, code)?;
    Ok(())
}
