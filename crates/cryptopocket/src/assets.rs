//! Supported assets and token prices (the Common section).

use cryptopocket_api::{Endpoint as _, endpoints, types};
use rust_decimal::Decimal;

use crate::{
    Error,
    convert::{Maybe as _, data, field},
};

crate::model::area! {
    /// Assets and prices; from [`Client::assets`](crate::Client::assets).
    pub struct Assets;
    /// Supported coins and chains, and token prices.
    pub fn assets();
}

/// A coin and chain that payments accept (Get Available Assets). The operation is
/// documented; this shape is **inferred** (the docs show no response), so only `symbol` and
/// `chain` are required.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Asset {
    /// The coin, usable as `coin_symbol`, e.g. `USDC`.
    pub symbol: String,
    /// The blockchain, usable as `coin_chain`, e.g. `polygon`.
    pub chain: String,
    /// Display name, e.g. `USD Coin`, when sent.
    pub name: Option<String>,
    /// Decimals of the token on that chain, when sent.
    pub decimals: Option<u32>,
    /// Whether the pair is active for the integration, when sent (an inactive pair is
    /// refused with `coin_not_supported`).
    pub active: Option<bool>,
}

crate::model::output! {
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
    fn from_api(op, raw: types::TokenPrice);
}

crate::model::input! {
    /// Which price [`Assets::token_price`] asks for: one `symbol`, optionally on a chain and
    /// in a fiat currency (Token Price; parameters inferred).
    ///
    /// ```
    /// use cryptopocket::assets::TokenPriceRequest;
    ///
    /// let request = TokenPriceRequest::new("USDC").chain("polygon").fiat_symbol("EUR");
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct TokenPriceRequest {
        /// The token, e.g. USDC.
        symbol: String,
        /// Its chain, e.g. polygon.
        chain: Option<String>,
        /// The currency of the price, e.g. EUR.
        #[arg(long, value_name = "CURRENCY")]
        fiat_symbol: Option<String>,
    }

    /// The price of the token `symbol`, e.g. `USDC` (must not be empty).
    pub fn new(symbol: impl Into<String>);

    setters {
        /// On this chain, e.g. `polygon`.
        chain(impl Into<String>);
        /// In this fiat currency, e.g. `EUR`.
        fiat_symbol(impl Into<String>);
    }

    fn to_api() -> (String, Option<String>, Option<String>);
}

impl Assets {
    /// Get Available Assets (`GET /available-assets`): the `coin_symbol` + `coin_chain`
    /// pairs payments accept (response shape inferred; see [`Asset`]).
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] naming `data[i].decimals` for a negative or absurd number of
    /// decimals; see [`Error`].
    pub async fn list(&self) -> Result<Vec<Asset>, Error> {
        const OP: &str = endpoints::GetAvailableAssets::OPERATION.id;
        let parts = self
            .client
            .call::<endpoints::GetAvailableAssets>(|api| {
                crate::convert::boxed(|| api.get_available_assets().send())
            })
            .await?;
        parts
            .data
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, raw)| asset(OP, i, raw))
            .collect()
    }

    /// Token Price (path and parameters inferred).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for an empty text; see [`Error`].
    pub async fn token_price(&self, request: &TokenPriceRequest) -> Result<TokenPrice, Error> {
        let (symbol, chain, fiat_symbol) = request.to_api()?;
        data::<endpoints::GetTokenPrice, _>(&self.client, move |api| {
            crate::convert::boxed(|| {
                api.get_token_price()
                    .symbol(symbol.clone())
                    .maybe(chain.clone(), |request, chain| request.chain(chain))
                    .maybe(fiat_symbol.clone(), |request, fiat| {
                        request.fiat_symbol(fiat)
                    })
                    .send()
            })
        })
        .await
    }
}

fn asset(op: &'static str, index: usize, raw: types::Asset) -> Result<Asset, Error> {
    let decimals = raw
        .decimals
        .map(|d| {
            let path = format!("data[{index}].decimals");
            field(
                op,
                &path,
                u32::try_from(d.get()).map_err(|_| "not a number of decimals"),
            )
        })
        .transpose()?;
    Ok(Asset {
        symbol: raw.symbol,
        chain: raw.chain,
        name: raw.name,
        decimals,
        active: raw.active,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_keep_every_field_and_refuse_negative_decimals() {
        let raw: types::Asset = serde_json::from_value(serde_json::json!({
            "symbol": "USDC", "chain": "polygon", "name": "USD Coin", "decimals": "6",
            "active": true
        }))
        .unwrap();
        let usdc = asset(endpoints::GetAvailableAssets::OPERATION.id, 0, raw).unwrap();
        assert_eq!(usdc.decimals, Some(6));
        assert_eq!(
            serde_json::to_value(&usdc).unwrap(),
            serde_json::json!({"symbol": "USDC", "chain": "polygon", "name": "USD Coin",
                "decimals": 6, "active": true})
        );
        let raw: types::Asset = serde_json::from_value(serde_json::json!({
            "symbol": "USDC", "chain": "polygon", "decimals": -1
        }))
        .unwrap();
        let error = asset(endpoints::GetAvailableAssets::OPERATION.id, 2, raw)
            .unwrap_err()
            .to_string();
        assert!(error.contains("data[2].decimals"), "{error}");
    }
}
