//! Selling crypto: quotes and off-ramp operations.

use cryptopocket_api::{endpoints, types};
use rust_decimal::Decimal;

use crate::{
    Error,
    convert::{Maybe as _, data, field, paged, send_body, text},
    model::{OffRampId, OffRampStatus, UserId, money},
    pagination::List,
    watch::{Watch, watching},
};

crate::model::area! {
    /// The off-ramp operations; from [`Client::offramp`](crate::Client::offramp).
    pub struct OffRamp;
    /// Quotes and off-ramp operations (selling crypto).
    pub fn offramp();
}

crate::model::input! {
    /// A sale for [`OffRamp::create`] (Create OffRamp Transaction; documented on an older docs
    /// page).
    ///
    /// ```
    /// use cryptopocket::{model::UserId, offramp::NewOffRamp};
    /// use rust_decimal::Decimal;
    ///
    /// let sale = NewOffRamp::new(&UserId::new(100067), Decimal::new(50, 0), "BUSD")
    ///     .blockchain("bsc")
    ///     .iban("ES6867130002530016234794");
    /// ```
    #[derive(Debug, Clone, PartialEq)]
    pub struct NewOffRamp {
        /// The customer who sells.
        user_id: UserId,
        /// Tokens to sell, in whole tokens.
        amount: Decimal,
        /// The token, e.g. BUSD.
        symbol: String,
        /// The chain the tokens come from (not needed for LATAM).
        blockchain: Option<String>,
        /// The payout IBAN (not needed for LATAM).
        iban: Option<String>,
        /// The payout bank (LATAM only).
        bank_name: Option<String>,
        /// Your own reference (inferred: the docs name none for off-ramps), so the operation can
        /// be found again.
        external_id: Option<String>,
    }

    /// A sale by `user_id` of `amount` tokens of `symbol` (e.g. `BUSD`). The amount is in
    /// whole tokens: the docs do not say whether the API means whole tokens or base units,
    /// and whole tokens is what its example values suggest. The symbol must not be empty;
    /// [`OffRamp::create`] checks before sending.
    pub fn new(user_id: &UserId, amount: Decimal, symbol: impl Into<String>);

    setters {
        /// The chain the tokens come from, e.g. `bsc` (not needed for LATAM).
        blockchain(impl Into<String>);
        /// The payout IBAN (not needed for LATAM: the registered account is used).
        iban(impl Into<String>);
        /// The payout bank (LATAM only).
        bank_name(impl Into<String>);
        /// Your own reference (**inferred**: the docs name no such field for off-ramps; the
        /// spec adds it after the on-ramp's). Set it: [`OffRamp::find_by_external_id`] finds
        /// the operation with it when a create failed in a way that leaves you unsure whether
        /// it happened.
        external_id(impl Into<String>);
    }

    fn to_api() -> types::CreateRampoffRequest;
}

crate::model::input! {
    /// What to quote with [`OffRamp::quote`]: selling `amount` whole tokens of `symbol` (Get
    /// quote, off-ramp; inferred).
    ///
    /// ```
    /// use cryptopocket::offramp::OffRampQuoteRequest;
    /// use rust_decimal::Decimal;
    ///
    /// let request = OffRampQuoteRequest::new(Decimal::new(50, 0), "BUSD").blockchain("bsc");
    /// ```
    #[derive(Debug, Clone, PartialEq)]
    pub struct OffRampQuoteRequest {
        /// Tokens to sell, in whole tokens.
        amount: Decimal,
        /// The token, e.g. USDC.
        symbol: String,
        /// Its chain.
        blockchain: Option<String>,
    }

    /// Selling `amount` whole tokens of `symbol` (e.g. `BUSD`). The symbol must not be
    /// empty; [`OffRamp::quote`] checks before sending.
    pub fn new(amount: Decimal, symbol: impl Into<String>);

    setters {
        /// The chain the tokens would come from, e.g. `bsc`.
        blockchain(impl Into<String>);
    }

    fn to_api() -> (String, String, Option<String>);
}

