//! The sandbox's state: customers, payments, off-ramps, bank accounts, subscriptions and
//! tokens, and the scheduled status changes that move them along.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::catalogue;
use crate::clock::{api_time, later, shift, to_chrono};
use crate::config::{Limits, Schedule, random_alphanumeric};

/// A customer of some integration.
#[derive(Debug, Clone)]
pub(crate) struct Customer {
    pub(crate) id: u64,
    pub(crate) uuid: uuid::Uuid,
    pub(crate) kind: CustomerKind,
    pub(crate) name: String,
    pub(crate) surname: Option<String>,
    pub(crate) email: String,
    pub(crate) external_id: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    /// When KYC started counting: registration, or earlier for delegated KYC, which
    /// arrives already sent.
    pub(crate) kyc_started: DateTime<Utc>,
    pub(crate) kyc_fails: bool,
    /// Set by the control handle; wins over the schedule.
    pub(crate) kyc_forced: Option<String>,
    pub(crate) banned: bool,
    /// Belongs to another integration: visible only as `user_not_in_integration`.
    pub(crate) foreign: bool,
    /// When the enhanced verification is complete, once a link was made.
    pub(crate) reinforced_at: Option<DateTime<Utc>>,
    pub(crate) documents: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CustomerKind {
    Individual,
    Delegated,
    Company,
}

impl CustomerKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CustomerKind::Individual | CustomerKind::Delegated => "individual",
            CustomerKind::Company => "company",
        }
    }
}

impl Customer {
    /// `unused` → `processing` → `valid` (or `fail`) as virtual time passes.
    pub(crate) fn kyc_status(&self, now: DateTime<Utc>, schedule: &Schedule) -> String {
        if let Some(forced) = &self.kyc_forced {
            return forced.clone();
        }
        let elapsed = now - self.kyc_started;
        if elapsed < to_chrono(schedule.kyc_processing) {
            "unused".into()
        } else if elapsed < to_chrono(schedule.kyc_decided) {
            "processing".into()
        } else if self.kyc_fails {
            "fail".into()
        } else {
            "valid".into()
        }
    }

    pub(crate) fn reinforced(&self, now: DateTime<Utc>) -> bool {
        self.reinforced_at.is_some_and(|t| t <= now)
    }

    pub(crate) fn to_json(&self, now: DateTime<Utc>, schedule: &Schedule) -> Value {
        let mut v = json!({
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "type": self.kind.as_str(),
            "kyc_status": self.kyc_status(now, schedule),
            "created_at": api_time(self.created_at),
        });
        if let Some(surname) = &self.surname {
            v["surname"] = json!(surname);
        }
        if let Some(external_id) = &self.external_id {
            v["external_id"] = json!(external_id);
        }
        v
    }
}

/// On-ramp payment statuses, in the order the documented flow visits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum PayStatus {
    Started,
    PendingBank,
    PaymentReceived,
    CoinsSent,
}

impl PayStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PayStatus::Started => "started",
            PayStatus::PendingBank => "pending_bank",
            PayStatus::PaymentReceived => "payment_received",
            PayStatus::CoinsSent => "coins_sent",
        }
    }

    /// The webhook this status change sends, if any.
    fn event(self) -> Option<&'static str> {
        match self {
            PayStatus::PaymentReceived => Some("PAY_IN"),
            PayStatus::CoinsSent => Some("COINS_SENT"),
            PayStatus::Started | PayStatus::PendingBank => None,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Payment {
    pub(crate) id: String,
    pub(crate) external_id: Option<String>,
    pub(crate) user_id: u64,
    pub(crate) guided: bool,
    /// As requested, or as the payer chose on the gateway.
    pub(crate) payment_type: String,
    pub(crate) fiat_symbol: String,
    pub(crate) fiat_amount: Decimal,
    pub(crate) coin_symbol: String,
    pub(crate) coin_amount: Decimal,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) status: PayStatus,
    pub(crate) next: Option<(PayStatus, DateTime<Utc>)>,
    pub(crate) txid: Option<String>,
    pub(crate) holder: Option<String>,
    pub(crate) concept: Option<u64>,
    /// The `token` of the card/psd2 `url_payment`.
    pub(crate) gateway_token: uuid::Uuid,
}

