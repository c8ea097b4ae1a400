//! Hot reload of the gazetteers from `--gazetteers DIR`, on SIGHUP or, with `--watch`, when the
//! directory changes.
//!
//! A reload builds the new extractor on the blocking pool (never on a thread that answers
//! calls), checks it, and swaps it in atomically; calls in flight finish on the engine they
//! started with. A reload that fails (a broken file, an empty directory) changes nothing that
//! serves: the error is logged, counted, and shown by `GetInfo` until a reload succeeds.
//!
//! The watcher polls a fingerprint of the directory (each visible entry's name, size,
//! modification time and inode, following symlinks) rather than subscribing to file events: a
//! Kubernetes ConfigMap update swaps the `..data` symlink, which inotify on the files themselves
//! does not see, and polling a handful of files every few seconds costs nothing and needs no
//! dependency.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::metrics::Metrics;
use super::slot::{ExtractorSlot, LoadedExtractor};
use alam_engine::{Extractor, GazetteerSource};

/// Where reloads read the gazetteers, and whether to watch the directory.
#[derive(Clone, Debug)]
pub struct ReloadConfig {
    /// The gazetteer directory (`--gazetteers`).
    pub dir: PathBuf,
    /// How often to look for changes (`--watch-interval`); `None` reloads on SIGHUP only.
    pub watch_interval: Option<Duration>,
}

/// Rebuilds the extractor from the gazetteer directory; one reload at a time.
pub struct Reloader {
    dir: PathBuf,
    slot: Arc<ExtractorSlot>,
    metrics: Arc<Metrics>,
    one_at_a_time: tokio::sync::Mutex<()>,
}

impl Reloader {
    /// A reloader of `slot` from `dir`.
    pub fn new(dir: PathBuf, slot: Arc<ExtractorSlot>, metrics: Arc<Metrics>) -> Reloader {
        Reloader {
            dir,
            slot,
            metrics,
            one_at_a_time: tokio::sync::Mutex::new(()),
        }
    }

    /// Reloads the gazetteers because of `cause` (for the log). On success the new engine
    /// serves every call that starts from now on; on failure the old one keeps serving.
    pub async fn reload(&self, cause: &str) -> Result<(), String> {
        let _one_at_a_time = self.one_at_a_time.lock().await;
        let source = GazetteerSource::Dir(self.dir.clone());
        let serving = self.slot.current();
        let built = tokio::task::spawn_blocking(move || {
            let extractor = Extractor::load(&source).map_err(|e| e.to_string())?;
            match serving {
                Some(serving) => keeps_every_type(&serving.extractor, extractor),
                None => Ok(extractor),
            }
        })
        .await
        .unwrap_or_else(|e| Err(format!("the reload task failed: {e}")));
        let at = SystemTime::now();
        match built {
            Ok(extractor) => {
                let version = extractor.gazetteer().version().to_string();
                let previous = self
                    .slot
                    .current()
                    .map(|loaded| loaded.extractor.gazetteer().version().to_string());
                if previous.as_deref() == Some(version.as_str()) {
                    tracing::info!(cause, gazetteer_version = version, "gazetteers unchanged");
                } else {
                    tracing::info!(
                        cause,
                        gazetteer_version = version,
                        previous_version = previous.unwrap_or_default(),
                        entities = extractor.gazetteer().entities().len(),
                        patterns = extractor.stats().patterns,
                        "gazetteers reloaded"
                    );
                    self.slot.install(LoadedExtractor {
                        extractor,
                        loaded_at: at,
                    });
                }
                self.slot.record_reload(at, None);
                self.metrics.reload_finished(true);
                Ok(())
            }
            Err(error) => {
                tracing::error!(
                    cause,
                    error,
                    "gazetteer reload failed; the previous gazetteers keep serving"
                );
                self.slot.record_reload(at, Some(error.clone()));
                self.metrics.reload_finished(false);
                Err(error)
            }
        }
    }
}

/// `new` if it has every entity type `serving` has. A type gone at once is a file lost (a
/// renamed or half-swapped file) far more often than an intent: callers filtering on it would
/// all fail. Removing a type is a restart, not a reload.
fn keeps_every_type(serving: &Extractor, new: Extractor) -> Result<Extractor, String> {
    let lost: Vec<&str> = serving
        .types()
        .iter()
        .filter(|t| !new.types().contains(t))
        .map(String::as_str)
        .collect();
    if lost.is_empty() {
        return Ok(new);
    }
    Err(format!(
        "the new gazetteers have no entity of type {}, which the serving ones have; a file \
         missing or unreadable? (to remove a type, restart the server)",
        lost.join(", ")
    ))
}

