//! Selling crypto: quotes and off-ramp operations.

use cryptopocket_api::{Amount, Endpoint as _, endpoints, types};
use futures::FutureExt as _;
use rust_decimal::Decimal;

use crate::{
    Client, Error,
    convert::{created_object, field, optional_text, required, text},
    model::{OffRampId, OffRampStatus, UserId, money},
    pagination::{List, Page},
};

/// The off-ramp operations; from [`Client::offramp`].
#[derive(Debug, Clone)]
pub struct OffRamp {
    client: Client,
}

crate::client::call_options!(OffRamp);

impl Client {
    /// Quotes and off-ramp operations (selling crypto).
    pub fn offramp(&self) -> OffRamp {
        OffRamp {
            client: self.clone(),
        }
    }
}

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
#[cfg_attr(feature = "clap", derive(clap::Args), command(about = None, long_about = None))]
#[non_exhaustive]
pub struct NewOffRamp {
    /// The customer who sells.
    #[cfg_attr(feature = "clap", arg(long))]
    user_id: UserId,
    /// Tokens to sell, in whole tokens.
    #[cfg_attr(feature = "clap", arg(long))]
    amount: Decimal,
    /// The token, e.g. BUSD.
    #[cfg_attr(feature = "clap", arg(long))]
    symbol: String,
    /// The chain the tokens come from (not needed for LATAM).
    #[cfg_attr(feature = "clap", arg(long))]
    blockchain: Option<String>,
    /// The payout IBAN (not needed for LATAM).
    #[cfg_attr(feature = "clap", arg(long))]
    iban: Option<String>,
    /// The payout bank (LATAM only).
    #[cfg_attr(feature = "clap", arg(long))]
    bank_name: Option<String>,
    /// Your own reference (inferred: the docs name none for off-ramps), so the operation can
    /// be found again.
    #[cfg_attr(feature = "clap", arg(long))]
    external_id: Option<String>,
}

impl NewOffRamp {
    /// A sale by `user_id` of `amount` tokens of `symbol` (e.g. `BUSD`). The amount is in
    /// whole tokens: the docs do not say whether the API means whole tokens or base units,
    /// and whole tokens is what its example values suggest. The symbol must not be empty;
    /// [`OffRamp::create`] checks before sending.
    pub fn new(user_id: &UserId, amount: Decimal, symbol: impl Into<String>) -> Self {
        Self {
            user_id: *user_id,
            amount,
            symbol: symbol.into(),
            blockchain: None,
            iban: None,
            bank_name: None,
            external_id: None,
        }
    }

    crate::model::setters! {
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

    /// The request body, after the checks the crate can make.
    fn to_api(&self) -> Result<types::CreateRampoffRequest, Error> {
        Ok(types::CreateRampoffRequest {
            user_id: self.user_id.get().into(),
            amount: self.amount.into(),
            symbol: text("symbol", &self.symbol)?,
            blockchain: optional_text("blockchain", self.blockchain.as_deref())?,
            iban: optional_text("iban", self.iban.as_deref())?,
            bank_name: optional_text("bank_name", self.bank_name.as_deref())?,
            external_id: optional_text("external_id", self.external_id.as_deref())?.map(Into::into),
        })
    }
}

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
#[cfg_attr(feature = "clap", derive(clap::Args), command(about = None, long_about = None))]
#[non_exhaustive]
pub struct OffRampQuoteRequest {
    /// Tokens to sell, in whole tokens.
    #[cfg_attr(feature = "clap", arg(long))]
    amount: Decimal,
    /// The token, e.g. USDC.
    #[cfg_attr(feature = "clap", arg(long))]
    symbol: String,
    /// Its chain.
    #[cfg_attr(feature = "clap", arg(long))]
    blockchain: Option<String>,
}

impl OffRampQuoteRequest {
    /// Selling `amount` whole tokens of `symbol` (e.g. `BUSD`). The symbol must not be
    /// empty; [`OffRamp::quote`] checks before sending.
    pub fn new(amount: Decimal, symbol: impl Into<String>) -> Self {
        Self {
            amount,
            symbol: symbol.into(),
            blockchain: None,
        }
    }

    crate::model::setters! {
        /// The chain the tokens would come from, e.g. `bsc`.
        blockchain(impl Into<String>);
    }
}

/// What selling tokens would yield: Get quote (off-ramp), amounts as decimals. The whole
/// shape is inferred (see the spec's `RampoffQuote`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct OffRampQuote {
    /// The fiat paid out for the tokens (the API sends a decimal string).
    pub fiat_amount: Decimal,
    /// The payout currency, when sent.
    pub fiat_symbol: Option<String>,
    /// The tokens quoted, in whole tokens, when sent.
    pub amount: Option<Decimal>,
    /// The token quoted, when sent.
    pub symbol: Option<String>,
    /// Its chain, when sent.
    pub blockchain: Option<String>,
}

/// A created off-ramp: the customer now sends the tokens to `deposit_wallet` (Create
/// OffRamp Transaction; partial: an older docs page names the fields without types).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct CreatedOffRamp {
    /// Keep it: [`OffRamp::get`] follows the operation with it.
    pub id: OffRampId,
    /// Where the customer must send the tokens.
    pub deposit_wallet: String,
    /// The API's human status text (`"payment created"`).
    pub state: String,
}

