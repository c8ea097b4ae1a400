//! The `alam.v1.EntityExtractor` handlers: thin adapters from messages to the engine, each
//! logging one line and counting its metrics per call, and returning the call's request id in
//! the `x-request-id` response header. Matching lives in the engine; limits in `extraction`; statuses in
//! `status`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Request, Response, Status, Streaming};

use super::convert;
use super::extraction::{self, Limits};
use super::logging::{CallLog, REQUEST_ID_HEADER};
use super::metrics::{Method, Metrics};
use super::paging;
use super::slot::{ExtractorSlot, LoadedExtractor};
use super::status::CallError;
use crate::proto::entity_extractor_server::EntityExtractor;
use crate::proto::{
    Entity, ExtractBatchRequest, ExtractBatchResponse, ExtractRequest, ExtractResponse,
    GetEntityRequest, GetInfoRequest, GetInfoResponse, ListEntitiesRequest, ListEntitiesResponse,
};

/// How many answers of a stream may wait for a slow reader before the server stops reading.
const STREAM_BUFFER: usize = 16;

/// The service: the extractor slot, the metrics and the limits every call keeps.
pub struct EntityExtractorService {
    slot: Arc<ExtractorSlot>,
    metrics: Arc<Metrics>,
    limits: Limits,
    request_timeout: Option<Duration>,
}

impl EntityExtractorService {
    /// A service answering from `slot` once it is filled.
    pub fn new(
        slot: Arc<ExtractorSlot>,
        metrics: Arc<Metrics>,
        limits: Limits,
        request_timeout: Option<Duration>,
    ) -> EntityExtractorService {
        EntityExtractorService {
            slot,
            metrics,
            limits,
            request_timeout,
        }
    }

    fn loaded(&self) -> Result<Arc<LoadedExtractor>, CallError> {
        self.slot.current().ok_or(CallError::NotReady)
    }

    fn start<T>(&self, method: Method, request: &Request<T>) -> CallLog {
        CallLog::start(&self.metrics, method, request.metadata())
    }
}

/// Runs `work` under the request timeout, if any.
async fn within<T>(
    timeout: Option<Duration>,
    work: impl Future<Output = Result<T, CallError>>,
) -> Result<T, CallError> {
    match timeout {
        Some(limit) => tokio::time::timeout(limit, work)
            .await
            .unwrap_or(Err(CallError::Timeout(limit))),
        None => work.await,
    }
}

/// Logs a unary call's outcome and turns it into the handler's result.
fn answer<T>(
    mut log: CallLog,
    result: Result<T, CallError>,
    mentions: impl FnOnce(&T) -> usize,
) -> Result<Response<T>, Status> {
    log.finish(result.as_ref().map(mentions));
    let request_id = log.request_id().parse().ok();
    let mut response = result.map(Response::new).map_err(Status::from);
    if let Some(request_id) = request_id {
        match &mut response {
            Ok(response) => response
                .metadata_mut()
                .insert(REQUEST_ID_HEADER, request_id),
            Err(status) => status.metadata_mut().insert(REQUEST_ID_HEADER, request_id),
        };
    }
    response
}

#[tonic::async_trait]
impl EntityExtractor for EntityExtractorService {
    async fn extract(
        &self,
        request: Request<ExtractRequest>,
    ) -> Result<Response<ExtractResponse>, Status> {
        let mut log = self.start(Method::Extract, &request);
        log.add_text_bytes(request.get_ref().text.len());
        let result = within(self.request_timeout, async {
            extraction::extract_offloaded(self.loaded()?, self.limits, request.into_inner()).await
        })
        .await;
        answer(log, result, |r| r.mentions.len())
    }

    async fn extract_batch(
        &self,
        request: Request<ExtractBatchRequest>,
    ) -> Result<Response<ExtractBatchResponse>, Status> {
        let mut log = self.start(Method::ExtractBatch, &request);
        log.add_text_bytes(
            request
                .get_ref()
                .requests
                .iter()
                .map(|r| r.text.len())
                .sum(),
        );
        let result = within(self.request_timeout, async {
            let requests = request.into_inner().requests;
            let responses =
                extraction::extract_batch(self.loaded()?, self.limits, requests).await?;
            Ok(ExtractBatchResponse { responses })
        })
        .await;
        answer(log, result, |r| {
            r.responses.iter().map(|r| r.mentions.len()).sum()
        })
    }

