//! HTTP/JSON access to the gRPC methods, on the gRPC port: each method's `google.api.http`
//! option (read from the contract's descriptors, not a hand-kept list) maps a verb and a path to
//! it; the JSON body, path and query fill its request by the proto3 JSON mapping. The request is
//! then *transcoded*: sent as a gRPC call through the very service stack gRPC callers reach (the
//! call layer's request id, log line, metrics, limits and timeout; the handlers), and its answer
//! or status turned back into JSON. An error is the JSON of Google's HTTP APIs:
//! `{"error": {"code", "message", "status", "details"}}`, the HTTP status from the gRPC code as
//! google.rpc maps them. `/openapi.json` describes the routes (`openapi.rs`).
//!
//! Anything else (gRPC, gRPC-Web, reflection, health) passes through untouched.

use std::collections::HashMap;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::{HeaderValue, Method, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use prost::Message as _;
use prost_reflect::{
    DescriptorPool, DynamicMessage, MessageDescriptor, MethodDescriptor, SerializeOptions, Value,
};
use tonic::body::Body;
use tonic::{Code, Status};
use tonic_types::StatusExt;
use tower_layer::Layer;
use tower_service::Service;

use super::call::BoxFuture;
use super::logging::{REQUEST_ID_HEADER, code_name};
use super::openapi;
use super::status::CallError;

/// The service whose methods are reached over HTTP.
const SERVICE: &str = "alam.v1.EntityExtractorService";

/// How many times a message's size its JSON may take (escapes, field names, spacing).
const JSON_OVERHEAD: usize = 8;

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Must be exactly this.
    Literal(String),
    /// Any one segment, which fills this request field.
    Field(String),
}

/// A method reached by a verb and a path template.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    /// The HTTP verb.
    pub(crate) verb: Method,
    /// The path template, as the proto writes it ("/v1/entities/{id}").
    pub(crate) template: String,
    segments: Vec<Segment>,
    /// Whether the JSON body fills the whole request (`body: "*"`).
    pub(crate) body: bool,
    /// The gRPC method.
    pub(crate) method: MethodDescriptor,
}

impl Route {
    /// The request fields the path fills, in order.
    pub(crate) fn path_fields(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Field(name) => Some(name.as_str()),
            Segment::Literal(_) => None,
        })
    }

    /// The path's field values if `path` matches the template.
    fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut fields = Vec::new();
        for (segment, part) in self.segments.iter().zip(parts) {
            match segment {
                Segment::Literal(literal) if literal == part => {}
                Segment::Literal(_) => return None,
                Segment::Field(name) => {
                    let value = percent_encoding::percent_decode_str(part)
                        .decode_utf8()
                        .ok()?
                        .into_owned();
                    if value.is_empty() {
                        return None;
                    }
                    fields.push((name.clone(), value));
                }
            }
        }
        Some(fields)
    }
}

/// The routes of the contract and the descriptors to transcode with.
#[derive(Debug)]
pub(crate) struct Routes {
    /// Every method with an HTTP rule, in the order of the contract.
    pub(crate) routes: Vec<Route>,
    /// The OpenAPI document, built once.
    pub(crate) openapi: Bytes,
}

