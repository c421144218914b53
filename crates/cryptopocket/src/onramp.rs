//! Buying crypto: quotes, payment methods, payments and guided payments.

use chrono::{DateTime, Utc};
use cryptopocket_api::{Endpoint as _, endpoints, types};
use rust_decimal::Decimal;

use crate::{
    Error,
    convert::{FromApi, Maybe as _, data, field, paged, send_body, text},
    model::{PaymentId, PaymentStatus, PaymentType, UserId, money},
    pagination::List,
    watch::{Watch, watching},
};

crate::model::area! {
    /// The on-ramp operations; from [`Client::onramp`](crate::Client::onramp).
    pub struct OnRamp;
    /// Quotes, payment methods and payments (buying crypto).
    pub fn onramp();
}

crate::model::input! {
    /// What to quote with [`OnRamp::quote`]: `amount` euros of `symbol`, paid by
    /// `payment_type` (Get Quote).
    ///
    /// ```
    /// use cryptopocket::{model::PaymentType, onramp::QuoteRequest};
    /// use rust_decimal::Decimal;
    ///
    /// let request = QuoteRequest::new(Decimal::new(100, 0), "USDC", PaymentType::Card).chain("polygon");
    /// ```
    #[derive(Debug, Clone, PartialEq)]
    pub struct QuoteRequest {
        /// Euros to spend.
        amount: Decimal,
        /// The token to buy, e.g. USDC.
        symbol: String,
        /// Its chain (the API defaults to polygon).
        chain: Option<String>,
        /// How the customer would pay: card, paypal, psd2, transfer, or a LATAM method.
        #[arg(long, default_value = "card")]
        payment_type: PaymentType,
    }

    /// A quote of `amount` euros (the docs speak of EUR only) of the token `symbol`, e.g.
    /// `USDC`, paid by `payment_type`. The symbol must not be empty; [`OnRamp::quote`]
    /// checks before sending.
    pub fn new(amount: Decimal, symbol: impl Into<String>, payment_type: PaymentType);

    setters {
        /// The token's chain; the API defaults to `polygon`.
        chain(impl Into<String>);
    }

    fn to_api() -> (String, String, Option<String>, String);
}

crate::model::input! {
    /// Which payment methods [`OnRamp::payment_methods`] lists; every method when nothing is
    /// set (filters inferred).
    ///
    /// ```
    /// use cryptopocket::onramp::PaymentMethodFilter;
    ///
    /// let chile = PaymentMethodFilter::new().country("CL").fiat_symbol("CLP");
    /// ```
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct PaymentMethodFilter {
        /// Country, ISO 3166-1 alpha-2.
        country: Option<String>,
        /// Fiat currency, e.g. EUR.
        #[arg(long, value_name = "CURRENCY")]
        fiat_symbol: Option<String>,
    }

    /// Every payment method.
    pub fn new();

    setters {
        /// Only methods offered in this ISO 3166-1 alpha-2 country, e.g. `CL`.
        country(impl Into<String>);
        /// Only methods paying in this fiat currency, e.g. `CLP`.
        fiat_symbol(impl Into<String>);
    }

    fn to_api() -> (Option<String>, Option<String>);
}

crate::model::output! {
    /// A quote (Get Quote). The operation is documented, its response shape is **inferred**
    /// (undocumented): only `coin_amount` is required. Amounts are exact decimals, as sent.
    ///
    /// The fields the spec names are all here; for anything else the server sends, call the
    /// operation through [`Client::raw`](crate::Client::raw).
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct Quote {
        /// Tokens the amount buys, in whole tokens.
        pub coin_amount: Decimal,
        /// Price of one token in the fiat currency, fees included, when sent.
        pub price: Option<Decimal> = raw.price.map(Into::into),
        /// The fiat amount quoted, in major units (euros), when sent.
        pub fiat_amount: Option<Decimal> = raw.fiat_amount.map(Into::into),
        /// The fiat currency, when sent.
        pub fiat_symbol: Option<String>,
        /// The token quoted, when sent.
        pub symbol: Option<String>,
        /// Its chain, when sent.
        pub chain: Option<String>,
        /// The payment method quoted, when sent.
        pub payment_type: Option<PaymentType> = raw.payment_type.map(PaymentType::from),
    }
    fn from_api(op, raw: types::Quote);
}

crate::model::output! {
    /// A payment method offered to customers (List payment methods; path and shape
    /// **inferred**). LATAM method names are what [`PaymentType::Other`] carries.
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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
    fn from_api(op, raw: types::PaymentMethod);
}

