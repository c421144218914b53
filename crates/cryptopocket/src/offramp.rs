//! Selling crypto: quotes and off-ramp operations.

use std::num::NonZeroU64;

use cryptopocket_api::{Amount, types};
use futures::{FutureExt as _, Stream};
use rust_decimal::Decimal;

use crate::{
    Client, Error,
    call::Effect,
    convert::{created_object, field, required, text},
    model::{OffRampId, OffRampStatus, UserId, money},
    pagination::{self, ListOptions, Page},
};

/// The off-ramp operations; from [`Client::offramp`].
#[derive(Debug, Clone)]
pub struct OffRamp {
    client: Client,
}

impl Client {
    /// Quotes and off-ramp operations (selling crypto).
    pub fn offramp(&self) -> OffRamp {
        OffRamp {
            client: self.clone(),
        }
    }
}

/// A sale for `createRampoff` (documented on an older docs page).
#[derive(Debug, Clone, PartialEq)]
pub struct NewOffRamp {
    /// The customer who sells.
    pub user_id: UserId,
    /// Tokens to sell, in whole tokens. The docs do not say whether the API means whole
    /// tokens or base units; whole tokens is what its example values suggest.
    pub amount: Decimal,
    /// The token, e.g. `BUSD`.
    pub symbol: String,
    /// The chain the tokens come from, e.g. `bsc` (not needed for LATAM).
    pub blockchain: Option<String>,
    /// The payout IBAN (not needed for LATAM: the registered account is used).
    pub iban: Option<String>,
    /// The payout bank (LATAM only).
    pub bank_name: Option<String>,
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
}

impl OffRamp {
    /// Get quote, off-ramp (path and shape inferred): what selling `tokens` of `symbol`
    /// would pay out.
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] naming `data.fiat_amount` when the payout is not a decimal; see
    /// [`Error`].
    pub async fn quote(
        &self,
        tokens: Decimal,
        symbol: &str,
        blockchain: Option<&str>,
    ) -> Result<OffRampQuote, Error> {
        const OP: &str = "getRampoffQuote";
        // A query string carries the decimal's text, every digit of it.
        let tokens = tokens.to_string();
        let symbol = text("symbol", symbol)?;
        let blockchain = blockchain.map(str::to_owned);
        let parts = self
            .client
            .call::<types::RampoffQuoteResponse, ()>(OP, Effect::Read, move |api| {
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
    /// See [`Error`].
    pub async fn create(&self, sale: &NewOffRamp) -> Result<CreatedOffRamp, Error> {
        const OP: &str = "createRampoff";
        let body = types::CreateRampoffRequest {
            user_id: sale.user_id.get().into(),
            amount: sale.amount.into(),
            symbol: text("symbol", &sale.symbol)?,
            blockchain: sale.blockchain.clone(),
            iban: sale.iban.clone(),
            bank_name: sale.bank_name.clone(),
        };
        let parts = self
            .client
            .call::<types::CreateRampoffResponse, ()>(OP, Effect::Create, move |api| {
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
        const OP: &str = "getRampoff";
        let id = id.as_str().to_owned();
        let parts = self
            .client
            .call::<types::GetRampoffResponse, ()>(OP, Effect::Read, move |api| {
                api.get_rampoff().id(id.clone()).send().boxed()
            })
            .await?;
        operation(OP, required(parts.data, OP)?)
    }

    /// One page of List off-ramp transactions (path and shape inferred), at the server's
    /// default page size; see [`list_page_with`](Self::list_page_with).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn list_page(&self, page: NonZeroU64) -> Result<Page<OffRampOperation>, Error> {
        self.list_page_with(page, ListOptions::default()).await
    }

    /// One page of List off-ramp transactions, `options.per_page` items long.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for a page size out of range; see [`Error`].
    pub async fn list_page_with(
        &self,
        page: NonZeroU64,
        options: ListOptions,
    ) -> Result<Page<OffRampOperation>, Error> {
        const OP: &str = "listRampoffs";
        let per_page = options.per_page_param()?;
        let parts = self
            .client
            .call::<types::ListRampoffsResponse, ()>(OP, Effect::Read, move |api| {
                let mut request = api.list_rampoffs().page(page);
                if let Some(per_page) = per_page {
                    request = request.per_page(per_page);
                }
                request.send().boxed()
            })
            .await?;
        Page::from_parts(pagination::number(page), parts, |r| operation(OP, r))
    }

    /// Every off-ramp operation, page after page, at the server's default page size; see
    /// [`list_with`](Self::list_with).
    pub fn list(&self) -> impl Stream<Item = Result<OffRampOperation, Error>> + Send + 'static {
        self.list_with(ListOptions::default())
    }

    /// Every off-ramp operation, page after page, `options.per_page` a page. A page size out
    /// of range is the stream's only item, [`Error::InvalidRequest`].
    pub fn list_with(
        &self,
        options: ListOptions,
    ) -> impl Stream<Item = Result<OffRampOperation, Error>> + Send + 'static {
        pagination::items(
            "listRampoffs",
            (self.clone(), options),
            |(offramp, options), page| {
                async move { offramp.list_page_with(page, options).await }.boxed()
            },
        )
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
    })
}
