//! The control handle: what a test (or the example) does to the sandbox that no API call
//! can: move time, play the end user, force a status, inject an error, look inside, and
//! drill a webhook receiver (redeliver, deliver twice, several subscriber URLs). The
//! drills' `/sandbox/*` routes live here too; the older ones are in `api::gateway`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::catalogue;
use crate::clock::later;
use crate::input::Fields;
use crate::reply::{Fail, fail, ok};
use crate::server::{AppState, Shared, lock};
use crate::webhooks::{Delivery, Queued, RedeliverError, Which, check_url};
use crate::world::{PayStatus, World};

/// The most extra subscriber URLs [`Control::add_webhook_url`] keeps: every event is sent
/// to each, so a client adding URLs in a loop would otherwise grow the sandbox's memory and
/// its deliveries without end.
const MAX_EXTRA_WEBHOOK_URLS: usize = 64;

/// The most failures `POST /sandbox/fail-next` queues for one operation, and the longest
/// code it takes: a client calling it in a loop must not grow the sandbox without end.
const MAX_INJECTED: usize = 256;
const MAX_INJECTED_CODE_BYTES: usize = 128;

/// A handle on a running sandbox. Cheap to clone; every clone controls the same sandbox.
#[derive(Clone)]
pub struct Control {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("origin", &self.shared.origin)
            .finish_non_exhaustive()
    }
}

/// Why a control action could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// Nothing has that id.
    #[error("no {kind} with id {id}")]
    NotFound {
        /// What was looked for (`payment`, `customer`).
        kind: &'static str,
        /// The id given.
        id: String,
    },
    /// It exists, but the action does not fit where it stands.
    #[error("{0}")]
    WrongState(String),
    /// [`Control::try_advance`] was asked to move the clock past its cap, ten thousand
    /// years ahead of where it started; the clock did not move.
    #[error(
        "the virtual clock goes at most ten thousand years ahead; it can move at most {} more seconds",
        largest.as_secs()
    )]
    TooFar {
        /// The largest advance the clock accepts now.
        largest: Duration,
    },
    /// A value the action cannot take (a subscriber URL that is not http or https).
    #[error("{0}")]
    Invalid(String),
}

/// One request the sandbox answered, as it answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The spec's `operationId`.
    pub operation_id: &'static str,
    /// The HTTP method.
    pub method: String,
    /// The request path.
    pub path: String,
    /// The HTTP status answered.
    pub status: u16,
    /// The body answered (always JSON).
    pub body: String,
}

/// How much the sandbox holds; every figure has a bound in [`Limits`](crate::Limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Customers of the calling integration.
    pub customers: usize,
    /// Payments of both kinds.
    pub payments: usize,
    /// Off-ramp operations.
    pub rampoffs: usize,
    /// Bank transactions over all accounts.
    pub bank_transactions: usize,
    /// Live tokens.
    pub tokens: usize,
    /// Recorded exchanges.
    pub exchanges: usize,
    /// Remembered webhook deliveries.
    pub deliveries: usize,
}