crate::model::input! {
    /// A purchase for [`OnRamp::create`] (Create Payment Intend): the customer pays
    /// `fiat_amount` (major units, e.g. euros) and receives `coin_symbol` on `wallet`.
    ///
    /// ```
    /// use cryptopocket::{model::{PaymentType, UserId}, onramp::NewPayment};
    /// use rust_decimal::Decimal;
    ///
    /// let payment = NewPayment::new(&UserId::new(100067), Decimal::new(240, 0), "EUR", "USDC", "0xabc")
    ///     .coin_chain("polygon")
    ///     .payment_type(PaymentType::Card)
    ///     .external_id("order-001");
    /// ```
    #[derive(Debug, Clone, PartialEq)]
    pub struct NewPayment {
        /// The customer (KYC must be valid).
        user_id: UserId,
        /// What the customer pays, in major units (150.50 means 150.50 euros).
        fiat_amount: Decimal,
        /// The fiat currency.
        #[arg(long, value_name = "CURRENCY", default_value = "EUR")]
        fiat_symbol: String,
        /// The token to buy, e.g. USDC.
        coin_symbol: String,
        /// Its chain, e.g. polygon (not needed for LATAM methods).
        coin_chain: Option<String>,
        /// Where the tokens go.
        wallet: String,
        /// card, paypal, psd2, transfer, or a LATAM method.
        payment_type: Option<PaymentType>,
        /// Your own reference; set it, so a payment can be found again.
        external_id: Option<String>,
        /// Where the customer is sent when the payment step ends.
        #[arg(long, value_name = "URL")]
        #[check(url)]
        callback_url: Option<String>,
    }

    /// A purchase by `user_id` (who must have passed KYC) of `fiat_amount` in major units
    /// (240 means 240 euros) of the fiat currency `fiat_symbol` (`EUR`, `ARS`), paid in the
    /// token `coin_symbol` (`USDC`) to `wallet`. The texts must not be empty;
    /// [`OnRamp::create`] checks before sending.
    pub fn new(
        user_id: &UserId,
        fiat_amount: Decimal,
        fiat_symbol: impl Into<String>,
        coin_symbol: impl Into<String>,
        wallet: impl Into<String>,
    );

    setters {
        /// The token's chain, e.g. `polygon` (not needed for LATAM methods).
        coin_chain(impl Into<String>);
        /// How the customer pays; the current docs' example omits it.
        payment_type(PaymentType);
        /// Your own reference. Set it: it is how you find a payment again when a create
        /// failed in a way that leaves you unsure whether it happened.
        external_id(impl Into<String>);
        /// Where to send the customer when the payment step ends (an `http(s)` URL).
        callback_url(impl Into<String>);
    }

    fn to_api() -> types::CreatePaymentRequest;
}

impl NewPayment {
    /// The reference given with [`external_id`](Self::external_id), for looking the payment
    /// up after a failed create ([`OnRamp::find_by_external_id`]).
    pub fn given_external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }
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

crate::model::output! {
    /// A created payment (Create Payment Intend; documented).
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct CreatedPayment {
        /// Keep it: [`OnRamp::get`] follows the payment with it.
        pub payment_id: PaymentId =
            field(op, "data.payment_id", PaymentId::new(raw.payment_id.clone()))?,
        /// What the customer does next.
        pub instructions: PaymentInstructions = PaymentInstructions::new(raw),
    }
    fn from_api(op, raw: types::CreatedPayment);
}

crate::model::input! {
    /// A guided purchase for [`OnRamp::create_guided`] (Create guided payment intent): the
    /// customer chooses the method and enters the wallet on CryptoPocket's page. EUR only
    /// (documented).
    ///
    /// ```
    /// use cryptopocket::{model::UserId, onramp::NewGuidedPayment};
    /// use rust_decimal::Decimal;
    ///
    /// let payment = NewGuidedPayment::new(&UserId::new(100067), Decimal::new(100, 0), "USDC", "polygon")
    ///     .external_id("order-001");
    /// ```
    #[derive(Debug, Clone, PartialEq)]
    pub struct NewGuidedPayment {
        /// The customer (KYC must be valid).
        user_id: UserId,
        /// Euros the customer pays.
        fiat_amount: Decimal,
        /// The token to buy, e.g. USDC.
        coin_symbol: String,
        /// Its chain, e.g. polygon.
        coin_chain: String,
        /// Preselected method (the API defaults to card).
        payment_type: Option<PaymentType>,
        /// Your own reference; set it, so a payment can be found again.
        external_id: Option<String>,
    }

    /// A purchase by `user_id` (who must have passed KYC) of `fiat_amount` euros of the
    /// token `coin_symbol` (`USDC`) on `coin_chain` (`polygon`). The texts must not be
    /// empty; [`OnRamp::create_guided`] checks before sending.
    pub fn new(
        user_id: &UserId,
        fiat_amount: Decimal,
        coin_symbol: impl Into<String>,
        coin_chain: impl Into<String>,
    );

    setters {
        /// The preselected method; the API defaults to card.
        payment_type(PaymentType);
        /// Your own reference (recommended; see [`NewPayment::external_id`]).
        external_id(impl Into<String>);
    }

    // The docs say guided payments take EUR only.
    fn to_api() -> types::CreateGuidedPaymentRequest { fiat_symbol: Some("EUR".to_owned()) };
}

