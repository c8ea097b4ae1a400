//! The engine once the gazetteers are loaded, and the slot the service reads it from: empty
//! while they load (calls answer UNAVAILABLE), filled once, never replaced.

use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use crate::Extractor;

/// The loaded engine.
pub struct Loaded {
    /// The extractor, built once and shared by every call.
    pub extractor: Extractor,
    /// When the gazetteers finished loading.
    pub loaded_at: SystemTime,
}

/// Where the service finds the engine once it is loaded.
pub type EngineSlot = Arc<OnceLock<Arc<Loaded>>>;
