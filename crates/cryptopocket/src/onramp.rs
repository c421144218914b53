//! Buying crypto: quotes, payment methods, payments and guided payments.

use std::num::NonZeroU64;

use chrono::{DateTime, Utc};
use cryptopocket_api::{Amount, types};
use futures::{FutureExt as _, Stream};
use rust_decimal::Decimal;

use crate::{
    Client, Error,
    call::Effect,
    convert::{created_object, field, required, text},
    model::{PaymentId, PaymentStatus, PaymentType, UserId, money},
    pagination::{self, ListOptions, Page},
};

/// The on-ramp operations; from [`Client::onramp`].
#[derive(Debug, Clone)]
pub struct OnRamp {
    client: Client,
}

impl Client {
    /// Quotes, payment methods and payments (buying crypto).
    pub fn onramp(&self) -> OnRamp {
        OnRamp {
            client: self.clone(),
        }
    }
}

/// What to quote: `amount` euros of `symbol` (Get Quote).
#[derive(Debug, Clone, PartialEq)]
pub struct QuoteRequest {
    /// Euros to spend (the docs speak of EUR only).
    pub amount: Decimal,
    /// The token to buy, e.g. `USDC`.
    pub symbol: String,
    /// Its chain; the API defaults to `polygon`.
    pub chain: Option<String>,
    /// How the customer would pay.
    pub payment_type: PaymentType,
}

/// A quote (Get Quote). The operation is documented, its response shape is **inferred**
/// (undocumented): only `coin_amount` is required. Amounts are exact decimals, as sent.
///
/// The fields the spec names are all here; for anything else the server sends, call the
/// operation through [`Client::raw`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Quote {
    /// Tokens the amount buys, in whole tokens.
    pub coin_amount: Decimal,
    /// Price of one token in the fiat currency, fees included, when sent.
    pub price: Option<Decimal>,
    /// The fiat amount quoted, in major units (euros), when sent.
    pub fiat_amount: Option<Decimal>,
    /// The fiat currency, when sent.
    pub fiat_symbol: Option<String>,
    /// The token quoted, when sent.
    pub symbol: Option<String>,
    /// Its chain, when sent.
    pub chain: Option<String>,
    /// The payment method quoted, when sent.
    pub payment_type: Option<PaymentType>,
}

/// A payment method offered to customers (List payment methods; path and shape
/// **inferred**). LATAM method names are what [`PaymentType::Other`] carries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct PaymentMethod {
    /// The value to send as `payment_type`, e.g. `card` or `KHIPU`.
    pub payment_type: PaymentType,
    /// Display name of the method, when sent.
    pub name: Option<String>,
    /// ISO 3166-1 alpha-2 country where the method is offered, e.g. `CL`, when sent.
    pub country: Option<String>,
    /// The fiat currency the method pays in, e.g. `CLP`, when sent.
    pub fiat_symbol: Option<String>,
}

/// A purchase for `createPayment`: the customer pays `fiat_amount` (major units, e.g. euros)
/// and receives `coin_symbol` on `wallet`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPayment {
    /// The customer (must have passed KYC).
    pub user_id: UserId,
    /// What the customer pays, in major units (240 means 240 euros).
    pub fiat_amount: Decimal,
    /// The fiat currency, e.g. `EUR`, `ARS`.
    pub fiat_symbol: String,
    /// The token to buy, e.g. `USDC`.
    pub coin_symbol: String,
    /// Its chain, e.g. `polygon` (not needed for LATAM methods).
    pub coin_chain: Option<String>,
    /// Where the tokens go.
    pub wallet: String,
    /// How the customer pays; the current docs' example omits it.
    pub payment_type: Option<PaymentType>,
    /// Your own reference. Set it: it is how you find a payment again when a create
    /// failed in a way that leaves you unsure whether it happened.
    pub external_id: Option<String>,
    /// Where to send the customer when the payment step ends.
    pub callback_url: Option<String>,
}