impl NewGuidedPayment {
    /// The reference given with [`external_id`](Self::external_id), for looking the payment
    /// up after a failed create ([`OnRamp::find_by_external_id`]).
    pub fn given_external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }
}

crate::model::output! {
    /// A created guided payment (Create guided payment intent; documented).
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct GuidedPayment {
        /// Keep it: [`OnRamp::get`] follows the payment with it.
        pub payment_id: PaymentId = field(op, "data.payment_id", PaymentId::new(raw.payment_id))?,
        /// Send the customer here.
        pub gateway_url: String,
        /// Your reference, as the API echoes it.
        pub external_id: Option<String> = raw.external_id.map(Into::into),
    }
    fn from_api(op, raw: types::GuidedPayment);
}

crate::model::output! {
    /// A payment as Retrieve payment reports it (documented; `holder`'s shape is not), amounts
    /// in major units.
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct Payment {
        /// The payment id.
        pub id: PaymentId = field(op, "data.id", PaymentId::new(raw.id))?,
        /// Your reference.
        pub external_id: Option<String> = raw.external_id.map(Into::into),
        /// The customer (the API sends it as a string here).
        pub user_id: UserId = field(op, "data.user_id", raw.user_id.parse::<UserId>())?,
        /// Where the payment stands; [`PaymentStatus::is_final`] says when to stop polling.
        // Read from the text, which is freed with the rest of `raw` once the payment is
        // built (a list page pushes it first): freeing a known word mid-conversion cost a
        // list ≈ 5 instructions a row more (measured). An unknown word is copied.
        pub status: PaymentStatus = PaymentStatus::from(raw.status.as_str()),
        /// What the customer pays, in major units (the API sends cents: 15050 is 150.50).
        pub fiat_amount: Decimal = money::from_cents(raw.fiat_amount.get()),
        /// The fiat currency.
        pub fiat_symbol: String,
        /// The token bought.
        pub coin_symbol: String,
        /// Tokens bought, when known.
        pub coin_amount: Option<Decimal> = raw.coin_amount.map(Into::into),
        /// When the payment was created.
        pub created_at: DateTime<Utc>,
        /// Payer or cardholder, once the provider reports it (shape undocumented).
        pub holder: Option<String>,
        /// On-chain transaction, present once `coins_sent`.
        pub txid: Option<String> = raw.txid.map(Into::into),
    }
    fn from_api(op, raw: types::Payment);
}

impl OnRamp {
    /// Get Quote (`GET /quote`): what `request`'s euros buy.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for an empty symbol; see [`Error`].
    pub async fn quote(&self, request: &QuoteRequest) -> Result<Quote, Error> {
        let (amount, symbol, chain, payment_type) = request.to_api()?;
        data::<endpoints::GetQuote, _>(&self.client, move |api| {
            crate::convert::boxed(|| {
                api.get_quote()
                    .amount(amount.clone())
                    .symbol(symbol.clone())
                    .payment_type(payment_type.clone())
                    .maybe(chain.clone(), |request, chain| request.chain(chain))
                    .send()
            })
        })
        .await
    }

