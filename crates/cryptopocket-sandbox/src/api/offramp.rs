//! OffRamp: create an operation, follow it, list them.

use axum::extract::State;

use crate::clock::later;
use crate::input::{JsonBody, Query};
use crate::reply::{Answer, Fail, fail, object, ok};
use crate::server::AppState;
use crate::world::{RampStatus, Rampoff, base_units, iban_problem, new_id};

use super::common::{active_coin, payout};
use super::customers::trading_customer;
use super::paging::PageRequest;

/// `POST /createRampoff`: answers the deposit wallet; the customer's crypto arrives and
/// the payout is sent as the schedule says (`CRYPTO_RECEIVED`, then
/// `TRANSFER_RAMPOFF_FINISHED`).
pub(crate) async fn create(State(app): State<AppState>, JsonBody(f): JsonBody) -> Answer {
    let user_id = f.required_id("user_id")?;
    let amount = f.required_amount("amount")?;
    let symbol = f.required_text("symbol")?;
    let bank_name = f.text("bank_name")?;
    let external_id = f.text("external_id")?;
    // LATAM payouts name a bank and need neither chain nor IBAN; the rest need both.
    let (blockchain, iban) = match bank_name {
        Some(_) => (f.text("blockchain")?, f.text("iban")?),
        None => (
            Some(f.required_text("blockchain")?),
            Some(f.required_text("iban")?),
        ),
    };
    if let Some(problem) = iban.as_deref().and_then(iban_problem) {
        return Err(Fail::field("iban", problem));
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
        super::room_for(world.rampoffs.len(), max, "off-ramp operations")?;
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
            external_id,
        };
        let answer = ok(object! {
            "id": &rampoff.id,
            "rampoff": "payment created",
            "wallet": &rampoff.wallet,
        });
        world.add_rampoff(rampoff);
        Ok(answer)
    })
}

/// `GET /getRampoff?id=`.
pub(crate) async fn get(State(app): State<AppState>, Query(q): Query) -> Answer {
    let id = q.required_text("id")?;
    app.shared.world(|world, _| {
        world
            .rampoffs
            .get(&id)
            .map(|r| ok(r.view()))
            .ok_or_else(|| {
                let id: String = id.chars().take(40).collect();
                fail!("rampoff_not_found", "no off-ramp operation with id {id:?}")
            })
    })
}

/// `GET /rampoffs/list`.
pub(crate) async fn list(State(app): State<AppState>, page: PageRequest) -> Answer {
    Ok(app.shared.world(|world, _| {
        page.answer(&world.rampoff_order, |id| {
            world.rampoffs.get(id).map(Rampoff::view)
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans() {
        assert_eq!(iban_problem("ES91 2100 0418 4502 0005 1332"), None);
        assert_eq!(iban_problem("gb29nwbk60161331926819"), None);
        assert_eq!(
            iban_problem("ES9121000418450200051333"),
            Some("is not a valid IBAN (its check digits fail)")
        );
        assert!(iban_problem("ES91").is_some());
        assert!(iban_problem("ÉS9121000418450200051332").is_some());
        assert!(iban_problem("9S9121000418450200051332").is_some());
        assert!(iban_problem(&"ES91".repeat(10)).is_some());
    }
}