/// What the customer does next after `createPayment` (documented for card, PSD2 and
/// transfer).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PaymentInstructions {
    /// Card, PSD2 (and, inferred, PayPal and LATAM methods): send the customer to `url`.
    Redirect {
        /// The payment page.
        url: String,
    },
    /// Bank transfer: the customer transfers to this account with `concept` as reference.
    BankTransfer {
        /// Destination IBAN.
        iban: String,
        /// Destination BIC.
        bic: Option<String>,
        /// The reference the payer must put on the transfer.
        concept: Option<i64>,
        /// The beneficiary's name.
        beneficiary: Option<String>,
    },
    /// Neither a URL nor bank details came back (undocumented for some methods).
    None,
}

/// A created payment (Create Payment Intend; documented).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct CreatedPayment {
    /// Keep it: [`OnRamp::payment`] follows the payment with it.
    pub payment_id: PaymentId,
    /// What the customer does next.
    pub instructions: PaymentInstructions,
}

/// A guided purchase for `createGuidedPayment`: the customer chooses the method and enters
/// the wallet on CryptoPocket's page. EUR only (documented).
#[derive(Debug, Clone, PartialEq)]
pub struct NewGuidedPayment {
    /// The customer (must have passed KYC).
    pub user_id: UserId,
    /// Euros the customer pays.
    pub fiat_amount: Decimal,
    /// The token to buy, e.g. `USDC`.
    pub coin_symbol: String,
    /// Its chain, e.g. `polygon`.
    pub coin_chain: String,
    /// Preselected method; the API defaults to card.
    pub payment_type: Option<PaymentType>,
    /// Your own reference (recommended; see [`NewPayment::external_id`]).
    pub external_id: Option<String>,
}

/// A created guided payment (Create guided payment intent; documented).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct GuidedPayment {
    /// Keep it: [`OnRamp::payment`] follows the payment with it.
    pub payment_id: PaymentId,
    /// Send the customer here.
    pub gateway_url: String,
    /// Your reference, as the API echoes it.
    pub external_id: Option<String>,
}

/// A payment as Retrieve payment reports it (documented; `holder`'s shape is not), amounts
/// in major units.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Payment {
    /// The payment id.
    pub id: PaymentId,
    /// Your reference.
    pub external_id: Option<String>,
    /// The customer (the API sends it as a string here).
    pub user_id: UserId,
    /// Where the payment stands; [`PaymentStatus::is_final`] says when to stop polling.
    pub status: PaymentStatus,
    /// What the customer pays, in major units (the API sends cents: 15050 is 150.50).
    pub fiat_amount: Decimal,
    /// The fiat currency.
    pub fiat_symbol: String,
    /// The token bought.
    pub coin_symbol: String,
    /// Tokens bought, when known.
    pub coin_amount: Option<Decimal>,
    /// When the payment was created.
    pub created_at: DateTime<Utc>,
    /// Payer or cardholder, once the provider reports it (shape undocumented).
    pub holder: Option<String>,
    /// On-chain transaction, present once `coins_sent`.
    pub txid: Option<String>,
}

impl OnRamp {
    /// Get Quote (`GET /quote`).
    ///
    /// # Errors
    ///
    /// See [`Error`]; the amount must be representable as a JSON number.
    pub async fn quote(&self, request: &QuoteRequest) -> Result<Quote, Error> {
        const OP: &str = "getQuote";
        // A query string carries the decimal's text, every digit of it.
        let amount = request.amount.to_string();
        let symbol = text("symbol", &request.symbol)?;
        let chain = request.chain.clone();
        let payment_type = request.payment_type.to_string();
        let parts = self
            .client
            .call::<types::QuoteResponse, ()>(OP, Effect::Read, move |api| {
                let mut request = api
                    .get_quote()
                    .amount(amount.clone())
                    .symbol(symbol.clone())
                    .payment_type(payment_type.clone());
                if let Some(chain) = &chain {
                    request = request.chain(chain.clone());
                }
                request.send().boxed()
            })
            .await?;
        let raw = required(parts.data, OP)?;
        Ok(Quote {
            coin_amount: raw.coin_amount.value(),
            price: raw.price.map(Amount::value),
            fiat_amount: raw.fiat_amount.map(Amount::value),
            fiat_symbol: raw.fiat_symbol,
            symbol: raw.symbol,
            chain: raw.chain,
            payment_type: raw.payment_type.map(PaymentType::from),
        })
    }

