//! The `http` import: checks a request against the calling target's grant and the
//! runtime's address policy, then sends it through the target's pool.

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use crate::adapter::DeliveryContext;
use crate::host::bindings::http::{Error, Host, Method, Request, Response};
use crate::host::state::HostState;
use crate::outbound::{EgressDenied, HttpService, HttpTarget, MemoAnswer, RequestKey, ResponseMemo};

/// What the `http` import needs beyond the running call: the shared clients and policy, and
/// this adapter's own body caps. Built alone, it is tested without a guest.
#[derive(Debug, Clone)]
pub struct HttpCtx {
    adapter: Arc<str>,
    service: Arc<HttpService>,
    /// The adapter's (request, response) body caps, applied under the host's.
    caps: (Option<usize>, Option<usize>),
}

impl HttpCtx {
    /// The context of adapter `adapter`'s instances.
    pub fn new(adapter: Arc<str>, service: Arc<HttpService>, caps: (Option<usize>, Option<usize>)) -> Self {
        HttpCtx { adapter, service, caps }
    }

    fn denied(&self) -> Error {
        Error::Denied(format!("adapter `{}` holds no http grant for this target", self.adapter))
    }

    /// Sends one request for the delivery `call`: through its target's grant and pool, with
    /// its trace headers, answered from its replay memo when it had a final answer.
    pub async fn send(&self, call: &DeliveryContext, req: Request) -> Result<Response, Error> {
        let Some(target) = call.http.as_deref() else { return Err(self.denied()) };
        let reserved = call.take_http_slot();
        let req = with_trace(req, call.traceparent.as_deref(), call.tracestate.as_deref());
        let answer = send(&self.service, target, self.caps, call.replay.as_deref(), reserved, req).await;
        observe(call, &answer);
        answer
    }

    /// Sends every request at once; one answer per request, in order.
    pub async fn send_all(&self, call: &DeliveryContext, reqs: Vec<Request>) -> Vec<Result<Response, Error>> {
        let Some(target) = call.http.as_deref() else {
            return reqs.iter().map(|_| Err(self.denied())).collect();
        };
        let mut reserved = call.take_http_slot();
        let (parent, state) = (call.traceparent.as_deref(), call.tracestate.as_deref());
        let sends = reqs.into_iter().map(|req| {
            let req = with_trace(req, parent, state);
            send(&self.service, target, self.caps, call.replay.as_deref(), reserved.take(), req)
        });
        let answers = futures::future::join_all(sends).await;
        answers.iter().for_each(|answer| observe(call, answer));
        answers
    }
}

/// Notes an answer for the call's attempt record, when the attempt log is on.
fn observe(call: &DeliveryContext, answer: &Result<Response, Error>) {
    if let (Some(observed), Ok(response)) = (&call.observed, answer) {
        observed.note(response.status, &response.body);
    }
}

impl Host for HostState {
    async fn send(&mut self, req: Request) -> Result<Response, Error> {
        self.http.send(&self.call, req).await
    }

    async fn send_all(&mut self, reqs: Vec<Request>) -> Vec<Result<Response, Error>> {
        self.http.send_all(&self.call, reqs).await
    }
}

/// Adds the delivery attempt's `traceparent` (and the signal's `tracestate`) headers unless
/// the component set its own `traceparent`.
fn with_trace(mut req: Request, traceparent: Option<&str>, tracestate: Option<&str>) -> Request {
    let Some(traceparent) = traceparent else { return req };
    if req.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("traceparent")) {
        return req;
    }
    req.headers.push(("traceparent".to_owned(), traceparent.to_owned()));
    if let Some(state) = tracestate {
        req.headers.retain(|(name, _)| !name.eq_ignore_ascii_case("tracestate"));
        req.headers.push(("tracestate".to_owned(), state.to_owned()));
    }
    req
}

