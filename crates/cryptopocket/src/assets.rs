//! Supported assets and token prices (the Common section).

use cryptopocket_api::types;
use futures::FutureExt as _;
use rust_decimal::Decimal;

use crate::{
    Client, Error,
    call::Effect,
    convert::{required, text},
};

/// Assets and prices; from [`Client::assets`].
#[derive(Debug, Clone)]
pub struct Assets {
    client: Client,
}

impl Client {
    /// Supported coins and chains, and token prices.
    pub fn assets(&self) -> Assets {
        Assets {
            client: self.clone(),
        }
    }
}

/// A token's price (Token Price; everything but the method is inferred).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TokenPrice {
    /// The token.
    pub symbol: String,
    /// Price of one token.
    pub price: Decimal,
    /// The fiat currency of the price, when sent.
    pub fiat_symbol: Option<String>,
    /// The chain, when sent.
    pub chain: Option<String>,
}

impl Assets {
    /// Get Available Assets (`GET /available-assets`): the `coin_symbol` + `coin_chain`
    /// pairs payments accept (response shape inferred).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn available(&self) -> Result<Vec<types::Asset>, Error> {
        let parts = self
            .client
            .call::<types::AvailableAssetsResponse, ()>("getAvailableAssets", Effect::Read, |api| {
                api.get_available_assets().send().boxed()
            })
            .await?;
        Ok(parts.data.unwrap_or_default())
    }

    /// Token Price (path and parameters inferred).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn token_price(
        &self,
        symbol: &str,
        chain: Option<&str>,
        fiat_symbol: Option<&str>,
    ) -> Result<TokenPrice, Error> {
        const OP: &str = "getTokenPrice";
        let symbol = text("symbol", symbol)?;
        let chain = chain.map(str::to_owned);
        let fiat_symbol = fiat_symbol.map(str::to_owned);
        let parts = self
            .client
            .call::<types::TokenPriceResponse, ()>(OP, Effect::Read, move |api| {
                let mut request = api.get_token_price().symbol(symbol.clone());
                if let Some(chain) = &chain {
                    request = request.chain(chain.clone());
                }
                if let Some(fiat_symbol) = &fiat_symbol {
                    request = request.fiat_symbol(fiat_symbol.clone());
                }
                request.send().boxed()
            })
            .await?;
        let raw = required(parts.data, OP)?;
        Ok(TokenPrice {
            price: raw.price.value(),
            symbol: raw.symbol,
            fiat_symbol: raw.fiat_symbol,
            chain: raw.chain,
        })
    }
}
