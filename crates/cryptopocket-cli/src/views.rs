//! Which results are printed, and the few results that need a view of their own.
//!
//! The `cryptopocket` crate's typed results implement `Serialize` (amounts as decimal strings
//! in major units, digit for digit as sent; statuses and ids as the API spells them): the
//! command line prints them as they are, their fields (in declaration order) as the table's
//! rows or columns. Only where a table shows fewer of them, or in another order, are they
//! named here. Views remain where the crate's value alone would print worse or could not be
//! printed: a registered company (its password is a `SecretString`) and a webhook delivery.

use cryptopocket::{
    assets::{Asset, TokenPrice},
    bank_accounts::{BankAccount, BankAccountTransaction, Reconciliation},
    customers::{
        Customer, DelegatedCustomer, KycCheck, OnboardingLink, RegisteredCompany,
        RegisteredCustomer,
    },
    model::UserId,
    offramp::{CreatedOffRamp, OffRampOperation, OffRampQuote},
    onramp::{CreatedPayment, GuidedPayment, Payment, PaymentMethod, Quote},
};
use secrecy::ExposeSecret as _;
use serde::Serialize;

use crate::output::View;

/// Results whose table shows every field, in the order the type declares them.
macro_rules! views {
    ($($result:ty),* $(,)?) => {
        $(impl View for $result {})*
    };
}

views!(
    GuidedPayment,
    CreatedPayment,
    CreatedOffRamp,
    TokenPrice,
    RegisteredCustomer,
    DelegatedCustomer,
    RegisteredCompanyView,
    KycCheck,
    OnboardingLink,
    DeliveryView,
    Asset,
    PaymentMethod,
    Customer,
    BankAccount,
    Reconciliation,
);

// The tables that show fewer fields than the type has (a list's columns), or another order.

impl View for Payment {
    const FIELDS: &'static [&'static str] = &[
        "id",
        "status",
        "fiat_amount",
        "fiat_symbol",
        "coin_amount",
        "coin_symbol",
        "user_id",
        "external_id",
        "created_at",
        "txid",
    ];
}

impl View for Quote {
    const FIELDS: &'static [&'static str] = &[
        "coin_amount",
        "symbol",
        "chain",
        "price",
        "fiat_amount",
        "fiat_symbol",
        "payment_type",
    ];
}

impl View for OffRampOperation {
    const FIELDS: &'static [&'static str] = &[
        "id",
        "status",
        "amount",
        "crypto",
        "blockchain",
        "fiat_amount",
    ];
}

impl View for OffRampQuote {
    const FIELDS: &'static [&'static str] = &[
        "amount",
        "symbol",
        "blockchain",
        "fiat_amount",
        "fiat_symbol",
    ];
}

/// A registered company. The output holds the KYB password: it is needed to open the KYB
/// form and the API shows it only once.
#[derive(Debug, Serialize)]
pub struct RegisteredCompanyView {
    /// The customer id.
    pub id: UserId,
    /// The company's public UUID.
    pub uuid: String,
    /// The KYB form.
    pub kyb_link: String,
    /// Opens the KYB form.
    pub password: String,
}

impl From<&RegisteredCompany> for RegisteredCompanyView {
    fn from(c: &RegisteredCompany) -> Self {
        Self {
            id: c.id,
            uuid: c.uuid.to_string(),
            kyb_link: c.kyb_link.clone(),
            password: c.password.expose_secret().to_owned(),
        }
    }
}

/// One webhook delivery, verified or not.
#[derive(Debug, Serialize)]
pub struct DeliveryView {
    /// The event type (`COINS_SENT`, …), when verified.
    pub event_type: Option<String>,
    /// The payment or off-ramp id, when verified.
    pub id: Option<String>,
    /// The status the event reports, when verified and sent.
    pub status: Option<String>,
    /// Whether the signature, key and timestamp checked out.
    pub verified: bool,
    /// Why it was rejected.
    pub reason: Option<String>,
}

impl DeliveryView {
    /// A delivery rejected, and why.
    pub fn rejected(reason: String) -> Self {
        Self {
            event_type: None,
            id: None,
            status: None,
            verified: false,
            reason: Some(reason),
        }
    }
}

impl View for BankAccountTransaction {
    const FIELDS: &'static [&'static str] = &[
        "id",
        "direction",
        "amount",
        "currency",
        "concept",
        "counterparty_name",
        "booking_date",
        "payment_id",
        "reconciled",
    ];
}