/// What the watcher compares: each visible entry's name, size, modification time and inode
/// (following symlinks, so that a swapped ConfigMap `..data` link shows), or why the directory
/// could not be read.
pub type Fingerprint = Result<Vec<(String, u64, Option<SystemTime>, u64)>, String>;

/// The fingerprint of `dir` now.
pub fn fingerprint(dir: &Path) -> Fingerprint {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut seen = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // The loader skips hidden entries (ConfigMap `..data`); their targets show through the
        // visible links anyway.
        if name.starts_with('.') {
            continue;
        }
        match std::fs::metadata(entry.path()) {
            Ok(meta) => seen.push((name, meta.len(), meta.modified().ok(), inode(&meta))),
            // A dangling link mid-swap: a change like any other.
            Err(e) => return Err(format!("{}: {e}", entry.path().display())),
        }
    }
    seen.sort();
    Ok(seen)
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_meta: &std::fs::Metadata) -> u64 {
    0
}

/// The fingerprint of `dir`, read on the blocking pool.
pub async fn fingerprint_off_thread(dir: PathBuf) -> Fingerprint {
    tokio::task::spawn_blocking(move || fingerprint(&dir))
        .await
        .unwrap_or_else(|e| Err(e.to_string()))
}

/// Reloads whenever the directory's fingerprint differs from the last one seen, starting from
/// `baseline` (taken before the first load, so that a change during it is not missed). Runs
/// until the task is dropped.
pub async fn watch(reloader: Arc<Reloader>, interval: Duration, baseline: Fingerprint) {
    let mut seen = baseline;
    loop {
        tokio::time::sleep(interval).await;
        let now = fingerprint_off_thread(reloader.dir.clone()).await;
        if now != seen {
            // A failed reload is not retried until the directory changes again: retrying the
            // same broken file every interval would only repeat the same error.
            seen = now;
            let _ = reloader.reload("the gazetteer directory changed").await;
        }
    }
}

/// Reloads on every SIGHUP; without a gazetteer directory, logs that there is nothing to
/// reload. Runs until the task is dropped.
#[cfg(unix)]
pub async fn on_sighup(reloader: Option<Arc<Reloader>>, slot: Arc<ExtractorSlot>) {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = match signal(SignalKind::hangup()) {
        Ok(hangups) => hangups,
        Err(e) => {
            tracing::warn!("cannot listen for SIGHUP ({e}); reload by restarting");
            return;
        }
    };
    while hangups.recv().await.is_some() {
        match &reloader {
            None => tracing::info!(
                "SIGHUP: the gazetteers are the embedded ones; nothing to reload \
                 (reloading needs --gazetteers DIR)"
            ),
            Some(_) if slot.current().is_none() => {
                tracing::info!("SIGHUP: the gazetteers are still loading; ignored")
            }
            Some(reloader) => {
                let _ = reloader.reload("SIGHUP").await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alam_engine::Gazetteer;

    fn extractor(files: &[(&str, &str)]) -> Extractor {
        let files = files
            .iter()
            .map(|(name, text)| (PathBuf::from(name), text.to_string()));
        Extractor::new(Gazetteer::from_files(files).unwrap()).unwrap()
    }

    #[test]
    fn a_reload_that_loses_a_whole_type_is_refused() {
        let city = "[[entity]]\nid = \"city:x\"\nname_ar = \"اكس\"\nname_en = \"X\"\n";
        let country = "[[entity]]\nid = \"country:y\"\nname_ar = \"واي\"\nname_en = \"Y\"\n";
        let serving = extractor(&[("cities.toml", city), ("countries.toml", country)]);
        let error =
            keeps_every_type(&serving, extractor(&[("countries.toml", country)])).unwrap_err();
        assert!(error.contains("no entity of type city"), "{error}");
        let grown = extractor(&[("cities.toml", city), ("countries.toml", country)]);
        assert!(keeps_every_type(&extractor(&[("cities.toml", city)]), grown).is_ok());
    }

    #[test]
    fn the_fingerprint_sees_a_replaced_file_and_ignores_hidden_entries() {
        let dir = std::env::temp_dir().join(format!("alam-fingerprint-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.toml"), "one").unwrap();
        let before = fingerprint(&dir);
        assert_eq!(before.as_ref().unwrap().len(), 1);
        std::fs::write(dir.join(".hidden"), "x").unwrap();
        assert_eq!(fingerprint(&dir), before);
        // Same size; a new file renamed over the old one, as editors and ConfigMaps do.
        std::fs::write(dir.join("b.tmp"), "two").unwrap();
        std::fs::rename(dir.join("b.tmp"), dir.join("a.toml")).unwrap();
        assert_ne!(fingerprint(&dir), before);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(fingerprint(&dir).is_err());
    }
}
