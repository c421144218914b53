//! Webhooks: subscribe and update, form-encoded as documented.

use axum::extract::State;

use crate::input::{Fields, RawBody};
use crate::reply::{Answer, Fail, ok};
use crate::server::AppState;

/// The event types, the legacy `RAMPOFF_FINISHED` included.
const EVENT_TYPES: &[&str] = &[
    "PAY_IN",
    "COINS_SENT",
    "CRYPTO_RECEIVED",
    "TRANSFER_RAMPOFF_FINISHED",
    "RAMPOFF_FINISHED",
];

/// The form's `type` and `url`, checked. A JSON body is read too: it costs nothing and
/// a developer who sends one gets a subscription, not a puzzle.
fn read(body: &[u8]) -> Result<(String, String), Fail> {
    let fields = if body.trim_ascii_start().starts_with(b"{") {
        Fields::json(body)?
    } else {
        Fields::form(body)
    };
    let event_type = fields.required_text("type")?;
    if !EVENT_TYPES.contains(&event_type.as_str()) {
        return Err(Fail::field(
            "type",
            &format!("must be one of {}", EVENT_TYPES.join(", ")),
        ));
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
            None => Err(Fail::code("subscription_not_found").message(format!(
                "there is no {event_type} subscription to update; subscribe first"
            ))),
        })
}
