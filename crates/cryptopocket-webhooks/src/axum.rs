//! axum glue: a route for the endpoint, and the `VerifiedEvent` extractor.

use axum::Router;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{HeaderValue, header::RETRY_AFTER};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use bytes::Bytes;
use cryptopocket::webhooks::WebhookEvent;

use crate::DeliveryKey;
use crate::endpoint::{Outcome, WebhookEndpoint};
use crate::receiver::{Rejection, WebhookReceiver};

impl WebhookEndpoint {
    /// A `POST` route for this endpoint, to mount at any path of any router:
    /// `Router::new().route("/webhooks", endpoint.route())`.
    pub fn route<S>(&self) -> MethodRouter<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let endpoint = self.clone();
        post(move |request: Request| {
            let endpoint = endpoint.clone();
            async move {
                let (parts, body) = request.into_parts();
                endpoint.receive(&parts.headers, body).await.into_response()
            }
        })
    }

    /// A router with just this endpoint at `path`.
    pub fn router(&self, path: &str) -> Router {
        Router::new().route(path, self.route())
    }
}

impl IntoResponse for Outcome {
    fn into_response(self) -> Response {
        let mut response = (self.status(), self.text()).into_response();
        if let Some(seconds) = self.retry_after() {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        (self.status(), format!("rejected: {self}")).into_response()
    }
}

/// An axum extractor for a verified, decoded delivery: for a handler that wants the typed
/// event and no inbox (or its own). It reads the body under the
/// [`WebhookReceiver`]'s cap and answers 413 / 401 / 400 by itself.
///
/// The router's state must give a [`WebhookReceiver`] (`FromRef`); a router whose state *is*
/// the receiver works as it is:
///
/// ```no_run
/// use axum::{Router, routing::post};
/// use cryptopocket::webhooks::WebhookVerifier;
/// use cryptopocket_webhooks::{VerifiedEvent, WebhookReceiver};
/// use secrecy::SecretString;
///
/// async fn on_event(VerifiedEvent { event, key, .. }: VerifiedEvent) -> &'static str {
///     println!("{key}: {event:?}");
///     "ok"
/// }
///
/// let receiver = WebhookReceiver::new(WebhookVerifier::new(SecretString::from("s3cr3t")));
/// let app: Router = Router::new().route("/webhooks", post(on_event)).with_state(receiver);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct VerifiedEvent {
    /// The event's identity.
    pub key: DeliveryKey,
    /// The typed event.
    pub event: WebhookEvent,
    /// The raw body.
    pub body: Bytes,
}

impl<S> FromRequest<S> for VerifiedEvent
where
    S: Send + Sync,
    WebhookReceiver: FromRef<S>,
{
    type Rejection = Rejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let receiver = WebhookReceiver::from_ref(state);
        let (parts, body) = request.into_parts();
        let verified = receiver.receive(&parts.headers, body).await?;
        Ok(Self {
            key: verified.key,
            event: verified.event,
            body: verified.body,
        })
    }
}