impl Control {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Control { shared }
    }

    /// The sandbox's virtual now.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.clock.now()
    }

    /// Moves virtual time forward and applies every status change now due, queueing
    /// their webhooks. Token expiry follows the same clock.
    ///
    /// The clock goes at most ten thousand years ahead of where it started; an advance
    /// past that stops at the cap, where time stands still and no later step ever comes.
    /// [`Control::try_advance`] refuses such an advance instead (as
    /// `POST /sandbox/advance` does).
    pub fn advance(&self, by: Duration) {
        self.shared.clock.advance(by);
        self.shared.world(|_, _| ());
    }

    /// Like [`Control::advance`], but an advance that would take the clock past its cap
    /// (ten thousand years ahead of where it started) is refused with
    /// [`ControlError::TooFar`], which gives the largest advance accepted now, and the
    /// clock stays exactly where it was.
    pub fn try_advance(&self, by: Duration) -> Result<(), ControlError> {
        self.shared
            .clock
            .try_advance(by)
            .map_err(|largest| ControlError::TooFar { largest })?;
        self.shared.world(|_, _| ());
        Ok(())
    }

    /// Plays the end user on the payment page: pays with `method` (`card`, `psd2` or
    /// `transfer`; a guided payment lets the payer choose, a direct one uses the method
    /// it was created with). Card and psd2 payments become `payment_received` after the
    /// schedule's delay; a transfer goes as [`Control::send_transfer`] does.
    pub fn pay(&self, payment_id: &str, method: &str) -> Result<(), ControlError> {
        let schedule = self.shared.config.schedule;
        let max = self.shared.config.limits.max_transactions;
        self.shared.world(|world, now| {
            let payment = started_payment(world, payment_id)?;
            let chosen = if payment.guided {
                method.to_ascii_lowercase()
            } else {
                payment.payment_type.to_ascii_lowercase()
            };
            match catalogue::method_named(&chosen) {
                Some(m) if m.gateway => {}
                Some(_) => return transfer(world, now, payment_id, max).map(drop),
                None => {
                    return Err(ControlError::WrongState(format!(
                        "the gateway does not offer {method:?}; choose card, psd2 or transfer"
                    )));
                }
            }
            let holder = payer_name(world, payment_id);
            if let Some(payment) = world.payments.get_mut(payment_id) {
                payment.payment_type = chosen;
                payment.holder = holder;
            }
            world.mark_paid(payment_id, later(now, schedule.payment_received));
            Ok(())
        })
    }

    /// The payer sends the bank transfer: the payment becomes `pending_bank` and the
    /// money arrives on the integration's first account, with the payment's `concept`.
    /// Returns the bank transaction's id, which reconciliation takes.
    pub fn send_transfer(&self, payment_id: &str) -> Result<String, ControlError> {
        let max = self.shared.config.limits.max_transactions;
        self.shared
            .world(|world, now| transfer(world, now, payment_id, max))
    }

    /// Forces a customer's KYC status, whatever the schedule says (`valid`, `fail`, or any
    /// word: the API's list is open).
    pub fn set_kyc(&self, user_id: u64, status: &str) -> Result<(), ControlError> {
        self.shared.world(|world, _| {
            let customer = world
                .customers
                .get_mut(&user_id)
                .ok_or_else(|| not_found("customer", user_id))?;
            customer.kyc_forced = Some(status.to_owned());
            Ok(())
        })
    }

    /// Bans a customer: its payments are refused with `user_banned`.
    pub fn ban(&self, user_id: u64) -> Result<(), ControlError> {
        self.shared.world(|world, _| {
            let customer = world
                .customers
                .get_mut(&user_id)
                .ok_or_else(|| not_found("customer", user_id))?;
            customer.banned = true;
            Ok(())
        })
    }

    /// Makes the next call of `operation_id` answer the error `code` (HTTP 200 envelope)
    /// instead of doing its work; calls queue up in order.
    pub fn fail_next(&self, operation_id: &str, code: &str) {
        self.shared.world(|world, _| {
            world
                .injected
                .entry(operation_id.to_owned())
                .or_default()
                .push_back(code.to_owned());
        });
    }

    /// Forgets every token, as if they had all expired.
    pub fn revoke_tokens(&self) {
        self.shared.world(|world, _| world.revoke_tokens());
    }

    /// The webhook deliveries made so far (oldest first, bounded).
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.outbox.deliveries()
    }

    /// Waits until every queued webhook delivery has succeeded or used up its attempts.
    pub async fn settle(&self) {
        self.shared.outbox.settle().await;
    }

    /// Sends a delivery already made (or failed) again, as a sender's retry would: the same
    /// event type, URL and body, byte for byte, signed when the attempt is made, so with a
    /// new `X-Timestamp` and signature. Returns the new delivery's id; its
    /// [`Delivery::duplicate_of`] is `delivery_id`. Only remembered deliveries (the newest
    /// [`Limits::max_deliveries`](crate::Limits::max_deliveries)) can be redelivered, and a
    /// delivery still queued is not one yet: [`Control::settle`] first.
    pub fn redeliver(&self, delivery_id: &str) -> Result<String, ControlError> {
        self.queue_again(Which::Id(delivery_id))
            .map(|mut queued| queued.remove(0).id)
    }

    /// Like [`Control::redeliver`], for the delivery made last.
    pub fn redeliver_last(&self) -> Result<String, ControlError> {
        self.queue_again(Which::Last)
            .map(|mut queued| queued.remove(0).id)
    }

    /// Like [`Control::redeliver`], for every remembered delivery, in the order they were
    /// first queued; the new ids (none when nothing was delivered yet).
    pub fn redeliver_all(&self) -> Vec<String> {
        self.queue_again(Which::All)
            .map(|queued| queued.into_iter().map(|q| q.id).collect())
            .unwrap_or_default()
    }

    fn queue_again(&self, which: Which<'_>) -> Result<Vec<Queued>, ControlError> {
        self.shared.outbox.redeliver(which).map_err(|e| match e {
            RedeliverError::Unknown => ControlError::NotFound {
                kind: "delivery",
                id: match which {
                    Which::Id(id) => id.to_owned(),
                    Which::Last | Which::All => String::new(),
                },
            },
            RedeliverError::NoneYet => {
                ControlError::WrongState("no webhook delivery has been made yet".into())
            }
        })
    }

    /// Whether every event is delivered twice in a row (the second copy signed afresh),
    /// to drill a receiver's duplicate handling. Starts as
    /// [`SandboxConfig::deliver_twice`](crate::SandboxConfig::deliver_twice) says.
    pub fn deliver_twice(&self) -> bool {
        self.shared.outbox.deliver_twice()
    }

    /// Switches [`Control::deliver_twice`] on or off for the events raised from now on.
    pub fn set_deliver_twice(&self, on: bool) {
        self.shared.outbox.set_deliver_twice(on);
    }

    /// The extra subscriber URLs (a sandbox feature: see
    /// [`SandboxConfig::webhook_urls`](crate::SandboxConfig::webhook_urls)), in the order
    /// they were added.
    pub fn webhook_urls(&self) -> Vec<String> {
        self.shared.outbox.webhook_urls()
    }

    /// Adds an extra subscriber URL: it receives every event of the current types raised
    /// from now on, beside the subscriptions made through the API. Adding it again changes
    /// nothing; a URL that is not http or https is refused with [`ControlError::Invalid`],
    /// and a new one once 64 are set (each receives every event) with
    /// [`ControlError::WrongState`].
    pub fn add_webhook_url(&self, url: &str) -> Result<(), ControlError> {
        check_url(url).map_err(ControlError::Invalid)?;
        let urls = self.webhook_urls();
        if urls.len() >= MAX_EXTRA_WEBHOOK_URLS && !urls.iter().any(|u| u == url) {
            return Err(ControlError::WrongState(format!(
                "{MAX_EXTRA_WEBHOOK_URLS} extra subscriber URLs are set, the most there can be; \
                 remove one first"
            )));
        }
        self.shared.outbox.add_webhook_url(url);
        Ok(())
    }

    /// Removes an extra subscriber URL; whether it was one. Subscriptions made through the
    /// API are not touched.
    pub fn remove_webhook_url(&self, url: &str) -> bool {
        self.shared.outbox.remove_webhook_url(url)
    }

    /// The requests answered so far (oldest first, bounded).
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.shared.exchanges()
    }

    /// How much state the sandbox holds.
    pub fn stats(&self) -> Stats {
        let (customers, payments, rampoffs, bank_transactions, tokens) =
            self.shared.world(|world, _| {
                (
                    world.own_customer_count(),
                    world.payments.len(),
                    world.rampoffs.len(),
                    world.accounts.iter().map(|a| a.transactions.len()).sum(),
                    world.token_count(),
                )
            });
        Stats {
            customers,
            payments,
            rampoffs,
            bank_transactions,
            tokens,
            exchanges: lock(&self.shared.exchanges).len(),
            deliveries: self.shared.outbox.deliveries().len(),
        }
    }
}

