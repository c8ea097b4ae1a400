//! The slot the service takes its extractor from: empty while the gazetteers load (calls answer
//! UNAVAILABLE), then the current [`LoadedExtractor`], which a reload replaces atomically. A
//! call takes its own `Arc` of the extractor when it starts, so a call in flight finishes on
//! the extractor it started with, however many reloads happen meanwhile.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use arc_swap::ArcSwapOption;

use alam_engine::Extractor;

/// An extractor and when its gazetteers were loaded.
pub struct LoadedExtractor {
    /// The extractor, built once and shared by every call.
    pub extractor: Extractor,
    /// When the gazetteers finished loading.
    pub loaded_at: SystemTime,
}

/// The outcome of the last reload attempt, for `GetInfo`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReloadStatus {
    /// When the last reload was attempted, if ever.
    pub last_attempt_at: Option<SystemTime>,
    /// Why the last reload failed; `None` when it succeeded or none was attempted.
    pub last_error: Option<String>,
}

/// Where the service finds the extractor: swapped as a whole on reload, read without a lock;
/// shared by the service, the reloader and the metrics endpoint.
#[derive(Default)]
pub struct ExtractorSlot {
    current: ArcSwapOption<LoadedExtractor>,
    reload_status: Mutex<ReloadStatus>,
}

impl ExtractorSlot {
    /// A slot with nothing loaded yet.
    pub fn new() -> ExtractorSlot {
        ExtractorSlot::default()
    }

    /// The current extractor, if the gazetteers are loaded.
    pub fn current(&self) -> Option<Arc<LoadedExtractor>> {
        self.current.load_full()
    }

    /// Makes `loaded` the extractor of every call that starts from now on.
    pub fn install(&self, loaded: LoadedExtractor) {
        self.current.store(Some(Arc::new(loaded)));
    }

    /// Records the outcome of a reload attempt made at `at`.
    pub fn record_reload(&self, at: SystemTime, error: Option<String>) {
        *self
            .reload_status
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = ReloadStatus {
            last_attempt_at: Some(at),
            last_error: error,
        };
    }

    /// The outcome of the last reload attempt.
    pub fn reload_status(&self) -> ReloadStatus {
        self.reload_status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