impl Payment {
    /// The Retrieve-payment shape: `fiat_amount` in cents and `user_id` a string, as
    /// documented; `txid` only once the coins are sent.
    pub(crate) fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "user_id": self.user_id.to_string(),
            "status": self.status.as_str(),
            "fiat_amount": cents(self.fiat_amount),
            "fiat_symbol": self.fiat_symbol,
            "coin_symbol": self.coin_symbol,
            "coin_amount": number(self.coin_amount),
            "created_at": api_time(self.created_at),
            "holder": self.holder,
        });
        if let Some(external_id) = &self.external_id {
            v["external_id"] = json!(external_id);
        }
        if let Some(txid) = &self.txid {
            v["txid"] = json!(txid);
        }
        v
    }

    /// The webhook body: the payment as Retrieve payment shows it, keyed `payment_id`, with
    /// `created_at` saying when the event happened (as the spec describes it).
    fn event(&self, event_type: &str, at: DateTime<Utc>) -> Value {
        let mut v = self.to_json();
        if let Value::Object(map) = &mut v {
            map.remove("id");
            map.remove("holder");
            map.insert("payment_id".into(), json!(self.id));
            map.insert("type".into(), json!(event_type));
            map.insert("created_at".into(), json!(api_time(at)));
        }
        v
    }
}

/// Off-ramp statuses. Only `finished` is documented; the two before it are the sandbox's
/// names for the documented steps (waiting for the customer's crypto, crypto received).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RampStatus {
    WaitingCrypto,
    CryptoReceived,
    Finished,
}

impl RampStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RampStatus::WaitingCrypto => "waiting_crypto",
            RampStatus::CryptoReceived => "crypto_received",
            RampStatus::Finished => "finished",
        }
    }

    fn event(self) -> Option<&'static str> {
        match self {
            RampStatus::WaitingCrypto => None,
            RampStatus::CryptoReceived => Some("CRYPTO_RECEIVED"),
            RampStatus::Finished => Some("TRANSFER_RAMPOFF_FINISHED"),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Rampoff {
    pub(crate) id: String,
    pub(crate) symbol: String,
    pub(crate) blockchain: String,
    /// Whole tokens, as the create request sends them.
    pub(crate) amount: Decimal,
    pub(crate) decimals: u32,
    pub(crate) fiat_amount: Decimal,
    pub(crate) wallet: String,
    pub(crate) status: RampStatus,
    pub(crate) next: Option<(RampStatus, DateTime<Utc>)>,
    pub(crate) txid: Option<String>,
    /// The integrator's reference (inferred: the spec adds it after the on-ramp's).
    pub(crate) external_id: Option<String>,
}

impl Rampoff {
    /// The Get-rampoff-status shape: `amount` a string of base units beside `decimals`,
    /// `fiat_amount` a decimal string, as documented.
    pub(crate) fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "status": self.status.as_str(),
            "blockchain": self.blockchain,
            "crypto": self.symbol,
            "amount": base_units(self.amount, self.decimals).unwrap_or_else(|| "0".into()),
            "decimals": self.decimals,
            "fiat_amount": format!("{:.2}", self.fiat_amount),
        });
        if let Some(external_id) = &self.external_id {
            v["external_id"] = json!(external_id);
        }
        v
    }

    /// The webhook body; `created_at` says when the event happened.
    fn event(&self, event_type: &str, at: DateTime<Utc>) -> Value {
        let mut v = self.to_json();
        v["type"] = json!(event_type);
        v["created_at"] = json!(api_time(at));
        if let Some(txid) = &self.txid {
            v["txid"] = json!(txid);
        }
        v
    }
}

#[derive(Debug, Clone)]
pub(crate) struct BankAccount {
    pub(crate) iban: String,
    pub(crate) bic: String,
    pub(crate) holder_name: String,
    pub(crate) currency: String,
    pub(crate) balance: Decimal,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) foreign: bool,
    /// Oldest first; listed newest first.
    pub(crate) transactions: Vec<BankTx>,
}

impl BankAccount {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "iban": self.iban,
            "bic": self.bic,
            "holder_name": self.holder_name,
            "currency": self.currency,
            "balance": format!("{:.2}", self.balance),
            "status": "active",
            "created_at": api_time(self.created_at),
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct BankTx {
    pub(crate) id: String,
    pub(crate) iban: String,
    pub(crate) amount: Decimal,
    pub(crate) currency: String,
    pub(crate) credit: bool,
    pub(crate) counterparty_name: String,
    pub(crate) counterparty_iban: String,
    pub(crate) concept: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) payment_id: Option<String>,
}

impl BankTx {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "iban": self.iban,
            "amount": format!("{:.2}", self.amount),
            "currency": self.currency,
            "direction": if self.credit { "credit" } else { "debit" },
            "counterparty_name": self.counterparty_name,
            "counterparty_iban": self.counterparty_iban,
            "concept": self.concept,
            "booking_date": self.created_at.format("%Y-%m-%d").to_string(),
            "created_at": api_time(self.created_at),
            "reconciled": self.payment_id.is_some(),
            "payment_id": self.payment_id,
        })
    }
}

