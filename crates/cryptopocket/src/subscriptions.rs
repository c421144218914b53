//! Subscribing to webhook events (form-urlencoded, as documented).
//!
//! Verifying the deliveries is [`crate::webhooks`].

use cryptopocket_api::types;
use futures::FutureExt as _;

use crate::{Client, Error, call::Effect, model::EventType};

/// Webhook subscriptions; from [`Client::webhooks`].
#[derive(Debug, Clone)]
pub struct WebhookSubscriptions {
    client: Client,
}

impl Client {
    /// Subscribing to events and changing a subscription's URL.
    pub fn webhooks(&self) -> WebhookSubscriptions {
        WebhookSubscriptions {
            client: self.clone(),
        }
    }
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
        self.send("subscribeToWebhook", event, url).await
    }

    /// Webhook Event Update (`POST /updateWebhookSubscription`): moves the subscription for
    /// `event` to `url`. Returns the API's answer (`subscription_updated`).
    ///
    /// # Errors
    ///
    /// As [`subscribe`](Self::subscribe).
    pub async fn update(&self, event: &EventType, url: &str) -> Result<String, Error> {
        self.send("updateWebhookSubscription", event, url).await
    }

    async fn send(
        &self,
        operation: &'static str,
        event: &EventType,
        url: &str,
    ) -> Result<String, Error> {
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
        let body = types::WebhookSubscriptionRequest {
            type_: kind,
            url: url.to_owned(),
        };
        // Subscribing twice to the same type keeps one URL (inferred), so a retry is safe.
        let parts = self
            .client
            .call::<types::WebhookSubscriptionResponse, ()>(operation, Effect::Read, move |api| {
                let body = body.clone();
                if operation == "subscribeToWebhook" {
                    api.subscribe_to_webhook().body(body).send().boxed()
                } else {
                    api.update_webhook_subscription().body(body).send().boxed()
                }
            })
            .await?;
        // The success envelope is the confirmation; its text is `data` as documented, else
        // the `message`, else empty: a server that sends neither has still subscribed.
        Ok(parts.data.or(parts.message).unwrap_or_default())
    }
}
