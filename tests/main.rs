//! The integration tests, as one test binary (`cargo test --test integration`): linking the
//! service once instead of once per file is most of what it saves. One module per area, named by
//! its file; `cargo test --test integration golden::` runs one area. `common` holds the helpers
//! the areas share.

mod common;

mod cli;
mod coverage;
mod fuzz_regressions;
mod golden;
mod http_api;
mod limits;
// The tests that run the real `alam serve` send it signals.
#[cfg(unix)]
mod logs;
mod metrics;
mod operations;
mod overload;
mod properties;
#[cfg(unix)]
mod reload;
mod rules;
mod server;
#[cfg(unix)]
mod server_shutdown;
mod shared_aliases;
#[cfg(unix)]
mod telemetry;
mod tls;

/// The checks of the fuzz targets, shared with them: `fuzz_regressions` replays the inputs
/// fuzzing kept, `properties` uses their offset boundaries.
#[path = "../fuzz/checks.rs"]
mod fuzz_checks;