/// A status change that has a webhook: the event type and its body.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) event_type: &'static str,
    pub(crate) body: Value,
}

/// Everything the sandbox remembers. Guarded by one mutex: requests are short and the
/// state is small, so one lock keeps every invariant simple.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) customers: BTreeMap<u64, Customer>,
    next_customer: u64,
    pub(crate) payments: HashMap<String, Payment>,
    /// Payment ids in creation order, for listing.
    pub(crate) payment_order: Vec<String>,
    pub(crate) rampoffs: HashMap<String, Rampoff>,
    pub(crate) rampoff_order: Vec<String>,
    pub(crate) accounts: Vec<BankAccount>,
    /// One URL per event type: subscribing again replaces it.
    pub(crate) subscriptions: BTreeMap<String, String>,
    tokens: HashMap<String, DateTime<Utc>>,
    token_order: VecDeque<String>,
    next_concept: u64,
    /// Error codes the control handle asked a given operation to answer next.
    pub(crate) injected: HashMap<String, VecDeque<String>>,
    /// Webhook events raised since the last drain.
    pub(crate) events: Vec<Event>,
}

impl World {
    pub(crate) fn new(now: DateTime<Utc>) -> Self {
        let mut world = World {
            customers: BTreeMap::new(),
            next_customer: 100_001,
            payments: HashMap::new(),
            payment_order: Vec::new(),
            rampoffs: HashMap::new(),
            rampoff_order: Vec::new(),
            accounts: Vec::new(),
            subscriptions: BTreeMap::new(),
            tokens: HashMap::new(),
            token_order: VecDeque::new(),
            next_concept: 120_001,
            injected: HashMap::new(),
            events: Vec::new(),
        };
        world.seed(now);
        world
    }

    /// The bank accounts with a little history, and a customer of another integration.
    fn seed(&mut self, now: DateTime<Utc>) {
        let opened = shift(now, -chrono::TimeDelta::days(90));
        for (iban, bic, holder, ours) in catalogue::ACCOUNTS {
            self.accounts.push(BankAccount {
                iban: (*iban).into(),
                bic: (*bic).into(),
                holder_name: (*holder).into(),
                currency: "EUR".into(),
                balance: Decimal::ZERO,
                created_at: opened,
                foreign: !ours,
                transactions: Vec::new(),
            });
        }
        let history: [(i64, i64, bool, &str, &str); 3] = [
            (60, 1_000_000, true, "Initial funding", "Sandbox Treasury"),
            (30, 1_250, false, "Monthly account fee", "Sandbox Bank"),
            (7, 25_000, true, "INV-2026-0042", "Acme Remittances SL"),
        ];
        for (days_ago, cents, credit, concept, counterparty) in history {
            let iban = catalogue::ACCOUNTS[0].0;
            self.book(
                iban,
                Decimal::new(cents, 2),
                credit,
                counterparty,
                catalogue::PAYER_IBAN,
                concept,
                shift(now, -chrono::TimeDelta::days(days_ago)),
                usize::MAX,
            );
        }
        self.customers.insert(
            catalogue::FOREIGN_CUSTOMER_ID,
            Customer {
                id: catalogue::FOREIGN_CUSTOMER_ID,
                uuid: random_uuid(),
                kind: CustomerKind::Individual,
                name: "Other Integration Customer".into(),
                surname: None,
                email: "customer@other-integration.example".into(),
                external_id: None,
                created_at: opened,
                kyc_started: opened,
                kyc_fails: false,
                kyc_forced: None,
                banned: false,
                foreign: true,
                reinforced_at: None,
                documents: 0,
            },
        );
    }

    pub(crate) fn next_customer_id(&mut self) -> u64 {
        let id = self.next_customer;
        self.next_customer += 1;
        id
    }

    pub(crate) fn next_concept(&mut self) -> u64 {
        let concept = self.next_concept;
        self.next_concept += 1;
        concept
    }

    /// The customers of the calling integration, oldest first.
    pub(crate) fn own_customers(&self) -> impl Iterator<Item = &Customer> {
        self.customers.values().filter(|c| !c.foreign)
    }

    pub(crate) fn own_customer_count(&self) -> usize {
        self.customers.len() - 1
    }

    pub(crate) fn email_taken(&self, email: &str) -> bool {
        self.customers
            .values()
            .any(|c| c.email.eq_ignore_ascii_case(email))
    }

