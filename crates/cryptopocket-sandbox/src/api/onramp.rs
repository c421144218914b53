//! OnRamp: direct and guided payments, retrieval and the list.

use axum::extract::State;
use chrono::{DateTime, Datelike, Utc};
use cryptopocket_api::operations as spec;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::catalogue;
use crate::config::Limits;
use crate::input::{JsonBody, PathParam};
use crate::reply::{Answer, Fail, envelope, fail, json_bytes_response, object, ok_text};
use crate::server::AppState;
use crate::world::{Customer, PayStatus, Payment, World, new_id, random_uuid};

use super::common::{active_coin, enabled_method, unknown_fiat};
use super::customers::trading_customer;
use super::paging::PageRequest;

/// What both kinds of payment ask for, already read and checked field by field.
struct Order {
    user_id: u64,
    payment_type: &'static catalogue::Method,
    fiat_symbol: String,
    fiat_amount: Decimal,
    coin: &'static catalogue::Coin,
    wallet: Option<String>,
    external_id: Option<String>,
    guided: bool,
}

/// The customer checks of the documented error tables, in their order: unknown,
/// banned, KYC not valid (with the form URL in `data`).
fn payer<'w>(
    world: &'w World,
    user_id: u64,
    now: DateTime<Utc>,
    app: &AppState,
) -> Result<&'w Customer, Fail> {
    let customer = trading_customer(world, user_id)?;
    let kyc = customer.kyc_status(now, &app.shared.config.schedule);
    if kyc != "valid" {
        return Err(fail!(
            "require_kyc",
            "customer {user_id} has KYC status {kyc}; send them to the URL in data"
        )
        .data(Value::String(format!(
            "{}/gateway/kyc/{}",
            app.shared.origin, customer.uuid
        ))));
    }
    Ok(customer)
}

/// The amount rules: the minimum, the enhanced-verification threshold, the quarterly card
/// limit, all counted in EUR.
fn amount_rules(
    world: &World,
    customer: &Customer,
    order: &Order,
    now: DateTime<Utc>,
    limits: &Limits,
) -> Result<(), Fail> {
    let eur = catalogue::in_eur(order.fiat_amount, &order.fiat_symbol)
        .ok_or_else(|| unknown_fiat(&order.fiat_symbol))?;
    if eur < limits.min_purchase {
        let minimum = catalogue::from_eur(limits.min_purchase, &order.fiat_symbol)
            .unwrap_or(limits.min_purchase);
        return Err(fail!(
            "min_purchase",
            "the minimum purchase is {minimum} {}",
            order.fiat_symbol
        ));
    }
    if eur > limits.reinforced_above && !customer.reinforced(now) {
        return Err(fail!(
            "kyc_reinforced_required",
            "purchases above {} EUR need the enhanced verification: create an onboarding_link \
             (POST /onboarding-form) and have the customer complete it",
            limits.reinforced_above
        ));
    }
    if order.payment_type.payment_type == "card" {
        let spent: Decimal = world
            .payments
            .values()
            .filter(|p| {
                p.user_id == customer.id
                    && p.payment_type == "card"
                    && same_quarter(p.created_at, now)
            })
            .filter_map(|p| catalogue::in_eur(p.fiat_amount, &p.fiat_symbol))
            .sum();
        if spent + eur > limits.quarterly_card_limit {
            return Err(fail!(
                "limit_exceded",
                "this purchase would take the customer's card purchases this quarter past {} EUR",
                limits.quarterly_card_limit
            ));
        }
    }
    Ok(())
}

fn same_quarter(a: DateTime<Utc>, b: DateTime<Utc>) -> bool {
    a.year() == b.year() && (a.month0() / 3) == (b.month0() / 3)
}

/// Checks an order against the state and stores it as a `started` payment.
fn place(
    world: &mut World,
    now: DateTime<Utc>,
    app: &AppState,
    order: Order,
) -> Result<Payment, Fail> {
    let limits = &app.shared.config.limits;
    let customer = payer(world, order.user_id, now, app)?;
    amount_rules(world, customer, &order, now, limits)?;
    if order.payment_type.gateway
        && order
            .wallet
            .as_deref()
            .is_some_and(|w| w.eq_ignore_ascii_case(catalogue::FAILING_WALLET))
    {
        return Err(fail!(
            "error_payment_creation",
            "the payment provider refused the payment (the sandbox's failing wallet)"
        ));
    }
    super::room_for(world.payments.len(), limits.max_payments, "payments")?;
    let price = catalogue::price(order.coin, &order.fiat_symbol)
        .ok_or_else(|| unknown_fiat(&order.fiat_symbol))?;
    let transfer = !order.payment_type.gateway && !order.guided;
    let payment = Payment {
        id: new_id(),
        external_id: order.external_id,
        user_id: order.user_id,
        guided: order.guided,
        payment_type: order.payment_type.payment_type.to_owned(),
        fiat_symbol: order.fiat_symbol,
        fiat_amount: order.fiat_amount,
        coin_symbol: order.coin.symbol.to_owned(),
        coin_amount: catalogue::tokens_for(order.fiat_amount, price),
        created_at: now,
        status: PayStatus::Started,
        next: None,
        txid: None,
        holder: None,
        concept: transfer.then(|| world.next_concept()),
        gateway_token: random_uuid(),
    };
    world.payment_order.push(payment.id.clone());
    world.payments.insert(payment.id.clone(), payment.clone());
    Ok(payment)
}

