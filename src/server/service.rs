//! The `alam.v1.EntityExtractorService` handlers: message → engine → message. The call's request id,
//! log line, metrics and timeout are the call layer's (`call.rs`); a handler only adds to the
//! call's record what it alone knows (text bytes received, mentions returned). Matching lives in
//! the engine; limits in `extraction`; statuses in `status`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::call::CallRecord;
use super::convert;
use super::extraction::{self, Limits};
use super::paging::{self, Listing};
use super::slot::{ExtractorSlot, LoadedExtractor};
use super::status::{self, CallError};
use crate::proto::entity_extractor_service_server::EntityExtractorService;
use crate::proto::{
    Entity, ExtractBatchRequest, ExtractBatchResponse, ExtractRequest, ExtractResponse,
    GetEntityRequest, GetInfoRequest, GetInfoResponse, ListEntitiesRequest, ListEntitiesResponse,
    extract_batch_result,
};

/// How many answers of a stream may wait for a slow reader before the server stops reading.
const STREAM_BUFFER: usize = 16;

/// The service: the extractor slot and the limits every call keeps.
pub(crate) struct Handlers {
    slot: Arc<ExtractorSlot>,
    limits: Limits,
    /// The limit of each request of a stream (the call layer times unary calls as a whole).
    stream_request_timeout: Option<Duration>,
    /// How long a stream may wait for its next request.
    stream_idle_timeout: Option<Duration>,
}

impl Handlers {
    /// A service answering from `slot` once it is filled.
    pub(crate) fn new(
        slot: Arc<ExtractorSlot>,
        limits: Limits,
        stream_request_timeout: Option<Duration>,
        stream_idle_timeout: Option<Duration>,
    ) -> Handlers {
        Handlers {
            slot,
            limits,
            stream_request_timeout,
            stream_idle_timeout,
        }
    }

    fn loaded(&self) -> Result<Arc<LoadedExtractor>, CallError> {
        self.slot.current().ok_or(CallError::NotReady)
    }
}

/// A unary handler's answer.
fn answer<T>(result: Result<T, CallError>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(Status::from)
}

#[tonic::async_trait]
impl EntityExtractorService for Handlers {
    async fn extract(
        &self,
        request: Request<ExtractRequest>,
    ) -> Result<Response<ExtractResponse>, Status> {
        let record = CallRecord::of(&request);
        record.add_text_bytes(request.get_ref().text.len());
        let result =
            extraction::extract_offloaded(self.loaded()?, &self.limits, request.into_inner()).await;
        if let Ok(response) = &result {
            record.add_mentions(response.mentions.len());
        }
        answer(result)
    }

    async fn extract_batch(
        &self,
        request: Request<ExtractBatchRequest>,
    ) -> Result<Response<ExtractBatchResponse>, Status> {
        let record = CallRecord::of(&request);
        let requests = request.into_inner().requests;
        record.add_text_bytes(requests.iter().map(|r| r.text.len()).sum());
        let result = extraction::extract_batch(self.loaded()?, &self.limits, requests).await;
        if let Ok(results) = &result {
            record.add_mentions(
                results
                    .iter()
                    .filter_map(|r| match &r.result {
                        Some(extract_batch_result::Result::Response(response)) => {
                            Some(response.mentions.len())
                        }
                        _ => None,
                    })
                    .sum(),
            );
        }
        answer(result.map(|results| ExtractBatchResponse { results }))
    }

    type ExtractStreamStream = ReceiverStream<Result<ExtractResponse, Status>>;

    async fn extract_stream(
        &self,
        request: Request<Streaming<ExtractRequest>>,
    ) -> Result<Response<Self::ExtractStreamStream>, Status> {
        let record = CallRecord::of(&request);
        let loaded = self.loaded()?;
        let (limits, timeout) = (self.limits.clone(), self.stream_request_timeout);
        let idle_timeout = self.stream_idle_timeout;
        let mut inbound = request.into_inner();
        let (answers, stream) = mpsc::channel(STREAM_BUFFER);
        // One request at a time, so the answers come in the order of the requests.
        tokio::spawn(async move {
            for index in 0.. {
                let next = inbound.message();
                let next = match idle_timeout {
                    // An idle stream holds memory and a task: it ends, as an idle connection does.
                    Some(limit) => tokio::time::timeout(limit, next)
                        .await
                        .unwrap_or_else(|_| Err(CallError::StreamIdle(limit).into())),
                    None => next.await,
                };
                let request = match next {
                    Ok(Some(request)) => request,
                    Ok(None) => return,
                    Err(status) => {
                        let status = status::for_caller(&status).unwrap_or(status);
                        let _ = answers.send(Err(status)).await;
                        return;
                    }
                };
                record.add_text_bytes(request.text.len());
                let work = extraction::extract_offloaded(loaded.clone(), &limits, request);
                let answer = match timeout {
                    Some(limit) => tokio::time::timeout(limit, work)
                        .await
                        .unwrap_or(Err(CallError::Timeout(limit))),
                    None => work.await,
                };
                match answer {
                    Ok(response) => {
                        let mentions = response.mentions.len();
                        if answers.send(Ok(response)).await.is_err() {
                            return; // The caller stopped reading.
                        }
                        record.add_mentions(mentions);
                    }
                    Err(error) => {
                        let _ = answers.send(Err(error.at(index).into())).await;
                        return;
                    }
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(stream)))
    }

    async fn get_entity(
        &self,
        request: Request<GetEntityRequest>,
    ) -> Result<Response<Entity>, Status> {
        let result = self.loaded().and_then(|loaded| {
            let id = request.into_inner().id;
            if id.is_empty() {
                return Err(CallError::MissingId);
            }
            match loaded.extractor.gazetteer().get(&id) {
                Some(entity) => Ok(convert::entity(entity)),
                None => Err(CallError::UnknownEntity { id }),
            }
        });
        answer(result)
    }

    async fn list_entities(
        &self,
        request: Request<ListEntitiesRequest>,
    ) -> Result<Response<ListEntitiesResponse>, Status> {
        let result = self.loaded().and_then(|loaded| {
            let request = request.into_inner();
            let extractor = &loaded.extractor;
            let wanted = request.entity_type.trim();
            if !wanted.is_empty() {
                // Only for its error, which lists the valid types.
                extractor
                    .type_filter(&[wanted])
                    .map_err(CallError::UnknownListedType)?;
            }
            let page_size = paging::page_size(request.page_size)?;
            let matching: Vec<&alam_engine::Entity> = extractor
                .gazetteer()
                .entities()
                .iter()
                .filter(|e| wanted.is_empty() || e.entity_type() == wanted)
                .collect();
            let listing = Listing {
                entity_type: wanted,
                version: extractor.gazetteer().version(),
                total: matching.len(),
            };
            let start = listing.offset(&request.page_token)?;
            let end = listing.total.min(start + page_size);
            Ok(ListEntitiesResponse {
                entities: matching[start..end]
                    .iter()
                    .map(|e| convert::entity(e))
                    .collect(),
                next_page_token: listing.next_token(end),
                total_size: i32::try_from(listing.total).unwrap_or(i32::MAX),
            })
        });
        answer(result)
    }

    async fn get_info(
        &self,
        _request: Request<GetInfoRequest>,
    ) -> Result<Response<GetInfoResponse>, Status> {
        let result = self.loaded().map(|loaded| {
            convert::info(
                &loaded.extractor,
                loaded.loaded_at,
                &self.slot.reload_status(),
            )
        });
        answer(result)
    }
}
