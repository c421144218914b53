//! The serialisable forms of the crate's results, and the table columns of each.
//!
//! The `cryptopocket` crate's typed results do not implement `Serialize`, so each gets a
//! view here with the same fields: amounts stay `Decimal` (JSON strings in major units),
//! statuses and ids serialise as the API spells them. Results the crate returns as the
//! generated types (`Customer`, `Asset`, …) are printed as they are.

use chrono::{DateTime, Utc};
use cryptopocket::{
    api::types,
    assets::TokenPrice,
    customers::{KycCheck, OnboardingLink, RegisteredCompany, RegisteredCustomer},
    model::{KycStatus, OffRampId, OffRampStatus, PaymentId, PaymentStatus, UserId, money},
    offramp::{CreatedOffRamp, OffRampOperation},
    onramp::{CreatedPayment, GuidedPayment, Payment, PaymentInstructions, Quote},
};
use rust_decimal::Decimal;
use secrecy::ExposeSecret as _;
use serde::Serialize;

use crate::output::View;

/// Retrieve payment, amounts in major units.
#[derive(Debug, Serialize)]
pub struct PaymentView {
    /// The payment id.
    pub id: PaymentId,
    /// Where the payment stands.
    pub status: PaymentStatus,
    /// What the customer pays, in major units (euros, not cents).
    pub fiat_amount: Decimal,
    /// The fiat currency.
    pub fiat_symbol: String,
    /// The token bought.
    pub coin_symbol: String,
    /// Tokens bought, when known.
    pub coin_amount: Option<Decimal>,
    /// The customer.
    pub user_id: UserId,
    /// The integrator's reference.
    pub external_id: Option<String>,
    /// When the payment was created.
    pub created_at: DateTime<Utc>,
    /// Payer or cardholder.
    pub holder: Option<String>,
    /// On-chain transaction, once `coins_sent`.
    pub txid: Option<String>,
}

impl From<&Payment> for PaymentView {
    fn from(p: &Payment) -> Self {
        Self {
            id: p.id.clone(),
            status: p.status.clone(),
            fiat_amount: p.fiat_amount,
            fiat_symbol: p.fiat_symbol.clone(),
            coin_symbol: p.coin_symbol.clone(),
            coin_amount: p.coin_amount,
            user_id: p.user_id,
            external_id: p.external_id.clone(),
            created_at: p.created_at,
            holder: p.holder.clone(),
            txid: p.txid.clone(),
        }
    }
}

impl View for PaymentView {
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

/// Get Quote.
#[derive(Debug, Serialize)]
pub struct QuoteView {
    /// Tokens the amount buys.
    pub coin_amount: Decimal,
    /// The token.
    pub symbol: Option<String>,
    /// Its chain.
    pub chain: Option<String>,
    /// Price of one token.
    pub price: Option<Decimal>,
    /// The fiat amount quoted.
    pub fiat_amount: Option<Decimal>,
    /// Its currency.
    pub fiat_symbol: Option<String>,
    /// The payment method quoted.
    pub payment_type: Option<String>,
}

impl From<&Quote> for QuoteView {
    fn from(q: &Quote) -> Self {
        Self {
            coin_amount: q.coin_amount,
            symbol: q.raw.symbol.clone(),
            chain: q.raw.chain.clone(),
            price: q.price,
            fiat_amount: q.fiat_amount,
            fiat_symbol: q.raw.fiat_symbol.clone(),
            payment_type: q.raw.payment_type.clone(),
        }
    }
}

impl View for QuoteView {
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

/// Create Payment Intend: the id and what the customer does next.
#[derive(Debug, Serialize)]
pub struct CreatedPaymentView {
    /// Follow the payment with it.
    pub payment_id: PaymentId,
    /// `redirect`, `bank_transfer` or `none`.
    pub next_step: &'static str,
    /// The payment page (redirect).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The account to transfer to (bank transfer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iban: Option<String>,
    /// Its BIC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bic: Option<String>,
    /// The reference the payer must use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concept: Option<i64>,
    /// The beneficiary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beneficiary: Option<String>,
}

impl From<&CreatedPayment> for CreatedPaymentView {
    fn from(c: &CreatedPayment) -> Self {
        let mut view = Self {
            payment_id: c.payment_id.clone(),
            next_step: "none",
            url: None,
            iban: None,
            bic: None,
            concept: None,
            beneficiary: None,
        };
        match &c.instructions {
            PaymentInstructions::Redirect { url } => {
                view.next_step = "redirect";
                view.url = Some(url.clone());
            }
            PaymentInstructions::BankTransfer {
                iban,
                bic,
                concept,
                beneficiary,
            } => {
                view.next_step = "bank_transfer";
                view.iban = Some(iban.clone());
                view.bic = bic.clone();
                view.concept = *concept;
                view.beneficiary = beneficiary.clone();
            }
            // `None` and any later kind of instructions: nothing more to show.
            _ => {}
        }
        view
    }
}

impl View for CreatedPaymentView {
    const FIELDS: &'static [&'static str] = &[
        "payment_id",
        "next_step",
        "url",
        "iban",
        "bic",
        "concept",
        "beneficiary",
    ];
}

/// Create guided payment intent.
#[derive(Debug, Serialize)]
pub struct GuidedPaymentView {
    /// Follow the payment with it.
    pub payment_id: PaymentId,
    /// Send the customer here.
    pub gateway_url: String,
    /// The integrator's reference, as echoed.
    pub external_id: Option<String>,
}

impl From<&GuidedPayment> for GuidedPaymentView {
    fn from(g: &GuidedPayment) -> Self {
        Self {
            payment_id: g.payment_id.clone(),
            gateway_url: g.gateway_url.clone(),
            external_id: g.external_id.clone(),
        }
    }
}

impl View for GuidedPaymentView {
    const FIELDS: &'static [&'static str] = &["payment_id", "gateway_url", "external_id"];
}