    /// A new token that lives `ttl`; the oldest token is forgotten beyond `limits`.
    pub(crate) fn issue_token(&mut self, expires: DateTime<Utc>, limits: &Limits) -> String {
        let token = random_alphanumeric(40);
        self.tokens.insert(token.clone(), expires);
        self.token_order.push_back(token.clone());
        while self.tokens.len() > limits.max_tokens.max(1) {
            if let Some(old) = self.token_order.pop_front() {
                self.tokens.remove(&old);
            } else {
                break;
            }
        }
        token
    }

    pub(crate) fn token_valid(&self, token: &str, now: DateTime<Utc>) -> bool {
        self.tokens.get(token).is_some_and(|&expires| now < expires)
    }

    pub(crate) fn revoke_tokens(&mut self) {
        self.tokens.clear();
        self.token_order.clear();
    }

    pub(crate) fn token_count(&self) -> usize {
        self.tokens.len()
    }

    pub(crate) fn account(&self, iban: &str) -> Option<&BankAccount> {
        self.accounts
            .iter()
            .find(|a| a.iban.eq_ignore_ascii_case(&normalise_iban(iban)))
    }

    pub(crate) fn account_mut(&mut self, iban: &str) -> Option<&mut BankAccount> {
        let iban = normalise_iban(iban);
        self.accounts
            .iter_mut()
            .find(|a| a.iban.eq_ignore_ascii_case(&iban))
    }

    /// Books a movement on an account; the oldest entry goes once `max` is reached.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn book(
        &mut self,
        iban: &str,
        amount: Decimal,
        credit: bool,
        counterparty_name: &str,
        counterparty_iban: &str,
        concept: &str,
        at: DateTime<Utc>,
        max: usize,
    ) -> Option<String> {
        let account = self.account_mut(iban)?;
        let id = format!("TX{}", random_alphanumeric(14).to_ascii_uppercase());
        if credit {
            account.balance += amount;
        } else {
            account.balance -= amount;
        }
        account.transactions.push(BankTx {
            id: id.clone(),
            iban: account.iban.clone(),
            amount,
            currency: account.currency.clone(),
            credit,
            counterparty_name: counterparty_name.into(),
            counterparty_iban: counterparty_iban.into(),
            concept: concept.into(),
            created_at: at,
            payment_id: None,
        });
        if account.transactions.len() > max.max(1) {
            account.transactions.remove(0);
        }
        Some(id)
    }

    /// Moves every payment and off-ramp whose next step is due by `now`, raising the
    /// webhook events of each change in order.
    pub(crate) fn tick(&mut self, now: DateTime<Utc>, schedule: &Schedule) {
        for id in &self.payment_order {
            let Some(payment) = self.payments.get_mut(id) else {
                continue;
            };
            while let Some((status, due)) = payment.next.filter(|(_, due)| *due <= now) {
                payment.status = status;
                payment.next = match status {
                    PayStatus::PaymentReceived => {
                        Some((PayStatus::CoinsSent, later(due, schedule.coins_sent)))
                    }
                    _ => None,
                };
                if status == PayStatus::CoinsSent {
                    payment.txid = Some(txid());
                }
                if let Some(event_type) = status.event() {
                    self.events.push(Event {
                        event_type,
                        body: payment.event(event_type, due),
                    });
                }
            }
        }
        for id in &self.rampoff_order {
            let Some(rampoff) = self.rampoffs.get_mut(id) else {
                continue;
            };
            while let Some((status, due)) = rampoff.next.filter(|(_, due)| *due <= now) {
                rampoff.status = status;
                rampoff.next = match status {
                    RampStatus::CryptoReceived => {
                        Some((RampStatus::Finished, later(due, schedule.rampoff_finished)))
                    }
                    _ => None,
                };
                if status == RampStatus::CryptoReceived {
                    rampoff.txid = Some(txid());
                }
                if let Some(event_type) = status.event() {
                    self.events.push(Event {
                        event_type,
                        body: rampoff.event(event_type, due),
                    });
                }
            }
        }
    }

    /// The payer has paid (on the gateway, or by a reconciled transfer): the payment is
    /// received after the schedule's delay (`now` for a reconciliation).
    pub(crate) fn mark_paid(&mut self, id: &str, at: DateTime<Utc>) {
        if let Some(payment) = self.payments.get_mut(id) {
            payment.next = Some((PayStatus::PaymentReceived, at));
        }
    }
}

