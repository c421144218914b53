//! The sandbox's state: customers, payments, off-ramps, bank accounts, subscriptions and
//! tokens, and the scheduled status changes that move them along.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::catalogue;
use crate::clock::{ApiTime, api_time, later, shift, to_chrono};
use crate::config::{Limits, Schedule, random_alphanumeric};
use crate::reply::{Json, Money, Num, Text, json_text, object};

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
    pub(crate) fn kyc_status(&self, now: DateTime<Utc>, schedule: &Schedule) -> &str {
        if let Some(forced) = &self.kyc_forced {
            return forced;
        }
        let elapsed = now - self.kyc_started;
        if elapsed < to_chrono(schedule.kyc_processing) {
            "unused"
        } else if elapsed < to_chrono(schedule.kyc_decided) {
            "processing"
        } else if self.kyc_fails {
            "fail"
        } else {
            "valid"
        }
    }

    pub(crate) fn reinforced(&self, now: DateTime<Utc>) -> bool {
        self.reinforced_at.is_some_and(|t| t <= now)
    }

    /// The customer as the list and find operations show it.
    pub(crate) fn view(&self, now: DateTime<Utc>, schedule: &Schedule) -> impl Json {
        object! {
            "created_at": ApiTime(self.created_at),
            "email": &self.email,
            "external_id"?: self.external_id.as_deref(),
            "id": self.id,
            "kyc_status": self.kyc_status(now, schedule),
            "name": &self.name,
            "surname"?: self.surname.as_deref(),
            "type": self.kind.as_str(),
        }
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
    pub(crate) fn view(&self) -> impl Json {
        object! {
            "coin_amount": Num(self.coin_amount),
            "coin_symbol": &self.coin_symbol,
            "created_at": ApiTime(self.created_at),
            "external_id"?: self.external_id.as_deref(),
            "fiat_amount": cents(self.fiat_amount),
            "fiat_symbol": &self.fiat_symbol,
            "holder": self.holder.as_deref(),
            "id": &self.id,
            "status": self.status.as_str(),
            "txid"?: self.txid.as_deref(),
            "user_id": Text(self.user_id),
        }
    }

    /// The webhook body: the payment as Retrieve payment shows it, keyed `payment_id`, with
    /// `created_at` saying when the event happened (as the spec describes it).
    fn event(&self, event_type: &str, at: DateTime<Utc>) -> Value {
        let mut v: Value = serde_json::from_str(&json_text(&self.view())).unwrap_or_default();
        if let Value::Object(map) = &mut v {
            map.remove("id");
            map.remove("holder");
            map.insert("payment_id".into(), json!(self.id));
            map.insert("type".into(), json!(event_type));
            map.insert("created_at".into(), json!(api_time(at)));
            // The number as parsed from the decimal's text, not re-read from the answer's.
            let amount = serde_json::from_str(&self.coin_amount.normalize().to_string());
            map.insert("coin_amount".into(), amount.unwrap_or(Value::Null));
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
    pub(crate) fn view(&self) -> impl Json {
        object! {
            "amount": base_units(self.amount, self.decimals).unwrap_or_else(|| "0".into()),
            "blockchain": &self.blockchain,
            "crypto": &self.symbol,
            "decimals": self.decimals,
            "external_id"?: self.external_id.as_deref(),
            "fiat_amount": Money(self.fiat_amount),
            "id": &self.id,
            "status": self.status.as_str(),
        }
    }

    /// The webhook body; `created_at` says when the event happened.
    fn event(&self, event_type: &str, at: DateTime<Utc>) -> Value {
        let mut v: Value = serde_json::from_str(&json_text(&self.view())).unwrap_or_default();
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
    pub(crate) fn view(&self) -> impl Json {
        object! {
            "balance": Money(self.balance),
            "bic": &self.bic,
            "created_at": ApiTime(self.created_at),
            "currency": &self.currency,
            "holder_name": &self.holder_name,
            "iban": &self.iban,
            "status": "active",
        }
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
    pub(crate) fn view(&self) -> impl Json {
        let created_at = ApiTime(self.created_at).as_text();
        // `%Y-%m-%d`: the API time up to its `T`.
        let booking_date = created_at
            .as_str()
            .split('T')
            .next()
            .unwrap_or_default()
            .to_owned();
        object! {
            "amount": Money(self.amount),
            "booking_date": booking_date,
            "concept": &self.concept,
            "counterparty_iban": &self.counterparty_iban,
            "counterparty_name": &self.counterparty_name,
            "created_at": ApiTime(self.created_at),
            "currency": &self.currency,
            "direction": if self.credit { "credit" } else { "debit" },
            "iban": &self.iban,
            "id": &self.id,
            "payment_id": self.payment_id.as_deref(),
            "reconciled": self.payment_id.is_some(),
        }
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
    pub(crate) payments: HashMap<String, Payment, IdHash>,
    /// Payment ids in creation order, for listing.
    pub(crate) payment_order: Vec<String>,
    pub(crate) rampoffs: HashMap<String, Rampoff>,
    pub(crate) rampoff_order: Vec<String>,
    pub(crate) accounts: Vec<BankAccount>,
    /// One URL per event type: subscribing again replaces it.
    pub(crate) subscriptions: BTreeMap<String, String>,
    tokens: HashMap<String, DateTime<Utc>, IdHash>,
    token_order: VecDeque<String>,
    next_concept: u64,
    /// Error codes the control handle asked a given operation to answer next.
    pub(crate) injected: HashMap<String, VecDeque<String>>,
    /// Webhook events raised since the last drain.
    pub(crate) events: Vec<Event>,
    /// No payment or off-ramp has a step due before this (`None`: no step is scheduled),
    /// so [`World::tick`] has nothing to do until then. Steps are scheduled through
    /// [`World::mark_paid`] and [`World::add_rampoff`], which keep it.
    due: Option<DateTime<Utc>>,
}

impl World {
    pub(crate) fn new(now: DateTime<Utc>) -> Self {
        let mut world = World {
            customers: BTreeMap::new(),
            next_customer: 100_001,
            payments: HashMap::default(),
            payment_order: Vec::new(),
            rampoffs: HashMap::new(),
            rampoff_order: Vec::new(),
            accounts: Vec::new(),
            subscriptions: BTreeMap::new(),
            tokens: HashMap::default(),
            token_order: VecDeque::new(),
            next_concept: 120_001,
            injected: HashMap::new(),
            events: Vec::new(),
            due: None,
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
    /// webhook events of each change in order. Returns whether a step was due (and so
    /// whether anything may have changed): answers kept from before then no longer hold.
    pub(crate) fn tick(&mut self, now: DateTime<Utc>, schedule: &Schedule) -> bool {
        if self.due.is_none_or(|due| now < due) {
            return false;
        }
        let mut due = None;
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
            due = earliest(due, payment.next.map(|(_, at)| at));
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
            due = earliest(due, rampoff.next.map(|(_, at)| at));
        }
        self.due = due;
        true
    }

    /// The payer has paid (on the gateway, or by a reconciled transfer): the payment is
    /// received after the schedule's delay (`now` for a reconciliation).
    pub(crate) fn mark_paid(&mut self, id: &str, at: DateTime<Utc>) {
        if let Some(payment) = self.payments.get_mut(id) {
            payment.next = Some((PayStatus::PaymentReceived, at));
            self.due = earliest(self.due, Some(at));
        }
    }

    /// Stores a new off-ramp operation, its first step scheduled.
    pub(crate) fn add_rampoff(&mut self, rampoff: Rampoff) {
        self.due = earliest(self.due, rampoff.next.map(|(_, at)| at));
        self.rampoff_order.push(rampoff.id.clone());
        self.rampoffs.insert(rampoff.id.clone(), rampoff);
    }
}

fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The hash of the maps keyed by the sandbox's own random ids and tokens (payments,
/// tokens), looked up on every request: a client cannot choose those keys, so the
/// flooding that SipHash guards against cannot happen, and a multiply-rotate hash over
/// eight bytes at a time is several times cheaper.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct IdHash;

impl std::hash::BuildHasher for IdHash {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

pub(crate) struct IdHasher(u64);

impl IdHasher {
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for IdHasher {
    /// Eight bytes at a time, little-endian, the last few zero-padded. Whole words are
    /// read as words (a copy of a length known only at run time is a `memcpy` call).
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut whole = [0u8; 8];
            whole.copy_from_slice(word);
            self.mix(u64::from_le_bytes(whole));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut padded = [0u8; 8];
            padded[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(padded));
        }
    }

    /// What `write(&[i])` does, without the slice: a `str`'s hash ends with one.
    fn write_u8(&mut self, i: u8) {
        self.mix(u64::from(i));
    }

    fn finish(&self) -> u64 {
        self.0
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
    // Two places or fewer (every amount a client sends in EUR): exact in integers.
    if amount.scale() <= 2
        && let Ok(mantissa) = i64::try_from(amount.mantissa())
    {
        return mantissa
            .checked_mul(10_i64.pow(2 - amount.scale()))
            .unwrap_or(i64::MAX);
    }
    (amount * Decimal::ONE_HUNDRED)
        .round()
        .to_i64()
        .unwrap_or(i64::MAX)
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

    /// The hasher gives what its first version (byte chunks of eight, zero-padded) gave,
    /// for every length, and a `str`'s trailing byte hashes as a one-byte write.
    #[test]
    fn id_hash_is_the_chunked_hash() {
        use std::hash::{BuildHasher, Hasher};
        fn reference(bytes: &[u8]) -> u64 {
            let mut h = 0u64;
            for chunk in bytes.chunks(8) {
                let mut word = [0u8; 8];
                word[..chunk.len()].copy_from_slice(chunk);
                h = (h.rotate_left(5) ^ u64::from_le_bytes(word))
                    .wrapping_mul(0x517c_c1b7_2722_0a95);
            }
            h
        }
        let text: Vec<u8> = (0..=40u8).map(|i| i.wrapping_mul(37) ^ 0xa5).collect();
        for len in 0..=text.len() {
            let mut hasher = IdHash.build_hasher();
            hasher.write(&text[..len]);
            assert_eq!(hasher.finish(), reference(&text[..len]), "length {len}");
            hasher.write_u8(0xff);
            let mut by_bytes = IdHash.build_hasher();
            by_bytes.write(&text[..len]);
            by_bytes.write(&[0xff]);
            assert_eq!(hasher.finish(), by_bytes.finish(), "length {len}");
        }
        let token = "a".repeat(40);
        let mut with_end = token.clone().into_bytes();
        with_end.push(0xff);
        let chunked = with_end
            .chunks(40)
            .fold(IdHash.build_hasher(), |mut h, part| {
                h.write(part);
                h
            });
        assert_eq!(IdHash.hash_one(token.as_str()), chunked.finish());
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
        // The integer path and the decimal path agree, overflow included.
        for (mantissa, scale) in [
            (15050, 2),
            (1505, 1),
            (150, 0),
            (-7, 2),
            (-15, 1),
            (i64::MAX, 0),
            (i64::MAX / 10, 1),
            (i64::MIN, 2),
            (999, 3),
            (125, 3),
        ] {
            use rust_decimal::prelude::ToPrimitive;
            let amount = Decimal::new(mantissa, scale);
            let slow = (amount * Decimal::ONE_HUNDRED).round().to_i64();
            assert_eq!(cents(amount), slow.unwrap_or(i64::MAX), "{amount}");
        }
    }

    /// The views write byte for byte what the `json!` trees they replaced wrote (serde_json
    /// sorts an object's keys), with every optional field present and absent.
    #[test]
    fn views_write_what_the_value_trees_wrote() {
        fn same(view: impl Json, tree: Value) {
            assert_eq!(json_text(&view), tree.to_string());
        }
        let now = Utc::now();
        let schedule = Schedule::default();
        let mut world = World::new(now);
        let mut customer = world.customers[&catalogue::FOREIGN_CUSTOMER_ID].clone();
        let mut payment = Payment {
            id: new_id(),
            external_id: None,
            user_id: 100_001,
            guided: false,
            payment_type: "card".into(),
            fiat_symbol: "EUR".into(),
            fiat_amount: Decimal::new(15_050, 2),
            coin_symbol: "USDC".into(),
            coin_amount: Decimal::new(161_133_152, 6),
            created_at: now,
            status: PayStatus::Started,
            next: None,
            txid: None,
            holder: None,
            concept: None,
            gateway_token: random_uuid(),
        };
        let mut rampoff = Rampoff {
            id: new_id(),
            symbol: "BUSD".into(),
            blockchain: "bsc".into(),
            amount: Decimal::new(20, 0),
            decimals: 18,
            fiat_amount: Decimal::new(480_024, 2),
            wallet: "0x00".into(),
            status: RampStatus::WaitingCrypto,
            next: None,
            txid: None,
            external_id: None,
        };
        for round in 0..2 {
            same(
                customer.view(now, &schedule),
                json!({
                    "id": customer.id, "name": customer.name, "email": customer.email,
                    "type": customer.kind.as_str(),
                    "kyc_status": customer.kyc_status(now, &schedule),
                    "created_at": api_time(customer.created_at),
                    "surname": customer.surname, "external_id": customer.external_id,
                })
                .as_object()
                .map(|m| {
                    Value::Object(
                        m.clone()
                            .into_iter()
                            .filter(|(_, v)| !v.is_null())
                            .collect(),
                    )
                })
                .unwrap(),
            );
            let mut tree = json!({
                "id": payment.id, "user_id": payment.user_id.to_string(),
                "status": payment.status.as_str(), "fiat_amount": cents(payment.fiat_amount),
                "fiat_symbol": payment.fiat_symbol, "coin_symbol": payment.coin_symbol,
                "coin_amount": serde_json::from_str::<Value>(&payment.coin_amount.normalize().to_string()).unwrap(),
                "created_at": api_time(payment.created_at), "holder": payment.holder,
            });
            if let Some(x) = &payment.external_id {
                tree["external_id"] = json!(x);
            }
            if let Some(x) = &payment.txid {
                tree["txid"] = json!(x);
            }
            same(payment.view(), tree);
            let mut tree = json!({
                "id": rampoff.id, "status": rampoff.status.as_str(),
                "blockchain": rampoff.blockchain, "crypto": rampoff.symbol,
                "amount": base_units(rampoff.amount, rampoff.decimals).unwrap(),
                "decimals": rampoff.decimals,
                "fiat_amount": format!("{:.2}", rampoff.fiat_amount),
            });
            if let Some(x) = &rampoff.external_id {
                tree["external_id"] = json!(x);
            }
            same(rampoff.view(), tree);
            for account in &world.accounts {
                same(
                    account.view(),
                    json!({
                        "iban": account.iban, "bic": account.bic, "holder_name": account.holder_name,
                        "currency": account.currency, "balance": format!("{:.2}", account.balance),
                        "status": "active", "created_at": api_time(account.created_at),
                    }),
                );
                for t in &account.transactions {
                    same(
                        t.view(),
                        json!({
                            "id": t.id, "iban": t.iban, "amount": format!("{:.2}", t.amount),
                            "currency": t.currency,
                            "direction": if t.credit { "credit" } else { "debit" },
                            "counterparty_name": t.counterparty_name,
                            "counterparty_iban": t.counterparty_iban, "concept": t.concept,
                            "booking_date": t.created_at.format("%Y-%m-%d").to_string(),
                            "created_at": api_time(t.created_at),
                            "reconciled": t.payment_id.is_some(), "payment_id": t.payment_id,
                        }),
                    );
                }
            }
            if round == 0 {
                customer.surname = Some("Lovelace \"Ada\" \u{e9}".into());
                customer.external_id = Some("ext-1".into());
                customer.kyc_forced = Some("valid".into());
                payment.external_id = Some("order-42".into());
                payment.txid = Some("0xabc".into());
                payment.holder = Some("Ada Lovelace".into());
                payment.coin_amount = Decimal::new(100, 0);
                payment.status = PayStatus::CoinsSent;
                rampoff.external_id = Some("sell-1".into());
                rampoff.fiat_amount = Decimal::new(5, 0);
                for account in &mut world.accounts {
                    for t in &mut account.transactions {
                        t.payment_id = Some("P1".into());
                    }
                }
            }
        }
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