    /// List payment methods (path and shape inferred), those `filter` selects. LATAM
    /// method names returned here are what [`PaymentType::Other`] carries.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for a filter set to an empty text; see [`Error`].
    pub async fn payment_methods(
        &self,
        filter: &PaymentMethodFilter,
    ) -> Result<Vec<PaymentMethod>, Error> {
        let (country, fiat_symbol) = filter.to_api()?;
        let parts = self
            .client
            .call::<endpoints::ListPaymentMethods>(move |api| {
                crate::convert::boxed(|| {
                    api.list_payment_methods()
                        .maybe(country.clone(), |request, country| request.country(country))
                        .maybe(fiat_symbol.clone(), |request, fiat| {
                            request.fiat_symbol(fiat)
                        })
                        .send()
                })
            })
            .await?;
        let op = endpoints::ListPaymentMethods::OPERATION.id;
        let raw = parts.data.unwrap_or_default().into_iter();
        raw.map(|raw| FromApi::from_api(op, raw)).collect()
    }

    /// Create Payment Intend (`POST /createPayment`). Sent at most once: if it fails after
    /// the request may have reached the server ([`Error::may_have_reached_server`]), look
    /// the payment up by your `external_id` before creating another.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] naming the field for an empty text or a `callback_url`
    /// that is not an `http(s)` URL, before anything is sent; the API's codes
    /// (`require_kyc`, `min_purchase`, …) as [`Error::Api`]; see [`Error`].
    pub async fn create(&self, payment: &NewPayment) -> Result<CreatedPayment, Error> {
        send_body!(self, CreatePayment, create_payment, payment.to_api()?).await
    }

    /// Create guided payment intent (`POST /createGuidedPayment`). EUR only, so no currency
    /// is asked for; sent at most once, like [`create`](Self::create).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] naming the field for an empty text; see [`Error`].
    pub async fn create_guided(&self, payment: &NewGuidedPayment) -> Result<GuidedPayment, Error> {
        send_body!(
            self,
            CreateGuidedPayment,
            create_guided_payment,
            payment.to_api()?
        )
        .await
    }

    /// Retrieve payment (`GET /payment/{payment_id}`).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn get(&self, id: &PaymentId) -> Result<Payment, Error> {
        let id = id.as_str();
        data::<endpoints::GetPayment, _>(&self.client, move |api| {
            crate::convert::boxed(|| api.get_payment().payment_id(id).send())
        })
        .await
    }

    /// Follows the payment until its status is final: a [`Watch`] to set the interval and
    /// the longest wait on, then to run as a stream of each new status or until the end.
    /// A status this version does not know is never taken as final.
    ///
    /// ```no_run
    /// # async fn run(client: cryptopocket::Client, id: cryptopocket::model::PaymentId) -> Result<(), cryptopocket::Error> {
    /// use std::time::Duration;
    ///
    /// use cryptopocket::watch::Outcome;
    ///
    /// let watch = client.onramp().watch(&id).interval(Duration::from_secs(10));
    /// if let Outcome::Succeeded(payment) = watch.max_wait(Duration::from_secs(1800)).until_final().await? {
    ///     println!("coins sent: {:?}", payment.txid);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn watch(&self, id: &PaymentId) -> Watch<Payment> {
        watching!(self, id)
    }

    /// The first payment whose `external_id` is `external_id`, or `None` when no payment
    /// has it: the way to learn whether a create whose outcome is unknown
    /// ([`Error::may_have_reached_server`]) happened.
    ///
    /// **Inferred**: the API has no look-up by your reference, so this walks
    /// [`list`](Self::list) (100 a page) and stops at the first match; it reads every page
    /// when there is none. It therefore rests on the list's inferred shape, and on
    /// `external_id` being echoed in it. Compared exactly, as sent.
    ///
    /// Each page is a call with its own deadline; the walk as a whole is as long as the
    /// list, and only the server says how long that is. For one bound on the whole look-up,
    /// wrap it: `tokio::time::timeout(limit, ….find_by_external_id(id))`.
    ///
    /// ```no_run
    /// # async fn run(client: cryptopocket::Client) -> Result<(), cryptopocket::Error> {
    /// if let Some(payment) = client.onramp().find_by_external_id("order-001").await? {
    ///     println!("order-001 is payment {} ({})", payment.id, payment.status);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for an empty `external_id`, before anything is sent; the
    /// first error of the list's stream; see [`Error`].
    pub async fn find_by_external_id(&self, external_id: &str) -> Result<Option<Payment>, Error> {
        text("external_id", external_id)?;
        crate::pagination::find(self.list(), |payment: &Payment| {
            payment.external_id.as_deref() == Some(external_id)
        })
        .await
    }

    /// List on-ramp transactions (path and shape inferred): every payment, a page at a
    /// time; see [`List`].
    pub fn list(&self) -> List<Payment> {
        paged!(self, ListPayments, list_payments)
    }
}