crate::model::output! {
    /// What selling tokens would yield: Get quote (off-ramp), amounts as decimals. The whole
    /// shape is inferred (see the spec's `RampoffQuote`).
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct OffRampQuote {
        /// The fiat paid out for the tokens (the API sends a decimal string).
        pub fiat_amount: Decimal =
            field(op, "data.fiat_amount", money::parse_decimal(&raw.fiat_amount))?,
        /// The payout currency, when sent.
        pub fiat_symbol: Option<String>,
        /// The tokens quoted, in whole tokens, when sent.
        pub amount: Option<Decimal> = raw.amount.map(Into::into),
        /// The token quoted, when sent.
        pub symbol: Option<String>,
        /// Its chain, when sent.
        pub blockchain: Option<String>,
    }
    fn from_api(op, raw: types::RampoffQuote);
}

crate::model::output! {
    /// A created off-ramp: the customer now sends the tokens to `deposit_wallet` (Create
    /// OffRamp Transaction; partial: an older docs page names the fields without types).
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct CreatedOffRamp {
        /// Keep it: [`OffRamp::get`] follows the operation with it.
        pub id: OffRampId = field(op, "data.id", OffRampId::new(raw.id))?,
        /// Where the customer must send the tokens.
        pub deposit_wallet: String = raw.wallet,
        /// The API's human status text (`"payment created"`).
        pub state: String = raw.rampoff,
    }
    fn from_api(op, raw: types::CreatedRampoff);
}

crate::model::output! {
    /// An off-ramp operation, amounts converted (Retrieve off-ramp transaction status; partial:
    /// the fields are named by an older docs page, their types and units inferred).
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct OffRampOperation {
        /// The operation id.
        pub id: OffRampId = field(op, "data.id", OffRampId::new(raw.id))?,
        /// Where it stands; only `finished` is documented.
        pub status: OffRampStatus,
        /// The chain, e.g. `bsc`.
        pub blockchain: Option<String>,
        /// The token, e.g. `BUSD`.
        pub crypto: Option<String>,
        /// Tokens, in whole tokens (the API sends base units and `decimals`).
        pub amount: Option<Decimal> = tokens(op, raw.amount.as_deref(), raw.decimals)?,
        /// The fiat paid out (currency undocumented).
        pub fiat_amount: Option<Decimal> = fiat_amount(op, raw.fiat_amount.as_deref())?,
        /// Your reference, as sent with [`NewOffRamp::external_id`] (inferred: the docs name no
        /// such field for off-ramps).
        pub external_id: Option<String> = raw.external_id.map(Into::into),
    }
    fn from_api(op, raw: types::Rampoff);
}

impl OffRamp {
    /// Get quote, off-ramp (path and shape inferred): what selling the request's tokens
    /// would pay out.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for an empty symbol; [`Error::Decode`] naming
    /// `data.fiat_amount` when the payout is not a decimal; see [`Error`].
    pub async fn quote(&self, request: &OffRampQuoteRequest) -> Result<OffRampQuote, Error> {
        let (tokens, symbol, blockchain) = request.to_api()?;
        data::<endpoints::GetRampoffQuote, _>(&self.client, move |api| {
            crate::convert::boxed(|| {
                api.get_rampoff_quote()
                    .amount(tokens.clone())
                    .symbol(symbol.clone())
                    .maybe(blockchain.clone(), |request, chain| {
                        request.blockchain(chain)
                    })
                    .send()
            })
        })
        .await
    }

    /// Create OffRamp Transaction (`POST /createRampoff`). Sent at most once.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] naming the field for an empty text; see [`Error`].
    pub async fn create(&self, sale: &NewOffRamp) -> Result<CreatedOffRamp, Error> {
        send_body!(self, CreateRampoff, create_rampoff, sale.to_api()?).await
    }