/// Checks and sends one request; `caps` are the adapter's own (request, response) body
/// caps, applied under the host's. A request this delivery already had a final answer to
/// (`memo`) is answered from it instead of being sent again. A response body over the cap
/// is cut at the cap: the status decides the outcome, not the body's length.
async fn send(
    service: &HttpService,
    target: &HttpTarget,
    caps: (Option<usize>, Option<usize>),
    memo: Option<&ResponseMemo>,
    reserved: Option<tokio::sync::OwnedSemaphorePermit>,
    req: Request,
) -> Result<Response, Error> {
    let settings = service.settings();
    let max_request = caps.0.map_or(settings.max_request_bytes, |cap| cap.min(settings.max_request_bytes));
    let max_response = caps.1.map_or(settings.max_response_bytes, |cap| cap.min(settings.max_response_bytes));
    let url = match target.checked_url(&req.url) {
        Some(url) => url,
        None => {
            let url = check_url(service, target, &req.url)?;
            target.remember_url(&req.url, &url);
            url
        }
    };
    let body = req.body.unwrap_or_default();
    if body.len() > max_request {
        return Err(Error::TooLarge(max_request as u64));
    }
    let key = memo.map(|_| RequestKey::new(req.method as u8, &req.url, &body));
    if let (Some(memo), Some(key)) = (memo, &key)
        && let Some(MemoAnswer { status, headers, body }) = memo.get(key)
    {
        return Ok(Response { status, headers, body });
    }
    let mut headers = reqwest::header::HeaderMap::with_capacity(req.headers.len());
    for (name, value) in &req.headers {
        let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::InvalidRequest(format!("header name {name:?} is not a token")))?;
        let value = reqwest::header::HeaderValue::from_str(value)
            .map_err(|_| Error::InvalidRequest(format!("header {name}: value has forbidden characters")))?;
        headers.append(name, value);
    }
    let timeout = req.timeout_ms.map_or(settings.default_timeout, |ms| Duration::from_millis(ms.into()));
    let timeout = timeout.min(settings.max_timeout);

    let pool = &target.pool;
    // The call's first request uses the slot taken before the instance (see the pool).
    let _permit = match reserved {
        Some(permit) => permit,
        None => match tokio::time::timeout(pool.wait, pool.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) | Err(_) => return Err(Error::PoolTimeout),
        },
    };
    let request = pool.client.request(method(req.method), url).headers(headers).body(body).timeout(timeout);
    // reqwest's per-request timeout runs until the body is read, so it covers both.
    let mut response = request.send().await.map_err(classify)?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned())
        })
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        let room = max_response - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    let response = Response { status, headers, body };
    if let (Some(memo), Some(key)) = (memo, key) {
        let Response { status, headers, body } = &response;
        memo.put(key, MemoAnswer { status: *status, headers: headers.clone(), body: body.clone() });
    }
    Ok(response)
}

/// Parses `text` and checks it against the target's grant and the address policy.
fn check_url(service: &HttpService, target: &HttpTarget, text: &str) -> Result<reqwest::Url, Error> {
    let url = reqwest::Url::parse(text).map_err(|e| Error::InvalidRequest(format!("url {text:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::InvalidRequest(format!("url {text:?}: only http and https are allowed")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::InvalidRequest("url: userinfo is not allowed".to_owned()));
    }
    if !target.origins.iter().any(|origin| origin.allows(&url)) {
        return Err(Error::Denied(format!(
            "{} is not an origin granted to this target",
            url.origin().ascii_serialization()
        )));
    }
    if let Some(ip) = literal_ip(&url) {
        service.settings().address_policy.check(ip).map_err(Error::Denied)?;
    }
    Ok(url)
}

fn method(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Head => reqwest::Method::HEAD,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
    }
}

fn literal_ip(url: &reqwest::Url) -> Option<std::net::IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(ip.into()),
        url::Host::Ipv6(ip) => Some(ip.into()),
        url::Host::Domain(_) => None,
    }
}

/// Maps a reqwest error to the WIT error: a policy refusal found anywhere in the chain is
/// `denied`; then timeouts, connection failures, and the rest.
fn classify(error: reqwest::Error) -> Error {
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(denied) = cause.downcast_ref::<EgressDenied>() {
            return Error::Denied(denied.0.clone());
        }
        source = cause.source();
    }
    if error.is_timeout() {
        Error::Timeout
    } else if error.is_connect() || error.is_request() {
        Error::Connect(root_cause(&error))
    } else if error.is_builder() {
        Error::InvalidRequest(root_cause(&error))
    } else {
        Error::Connect(root_cause(&error))
    }
}

fn root_cause(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}
