//! OffRamp: create an operation, follow it, list them.

use axum::extract::{RawQuery, State};
use serde_json::json;

use crate::clock::later;
use crate::input::{Fields, RawBody};
use crate::reply::{Answer, Fail, ok};
use crate::server::AppState;
use crate::world::{RampStatus, Rampoff, base_units, new_id, normalise_iban};

use super::common::{active_coin, payout};
use super::customers::trading_customer;
use super::paging::PageRequest;

/// `POST /createRampoff`: answers the deposit wallet; the customer's crypto arrives and
/// the payout is sent as the schedule says (`CRYPTO_RECEIVED`, then
/// `TRANSFER_RAMPOFF_FINISHED`).
pub(crate) async fn create(State(app): State<AppState>, RawBody(body): RawBody) -> Answer {
    let f = Fields::json(&body)?;
    let user_id = f.required_id("user_id")?;
    let amount = f.required_amount("amount")?;
    let symbol = f.required_text("symbol")?;
    let bank_name = f.text("bank_name")?;
    // LATAM payouts name a bank and need neither chain nor IBAN; the rest need both.
    let (blockchain, iban) = match bank_name {
        Some(_) => (f.text("blockchain")?, f.text("iban")?),
        None => (
            Some(f.required_text("blockchain")?),
            Some(f.required_text("iban")?),
        ),
    };
    if let Some(iban) = &iban
        && !iban_is_valid(iban)
    {
        return Err(Fail::field(
            "iban",
            "is not a valid IBAN (its check digits fail)",
        ));
    }
    let coin = active_coin(&symbol, blockchain.as_deref())?;
    if base_units(amount, coin.decimals).is_none() {
        return Err(Fail::field("amount", "is too large"));
    }
    let price = crate::catalogue::price(coin, "EUR").unwrap_or_default();
    let config = &app.shared.config;
    let schedule = config.schedule;
    let max = config.limits.max_rampoffs;
    app.shared.world(|world, now| {
        trading_customer(world, user_id)?;
        if world.rampoffs.len() >= max {
            return Err(Fail::code("unexpected_error").message(format!(
                "the sandbox holds its maximum of {max} off-ramp operations; restart it"
            )));
        }
        let mut wallet = [0u8; 20];
        fastrand::fill(&mut wallet);
        let rampoff = Rampoff {
            id: new_id(),
            symbol: coin.symbol.to_owned(),
            blockchain: coin.chain.to_owned(),
            amount,
            decimals: coin.decimals,
            fiat_amount: payout(amount, price),
            wallet: format!("0x{}", hex::encode(wallet)),
            status: RampStatus::WaitingCrypto,
            next: Some((
                RampStatus::CryptoReceived,
                later(now, schedule.crypto_received),
            )),
            txid: None,
        };
        let answer = json!({
            "rampoff": "payment created",
            "wallet": rampoff.wallet,
            "id": rampoff.id,
        });
        world.rampoff_order.push(rampoff.id.clone());
        world.rampoffs.insert(rampoff.id.clone(), rampoff);
        Ok(ok(answer))
    })
}

/// `GET /getRampoff?id=`.
pub(crate) async fn get(State(app): State<AppState>, RawQuery(query): RawQuery) -> Answer {
    let q = Fields::query(query.as_deref());
    let id = q.required_text("id")?;
    app.shared.world(|world, _| {
        world
            .rampoffs
            .get(&id)
            .map(|r| ok(r.to_json()))
            .ok_or_else(|| {
                let id: String = id.chars().take(40).collect();
                Fail::code("rampoff_not_found")
                    .message(format!("no off-ramp operation with id {id:?}"))
            })
    })
}

/// `GET /rampoffs/list`.
pub(crate) async fn list(State(app): State<AppState>, RawQuery(query): RawQuery) -> Answer {
    let request = PageRequest::read(&Fields::query(query.as_deref()))?;
    Ok(app.shared.world(|world, _| {
        request.answer(&world.rampoff_order, |id| {
            world.rampoffs.get(id).map(Rampoff::to_json)
        })
    }))
}

/// ISO 13616: country, check digits, and the mod-97 remainder 1.
pub(crate) fn iban_is_valid(iban: &str) -> bool {
    let iban = normalise_iban(iban);
    let shape = (15..=34).contains(&iban.len())
        && iban.chars().all(|c| c.is_ascii_alphanumeric())
        && iban[..2].chars().all(|c| c.is_ascii_alphabetic())
        && iban[2..4].chars().all(|c| c.is_ascii_digit());
    if !shape {
        return false;
    }
    let rearranged = iban[4..].chars().chain(iban[..4].chars());
    let mut remainder = 0u32;
    for c in rearranged {
        let Some(value) = c.to_digit(36) else {
            return false;
        };
        remainder = if value < 10 {
            (remainder * 10 + value) % 97
        } else {
            (remainder * 100 + value) % 97
        };
    }
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans() {
        assert!(iban_is_valid("ES91 2100 0418 4502 0005 1332"));
        assert!(iban_is_valid("gb29nwbk60161331926819"));
        assert!(!iban_is_valid("ES9121000418450200051333"));
        assert!(!iban_is_valid("ES91"));
        assert!(!iban_is_valid("ÉS9121000418450200051332"));
    }
}
