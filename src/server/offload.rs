//! Where CPU work runs: small texts inline on the async worker (a thread hop costs more than
//! they do), large texts and batches on tokio's blocking pool so that they never stall the
//! reactor; either way a panic becomes INTERNAL for that call alone.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

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
    match tokio::task::spawn_blocking(move || guarded(work)).await {
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panic_on_the_blocking_pool_becomes_internal() {
        let result: Result<(), CallError> =
            run_cpu(INLINE_LIMIT_BYTES, || panic!("boom on the pool")).await;
        assert!(matches!(result, Err(CallError::Panic(m)) if m.contains("boom")));
    }
}
