//! Where CPU work runs: small texts inline on the async worker (a thread hop costs more than
//! they do), large texts and batches on tokio's blocking pool so that they never stall the
//! reactor; either way a panic becomes INTERNAL for that call alone.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use super::status::CallError;

/// Work on fewer bytes of text than this runs inline: well under a millisecond of matching.
pub const INLINE_LIMIT_BYTES: usize = 16 * 1024;

/// Runs `work` over `text_bytes` bytes of text, inline or on the blocking pool.
pub async fn run_cpu<T, F>(text_bytes: usize, work: F) -> Result<T, CallError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, CallError> + Send + 'static,
{
    if text_bytes < INLINE_LIMIT_BYTES {
        return guarded(work);
    }
    // The work may wait for a thread of the pool; if its caller is gone by then (a deadline, a
    // cancel), nobody waits for the answer: skip it.
    let caller = Arc::new(());
    let waiting = Arc::downgrade(&caller);
    let task = tokio::task::spawn_blocking(move || waiting.upgrade().map(|_| guarded(work)));
    let answered = task.await;
    drop(caller);
    match answered.map(|answer| answer.unwrap_or(Err(CallError::Abandoned))) {
        Ok(result) => result,
        // Only when the runtime shuts down under the call: `guarded` catches the panics.
        Err(e) => Err(CallError::Panic(e.to_string())),
    }
}

/// Runs `work`, turning a panic into [`CallError::Panic`] and logging it.
pub fn guarded<T>(work: impl FnOnce() -> Result<T, CallError>) -> Result<T, CallError> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|payload| {
        let message = panic_message(payload.as_ref());
        tracing::error!(panic = %message, "a call panicked; it fails with INTERNAL, the server goes on");
        Err(CallError::Panic(message))
    })
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_internal() {
        let result: Result<(), CallError> = guarded(|| panic!("boom"));
        match result {
            Err(e @ CallError::Panic(_)) => assert_eq!(e.code(), tonic::Code::Internal),
            other => panic!("expected a panic error, got {other:?}"),
        }
    }

    #[test]
    fn work_whose_caller_is_gone_before_it_starts_is_skipped() {
        use std::sync::atomic::{AtomicBool, Ordering};
        // One blocking thread, held, so that the work waits in the queue.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        runtime.block_on(async move {
            let (release, held) = std::sync::mpsc::channel::<()>();
            let holder = tokio::task::spawn_blocking(move || held.recv());
            let call = run_cpu(INLINE_LIMIT_BYTES, move || {
                flag.store(true, Ordering::SeqCst);
                Ok(())
            });
            // The caller gives up while the work waits for the thread.
            let abandoned = tokio::time::timeout(std::time::Duration::from_millis(50), call).await;
            assert!(abandoned.is_err());
            release.send(()).unwrap();
            holder.await.unwrap().unwrap();
            // The queue runs in order: once this is done, the abandoned work has had its turn.
            tokio::task::spawn_blocking(|| ()).await.unwrap();
        });
        assert!(!ran.load(Ordering::SeqCst), "the abandoned work ran");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panic_on_the_blocking_pool_becomes_internal() {
        let result: Result<(), CallError> =
            run_cpu(INLINE_LIMIT_BYTES, || panic!("boom on the pool")).await;
        assert!(matches!(result, Err(CallError::Panic(m)) if m.contains("boom")));
    }
}