/// IBANs are compared without spaces and in upper case.
pub(crate) fn normalise_iban(iban: &str) -> String {
    iban.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Why `iban` (spaces and case aside) is not an IBAN, or `None` when it is one: 15 to 34
/// letters and digits, a country code, check digits and the ISO 13616 mod-97 checksum,
/// checked by the `iban_validate` crate (the `cryptopocket` crate's `Iban` uses it too).
pub(crate) fn iban_problem(iban: &str) -> Option<&'static str> {
    let iban = normalise_iban(iban);
    if !(15..=34).contains(&iban.chars().count()) {
        return Some("is not a valid IBAN (it must be 15 to 34 letters and digits)");
    }
    match iban.parse::<::iban::BaseIban>() {
        Ok(_) => None,
        Err(::iban::ParseBaseIbanError::InvalidChecksum) => {
            Some("is not a valid IBAN (its check digits fail)")
        }
        Err(::iban::ParseBaseIbanError::InvalidFormat) => {
            Some("is not a valid IBAN (a country code, two check digits, then letters and digits)")
        }
    }
}

/// A Laravel paginator's block for `total` items, and the range of the page asked for.
pub(crate) fn paginate(total: usize, page: u64, per_page: u64) -> (std::ops::Range<usize>, Value) {
    let per = usize::try_from(per_page).unwrap_or(usize::MAX).max(1);
    let page_index = usize::try_from(page.saturating_sub(1)).unwrap_or(usize::MAX);
    let start = page_index.saturating_mul(per).min(total);
    let end = start.saturating_add(per).min(total);
    let last_page = total.div_ceil(per).max(1);
    let (from, to) = if start < end {
        (json!(start + 1), json!(end))
    } else {
        (Value::Null, Value::Null)
    };
    let block = json!({
        "current_page": page,
        "per_page": per_page,
        "total": total,
        "last_page": last_page,
        "from": from,
        "to": to,
    });
    (start..end, block)
}

/// The API's 25-character id style.
pub(crate) fn new_id() -> String {
    random_alphanumeric(25)
}

pub(crate) fn random_uuid() -> uuid::Uuid {
    let mut bytes = [0u8; 16];
    fastrand::fill(&mut bytes);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

fn txid() -> String {
    let mut bytes = [0u8; 32];
    fastrand::fill(&mut bytes);
    format!("0x{}", hex::encode(bytes))
}

/// An amount as cents, the unit of Retrieve payment's `fiat_amount`.
pub(crate) fn cents(amount: Decimal) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    (amount * Decimal::ONE_HUNDRED)
        .round()
        .to_i64()
        .unwrap_or(i64::MAX)
}

/// A decimal as a JSON number (the docs show `coin_amount` as `148.32`).
pub(crate) fn number(amount: Decimal) -> Value {
    serde_json::from_str(&amount.normalize().to_string()).unwrap_or(Value::Null)
}

/// Whole tokens as a string of base units; `None` when it does not fit.
pub(crate) fn base_units(amount: Decimal, decimals: u32) -> Option<String> {
    let scale = Decimal::from_i128_with_scale(10i128.checked_pow(decimals)?, 0);
    let units = amount.checked_mul(scale)?.trunc();
    Some(units.normalize().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_matches_laravel() {
        let (range, block) = paginate(31, 2, 15);
        assert_eq!(range, 15..30);
        assert_eq!(block["last_page"], 3);
        assert_eq!(block["from"], 16);
        assert_eq!(block["to"], 30);
        let (range, block) = paginate(0, 1, 15);
        assert!(range.is_empty());
        assert_eq!(block["last_page"], 1);
        assert_eq!(block["from"], Value::Null);
        let (range, _) = paginate(5, u64::MAX, 100);
        assert!(range.is_empty());
    }

    #[test]
    fn base_units_of_the_documented_example() {
        assert_eq!(
            base_units(Decimal::new(20, 0), 18).as_deref(),
            Some("20000000000000000000")
        );
        assert_eq!(
            base_units(Decimal::new(15, 1), 6).as_deref(),
            Some("1500000")
        );
        assert_eq!(base_units(Decimal::MAX, 18), None);
    }

    #[test]
    fn cents_round_half_away() {
        assert_eq!(cents(Decimal::new(15050, 2)), 15050);
        assert_eq!(cents(Decimal::new(1, 3)), 0);
    }

    #[test]
    fn tokens_are_bounded() {
        let mut world = World::new(Utc::now());
        let limits = Limits {
            max_tokens: 3,
            ..Limits::default()
        };
        let later = Utc::now() + chrono::TimeDelta::hours(1);
        let first = world.issue_token(later, &limits);
        for _ in 0..10 {
            world.issue_token(later, &limits);
        }
        assert_eq!(world.token_count(), 3);
        assert!(!world.token_valid(&first, Utc::now()));
    }
}
