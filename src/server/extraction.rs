//! One extraction request checked against the service's limits, run by the engine and answered
//! as a message; the batch and stream handlers apply it request by request.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::convert;
use super::offload;
use super::slot::LoadedExtractor;
use super::status::CallError;
use crate::proto::{ExtractBatchResult, ExtractRequest, ExtractResponse, extract_batch_result};
use alam_engine::ExtractOptions;

/// The limits a caller's requests must keep.
#[derive(Clone, Debug)]
pub(crate) struct Limits {
    /// The longest text, in UTF-8 bytes.
    pub(crate) max_text_bytes: usize,
    /// The most requests in one batch.
    pub(crate) max_batch: usize,
    /// The bytes of text being extracted at once, server-wide: memory grows with them.
    pub(crate) inflight: TextBudget,
}

/// The text bytes the server extracts at once, shared by every call: a call takes its bytes
/// before the work and gives them back when the work ends (even work whose caller left), so
/// memory stays bounded however callers behave.
#[derive(Clone, Debug)]
pub(crate) struct TextBudget {
    bytes: Arc<Semaphore>,
    max: usize,
}

impl TextBudget {
    /// A budget of `max` bytes (at most `u32::MAX`, the semaphore's largest take).
    pub(crate) fn new(max: usize) -> TextBudget {
        let max = max.min(u32::MAX as usize);
        TextBudget {
            bytes: Arc::new(Semaphore::new(max)),
            max,
        }
    }

    /// Takes `needed` bytes of the budget, or refuses at once when they are not free.
    fn take(&self, needed: usize) -> Result<OwnedSemaphorePermit, CallError> {
        let busy = || CallError::Busy {
            needed,
            budget: self.max,
        };
        let permits = u32::try_from(needed).map_err(|_| busy())?;
        self.bytes
            .clone()
            .try_acquire_many_owned(permits)
            .map_err(|_| busy())
    }
}

impl Limits {
    /// Refuses a text over `max_text_bytes`.
    fn check_text(&self, request: &ExtractRequest) -> Result<(), CallError> {
        if request.text.len() > self.max_text_bytes {
            return Err(CallError::TextTooLong {
                len: request.text.len(),
                max: self.max_text_bytes,
            });
        }
        Ok(())
    }
}

/// Answers one request whose text was checked against the limit, on the calling thread.
fn extract_checked(
    loaded: &LoadedExtractor,
    request: ExtractRequest,
) -> Result<ExtractResponse, CallError> {
    let extractor = &loaded.extractor;
    let options = ExtractOptions {
        offsets: convert::offset_encoding(request.offset_encoding)?,
        types: extractor
            .type_filter(&request.entity_types)
            .map_err(CallError::Engine)?,
    };
    let mentions = extractor
        .extract(&request.text, &options)
        .map_err(CallError::Engine)?;
    Ok(convert::extract_response(
        request.document_id,
        &mentions,
        extractor.gazetteer().version(),
    ))
}

/// Answers one request, off the reactor when its text is large.
pub(crate) async fn extract_offloaded(
    loaded: Arc<LoadedExtractor>,
    limits: &Limits,
    request: ExtractRequest,
) -> Result<ExtractResponse, CallError> {
    // Refused before paying a thread hop for it.
    limits.check_text(&request)?;
    let taken = limits.inflight.take(request.text.len())?;
    offload::run_cpu(request.text.len(), move || {
        let answer = extract_checked(&loaded, request);
        drop(taken);
        answer
    })
    .await
}

/// Answers a batch in order, off the reactor when its texts are large in all: each request its
/// answer or its own error. Only the batch as a whole (too many requests, too much text for the
/// server at once) fails the call.
pub(crate) async fn extract_batch(
    loaded: Arc<LoadedExtractor>,
    limits: &Limits,
    requests: Vec<ExtractRequest>,
) -> Result<Vec<ExtractBatchResult>, CallError> {
    if requests.len() > limits.max_batch {
        return Err(CallError::BatchTooLarge {
            len: requests.len(),
            max: limits.max_batch,
        });
    }
    // Texts over the limit are refused one by one below; they take no budget.
    let text_bytes = requests
        .iter()
        .map(|r| r.text.len())
        .filter(|&len| len <= limits.max_text_bytes)
        .sum();
    let taken = limits.inflight.take(text_bytes)?;
    let limits = limits.clone();
    offload::run_cpu(text_bytes, move || {
        let _taken = taken;
        Ok(requests
            .into_iter()
            .enumerate()
            .map(|(i, request)| {
                let answer = limits
                    .check_text(&request)
                    .and_then(|()| extract_checked(&loaded, request));
                ExtractBatchResult {
                    result: Some(match answer {
                        Ok(response) => extract_batch_result::Result::Response(response),
                        Err(error) => {
                            extract_batch_result::Result::Error(error.batch_item_status(i))
                        }
                    }),
                }
            })
            .collect())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_budget_refuses_at_once_and_is_given_back() {
        let budget = TextBudget::new(100);
        let first = budget.take(60).unwrap();
        let refused = budget.take(50).unwrap_err();
        assert_eq!(refused.code(), tonic::Code::ResourceExhausted);
        assert!(
            refused.to_string().contains("--max-inflight-bytes"),
            "{refused}"
        );
        drop(first);
        assert!(budget.take(100).is_ok());
        assert!(TextBudget::new(10).take(usize::MAX).is_err());
    }
}