fn not_found(kind: &'static str, id: impl ToString) -> ControlError {
    ControlError::NotFound {
        kind,
        id: id.to_string(),
    }
}

fn started_payment<'w>(
    world: &'w World,
    payment_id: &str,
) -> Result<&'w crate::world::Payment, ControlError> {
    let payment = world
        .payments
        .get(payment_id)
        .ok_or_else(|| not_found("payment", payment_id))?;
    if payment.status != PayStatus::Started || payment.next.is_some() {
        return Err(ControlError::WrongState(format!(
            "payment {payment_id} was already paid (it is {})",
            payment.status.as_str()
        )));
    }
    Ok(payment)
}

fn payer_name(world: &World, payment_id: &str) -> Option<String> {
    let user_id = world.payments.get(payment_id)?.user_id;
    let customer = world.customers.get(&user_id)?;
    Some(match &customer.surname {
        Some(surname) => format!("{} {surname}", customer.name),
        None => customer.name.clone(),
    })
}

fn transfer(
    world: &mut World,
    now: DateTime<Utc>,
    payment_id: &str,
    max: usize,
) -> Result<String, ControlError> {
    let payment = started_payment(world, payment_id)?;
    let amount = payment.fiat_amount;
    let existing_concept = payment.concept;
    let holder = payer_name(world, payment_id).unwrap_or_else(|| "Sandbox Payer".into());
    let concept = match existing_concept {
        Some(c) => c,
        None => world.next_concept(),
    };
    let iban = catalogue::ACCOUNTS[0].0;
    let tx = world
        .book(
            iban,
            amount,
            true,
            &holder,
            catalogue::PAYER_IBAN,
            &concept.to_string(),
            now,
            max,
        )
        .ok_or_else(|| ControlError::WrongState("the sandbox has no bank account".into()))?;
    if let Some(payment) = world.payments.get_mut(payment_id) {
        payment.status = PayStatus::PendingBank;
        payment.payment_type = "transfer".into();
        payment.concept = Some(concept);
        payment.holder = Some(holder);
    }
    Ok(tx)
}