    /// Retrieve off-ramp transaction status (`GET /getRampoff?id=`).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn get(&self, id: &OffRampId) -> Result<OffRampOperation, Error> {
        let id = id.as_str();
        data::<endpoints::GetRampoff, _>(&self.client, move |api| {
            crate::convert::boxed(|| api.get_rampoff().id(id).send())
        })
        .await
    }

    /// Follows the operation until its status is final (`finished`, the only word
    /// documented): a [`Watch`], as [`OnRamp::watch`](crate::onramp::OnRamp::watch) gives
    /// for payments. Every other word, unknown ones included, is not final.
    pub fn watch(&self, id: &OffRampId) -> Watch<OffRampOperation> {
        watching!(self, id)
    }

    /// The first off-ramp operation whose `external_id` is `external_id` (as sent with
    /// [`NewOffRamp::external_id`]), or `None` when none has it: the way to learn whether a
    /// create whose outcome is unknown ([`Error::may_have_reached_server`]) happened.
    ///
    /// **Inferred**: the API has no look-up by your reference, and the docs name no
    /// `external_id` for off-ramps at all; this walks [`list`](Self::list) (100 a page) and
    /// stops at the first match, reading every page when there is none. Compared exactly.
    ///
    /// Each page is a call with its own deadline; the walk as a whole is as long as the
    /// list, and only the server says how long that is. For one bound on the whole look-up,
    /// wrap it: `tokio::time::timeout(limit, ….find_by_external_id(id))`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for an empty `external_id`, before anything is sent; the
    /// first error of the list's stream; see [`Error`].
    pub async fn find_by_external_id(
        &self,
        external_id: &str,
    ) -> Result<Option<OffRampOperation>, Error> {
        text("external_id", external_id)?;
        crate::pagination::find(self.list(), |operation: &OffRampOperation| {
            operation.external_id.as_deref() == Some(external_id)
        })
        .await
    }

    /// List off-ramp transactions (path and shape inferred): every operation, a page at a
    /// time; see [`List`].
    pub fn list(&self) -> List<OffRampOperation> {
        paged!(self, ListRampoffs, list_rampoffs)
    }
}

/// An operation's tokens: base units and `decimals` as sent, in whole tokens. Base units
/// without `decimals` cannot be read as tokens: better none than wrong.
fn tokens(
    op: &'static str,
    units: Option<&str>,
    decimals: Option<cryptopocket_api::Int>,
) -> Result<Option<Decimal>, Error> {
    let (Some(units), Some(decimals)) = (units, decimals) else {
        return Ok(None);
    };
    let decimals = u32::try_from(decimals.get()).map_err(|_| Error::Decode {
        operation: op,
        path: "data.decimals".into(),
        reason: format!("{decimals} is not a number of decimals"),
        excerpt: String::new(),
    })?;
    field(op, "data.amount", money::from_base_units(units, decimals)).map(Some)
}

/// The fiat paid out, a decimal string, when sent.
fn fiat_amount(op: &'static str, text: Option<&str>) -> Result<Option<Decimal>, Error> {
    text.map(|text| field(op, "data.fiat_amount", money::parse_decimal(text)))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sale_is_sent_as_built_and_empty_texts_are_refused() {
        let user = UserId::new(106);
        let sale = NewOffRamp::new(&user, Decimal::new(201, 1), "BUSD")
            .blockchain("bsc")
            .iban("ES6867130002530016234794");
        assert_eq!(
            serde_json::to_value(sale.to_api().unwrap()).unwrap(),
            serde_json::json!({"user_id": 106, "amount": 20.1, "symbol": "BUSD",
                "blockchain": "bsc", "iban": "ES6867130002530016234794"})
        );
        for (sale, expected) in [
            (
                NewOffRamp::new(&user, Decimal::ONE, " "),
                "symbol must not be empty",
            ),
            (
                NewOffRamp::new(&user, Decimal::ONE, "BUSD").iban(""),
                "iban must not be empty",
            ),
        ] {
            match sale.to_api() {
                Err(Error::InvalidRequest(message)) => assert_eq!(message, expected),
                other => panic!("{other:?}"),
            }
        }
    }
}
