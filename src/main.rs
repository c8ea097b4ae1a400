//! The `alam` binary; everything it does is in `cli.rs`, on the `alam` library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