    type ExtractStreamStream = ReceiverStream<Result<ExtractResponse, Status>>;

    async fn extract_stream(
        &self,
        request: Request<Streaming<ExtractRequest>>,
    ) -> Result<Response<Self::ExtractStreamStream>, Status> {
        let mut log = self.start(Method::ExtractStream, &request);
        let request_id = log.request_id().parse().ok();
        let loaded = match self.loaded() {
            Ok(loaded) => loaded,
            Err(error) => {
                log.finish(Err(&error));
                return Err(error.into());
            }
        };
        let (limits, timeout) = (self.limits, self.request_timeout);
        let mut inbound = request.into_inner();
        let (answers, stream) = mpsc::channel(STREAM_BUFFER);
        // One request at a time, so the answers come in the order of the requests.
        tokio::spawn(async move {
            let (mut index, mut mentions) = (0, 0);
            loop {
                let request = match inbound.message().await {
                    Ok(Some(request)) => request,
                    Ok(None) => return log.finish(Ok(mentions)),
                    Err(status) => {
                        log.finish_with(status.code(), mentions, status.message());
                        let _ = answers.send(Err(status)).await;
                        return;
                    }
                };
                log.add_text_bytes(request.text.len());
                let work = extraction::extract_offloaded(loaded.clone(), limits, request);
                match within(timeout, work).await {
                    Ok(response) => {
                        mentions += response.mentions.len();
                        if answers.send(Ok(response)).await.is_err() {
                            return log.finish_with(
                                Code::Cancelled,
                                mentions,
                                "the caller stopped reading",
                            );
                        }
                    }
                    Err(error) => {
                        let error = error.at(index);
                        log.finish(Err(&error));
                        let _ = answers.send(Err(error.into())).await;
                        return;
                    }
                }
                index += 1;
            }
        });
        let mut response = Response::new(ReceiverStream::new(stream));
        if let Some(request_id) = request_id {
            response
                .metadata_mut()
                .insert(REQUEST_ID_HEADER, request_id);
        }
        Ok(response)
    }

    async fn get_entity(
        &self,
        request: Request<GetEntityRequest>,
    ) -> Result<Response<Entity>, Status> {
        let log = self.start(Method::GetEntity, &request);
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
        answer(log, result, |_| 0)
    }

    async fn list_entities(
        &self,
        request: Request<ListEntitiesRequest>,
    ) -> Result<Response<ListEntitiesResponse>, Status> {
        let log = self.start(Method::ListEntities, &request);
        let result = self.loaded().and_then(|loaded| {
            let request = request.into_inner();
            let extractor = &loaded.extractor;
            let wanted = request.r#type.trim();
            if !wanted.is_empty() {
                // Only for its error, which lists the valid types.
                extractor
                    .type_filter(&[wanted])
                    .map_err(CallError::ExtractorSlot)?;
            }
            let matching: Vec<&alam_engine::Entity> = extractor
                .gazetteer()
                .entities()
                .iter()
                .filter(|e| wanted.is_empty() || e.entity_type() == wanted)
                .collect();
            let total = matching.len();
            let start = paging::offset(&request.page_token, total)?;
            let end = total.min(start + paging::page_size(request.page_size));
            Ok(ListEntitiesResponse {
                entities: matching[start..end]
                    .iter()
                    .map(|e| convert::entity(e))
                    .collect(),
                next_page_token: paging::next_token(end, total),
                total_size: u32::try_from(total).unwrap_or(u32::MAX),
            })
        });
        answer(log, result, |_| 0)
    }

    async fn get_info(
        &self,
        request: Request<GetInfoRequest>,
    ) -> Result<Response<GetInfoResponse>, Status> {
        let log = self.start(Method::GetInfo, &request);
        let result = self.loaded().map(|loaded| {
            convert::info(
                &loaded.extractor,
                loaded.loaded_at,
                &self.slot.reload_status(),
            )
        });
        answer(log, result, |_| 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_call_over_the_request_timeout_is_deadline_exceeded() {
        let limit = Duration::from_millis(1);
        let never = std::future::pending::<Result<(), CallError>>();
        let error = within(Some(limit), never).await.unwrap_err();
        assert_eq!(error.code(), Code::DeadlineExceeded);
        assert!(error.to_string().contains("--request-timeout"));
        assert!(within(None, async { Ok(()) }).await.is_ok());
    }
}