/// An off-ramp operation, amounts converted (Retrieve off-ramp transaction status; partial:
/// the fields are named by an older docs page, their types and units inferred).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct OffRampOperation {
    /// The operation id.
    pub id: OffRampId,
    /// Where it stands; only `finished` is documented.
    pub status: OffRampStatus,
    /// The chain, e.g. `bsc`.
    pub blockchain: Option<String>,
    /// The token, e.g. `BUSD`.
    pub crypto: Option<String>,
    /// Tokens, in whole tokens (the API sends base units and `decimals`).
    pub amount: Option<Decimal>,
    /// The fiat paid out (currency undocumented).
    pub fiat_amount: Option<Decimal>,
    /// Your reference, as sent with [`NewOffRamp::external_id`] (inferred: the docs name no
    /// such field for off-ramps).
    pub external_id: Option<String>,
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
        const OP: &str = endpoints::GetRampoffQuote::OPERATION.id;
        // A query string carries the decimal's text, every digit of it.
        let tokens = request.amount.to_string();
        let symbol = text("symbol", &request.symbol)?;
        let blockchain = optional_text("blockchain", request.blockchain.as_deref())?;
        let parts = self
            .client
            .call::<endpoints::GetRampoffQuote>(move |api| {
                let mut request = api
                    .get_rampoff_quote()
                    .amount(tokens.clone())
                    .symbol(symbol.clone());
                if let Some(blockchain) = &blockchain {
                    request = request.blockchain(blockchain.clone());
                }
                request.send().boxed()
            })
            .await?;
        let raw = required(parts.data, OP)?;
        Ok(OffRampQuote {
            fiat_amount: field(
                OP,
                "data.fiat_amount",
                money::parse_decimal(&raw.fiat_amount),
            )?,
            fiat_symbol: raw.fiat_symbol,
            amount: raw.amount.map(Amount::value),
            symbol: raw.symbol,
            blockchain: raw.blockchain,
        })
    }

    /// Create OffRamp Transaction (`POST /createRampoff`). Sent at most once.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] naming the field for an empty text; see [`Error`].
    pub async fn create(&self, sale: &NewOffRamp) -> Result<CreatedOffRamp, Error> {
        const OP: &str = endpoints::CreateRampoff::OPERATION.id;
        let body = sale.to_api()?;
        let parts = self
            .client
            .call::<endpoints::CreateRampoff>(move |api| {
                api.create_rampoff().body(body.clone()).send().boxed()
            })
            .await?;
        let created = created_object(parts.data, OP)?;
        Ok(CreatedOffRamp {
            id: field(OP, "data.id", OffRampId::new(created.id))?,
            deposit_wallet: created.wallet,
            state: created.rampoff,
        })
    }

    /// Retrieve off-ramp transaction status (`GET /getRampoff?id=`).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn get(&self, id: &OffRampId) -> Result<OffRampOperation, Error> {
        const OP: &str = endpoints::GetRampoff::OPERATION.id;
        let id = id.as_str().to_owned();
        let parts = self
            .client
            .call::<endpoints::GetRampoff>(move |api| {
                api.get_rampoff().id(id.clone()).send().boxed()
            })
            .await?;
        operation(OP, required(parts.data, OP)?)
    }

    /// The first off-ramp operation whose `external_id` is `external_id` (as sent with
    /// [`NewOffRamp::external_id`]), or `None` when none has it: the way to learn whether a
    /// create whose outcome is unknown ([`Error::may_have_reached_server`]) happened.
    ///
    /// **Inferred**: the API has no look-up by your reference, and the docs name no
    /// `external_id` for off-ramps at all; this walks [`list`](Self::list) (100 a page) and
    /// stops at the first match, reading every page when there is none. Compared exactly.
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
        List::new::<endpoints::ListRampoffs>(self.client.clone(), (), |client, (), at| {
            async move {
                const OP: &str = endpoints::ListRampoffs::OPERATION.id;
                let parts = client
                    .call::<endpoints::ListRampoffs>(move |api| {
                        let mut request = api.list_rampoffs().page(at.page);
                        if let Some(per_page) = at.per_page {
                            request = request.per_page(per_page);
                        }
                        request.send().boxed()
                    })
                    .await?;
                Page::from_parts(at.page, parts, |r| operation(OP, r))
            }
            .boxed()
        })
    }
}

pub(crate) fn operation(op: &'static str, raw: types::Rampoff) -> Result<OffRampOperation, Error> {
    let amount = match (&raw.amount, raw.decimals) {
        (Some(units), Some(decimals)) => {
            let decimals = u32::try_from(decimals.get()).map_err(|_| Error::Decode {
                operation: op,
                path: "data.decimals".into(),
                reason: format!("{decimals} is not a number of decimals"),
                excerpt: String::new(),
            })?;
            Some(field(
                op,
                "data.amount",
                money::from_base_units(units, decimals),
            )?)
        }
        // Base units without `decimals` cannot be read as tokens; better none than wrong.
        _ => None,
    };
    Ok(OffRampOperation {
        id: field(op, "data.id", OffRampId::new(raw.id))?,
        status: OffRampStatus::from(raw.status),
        blockchain: raw.blockchain,
        crypto: raw.crypto,
        amount,
        fiat_amount: raw
            .fiat_amount
            .as_deref()
            .map(|v| field(op, "data.fiat_amount", money::parse_decimal(v)))
            .transpose()?,
        external_id: raw.external_id.map(Into::into),
    })
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
