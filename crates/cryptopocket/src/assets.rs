//! Supported assets and token prices (the Common section).

use cryptopocket_api::types;
use futures::FutureExt as _;
use rust_decimal::Decimal;

use crate::{
    Client, Error,
    call::Effect,
    convert::{field, required, text},
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

/// A token's price (Token Price; everything but the method is inferred).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
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
    /// pairs payments accept (response shape inferred; see [`Asset`]).
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] naming `data[i].decimals` for a negative or absurd number of
    /// decimals; see [`Error`].
    pub async fn available(&self) -> Result<Vec<Asset>, Error> {
        const OP: &str = "getAvailableAssets";
        let parts = self
            .client
            .call::<types::AvailableAssetsResponse, ()>(OP, Effect::Read, |api| {
                api.get_available_assets().send().boxed()
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
        let usdc = asset("getAvailableAssets", 0, raw).unwrap();
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
        let error = asset("getAvailableAssets", 2, raw).unwrap_err().to_string();
        assert!(error.contains("data[2].decimals"), "{error}");
    }
}