    /// List payment methods (path and shape inferred). LATAM method names returned here are
    /// what [`PaymentType::Other`] carries.
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn payment_methods(
        &self,
        country: Option<&str>,
        fiat_symbol: Option<&str>,
    ) -> Result<Vec<PaymentMethod>, Error> {
        let country = country.map(str::to_owned);
        let fiat_symbol = fiat_symbol.map(str::to_owned);
        let parts = self
            .client
            .call::<types::PaymentMethodsResponse, ()>(
                "listPaymentMethods",
                Effect::Read,
                move |api| {
                    let mut request = api.list_payment_methods();
                    if let Some(country) = &country {
                        request = request.country(country.clone());
                    }
                    if let Some(fiat_symbol) = &fiat_symbol {
                        request = request.fiat_symbol(fiat_symbol.clone());
                    }
                    request.send().boxed()
                },
            )
            .await?;
        Ok(parts
            .data
            .unwrap_or_default()
            .into_iter()
            .map(|raw| PaymentMethod {
                payment_type: PaymentType::from(raw.payment_type),
                name: raw.name,
                country: raw.country,
                fiat_symbol: raw.fiat_symbol,
            })
            .collect())
    }

    /// Create Payment Intend (`POST /createPayment`). Sent at most once: if it fails after
    /// the request may have reached the server ([`Error::may_have_reached_server`]), look
    /// the payment up by your `external_id` before creating another.
    ///
    /// # Errors
    ///
    /// The API's codes (`require_kyc`, `min_purchase`, …) as [`Error::Api`]; see [`Error`].
    pub async fn create_payment(&self, payment: &NewPayment) -> Result<CreatedPayment, Error> {
        const OP: &str = "createPayment";
        let body = types::CreatePaymentRequest {
            user_id: payment.user_id.get().into(),
            fiat_amount: payment.fiat_amount.into(),
            fiat_symbol: text("fiat_symbol", &payment.fiat_symbol)?,
            coin_symbol: text("coin_symbol", &payment.coin_symbol)?,
            coin_chain: payment.coin_chain.clone(),
            wallet: text("wallet", &payment.wallet)?,
            payment_type: payment.payment_type.as_ref().map(ToString::to_string),
            external_id: payment.external_id.clone().map(Into::into),
            callback_url: payment.callback_url.clone(),
        };
        let parts = self
            .client
            .call::<types::CreatePaymentResponse, ()>(OP, Effect::Create, move |api| {
                api.create_payment().body(body.clone()).send().boxed()
            })
            .await?;
        let created = created_object(parts.data, OP)?;
        let instructions = match (created.url_payment, created.iban) {
            (Some(url), _) => PaymentInstructions::Redirect { url },
            (None, Some(iban)) => PaymentInstructions::BankTransfer {
                iban,
                bic: created.bic,
                concept: created.concept.map(Into::into),
                beneficiary: created.destination_name,
            },
            (None, None) => PaymentInstructions::None,
        };
        Ok(CreatedPayment {
            payment_id: field(OP, "data.payment_id", PaymentId::new(created.payment_id))?,
            instructions,
        })
    }

