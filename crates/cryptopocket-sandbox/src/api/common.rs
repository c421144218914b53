//! Common: authentication, prices, assets, payment methods and quotes.

use axum::extract::State;
use rust_decimal::Decimal;

use crate::catalogue::{self, COINS, METHODS};
use crate::clock::{ApiTime, later};
use crate::input::{JsonBody, Query};
use crate::reply::{Answer, Fail, Money, Num, fail, object, ok};
use crate::server::AppState;

/// `POST /authenticate`: the configured key and secret get a token.
pub(crate) async fn authenticate(State(app): State<AppState>, JsonBody(f): JsonBody) -> Answer {
    let key = f.required_text("api_key")?;
    let secret = f.required_text("api_secret")?;
    let config = &app.shared.config;
    if key != config.api_key || secret != config.api_secret {
        return Err(fail!(
            "authorization_incorrect",
            "the api_key and api_secret do not match this integration's"
        ));
    }
    let ttl = config.token_ttl;
    let (token, expires) = app.shared.world(|world, now| {
        let expires = later(now, ttl);
        (world.issue_token(expires, &config.limits), expires)
    });
    Ok(ok(object! {
        "expires_at": ApiTime(expires),
        "expires_in": ttl.as_secs(),
        "token": token,
    }))
}

/// `GET /token-price`: what one token costs.
pub(crate) async fn token_price(Query(q): Query) -> Answer {
    let symbol = q.required_text("symbol")?;
    let chain = q.text("chain")?;
    let fiat = q.text("fiat_symbol")?.unwrap_or_else(|| "EUR".into());
    let coin = active_coin(&symbol, chain.as_deref())?;
    let price = catalogue::price(coin, &fiat).ok_or_else(|| unknown_fiat(&fiat))?;
    Ok(ok(object! {
        "chain": coin.chain,
        "fiat_symbol": fiat.to_ascii_uppercase(),
        "price": Num(price),
        "symbol": coin.symbol,
    }))
}

/// `GET /available-assets`: every coin and chain, active or not.
pub(crate) async fn available_assets() -> Answer {
    let assets: Vec<_> = COINS
        .iter()
        .map(|c| {
            object! {
                "active": c.active,
                "chain": c.chain,
                "decimals": c.decimals,
                "name": c.name,
                "symbol": c.symbol,
            }
        })
        .collect();
    Ok(ok(assets))
}

/// `GET /payment-methods`: the enabled methods, filtered by country and fiat.
pub(crate) async fn payment_methods(Query(q): Query) -> Answer {
    let country = q.text("country")?;
    let fiat = q.text("fiat_symbol")?;
    let matches = |wanted: &Option<String>, have: &str| {
        wanted
            .as_deref()
            .is_none_or(|w| w.eq_ignore_ascii_case(have))
    };
    let methods: Vec<_> = METHODS
        .iter()
        .filter(|m| m.enabled && matches(&country, m.country) && matches(&fiat, m.fiat_symbol))
        .map(|m| {
            object! {
                "country": m.country,
                "fiat_symbol": m.fiat_symbol,
                "name": m.name,
                "payment_type": m.payment_type,
            }
        })
        .collect();
    Ok(ok(methods))
}

/// `GET /quote`: how many tokens an amount in EUR buys, after the sandbox's 1.5 % fee.
pub(crate) async fn quote(Query(q): Query) -> Answer {
    let amount = q.required_amount("amount")?;
    let symbol = q.required_text("symbol")?;
    let chain = q.text("chain")?.unwrap_or_else(|| "polygon".into());
    let payment_type = q.required_text("payment_type")?;
    let method = enabled_method(&payment_type)?;
    let coin = active_coin(&symbol, Some(&chain))?;
    let price = catalogue::price(coin, "EUR").ok_or_else(|| unknown_fiat("EUR"))?;
    Ok(ok(object! {
        "chain": coin.chain,
        "coin_amount": Num(catalogue::tokens_for(amount, price)),
        "fiat_amount": Num(amount),
        "fiat_symbol": "EUR",
        "payment_type": method.payment_type,
        "price": Num(price),
        "symbol": coin.symbol,
    }))
}

/// `GET /getRampoffQuote`: what selling an amount of tokens pays, in EUR.
pub(crate) async fn rampoff_quote(Query(q): Query) -> Answer {
    let amount = q.required_amount("amount")?;
    let symbol = q.required_text("symbol")?;
    let blockchain = q.text("blockchain")?;
    let coin = active_coin(&symbol, blockchain.as_deref())?;
    let price = catalogue::price(coin, "EUR").ok_or_else(|| unknown_fiat("EUR"))?;
    Ok(ok(object! {
        "amount": Num(amount),
        "blockchain": coin.chain,
        "fiat_amount": Money(payout(amount, price)),
        "fiat_symbol": "EUR",
        "symbol": coin.symbol,
    }))
}

/// What selling `amount` tokens pays after the 1.5 % fee.
pub(crate) fn payout(amount: Decimal, price: Decimal) -> Decimal {
    (amount * price * Decimal::new(985, 3)).round_dp(2)
}

/// The active coin of that symbol (on that chain, when one is given), or
/// `coin_not_supported`.
pub(crate) fn active_coin(
    symbol: &str,
    chain: Option<&str>,
) -> Result<&'static catalogue::Coin, Fail> {
    let coin = match chain {
        Some(chain) => catalogue::coin_on(symbol, chain),
        None => catalogue::coin_any_chain(symbol),
    };
    coin.filter(|c| c.active).ok_or_else(|| {
        fail!(
            "coin_not_supported",
            "{symbol} on {} is not active for this integration; see GET /available-assets",
            chain.unwrap_or("any chain")
        )
    })
}

/// The enabled method of that name, or `method_not_allowed`.
pub(crate) fn enabled_method(payment_type: &str) -> Result<&'static catalogue::Method, Fail> {
    match catalogue::method_named(payment_type) {
        Some(m) if m.enabled => Ok(m),
        Some(m) => Err(fail!(
            "method_not_allowed",
            "{} payments are disabled for this integration",
            m.payment_type
        )),
        None => Err(fail!(
            "method_not_allowed",
            "unknown payment_type; see GET /payment-methods for the ones offered"
        )),
    }
}

pub(crate) fn unknown_fiat(fiat: &str) -> Fail {
    let fiat: String = fiat.chars().take(8).collect();
    fail!("fiat_not_supported", "the sandbox has no price in {fiat}")
}
