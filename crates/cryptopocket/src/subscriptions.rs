//! Subscribing to webhook events (form-urlencoded, as documented).
//!
//! Verifying the deliveries is [`crate::webhooks`].

use cryptopocket_api::{endpoints, types};
use futures::FutureExt as _;

use crate::{Error, envelope::Parts, model::EventType};

crate::model::area! {
    /// Webhook subscriptions; from [`Client::webhooks`](crate::Client::webhooks).
    pub struct WebhookSubscriptions;
    /// Subscribing to events and changing a subscription's URL.
    pub fn webhooks();
}

impl WebhookSubscriptions {
    /// Webhook Event Subscribe (`POST /subscribeToWebhook`): CryptoPocket will POST `event`
    /// deliveries to `url`. Returns the API's answer (`subscription_created`): its `data`,
    /// else its `message`, else empty (a success envelope without either still means the
    /// subscription is in place).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for an unknown event type or a URL that is not http(s);
    /// see [`Error`].
    pub async fn subscribe(&self, event: &EventType, url: &str) -> Result<String, Error> {
        let body = body(event, url)?;
        // Subscribing twice to the same type keeps one URL (inferred), so the spec marks it
        // idempotent and a retry is safe.
        let parts = self
            .client
            .call::<endpoints::SubscribeToWebhook>(move |api| {
                api.subscribe_to_webhook().body(body.clone()).send().boxed()
            })
            .await?;
        Ok(confirmation(parts))
    }

    /// Webhook Event Update (`POST /updateWebhookSubscription`): moves the subscription for
    /// `event` to `url`. Returns the API's answer (`subscription_updated`).
    ///
    /// # Errors
    ///
    /// As [`subscribe`](Self::subscribe).
    pub async fn update(&self, event: &EventType, url: &str) -> Result<String, Error> {
        let body = body(event, url)?;
        let parts = self
            .client
            .call::<endpoints::UpdateWebhookSubscription>(move |api| {
                api.update_webhook_subscription()
                    .body(body.clone())
                    .send()
                    .boxed()
            })
            .await?;
        Ok(confirmation(parts))
    }
}

/// The request body, checked: an event type the API accepts, an http(s) URL.
fn body(event: &EventType, url: &str) -> Result<types::WebhookSubscriptionRequest, Error> {
    let kind = event.to_api().ok_or_else(|| {
        Error::InvalidRequest(format!("`{event}` is not an event type the API accepts"))
    })?;
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| Error::InvalidRequest(format!("webhook url `{url}`: {e}")))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(Error::InvalidRequest(format!(
            "webhook url `{url}` must be http(s)"
        )));
    }
    Ok(types::WebhookSubscriptionRequest {
        type_: kind,
        url: url.to_owned(),
    })
}

/// The success envelope is the confirmation; its text is `data` as documented, else the
/// `message`, else empty: a server that sends neither has still subscribed.
fn confirmation(parts: Parts<String>) -> String {
    parts.data.or(parts.message).unwrap_or_default()
}