impl Routes {
    /// Reads the routes from the `google.api.http` options of the contract's methods.
    pub(crate) fn from_contract() -> Result<Routes, String> {
        let mut pool = DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET)
            .map_err(|e| format!("the contract's descriptors: {e}"))?;
        // The google.rpc details (ErrorInfo, BadRequest …) that errors carry in `Any`s, so that
        // a batch item's error renders as JSON; google.rpc.Status itself is the contract's.
        let details = prost_types::FileDescriptorSet::decode(tonic_types::pb::FILE_DESCRIPTOR_SET)
            .map_err(|e| format!("the google.rpc descriptors: {e}"))?;
        let missing: Vec<_> = details
            .file
            .into_iter()
            .filter(|file| {
                file.message_type.iter().all(|message| {
                    let name = format!("{}.{}", file.package(), message.name());
                    pool.get_message_by_name(&name).is_none()
                })
            })
            .collect();
        pool.add_file_descriptor_protos(missing)
            .map_err(|e| format!("the google.rpc descriptors: {e}"))?;
        let service = pool
            .get_service_by_name(SERVICE)
            .ok_or_else(|| format!("the contract has no {SERVICE}"))?;
        let http = pool
            .get_extension_by_name("google.api.http")
            .ok_or("the contract does not import google.api.http")?;
        let mut routes = Vec::new();
        for method in service.methods() {
            let options = method.options();
            if !options.has_extension(&http) {
                continue;
            }
            let Value::Message(rule) = options.get_extension(&http).into_owned() else {
                return Err(format!("{}: google.api.http is not a rule", method.name()));
            };
            let text = |name: &str| {
                rule.get_field_by_name(name)
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            };
            let (verb, template) = match (text("get"), text("post")) {
                (get, post) if !get.is_empty() && post.is_empty() => (Method::GET, get),
                (get, post) if get.is_empty() && !post.is_empty() => (Method::POST, post),
                _ => return Err(format!("{}: one of get or post", method.name())),
            };
            let segments = template
                .trim_start_matches('/')
                .split('/')
                .map(
                    |part| match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                        Some(field) => Segment::Field(field.to_string()),
                        None => Segment::Literal(part.to_string()),
                    },
                )
                .collect();
            routes.push(Route {
                verb,
                template,
                segments,
                body: text("body") == "*",
                method,
            });
        }
        let openapi = openapi::document(&service, &routes);
        Ok(Routes {
            routes,
            openapi: Bytes::from(serde_json::to_vec_pretty(&openapi).expect("JSON serializes")),
        })
    }

    /// Whether `path` is the gateway's to answer.
    fn owns(path: &str) -> bool {
        path == "/openapi.json" || path.starts_with("/v1/") || path == "/v1"
    }
}

/// The layer putting the gateway in front of the gRPC services.
#[derive(Clone)]
pub(crate) struct GatewayLayer {
    routes: Arc<Routes>,
    max_message_bytes: usize,
    /// How long reading a JSON body may take (the call's own timeout starts after it).
    body_timeout: Option<Duration>,
}

impl GatewayLayer {
    /// Routes from the contract; JSON bodies up to a multiple of `max_message_bytes`, read
    /// within `body_timeout`.
    pub(crate) fn new(
        routes: Arc<Routes>,
        max_message_bytes: usize,
        body_timeout: Option<Duration>,
    ) -> GatewayLayer {
        GatewayLayer {
            routes,
            max_message_bytes,
            body_timeout,
        }
    }
}

impl<S> Layer<S> for GatewayLayer {
    type Service = Gateway<S>;

    fn layer(&self, inner: S) -> Gateway<S> {
        Gateway {
            inner,
            layer: self.clone(),
        }
    }
}

/// The gateway in front of `S`, the gRPC services.
#[derive(Clone)]
pub(crate) struct Gateway<S> {
    inner: S,
    layer: GatewayLayer,
}

impl<S> Service<http::Request<Body>> for Gateway<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<http::Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        if !Routes::owns(request.uri().path()) {
            return Box::pin(self.inner.call(request));
        }
        // The ready clone answers this call; a fresh clone waits for the next one.
        let inner = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, inner);
        let layer = self.layer.clone();
        Box::pin(async move { Ok(answer(inner, &layer, request).await) })
    }
}

/// Answers one HTTP request: OpenAPI, a transcoded call, or an error.
async fn answer<S>(
    inner: S,
    layer: &GatewayLayer,
    request: http::Request<Body>,
) -> http::Response<Body>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>>,
{
    let path = request.uri().path().to_string();
    if path == "/openapi.json" {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return not_allowed(&[Method::GET]);
        }
        return json_response(StatusCode::OK, layer.routes.openapi.clone(), None);
    }
    let mut allowed = Vec::new();
    for route in &layer.routes.routes {
        let Some(path_fields) = route.matches(&path) else {
            continue;
        };
        if route.verb != request.method() {
            allowed.push(route.verb.clone());
            continue;
        }
        return transcode(inner, layer, route, path_fields, request).await;
    }
    if !allowed.is_empty() {
        return not_allowed(&allowed);
    }
    let known: Vec<String> = layer
        .routes
        .routes
        .iter()
        .map(|r| format!("{} {}", r.verb, r.template))
        .collect();
    error_response(
        StatusCode::NOT_FOUND,
        &Status::not_found(format!(
            "no route for {}; the routes are {}, and GET /openapi.json describes them",
            super::status::Echo(&path),
            known.join(", ")
        )),
        None,
    )
}

