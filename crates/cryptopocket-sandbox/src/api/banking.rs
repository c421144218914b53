//! Bank Accounts: the integration's accounts, their transactions, and reconciling a
//! `pending_bank` payment with an incoming transfer.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;

use crate::input::{Fields, JsonBody, PathParam, Query};
use crate::reply::{Answer, Fail, fail, object, ok};
use crate::server::AppState;
use crate::world::{BankAccount, PayStatus, World};

use super::paging::PageRequest;

/// The calling integration's account, or 404 / 403.
fn own_account<'w>(world: &'w World, iban: &str) -> Result<&'w BankAccount, Fail> {
    let shown: String = iban.chars().take(34).collect();
    match world.account(iban) {
        None => Err(fail!(
            NOT_FOUND,
            "account_not_found",
            "no bank account {shown}; see GET /banking/accounts"
        )),
        Some(a) if a.foreign => Err(fail!(
            FORBIDDEN,
            "account_not_in_integration",
            "bank account {shown} belongs to another integration"
        )),
        Some(a) => Ok(a),
    }
}

/// `GET /banking/accounts`.
pub(crate) async fn accounts(State(app): State<AppState>, page: PageRequest) -> Answer {
    Ok(app.shared.world(|world, _| {
        let own: Vec<&BankAccount> = world.accounts.iter().filter(|a| !a.foreign).collect();
        page.answer(&own, |a| Some(a.view()))
    }))
}

/// `GET /banking/accounts/{iban}/transactions`: newest first, optionally between two
/// booking dates (inclusive).
pub(crate) async fn transactions(
    State(app): State<AppState>,
    PathParam(iban): PathParam,
    Query(q): Query,
) -> Answer {
    let iban = iban.ok_or_else(|| {
        fail!(
            NOT_FOUND,
            "account_not_found",
            "the IBAN in the path does not percent-decode to UTF-8"
        )
    })?;
    let request = PageRequest::read(&q)?;
    let from = date(&q, "from")?;
    let to = date(&q, "to")?;
    app.shared.world(|world, _| {
        let account = own_account(world, &iban)?;
        let matching: Vec<_> = account
            .transactions
            .iter()
            .rev()
            .filter(|t| {
                let day = t.created_at.date_naive();
                from.is_none_or(|f| day >= f) && to.is_none_or(|t| day <= t)
            })
            .collect();
        Ok(request.answer(&matching, |t| Some(t.view())))
    })
}

fn date(q: &Fields, field: &str) -> Result<Option<NaiveDate>, Fail> {
    q.text(field)?
        .map(|d| {
            NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| {
                fail!(
                    "invalid_parameter",
                    "`{field}` must be a date written YYYY-MM-DD"
                )
            })
        })
        .transpose()
}

/// `POST /banking/reconcile`: links a `pending_bank` payment to the incoming transfer that
/// paid it; the payment is received at once and the coins follow on schedule.
pub(crate) async fn reconcile(State(app): State<AppState>, JsonBody(f): JsonBody) -> Answer {
    let required = |field: &str| {
        f.required_text(field)
            .map_err(|fail| fail.with_status(StatusCode::UNPROCESSABLE_ENTITY))
    };
    let payment_id = required("payment_id")?;
    let iban = required("iban")?;
    let transaction_id = required("transaction_id")?;
    app.shared.world(|world, now| {
        let account = own_account(world, &iban)?;
        let tx = account
            .transactions
            .iter()
            .find(|t| t.id == transaction_id)
            .ok_or_else(|| {
                fail!(
                    NOT_FOUND,
                    "transaction_not_found",
                    "no transaction with that id on this account"
                )
            })?;
        let payment = world
            .payments
            .get(&payment_id)
            .ok_or_else(|| fail!(NOT_FOUND, "payment_not_found", "no payment with that id"))?;
        if payment.status != PayStatus::PendingBank {
            return Err(fail!(
                UNPROCESSABLE_ENTITY,
                "payment_not_pending_bank",
                "only a pending_bank payment can be reconciled; this one is {}",
                payment.status.as_str()
            ));
        }
        if let Some(other) = &tx.payment_id {
            let other: String = other.chars().take(25).collect();
            return Err(fail!(
                UNPROCESSABLE_ENTITY,
                "transaction_already_reconciled",
                "the transaction already pays payment {other}"
            ));
        }
        if !tx.credit || tx.amount != payment.fiat_amount || tx.currency != payment.fiat_symbol {
            return Err(fail!(
                UNPROCESSABLE_ENTITY,
                "amount_mismatch",
                "the transaction is {} {:.2} {}, the payment {:.2} {}",
                if tx.credit {
                    "a credit of"
                } else {
                    "a debit of"
                },
                tx.amount,
                tx.currency,
                payment.fiat_amount,
                payment.fiat_symbol
            ));
        }
        let iban = account.iban.clone();
        if let Some(account) = world.account_mut(&iban)
            && let Some(tx) = account
                .transactions
                .iter_mut()
                .find(|t| t.id == transaction_id)
        {
            tx.payment_id = Some(payment_id.clone());
        }
        world.mark_paid(&payment_id, now);
        Ok(ok(object! {
            "payment_id": payment_id,
            "status": PayStatus::PaymentReceived.as_str(),
            "transaction_id": transaction_id,
        }))
    })
}