/// `POST /createPayment`: a gateway URL for card, psd2 and LATAM methods, transfer
/// instructions (under the documented misspelt `sucess`) for `transfer`.
pub(crate) async fn create_payment(State(app): State<AppState>, JsonBody(f): JsonBody) -> Answer {
    let user_id = f.required_id("user_id")?;
    let payment_type = enabled_method(&f.text("payment_type")?.unwrap_or_else(|| "card".into()))?;
    let fiat_symbol = f.required_text("fiat_symbol")?.to_ascii_uppercase();
    let fiat_amount = f.required_amount("fiat_amount")?;
    let coin_symbol = f.required_text("coin_symbol")?;
    // LATAM methods need no chain; everyone else must say which.
    let latam = payment_type.fiat_symbol != "EUR";
    let coin_chain = if latam {
        f.text("coin_chain")?
    } else {
        Some(f.required_text("coin_chain")?)
    };
    let wallet = f.required_text("wallet")?;
    f.text("callback_url")?;
    let order = Order {
        user_id,
        payment_type,
        fiat_symbol,
        fiat_amount,
        coin: active_coin(&coin_symbol, coin_chain.as_deref())?,
        wallet: Some(wallet),
        external_id: f.text("external_id")?,
        guided: false,
    };
    let origin = &app.shared.origin;
    app.shared.world(|world, now| {
        let payment = place(world, now, &app, order)?;
        Ok(match payment.concept {
            Some(concept) => {
                let (iban, bic, holder, _) = catalogue::ACCOUNTS[0];
                let data = object! {
                    "bic": bic,
                    "concept": concept,
                    "destination_name": holder,
                    "iban": iban,
                    "payment_id": &payment.id,
                };
                envelope("sucess", Some("payment_created"), Some(data))
            }
            None => {
                let url = format!(
                    "{origin}/gateway/{}?token={}",
                    payment.payment_type, payment.gateway_token
                );
                let data = object! {"payment_id": &payment.id, "url_payment": url};
                envelope("success", Some("payment_created"), Some(data))
            }
        })
    })
}

/// `POST /createGuidedPayment`: EUR only; the payer picks the method on the gateway.
pub(crate) async fn create_guided(State(app): State<AppState>, JsonBody(f): JsonBody) -> Answer {
    let user_id = f.required_id("user_id")?;
    let coin_symbol = f.required_text("coin_symbol")?;
    let coin_chain = f.required_text("coin_chain")?;
    let fiat_amount = f.required_amount("fiat_amount")?;
    if let Some(fiat) = f.text("fiat_symbol")?
        && !fiat.eq_ignore_ascii_case("EUR")
    {
        return Err(fail!(
            "guided_payment_eur_only",
            "guided payments are available in EUR only"
        ));
    }
    let payment_type = f.text("payment_type")?.unwrap_or_else(|| "card".into());
    // The same refusal as createPayment's for a method the integration does not offer,
    // although the guided error table does not list it: it names the problem.
    let payment_type = enabled_method(&payment_type)?;
    if payment_type.fiat_symbol != "EUR" {
        return Err(fail!(
            "method_not_allowed",
            "the guided gateway offers card, psd2 and transfer"
        ));
    }
    let order = Order {
        user_id,
        payment_type,
        fiat_symbol: "EUR".into(),
        fiat_amount,
        coin: active_coin(&coin_symbol, Some(&coin_chain))?,
        wallet: None,
        external_id: f.text("external_id")?,
        guided: true,
    };
    let origin = &app.shared.origin;
    app.shared.world(|world, now| {
        let payment = place(world, now, &app, order)?;
        let data = object! {
            "external_id"?: payment.external_id.as_deref(),
            "gateway_url": format!("{origin}/gateway/payment/{}", payment.id),
            "payment_id": &payment.id,
        };
        Ok(envelope(
            "success",
            Some("guided_payment_created"),
            Some(data),
        ))
    })
}

/// `GET /payment/{payment_id}`: `fiat_amount` in cents, `user_id` a string, `txid` once
/// `coins_sent`, as documented. The view follows from the payment alone, so the answer
/// is written once and kept until the state changes (`Shared::answer`).
pub(crate) async fn get_payment(State(app): State<AppState>, PathParam(id): PathParam) -> Answer {
    let id = id.ok_or_else(|| {
        fail!(
            "payment_not_found",
            "the payment_id in the path does not percent-decode to UTF-8"
        )
    })?;
    let body = app.shared.answer(spec::GET_PAYMENT.id, &id, |world| {
        world
            .payments
            .get(&id)
            .map(|p| ok_text(p.view()))
            .ok_or_else(|| payment_not_found(&id))
    })?;
    Ok(json_bytes_response(body))
}

pub(crate) fn payment_not_found(id: &str) -> Fail {
    let id: String = id.chars().take(40).collect();
    fail!("payment_not_found", "no payment with id {id:?}")
}

/// `GET /payments/list`: oldest first, Laravel pagination.
pub(crate) async fn list(State(app): State<AppState>, page: PageRequest) -> Answer {
    Ok(app.shared.world(|world, _| {
        page.answer(&world.payment_order, |id| {
            world.payments.get(id).map(Payment::view)
        })
    }))
}