/// The request message from the path, the query and the JSON body.
async fn request_message(
    route: &Route,
    path_fields: Vec<(String, String)>,
    query: &str,
    body: Body,
    max_json_bytes: usize,
) -> Result<DynamicMessage, CallError> {
    let input = route.method.input();
    let mut message = if route.body {
        let body = Limited::new(body, max_json_bytes)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    CallError::MessageTooLarge(format!(
                        "the JSON body is over {max_json_bytes} bytes"
                    ))
                } else {
                    CallError::Undecodable(format!("the body could not be read: {e}"))
                }
            })?
            .to_bytes();
        if body.iter().all(u8::is_ascii_whitespace) {
            DynamicMessage::new(input.clone())
        } else {
            let mut json = serde_json::Deserializer::from_slice(&body);
            let message = DynamicMessage::deserialize(input.clone(), &mut json)
                .map_err(|e| CallError::Undecodable(format!("JSON body: {e}")))?;
            json.end()
                .map_err(|e| CallError::Undecodable(format!("JSON body: {e}")))?;
            message
        }
    } else {
        query_message(&input, query)?
    };
    for (name, value) in path_fields {
        let field = input
            .get_field_by_name(&name)
            .ok_or_else(|| CallError::Undecodable(format!("no field {name}")))?;
        message.set_field(&field, Value::String(value));
    }
    Ok(message)
}

/// A request message from a query string: each parameter a field by its proto or JSON name,
/// its value parsed as that field's JSON would be; a repeated field may be given several times.
fn query_message(input: &MessageDescriptor, query: &str) -> Result<DynamicMessage, CallError> {
    let mut object: HashMap<String, serde_json::Value> = HashMap::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let field = input
            .get_field_by_name(&name)
            .or_else(|| input.get_field_by_json_name(&name))
            .ok_or_else(|| {
                let valid: Vec<String> = input.fields().map(|f| f.name().to_string()).collect();
                CallError::Undecodable(format!(
                    "unknown query parameter {}; valid: {}",
                    super::status::Echo(&name),
                    valid.join(", ")
                ))
            })?;
        let value = serde_json::Value::String(value.into_owned());
        if field.is_list() {
            let entry = object
                .entry(field.name().to_string())
                .or_insert_with(|| serde_json::Value::Array(Vec::new()));
            if let serde_json::Value::Array(values) = entry {
                values.push(value);
            }
        } else {
            object.insert(field.name().to_string(), value);
        }
    }
    let object = serde_json::Value::Object(object.into_iter().collect());
    DynamicMessage::deserialize(input.clone(), object)
        .map_err(|e| CallError::Undecodable(format!("query: {e}")))
}