    /// Create guided payment intent (`POST /createGuidedPayment`). EUR only, so no currency
    /// is asked for; sent at most once, like [`create_payment`](Self::create_payment).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn create_guided_payment(
        &self,
        payment: &NewGuidedPayment,
    ) -> Result<GuidedPayment, Error> {
        const OP: &str = "createGuidedPayment";
        let body = types::CreateGuidedPaymentRequest {
            user_id: payment.user_id.get().into(),
            fiat_amount: payment.fiat_amount.into(),
            fiat_symbol: Some("EUR".to_owned()),
            coin_symbol: text("coin_symbol", &payment.coin_symbol)?,
            coin_chain: text("coin_chain", &payment.coin_chain)?,
            payment_type: payment.payment_type.as_ref().map(ToString::to_string),
            external_id: payment.external_id.clone().map(Into::into),
        };
        let parts = self
            .client
            .call::<types::CreateGuidedPaymentResponse, ()>(OP, Effect::Create, move |api| {
                api.create_guided_payment()
                    .body(body.clone())
                    .send()
                    .boxed()
            })
            .await?;
        let created = created_object(parts.data, OP)?;
        Ok(GuidedPayment {
            payment_id: field(OP, "data.payment_id", PaymentId::new(created.payment_id))?,
            gateway_url: created.gateway_url,
            external_id: created.external_id.map(Into::into),
        })
    }

    /// Retrieve payment (`GET /payment/{payment_id}`).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn payment(&self, id: &PaymentId) -> Result<Payment, Error> {
        const OP: &str = "getPayment";
        let id = id.as_str().to_owned();
        let parts = self
            .client
            .call::<types::GetPaymentResponse, ()>(OP, Effect::Read, move |api| {
                api.get_payment().payment_id(id.clone()).send().boxed()
            })
            .await?;
        payment(OP, required(parts.data, OP)?)
    }

    /// One page of List on-ramp transactions (path and shape inferred), at the server's
    /// default page size; see [`payments_page_with`](Self::payments_page_with).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn payments_page(&self, page: NonZeroU64) -> Result<Page<Payment>, Error> {
        self.payments_page_with(page, ListOptions::default()).await
    }

    /// One page of List on-ramp transactions, `options.per_page` items long.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for a page size out of range; see [`Error`].
    pub async fn payments_page_with(
        &self,
        page: NonZeroU64,
        options: ListOptions,
    ) -> Result<Page<Payment>, Error> {
        const OP: &str = "listPayments";
        let per_page = options.per_page_param()?;
        let parts = self
            .client
            .call::<types::ListPaymentsResponse, ()>(OP, Effect::Read, move |api| {
                let mut request = api.list_payments().page(page);
                if let Some(per_page) = per_page {
                    request = request.per_page(per_page);
                }
                request.send().boxed()
            })
            .await?;
        Page::from_parts(pagination::number(page), parts, |p| payment(OP, p))
    }

    /// Every payment, page after page, at the server's default page size; see
    /// [`payments_with`](Self::payments_with).
    pub fn payments(&self) -> impl Stream<Item = Result<Payment, Error>> + Send + 'static {
        self.payments_with(ListOptions::default())
    }

    /// Every payment, page after page, `options.per_page` a page. A page size out of range
    /// is the stream's only item, [`Error::InvalidRequest`].
    pub fn payments_with(
        &self,
        options: ListOptions,
    ) -> impl Stream<Item = Result<Payment, Error>> + Send + 'static {
        pagination::items(
            "listPayments",
            (self.clone(), options),
            |(onramp, options), page| {
                async move { onramp.payments_page_with(page, options).await }.boxed()
            },
        )
    }
}

pub(crate) fn payment(op: &'static str, raw: types::Payment) -> Result<Payment, Error> {
    Ok(Payment {
        id: field(op, "data.id", PaymentId::new(raw.id))?,
        external_id: raw.external_id.map(Into::into),
        user_id: field(op, "data.user_id", raw.user_id.parse::<UserId>())?,
        status: PaymentStatus::from(raw.status),
        fiat_amount: money::from_cents(raw.fiat_amount.get()),
        fiat_symbol: raw.fiat_symbol,
        coin_symbol: raw.coin_symbol,
        coin_amount: raw.coin_amount.map(Amount::value),
        created_at: raw.created_at.into(),
        holder: raw.holder,
        txid: raw.txid.map(Into::into),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented Retrieve-payment example, as a `--json` consumer would see it: euros
    /// as a decimal string, the status and ids as the API spells them.
    #[test]
    fn a_payment_serialises_in_major_units() {
        let body = include_str!("../../../tests/fixtures/getPayment.response.json");
        let envelope: types::GetPaymentResponse = serde_json::from_str(body).unwrap();
        let payment = payment("getPayment", envelope.data.unwrap()).unwrap();
        let json = serde_json::to_value(&payment).unwrap();
        assert_eq!(json["fiat_amount"], "150.50");
        assert_eq!(json["status"], payment.status.as_str());
        assert_eq!(json["id"], payment.id.as_str());
        assert_eq!(json["user_id"], serde_json::json!(100067));
    }

    #[test]
    fn instructions_say_which_kind_they_are() {
        let redirect = PaymentInstructions::Redirect {
            url: "https://pay.example/x".into(),
        };
        let json = serde_json::to_value(&redirect).unwrap();
        assert_eq!(json["kind"], "redirect");
        assert_eq!(json["url"], "https://pay.example/x");
    }
}
