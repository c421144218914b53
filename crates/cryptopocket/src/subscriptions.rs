//! Subscribing to webhook events (form-urlencoded, as documented).
//!
//! Verifying the deliveries is [`crate::webhooks`].

use cryptopocket_api::{endpoints, types};

use crate::{Error, convert::check, envelope::Parts, model::EventType};

crate::model::area! {
    /// Webhook subscriptions; from [`Client::webhooks`](crate::Client::webhooks).
    pub struct WebhookSubscriptions;
    /// Subscribing to events and changing a subscription's URL.
    pub fn webhooks();
}

crate::model::input! {
    /// An event type and the URL its deliveries go to, for
    /// [`WebhookSubscriptions::subscribe`] and [`WebhookSubscriptions::update`].
    ///
    /// ```
    /// use cryptopocket::{model::EventType, subscriptions::Subscription};
    ///
    /// let subscription = Subscription::new(EventType::CoinsSent, "https://example.com/hooks");
    /// assert_eq!(subscription.url(), "https://example.com/hooks");
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Subscription {
        /// The event type.
        #[arg(long = "type", value_name = "TYPE", value_parser = {
            let known = clap::builder::PossibleValuesParser::new(EventType::KNOWN);
            clap::builder::TypedValueParser::map(known, EventType::from)
        })]
        event: EventType => type_,
        /// Where deliveries go (http or https).
        #[check(url)]
        url: String,
    }

    /// Deliveries of `event` to `url`, an absolute `http(s)` URL. An event type this version
    /// does not know, or a URL that is not one, is refused before sending.
    pub fn new(event: EventType, url: impl Into<String>);

    fn to_api() -> types::WebhookSubscriptionRequest;
}

impl Subscription {
    /// The event type.
    pub fn event(&self) -> &EventType {
        &self.event
    }

    /// Where its deliveries go.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether `url` can receive deliveries: an absolute `http(s)` URL, the check
    /// [`subscribe`](WebhookSubscriptions::subscribe) makes.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] saying what is wrong, naming `url`, not quoting it.
    pub fn check_url(url: &str) -> Result<(), Error> {
        check::url("url", url).map(drop)
    }
}

impl WebhookSubscriptions {
    /// Webhook Event Subscribe (`POST /subscribeToWebhook`): CryptoPocket will POST the
    /// subscription's event deliveries to its URL. Returns the API's answer
    /// (`subscription_created`): its `data`, else its `message`, else empty (a success
    /// envelope without either still means the subscription is in place).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for an unknown event type or a URL that is not http(s),
    /// naming the field; see [`Error`].
    pub async fn subscribe(&self, subscription: &Subscription) -> Result<String, Error> {
        let body = subscription.to_api()?;
        // Subscribing twice to the same type keeps one URL (inferred), so the spec marks it
        // idempotent and a retry is safe.
        let parts = self
            .client
            .call::<endpoints::SubscribeToWebhook>(move |api| {
                crate::convert::boxed(|| api.subscribe_to_webhook().body(body.clone()).send())
            })
            .await?;
        Ok(confirmation(parts))
    }

    /// Webhook Event Update (`POST /updateWebhookSubscription`): moves the subscription for
    /// the event type to the URL given. Returns the API's answer (`subscription_updated`).
    ///
    /// # Errors
    ///
    /// As [`subscribe`](Self::subscribe).
    pub async fn update(&self, subscription: &Subscription) -> Result<String, Error> {
        let body = subscription.to_api()?;
        let parts = self
            .client
            .call::<endpoints::UpdateWebhookSubscription>(move |api| {
                crate::convert::boxed(|| {
                    api.update_webhook_subscription().body(body.clone()).send()
                })
            })
            .await?;
        Ok(confirmation(parts))
    }
}

/// The success envelope is the confirmation; its text is `data` as documented, else the
/// `message`, else empty: a server that sends neither has still subscribed.
fn confirmation(parts: Parts<String>) -> String {
    parts.data.or(parts.message).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(subscription: &Subscription) -> String {
        match subscription.to_api() {
            Err(Error::InvalidRequest(message)) => message,
            other => panic!("expected InvalidRequest, got {other:?}"),
        }
    }

    /// The body is the documented form: the event type as the API spells it (a legacy name
    /// as the event it now names), the URL as given.
    #[test]
    fn the_body_is_the_event_type_and_the_url() {
        let body = Subscription::new(EventType::from("RAMPOFF_FINISHED"), "https://demo.com")
            .to_api()
            .unwrap();
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"type": "TRANSFER_RAMPOFF_FINISHED", "url": "https://demo.com"})
        );
    }

    /// Refused before sending, naming the field (the flag's id, which the command line turns
    /// into `--type` or `--url`); the URL itself is not quoted.
    #[test]
    fn an_unknown_event_or_a_url_that_is_not_http_is_refused_naming_the_field() {
        let message = refused(&Subscription::new(
            EventType::from("KYC_DONE"),
            "https://d.e",
        ));
        assert!(
            message.starts_with("event `KYC_DONE` is not an event type the API accepts (PAY_IN, "),
            "{message}"
        );
        for (url, expected) in [
            ("ftp://secret.example/hooks", "url must be an http(s) URL"),
            ("secret.example/hooks", "url is not a URL: "),
            ("", "url is not a URL: "),
        ] {
            let message = refused(&Subscription::new(EventType::PayIn, url));
            assert!(message.starts_with(expected), "{url}: {message}");
            assert!(!message.contains("secret"), "{message}");
            assert_eq!(Subscription::check_url(url).map_err(|e| e.to_string()), {
                Err(format!("invalid request: {message}"))
            });
        }
        assert!(Subscription::check_url("http://127.0.0.1:3000/webhooks").is_ok());
    }

    /// `--type` takes the known event types only (the legacy name and unknown words are
    /// refused by the parser), `--url` any text, which the check refuses when sent.
    #[cfg(feature = "clap")]
    #[test]
    fn the_flags_build_what_the_constructor_builds() {
        use clap::Parser as _;

        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            subscription: Subscription,
        }
        let parse = |event: &str, url: &str| {
            Cli::try_parse_from(["subscribe", "--type", event, "--url", url])
                .map(|c| c.subscription)
        };
        let parsed = parse("COINS_SENT", "https://example.com/hooks").unwrap();
        let built = Subscription::new(EventType::CoinsSent, "https://example.com/hooks");
        assert_eq!(parsed, built);
        for event in ["KYC_DONE", "RAMPOFF_FINISHED", "coins_sent"] {
            assert!(parse(event, "https://example.com").is_err(), "{event}");
        }
        assert!(Cli::try_parse_from(["subscribe", "--type", "PAY_IN"]).is_err());
        let not_url = parse("PAY_IN", "example.com").unwrap();
        assert!(refused(&not_url).starts_with("url is not a URL"));
    }
}