impl PaymentInstructions {
    /// The instructions a created payment carries: a URL, else bank details, else none.
    fn new(created: types::CreatedPayment) -> Self {
        match (created.url_payment, created.iban) {
            (Some(url), _) => Self::Redirect { url },
            (None, Some(iban)) => Self::BankTransfer {
                iban,
                bic: created.bic,
                concept: created.concept.map(Into::into),
                beneficiary: created.destination_name,
            },
            (None, None) => Self::None,
        }
    }
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
        let payment = Payment::from_api("getPayment", envelope.data.unwrap()).unwrap();
        let json = serde_json::to_value(&payment).unwrap();
        assert_eq!(json["fiat_amount"], "150.50");
        assert_eq!(json["status"], payment.status.as_str());
        assert_eq!(json["id"], payment.id.as_str());
        assert_eq!(json["user_id"], serde_json::json!(100067));
    }

    const WALLET: &str = "0xB51b2ce243bb1F88880bC8D287EBbfd7F695Ac55";

    fn documented(name: &str) -> serde_json::Value {
        let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// The documented requests, built with the constructors and the setters they need.
    #[test]
    fn the_documented_requests_are_the_builders() {
        let user = UserId::new(106);
        let payment = NewPayment::new(&user, Decimal::new(240, 0), "EUR", "USDC", WALLET)
            .coin_chain("polygon")
            .external_id("23232323231");
        assert_eq!(
            serde_json::to_value(payment.to_api().unwrap()).unwrap(),
            documented("createPayment.request.json")
        );
        let guided = NewGuidedPayment::new(&user, Decimal::new(240, 0), "USDC", "polygon")
            .external_id("23232323231");
        assert_eq!(
            serde_json::to_value(guided.to_api().unwrap()).unwrap(),
            documented("createGuidedPayment.request.json")
        );
    }

    #[test]
    fn bad_input_is_refused_naming_the_field() {
        fn refused<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
            match result {
                Err(Error::InvalidRequest(message)) => message,
                other => panic!("expected InvalidRequest, got {other:?}"),
            }
        }
        let user = UserId::new(106);
        let payment = || NewPayment::new(&user, Decimal::ONE, "EUR", "USDC", WALLET);
        let cases = [
            (
                NewPayment::new(&user, Decimal::ONE, "EUR", "USDC", " ").to_api(),
                "wallet must not be empty",
            ),
            (
                NewPayment::new(&user, Decimal::ONE, "", "USDC", WALLET).to_api(),
                "fiat_symbol must not be empty",
            ),
            (
                payment().coin_chain("").to_api(),
                "coin_chain must not be empty",
            ),
            (
                payment().callback_url("ftp://shop.example/").to_api(),
                "callback_url must be an http(s) URL",
            ),
            (
                payment().external_id(" ").to_api(),
                "external_id must not be empty",
            ),
        ];
        for (result, expected) in cases {
            let message = refused(result);
            assert!(message.starts_with(expected), "{message}");
        }
        let guided = NewGuidedPayment::new(&user, Decimal::ONE, "USDC", "").to_api();
        assert_eq!(refused(guided), "coin_chain must not be empty");
    }

    /// The flags of a command line that flattens the inputs build what the builders build,
    /// defaults included; the checks still run when the input is sent.
    #[cfg(feature = "clap")]
    #[test]
    fn the_flags_build_what_the_builders_build() {
        use clap::Parser as _;

        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            payment: NewPayment,
        }
        let parse = |args: &[&str]| {
            let flags = ["create", "--user-id", "106", "--fiat-amount", "240"];
            let flags = flags.iter().chain(args);
            Cli::try_parse_from(flags).map(|cli| cli.payment)
        };
        let payment = parse(&[
            "--coin-symbol",
            "USDC",
            "--wallet",
            WALLET,
            "--coin-chain",
            "polygon",
        ]);
        let built = NewPayment::new(
            &UserId::new(106),
            Decimal::new(240, 0),
            "EUR",
            "USDC",
            WALLET,
        )
        .coin_chain("polygon");
        assert_eq!(payment.unwrap(), built);
        // A required flag missing is clap's error; an empty value is the crate's.
        assert!(parse(&["--coin-symbol", "USDC"]).is_err());
        let empty = parse(&["--coin-symbol", "USDC", "--wallet", " "]).unwrap();
        assert!(
            matches!(empty.to_api(), Err(Error::InvalidRequest(m)) if m == "wallet must not be empty")
        );
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
