//! One extraction request checked against the service's limits, run by the engine and answered
//! as a message; the batch and stream handlers apply it request by request.

use std::sync::Arc;

use super::convert;
use super::offload;
use super::slot::LoadedExtractor;
use super::status::CallError;
use crate::proto::{ExtractRequest, ExtractResponse};
use alam_engine::ExtractOptions;

/// The limits a caller's requests must keep.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// The longest text, in UTF-8 bytes.
    pub(crate) max_text_bytes: usize,
    /// The most requests in one batch.
    pub(crate) max_batch: usize,
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
            .type_filter(&request.types)
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
    limits: Limits,
    request: ExtractRequest,
) -> Result<ExtractResponse, CallError> {
    // Refused before paying a thread hop for it.
    limits.check_text(&request)?;
    offload::run_cpu(request.text.len(), move || {
        extract_checked(&loaded, request)
    })
    .await
}

/// Answers a batch in order, off the reactor when its texts are large in all; the first failed
/// request fails the batch, named by its index.
pub(crate) async fn extract_batch(
    loaded: Arc<LoadedExtractor>,
    limits: Limits,
    requests: Vec<ExtractRequest>,
) -> Result<Vec<ExtractResponse>, CallError> {
    if requests.len() > limits.max_batch {
        return Err(CallError::BatchTooLarge {
            len: requests.len(),
            max: limits.max_batch,
        });
    }
    let text_bytes = requests.iter().map(|r| r.text.len()).sum();
    offload::run_cpu(text_bytes, move || {
        requests
            .into_iter()
            .enumerate()
            .map(|(i, request)| {
                limits
                    .check_text(&request)
                    .and_then(|()| extract_checked(&loaded, request))
                    .map_err(|e| e.at(i))
            })
            .collect()
    })
    .await
}