/// An off-ramp operation, amounts in whole tokens and fiat major units.
#[derive(Debug, Serialize)]
pub struct OffRampView {
    /// The operation id.
    pub id: OffRampId,
    /// Where it stands.
    pub status: OffRampStatus,
    /// The token.
    pub crypto: Option<String>,
    /// Its chain.
    pub blockchain: Option<String>,
    /// Tokens sold.
    pub amount: Option<Decimal>,
    /// The fiat paid out.
    pub fiat_amount: Option<Decimal>,
}

impl From<&OffRampOperation> for OffRampView {
    fn from(o: &OffRampOperation) -> Self {
        Self {
            id: o.id.clone(),
            status: o.status.clone(),
            crypto: o.crypto.clone(),
            blockchain: o.blockchain.clone(),
            amount: o.amount,
            fiat_amount: o.fiat_amount,
        }
    }
}

impl View for OffRampView {
    const FIELDS: &'static [&'static str] = &[
        "id",
        "status",
        "amount",
        "crypto",
        "blockchain",
        "fiat_amount",
    ];
}

/// A created off-ramp.
#[derive(Debug, Serialize)]
pub struct CreatedOffRampView {
    /// Follow the operation with it.
    pub id: OffRampId,
    /// Where the customer sends the tokens.
    pub deposit_wallet: String,
    /// The API's status text.
    pub state: String,
}

impl From<&CreatedOffRamp> for CreatedOffRampView {
    fn from(c: &CreatedOffRamp) -> Self {
        Self {
            id: c.id.clone(),
            deposit_wallet: c.deposit_wallet.clone(),
            state: c.state.clone(),
        }
    }
}

impl View for CreatedOffRampView {
    const FIELDS: &'static [&'static str] = &["id", "deposit_wallet", "state"];
}

/// Get quote (off-ramp); the token amount as a decimal.
#[derive(Debug, Serialize)]
pub struct RampoffQuoteView {
    /// Tokens quoted.
    pub amount: Option<Decimal>,
    /// The token.
    pub symbol: Option<String>,
    /// Its chain.
    pub blockchain: Option<String>,
    /// The fiat paid out, as the API writes it.
    pub fiat_amount: String,
    /// Its currency.
    pub fiat_symbol: Option<String>,
}

impl From<&types::RampoffQuote> for RampoffQuoteView {
    fn from(q: &types::RampoffQuote) -> Self {
        Self {
            amount: q.amount.and_then(|a| money::from_json_number(a).ok()),
            symbol: q.symbol.clone(),
            blockchain: q.blockchain.clone(),
            fiat_amount: q.fiat_amount.clone(),
            fiat_symbol: q.fiat_symbol.clone(),
        }
    }
}

impl View for RampoffQuoteView {
    const FIELDS: &'static [&'static str] = &[
        "amount",
        "symbol",
        "blockchain",
        "fiat_amount",
        "fiat_symbol",
    ];
}

