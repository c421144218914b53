//! The control handle: what a test (or the example) does to the sandbox that no API call
//! can: move time, play the end user, force a status, inject an error, look inside.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::catalogue;
use crate::clock::later;
use crate::server::{Shared, lock};
use crate::webhooks::Delivery;
use crate::world::{PayStatus, World};

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

    /// The requests answered so far (oldest first, bounded).
    pub fn exchanges(&self) -> Vec<Exchange> {
        lock(&self.shared.exchanges).iter().cloned().collect()
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
