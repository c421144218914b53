//! Webhooks: subscribe and update, form-encoded as documented.

use axum::extract::State;
use cryptopocket_api::types::WebhookEventType;

use crate::input::{Fields, RawBody};
use crate::reply::{Answer, Fail, fail, ok};
use crate::server::AppState;

/// The form's `type` and `url`, checked. A JSON body is read too: it costs nothing and
/// a developer who sends one gets a subscription, not a puzzle.
fn read(body: &[u8]) -> Result<(String, String), Fail> {
    let fields = if body.trim_ascii_start().starts_with(b"{") {
        Fields::json(body)?
    } else {
        Fields::form(body)
    };
    let event_type = fields.required_text("type")?;
    if event_type.parse::<WebhookEventType>().is_err() {
        let known = super::spec_values::<WebhookEventType>().join(", ");
        return Err(Fail::field("type", &format!("must be one of {known}")));
    }
    let url = fields.required_text("url")?;
    match reqwest::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
        _ => return Err(Fail::field("url", "must be an http or https URL")),
    }
    Ok((event_type, url))
}

/// `POST /subscribeToWebhook`: one URL per event type; subscribing again replaces it.
pub(crate) async fn subscribe(State(app): State<AppState>, RawBody(body): RawBody) -> Answer {
    let (event_type, url) = read(&body)?;
    app.shared.world(|world, _| {
        world.subscriptions.insert(event_type, url);
    });
    Ok(ok("subscription_created"))
}

/// `POST /updateWebhookSubscription`: only an existing subscription can change.
pub(crate) async fn update(State(app): State<AppState>, RawBody(body): RawBody) -> Answer {
    let (event_type, url) = read(&body)?;
    app.shared
        .world(|world, _| match world.subscriptions.get_mut(&event_type) {
            Some(current) => {
                *current = url;
                Ok(ok("subscription_updated"))
            }
            None => Err(fail!(
                "subscription_not_found",
                "there is no {event_type} subscription to update; subscribe first"
            )),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_are_the_spec_values() {
        assert!(read(b"type=RAMPOFF_FINISHED&url=https%3A%2F%2Fdemo.com%2Fhook").is_ok());
        let fail = read(b"type=PAYIN&url=https%3A%2F%2Fdemo.com").unwrap_err();
        assert_eq!(
            fail.body["message"],
            "`type` must be one of PAY_IN, COINS_SENT, CRYPTO_RECEIVED, \
             TRANSFER_RAMPOFF_FINISHED, RAMPOFF_FINISHED"
        );
    }
}