/// Token Price.
#[derive(Debug, Serialize)]
pub struct TokenPriceView {
    /// The token.
    pub symbol: String,
    /// Price of one token.
    pub price: Decimal,
    /// The price's currency.
    pub fiat_symbol: Option<String>,
    /// The chain.
    pub chain: Option<String>,
}

impl From<&TokenPrice> for TokenPriceView {
    fn from(t: &TokenPrice) -> Self {
        Self {
            symbol: t.symbol.clone(),
            price: t.price,
            fiat_symbol: t.fiat_symbol.clone(),
            chain: t.chain.clone(),
        }
    }
}

impl View for TokenPriceView {
    const FIELDS: &'static [&'static str] = &["symbol", "price", "fiat_symbol", "chain"];
}

/// A registered individual customer.
#[derive(Debug, Serialize)]
pub struct RegisteredCustomerView {
    /// The customer id.
    pub id: UserId,
    /// Where the customer completes KYC.
    pub kyc_form_url: String,
}

impl From<&RegisteredCustomer> for RegisteredCustomerView {
    fn from(c: &RegisteredCustomer) -> Self {
        Self {
            id: c.id,
            kyc_form_url: c.kyc_form_url.clone(),
        }
    }
}

impl View for RegisteredCustomerView {
    const FIELDS: &'static [&'static str] = &["id", "kyc_form_url"];
}

/// A customer registered with delegated KYC.
#[derive(Debug, Serialize)]
pub struct DelegatedCustomerView {
    /// The customer id.
    pub id: UserId,
    /// The KYC status, when the API says.
    pub kyc_status: Option<KycStatus>,
}

impl View for DelegatedCustomerView {
    const FIELDS: &'static [&'static str] = &["id", "kyc_status"];
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

impl View for RegisteredCompanyView {
    const FIELDS: &'static [&'static str] = &["id", "uuid", "kyb_link", "password"];
}

/// A KYC/KYB check.
#[derive(Debug, Serialize)]
pub struct KycView {
    /// The customer.
    pub user_id: UserId,
    /// `valid`, `fail`, `unused`, `processing`, or a newer word.
    pub kyc_status: KycStatus,
    /// Whether the check is decided (`valid` or `fail`).
    pub is_final: bool,
    /// The KYC form, when sent.
    pub kyc_form_url: Option<String>,
}

impl KycView {
    /// The view of `check` for `user_id`.
    pub fn new(user_id: UserId, check: &KycCheck) -> Self {
        Self {
            user_id,
            kyc_status: check.status.clone(),
            is_final: check.status.is_final(),
            kyc_form_url: check.kyc_form_url.clone(),
        }
    }
}

impl View for KycView {
    const FIELDS: &'static [&'static str] = &["user_id", "kyc_status", "is_final", "kyc_form_url"];
}

/// The enhanced verification link.
#[derive(Debug, Serialize)]
pub struct OnboardingLinkView {
    /// Send the customer here.
    pub url: String,
    /// When the link stops working.
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<&OnboardingLink> for OnboardingLinkView {
    fn from(l: &OnboardingLink) -> Self {
        Self {
            url: l.url.clone(),
            expires_at: l.expires_at,
        }
    }
}

impl View for OnboardingLinkView {
    const FIELDS: &'static [&'static str] = &["url", "expires_at"];
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

impl View for DeliveryView {
    const FIELDS: &'static [&'static str] = &["event_type", "id", "status", "verified", "reason"];
}

impl View for types::Asset {
    const FIELDS: &'static [&'static str] = &["symbol", "chain", "name", "decimals", "active"];
}

impl View for types::PaymentMethod {
    const FIELDS: &'static [&'static str] = &["payment_type", "name", "country", "fiat_symbol"];
}

impl View for types::Customer {
    const FIELDS: &'static [&'static str] = &[
        "id",
        "name",
        "surname",
        "email",
        "kyc_status",
        "type",
        "external_id",
        "created_at",
    ];
}

impl View for types::BankAccount {
    const FIELDS: &'static [&'static str] = &[
        "iban",
        "bic",
        "holder_name",
        "currency",
        "balance",
        "status",
        "created_at",
    ];
}

impl View for types::BankAccountTransaction {
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

impl View for types::Reconciliation {
    const FIELDS: &'static [&'static str] = &["payment_id", "status", "transaction_id"];
}