/// The `/sandbox/*` routes that do what [`Control`] does, over HTTP: the clock, the payer,
/// injected failures, bans, the deliveries, and the drills (redelivery, deliver-twice and
/// the extra subscriber URLs).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/sandbox/advance", post(advance))
        .route("/sandbox/payments/{payment_id}/pay", post(pay))
        .route(
            "/sandbox/payments/{payment_id}/transfer",
            post(send_transfer),
        )
        .route("/sandbox/fail-next", post(fail_next))
        .route("/sandbox/customers/{user_id}/ban", post(ban))
        .route("/sandbox/deliveries", get(deliveries))
        .route(
            "/sandbox/deliveries/{delivery_id}/redeliver",
            post(redeliver),
        )
        .route("/sandbox/deliver-twice", post(deliver_twice))
        .route(
            "/sandbox/webhook-urls",
            post(add_webhook_url).delete(remove_webhook_url).get(drills),
        )
}

/// A refusal in the control routes' style: `sandbox_control` with HTTP 404 (unknown id) or
/// 409 (wrong state), `invalid_parameter` with HTTP 422 for a bad value.
fn refusal(e: ControlError) -> Fail {
    let (code, status) = match e {
        ControlError::NotFound { .. } => ("sandbox_control", StatusCode::NOT_FOUND),
        ControlError::Invalid(_) | ControlError::TooFar { .. } => {
            ("invalid_parameter", StatusCode::UNPROCESSABLE_ENTITY)
        }
        ControlError::WrongState(_) => ("sandbox_control", StatusCode::CONFLICT),
    };
    Fail::code(code).message(e.to_string()).with_status(status)
}

