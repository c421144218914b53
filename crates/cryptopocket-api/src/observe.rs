//! Watching each HTTP exchange whole: the request as sent and the response with its body.
//!
//! Set with [`Hooks::observe`](crate::Hooks::observe). Without an observer nothing here runs
//! and bodies stream as usual. With one, every response body is read in full (under the
//! body cap) before the generated code sees it, handed to the observer, and replayed to the
//! generated code byte for byte, read error included, so a call behaves as it would have
//! without the observer.

use std::{
    error::Error as StdError,
    pin::Pin,
    task::{Context, Poll},
};

use bytes::Bytes;
use http_body::Frame;
use reqwest::{Method, StatusCode, Url, header::HeaderMap};

/// Sees every exchange a [`Client`](crate::Client) carrying it makes (once per attempt),
/// after the response body was read and before the generated code decodes it.
///
/// An observer runs inside the call: it should be quick, must not panic, and cannot change
/// the exchange. The `cryptopocket` crate's opt-in capture is one.
pub trait ExchangeObserver: Send + Sync {
    /// Called once per attempt, with the response when one arrived.
    fn exchange(&self, exchange: &Exchange<'_>);
}

/// One attempt of one operation, as an [`ExchangeObserver`] sees it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Exchange<'a> {
    /// The spec's operationId (`getPayment`, ...).
    pub operation_id: &'a str,
    /// The request's method.
    pub method: &'a Method,
    /// The request's URL, query included.
    pub url: &'a Url,
    /// The request's headers as sent, the `auth` token among them.
    pub request_headers: &'a HeaderMap,
    /// The request's body, when it has one held in memory (every operation of this API).
    pub request_body: Option<&'a [u8]>,
    /// The response, when one arrived (its status and headers at least).
    pub response: Option<ObservedResponse<'a>>,
    /// Why the attempt failed: no response at all, or a body that could not be read whole
    /// (over the cap, cut off, too slow). The response's `body` then holds what was read.
    pub error: Option<&'a (dyn StdError + Send + Sync + 'static)>,
}

/// The response part of an [`Exchange`].
#[derive(Debug)]
#[non_exhaustive]
pub struct ObservedResponse<'a> {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: &'a HeaderMap,
    /// The body as read, at most the cap set with
    /// [`Hooks::max_body_bytes`](crate::Hooks::max_body_bytes) (plus the chunk that passed it).
    pub body: &'a [u8],
}

type BoxError = Box<dyn StdError + Send + Sync>;

/// Sends `request`, reads the whole (capped) body, shows the exchange to `observer`, and
/// returns a response that replays what was read.
pub(crate) async fn observed(
    client: &reqwest::Client,
    request: reqwest::Request,
    operation_id: &'static str,
    limit: usize,
    observer: &dyn ExchangeObserver,
) -> reqwest::Result<reqwest::Response> {
    use http_body_util::BodyExt as _;

    let operation_id = spec_operation_id(operation_id);
    let operation_id = operation_id.as_str();
    let method = request.method().clone();
    let url = request.url().clone();
    let request_headers = request.headers().clone();
    let request_body = request
        .body()
        .and_then(reqwest::Body::as_bytes)
        .map(<[u8]>::to_vec);
    let seen = |response, error| Exchange {
        operation_id,
        method: &method,
        url: &url,
        request_headers: &request_headers,
        request_body: request_body.as_deref(),
        response,
        error,
    };
    let response = match client.execute(request).await {
        Ok(response) => response,
        Err(error) => {
            observer.exchange(&seen(None, Some(&error)));
            return Err(error);
        }
    };
    let (parts, mut body) =
        http::Response::<reqwest::Body>::from(crate::capped(response, limit)).into_parts();
    let mut read = Vec::new();
    let mut failed: Option<BoxError> = None;
    loop {
        match body.frame().await {
            None => break,
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    read.extend_from_slice(&data);
                }
            }
            Some(Err(error)) => {
                failed = Some(Box::new(error));
                break;
            }
        }
    }
    let response = ObservedResponse {
        status: parts.status,
        headers: &parts.headers,
        body: &read,
    };
    let error = failed
        .as_deref()
        .map(|e| e as &(dyn StdError + Send + Sync + 'static));
    observer.exchange(&seen(Some(response), error));
    let replay = Replay {
        data: (!read.is_empty()).then(|| Bytes::from(read)),
        error: failed,
    };
    Ok(reqwest::Response::from(http::Response::from_parts(
        parts,
        reqwest::Body::wrap(replay),
    )))
}

/// The spec's operationId (`getPayment`) for the name progenitor gives an operation's
/// method (`get_payment`): every operationId of the spec is plain lower camel case.
fn spec_operation_id(method_name: &str) -> String {
    let mut out = String::with_capacity(method_name.len());
    let mut upper = false;
    for c in method_name.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

/// A body already read: its bytes, then the error that ended the read, if any.
struct Replay {
    data: Option<Bytes>,
    error: Option<BoxError>,
}

impl http_body::Body for Replay {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if let Some(data) = self.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        Poll::Ready(self.error.take().map(Err))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && self.error.is_none()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match (&self.data, &self.error) {
            (Some(data), None) => http_body::SizeHint::with_exact(data.len() as u64),
            (None, None) => http_body::SizeHint::with_exact(0),
            _ => http_body::SizeHint::default(),
        }
    }
}