/// Sends the request as a gRPC call through `inner` and turns the answer back into JSON.
async fn transcode<S>(
    mut inner: S,
    layer: &GatewayLayer,
    route: &Route,
    path_fields: Vec<(String, String)>,
    request: http::Request<Body>,
) -> http::Response<Body>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>>,
{
    let (parts, body) = request.into_parts();
    let request_id = parts.headers.get(REQUEST_ID_HEADER).cloned();
    let max_json = layer.max_message_bytes.saturating_mul(JSON_OVERHEAD);
    let query = parts.uri.query().unwrap_or("");
    let reading = request_message(route, path_fields, query, body, max_json);
    // A body trickled in slowly must not hold the server longer than a call may take.
    let read = match layer.body_timeout {
        Some(limit) => tokio::time::timeout(limit, reading)
            .await
            .unwrap_or(Err(CallError::Timeout(limit))),
        None => reading.await,
    };
    let message = match read {
        Ok(message) => message,
        Err(error) => return call_error_response(error, request_id),
    };

    let payload = message.encode_to_vec();
    let mut framed = BytesMut::with_capacity(payload.len() + 5);
    framed.put_u8(0);
    framed.put_u32(u32::try_from(payload.len()).unwrap_or(u32::MAX));
    framed.put_slice(&payload);
    let grpc_path = format!("/{SERVICE}/{}", route.method.name());
    let mut call = http::Request::builder()
        .method(Method::POST)
        .uri(grpc_path)
        .version(http::Version::HTTP_2)
        .body(Body::new(Full::new(framed.freeze())))
        .expect("a valid request");
    *call.extensions_mut() = parts.extensions;
    let headers = call.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    headers.insert(header::TE, HeaderValue::from_static("trailers"));
    // The caller's trace context goes with the call, whose span continues its trace.
    for name in [
        REQUEST_ID_HEADER,
        header::USER_AGENT.as_str(),
        "traceparent",
        "tracestate",
    ] {
        if let Some(value) = parts.headers.get(name) {
            headers.insert(name, value.clone());
        }
    }

    if std::future::poll_fn(|cx| inner.poll_ready(cx))
        .await
        .is_err()
    {
        return error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &Status::unavailable("the server is shutting down"),
            request_id,
        );
    }
    let Ok(response) = inner.call(call).await else {
        return error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &Status::unavailable("the server is shutting down"),
            request_id,
        );
    };
    let request_id = response
        .headers()
        .get(REQUEST_ID_HEADER)
        .cloned()
        .or(request_id);
    if let Some(status) = Status::from_header_map(response.headers())
        && status.code() != Code::Ok
    {
        return error_response(http_status(status.code()), &status, request_id);
    }
    let collected = match response.into_body().collect().await {
        Ok(collected) => collected,
        Err(status) => return error_response(http_status(status.code()), &status, request_id),
    };
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let mut data = collected.to_bytes();
    match Status::from_header_map(&trailers) {
        Some(status) if status.code() == Code::Ok => {}
        Some(status) => return error_response(http_status(status.code()), &status, request_id),
        None => {
            let status = Status::unknown("the answer ended without a status");
            return error_response(StatusCode::INTERNAL_SERVER_ERROR, &status, request_id);
        }
    }
    if data.len() < 5 || data[0] != 0 {
        let status = Status::internal("the answer was not one uncompressed message");
        return error_response(StatusCode::INTERNAL_SERVER_ERROR, &status, request_id);
    }
    data.advance(5);
    let output = match DynamicMessage::decode(route.method.output(), data) {
        Ok(output) => output,
        Err(e) => {
            let status = Status::internal(format!("the answer did not decode: {e}"));
            return error_response(StatusCode::INTERNAL_SERVER_ERROR, &status, request_id);
        }
    };
    // Every field, zero values included, so that clients find the fields they expect.
    let options = SerializeOptions::new().skip_default_fields(false);
    let mut json = Vec::new();
    let mut serializer = serde_json::Serializer::new(&mut json);
    if let Err(e) = output.serialize_with_options(&mut serializer, &options) {
        let status = Status::internal(format!("the answer did not serialize: {e}"));
        return error_response(StatusCode::INTERNAL_SERVER_ERROR, &status, request_id);
    }
    json_response(StatusCode::OK, Bytes::from(json), request_id)
}

/// A gateway-side error (the request never became a call).
fn call_error_response(error: CallError, request_id: Option<HeaderValue>) -> http::Response<Body> {
    let too_large = matches!(error, CallError::MessageTooLarge(_));
    let status = Status::from(error);
    let http = if too_large {
        StatusCode::PAYLOAD_TOO_LARGE
    } else {
        http_status(status.code())
    };
    error_response(http, &status, request_id)
}