/// `POST /sandbox/deliveries/{id}/redeliver`, where `{id}` is a delivery id, `last` or
/// `all`: the redeliveries queued, each `{id, duplicate_of, event_type, url, outcome:
/// "queued"}` (`GET /sandbox/deliveries` shows how they ended).
async fn redeliver(
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Fail> {
    let id = path.map(|Path(id)| id).unwrap_or_default();
    let which = match id.as_str() {
        "last" => Which::Last,
        "all" => Which::All,
        id => Which::Id(id),
    };
    let queued = Control::new(app.shared.clone())
        .queue_again(which)
        .map_err(refusal)?;
    let queued: Vec<Value> = queued
        .into_iter()
        .map(|q| {
            json!({
                "id": q.id,
                "duplicate_of": q.duplicate_of,
                "event_type": q.event_type,
                "url": q.url,
                "outcome": "queued",
            })
        })
        .collect();
    Ok(ok(json!(queued)))
}

/// What the drills are set to: `{deliver_twice, webhook_urls}`.
fn drill_state(control: &Control) -> Value {
    json!({
        "deliver_twice": control.deliver_twice(),
        "webhook_urls": control.webhook_urls(),
    })
}

/// `POST /sandbox/deliver-twice?enabled=true|false` (`true` when not given).
async fn deliver_twice(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, Fail> {
    let enabled = match Fields::query(query.as_deref()).text("enabled")?.as_deref() {
        None | Some("true" | "on" | "1") => true,
        Some("false" | "off" | "0") => false,
        Some(_) => {
            return Err(refusal(ControlError::Invalid(
                "`enabled` must be true or false".into(),
            )));
        }
    };
    let control = Control::new(app.shared.clone());
    control.set_deliver_twice(enabled);
    Ok(ok(drill_state(&control)))
}

/// `POST /sandbox/webhook-urls?url=U`: adds an extra subscriber URL.
async fn add_webhook_url(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, Fail> {
    let url = Fields::query(query.as_deref()).required_text("url")?;
    let control = Control::new(app.shared.clone());
    control.add_webhook_url(&url).map_err(refusal)?;
    Ok(ok(drill_state(&control)))
}

/// `DELETE /sandbox/webhook-urls?url=U`: removes an extra subscriber URL (404 when it is
/// not one).
async fn remove_webhook_url(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, Fail> {
    let url = Fields::query(query.as_deref()).required_text("url")?;
    let control = Control::new(app.shared.clone());
    if !control.remove_webhook_url(&url) {
        return Err(refusal(ControlError::NotFound {
            kind: "extra subscriber URL",
            id: url,
        }));
    }
    Ok(ok(drill_state(&control)))
}

/// `GET /sandbox/webhook-urls`: the drills' settings.
async fn drills(State(app): State<AppState>) -> Response {
    ok(drill_state(&Control::new(app.shared.clone())))
}

/// `POST /sandbox/advance?seconds=N`. An advance past the clock's cap (ten thousand years
/// ahead) is refused with HTTP 422 `invalid_parameter`, naming `seconds` and the largest
/// value accepted, and the clock does not move.
async fn advance(State(app): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, Fail> {
    let seconds = Fields::query(query.as_deref()).required_id("seconds")?;
    let control = Control::new(app.shared.clone());
    control
        .try_advance(std::time::Duration::from_secs(seconds))
        .map_err(|e| match e {
            ControlError::TooFar { largest } => fail!(
                UNPROCESSABLE_ENTITY,
                "invalid_parameter",
                "`seconds` must be at most {}: the virtual clock goes at most ten \
                     thousand years ahead of its start, and it did not move",
                largest.as_secs()
            ),
            other => refusal(other),
        })?;
    Ok(ok(json!({"now": crate::clock::api_time(control.now())})))
}

/// `POST /sandbox/payments/{id}/pay?method=card`.
async fn pay(
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, Fail> {
    let id = path.map(|Path(id)| id).unwrap_or_default();
    let method = Fields::query(query.as_deref())
        .text("method")?
        .unwrap_or_else(|| "card".into());
    Control::new(app.shared.clone())
        .pay(&id, &method)
        .map_err(refusal)?;
    Ok(ok(json!({"payment_id": id})))
}

/// `POST /sandbox/payments/{id}/transfer`.
async fn send_transfer(
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Fail> {
    let id = path.map(|Path(id)| id).unwrap_or_default();
    let tx = Control::new(app.shared.clone())
        .send_transfer(&id)
        .map_err(refusal)?;
    Ok(ok(json!({"payment_id": id, "transaction_id": tx})))
}

/// `POST /sandbox/fail-next?operation=createPayment&code=unexpected_error`: the next call of
/// that operation answers the error `code` (`unexpected_error` when no code is given).
async fn fail_next(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, Fail> {
    let fields = Fields::query(query.as_deref());
    let operation = fields.required_text("operation")?;
    if !crate::operation_ids().any(|id| id == operation) {
        return Err(fail!(
            UNPROCESSABLE_ENTITY,
            "invalid_parameter",
            "`operation` is not an operationId of the spec: {}",
            crate::api::gateway::escape(&operation)
        ));
    }
    let code = fields
        .text("code")?
        .unwrap_or_else(|| "unexpected_error".into());
    if code.len() > MAX_INJECTED_CODE_BYTES {
        return Err(fail!(
            UNPROCESSABLE_ENTITY,
            "invalid_parameter",
            "`code` must be at most {MAX_INJECTED_CODE_BYTES} bytes long"
        ));
    }
    let queued = app.shared.world(|world, _| {
        world
            .injected
            .get(&operation)
            .map_or(0, std::collections::VecDeque::len)
    });
    if queued >= MAX_INJECTED {
        return Err(refusal(ControlError::WrongState(format!(
            "{MAX_INJECTED} failures are already queued for {operation}, the most there can \
             be; calls of it use them up"
        ))));
    }
    Control::new(app.shared.clone()).fail_next(&operation, &code);
    Ok(ok(json!({"operation": operation, "code": code})))
}

/// `POST /sandbox/customers/{user_id}/ban`: the customer's payments are refused with
/// `user_banned`.
async fn ban(
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Fail> {
    let id = path.map(|Path(id)| id).unwrap_or_default();
    let user_id: u64 = id.parse().map_err(|_| {
        fail!(
            UNPROCESSABLE_ENTITY,
            "invalid_parameter",
            "the user id must be a number"
        )
    })?;
    Control::new(app.shared.clone())
        .ban(user_id)
        .map_err(refusal)?;
    Ok(ok(json!({"user_id": user_id, "banned": true})))
}

/// `GET /sandbox/deliveries`: the webhook deliveries made so far, oldest first, each in
/// [`Delivery`]'s JSON form (which [`RemoteControl`](crate::RemoteControl) reads back).
async fn deliveries(State(app): State<AppState>) -> Response {
    ok(json!(Control::new(app.shared.clone()).deliveries()))
}