/// The HTTP status for a gRPC code, as google.rpc.Code documents them.
pub(crate) fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::Cancelled => StatusCode::from_u16(499).expect("499 is a status"),
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// The JSON of a status: Google's HTTP error, the google.rpc details in their JSON form.
pub(crate) fn error_json(http: StatusCode, status: &Status) -> serde_json::Value {
    let details = status.get_error_details();
    let mut rendered = Vec::new();
    if let Some(info) = details.error_info() {
        rendered.push(serde_json::json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": info.reason,
            "domain": info.domain,
            "metadata": info.metadata,
        }));
    }
    if let Some(bad) = details.bad_request() {
        let violations: Vec<serde_json::Value> = bad
            .field_violations
            .iter()
            .map(|v| serde_json::json!({"field": v.field, "description": v.description}))
            .collect();
        rendered.push(serde_json::json!({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": violations,
        }));
    }
    if let Some(retry) = details.retry_info()
        && let Some(delay) = retry.retry_delay
    {
        rendered.push(serde_json::json!({
            "@type": "type.googleapis.com/google.rpc.RetryInfo",
            "retryDelay": format!("{}s", delay.as_secs_f64()),
        }));
    }
    serde_json::json!({
        "error": {
            "code": http.as_u16(),
            "message": status.message(),
            "status": code_name(status.code()),
            "details": rendered,
        }
    })
}

fn error_response(
    http: StatusCode,
    status: &Status,
    request_id: Option<HeaderValue>,
) -> http::Response<Body> {
    let body = serde_json::to_vec(&error_json(http, status)).expect("JSON serializes");
    json_response(http, Bytes::from(body), request_id)
}

fn not_allowed(allowed: &[Method]) -> http::Response<Body> {
    let list: Vec<&str> = allowed.iter().map(Method::as_str).collect();
    let status = Status::unimplemented(format!("use {} for this path", list.join(" or ")));
    let mut response = error_response(StatusCode::METHOD_NOT_ALLOWED, &status, None);
    if let Ok(value) = HeaderValue::from_str(&list.join(", ")) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

fn json_response(
    http: StatusCode,
    body: Bytes,
    request_id: Option<HeaderValue>,
) -> http::Response<Body> {
    let mut response = http::Response::new(Body::new(Full::new(body)));
    *response.status_mut() = http;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(id) = request_id {
        response.headers_mut().insert(REQUEST_ID_HEADER, id);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_routes_come_from_the_contract() {
        let routes = Routes::from_contract().unwrap();
        let listed: Vec<String> = routes
            .routes
            .iter()
            .map(|r| format!("{} {} {}", r.verb, r.template, r.method.name()))
            .collect();
        assert_eq!(
            listed,
            [
                "POST /v1/extract Extract",
                "POST /v1/extract:batch ExtractBatch",
                "GET /v1/entities/{id} GetEntity",
                "GET /v1/entities ListEntities",
                "GET /v1/info GetInfo",
            ]
        );
        let get_entity = &routes.routes[2];
        assert_eq!(
            get_entity.matches("/v1/entities/country%3AKZ"),
            Some(vec![("id".to_string(), "country:KZ".to_string())])
        );
        assert_eq!(get_entity.matches("/v1/entities"), None);
        assert_eq!(get_entity.matches("/v1/entities/a/b"), None);
    }

    #[test]
    fn query_parameters_fill_fields_by_either_name() {
        let routes = Routes::from_contract().unwrap();
        let input = routes.routes[3].method.input();
        let message = query_message(&input, "entity_type=city&pageSize=5").unwrap();
        let request: crate::proto::ListEntitiesRequest = message.transcode_to().unwrap();
        assert_eq!(
            (request.entity_type.as_str(), request.page_size),
            ("city", 5)
        );
        let refused = query_message(&input, "colour=red").unwrap_err();
        assert!(refused.to_string().contains("page_size"), "{refused}");
        assert!(query_message(&input, "page_size=many").is_err());
    }

    #[test]
    fn codes_map_to_http_as_google_rpc_says() {
        assert_eq!(http_status(Code::InvalidArgument), StatusCode::BAD_REQUEST);
        assert_eq!(
            http_status(Code::ResourceExhausted),
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(
            http_status(Code::Unavailable),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(http_status(Code::Cancelled).as_u16(), 499);
        let json = error_json(StatusCode::BAD_REQUEST, &Status::from(CallError::MissingId));
        assert_eq!(json["error"]["status"], "INVALID_ARGUMENT");
        assert_eq!(json["error"]["details"][0]["reason"], "MISSING_ID");
        assert_eq!(
            json["error"]["details"][1]["fieldViolations"][0]["field"],
            "id"
        );
    }
}
