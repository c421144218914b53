//! The integration's bank accounts, their transactions, and reconciling payments with them.
//!
//! These are among the newest endpoints; only the transactions path is documented. Every
//! field of [`BankAccount`], [`BankAccountTransaction`] and [`Reconciliation`] is
//! **inferred**: the API sends amounts as decimal strings in major units, which become exact
//! [`Decimal`]s here, digit for digit. For anything else the server sends, call the
//! operation through [`Client::raw`].

use chrono::{DateTime, NaiveDate, Utc};
use cryptopocket_api::{Endpoint as _, Id, Timestamp, endpoints, types};
use futures::FutureExt as _;
use rust_decimal::Decimal;

use crate::{
    Client, Error,
    convert::{created_object, field},
    model::{Iban, PaymentId, PaymentStatus, TransactionDirection, TransactionId, money},
    pagination::{List, Page},
};

/// Bank accounts and reconciliation; from [`Client::bank_accounts`].
#[derive(Debug, Clone)]
pub struct BankAccounts {
    client: Client,
}

crate::client::call_options!(BankAccounts);

impl Client {
    /// The integration's bank accounts, their transactions, and reconciliation.
    pub fn bank_accounts(&self) -> BankAccounts {
        BankAccounts {
            client: self.clone(),
        }
    }
}

/// One of the integration's bank accounts (List bank accounts; **inferred**, only `iban`
/// is required).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct BankAccount {
    /// The account's IBAN, as sent (upper case without spaces in every example).
    pub iban: Iban,
    /// The BIC of the account's bank, when sent.
    pub bic: Option<String>,
    /// The account holder, when sent.
    pub holder_name: Option<String>,
    /// ISO 4217 currency of the account, e.g. `EUR`, when sent.
    pub currency: Option<String>,
    /// Current balance in major units, exactly as sent (`"1520.35"`), when sent.
    pub balance: Option<Decimal>,
    /// State of the account, when sent. No values are documented.
    pub status: Option<String>,
    /// When the account was assigned, when sent.
    pub created_at: Option<DateTime<Utc>>,
}

/// A movement on one of the integration's accounts (List account transactions; the path is
/// documented, the shape **inferred**: only `id` is required).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct BankAccountTransaction {
    /// The transaction id, as sent to [`BankAccounts::reconcile`].
    pub id: TransactionId,
    /// Incoming (`credit`) or outgoing (`debit`), when sent.
    pub direction: Option<TransactionDirection>,
    /// The amount in major units, exactly as sent (`"150.50"`), when sent.
    pub amount: Option<Decimal>,
    /// ISO 4217 currency, e.g. `EUR`, when sent.
    pub currency: Option<String>,
    /// The transfer reference as the bank shows it; a transfer payment's `concept` number
    /// should appear in it. When sent.
    pub concept: Option<String>,
    /// Name of the payer or payee, when sent.
    pub counterparty_name: Option<String>,
    /// IBAN of the payer or payee, as sent, when sent.
    pub counterparty_iban: Option<Iban>,
    /// The booking date, when sent.
    pub booking_date: Option<NaiveDate>,
    /// The account the transaction belongs to, when sent.
    pub iban: Option<Iban>,
    /// The payment it was reconciled with; `None` when not reconciled (or not sent).
    pub payment_id: Option<PaymentId>,
    /// Whether the transaction is already linked to a payment, when sent.
    pub reconciled: Option<bool>,
    /// When CryptoPocket recorded the transaction, when sent.
    pub created_at: Option<DateTime<Utc>>,
}

/// The answer of Reconcile payment with bank transaction (**inferred**).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Reconciliation {
    /// The reconciled payment.
    pub payment_id: PaymentId,
    /// The payment's new status, e.g. [`PaymentStatus::PaymentReceived`].
    pub status: PaymentStatus,
    /// The bank transaction it was linked to, when sent.
    pub transaction_id: Option<TransactionId>,
}

/// The filters of List account transactions: the account and, optionally, the booking
/// dates (both ends inclusive; the `from` and `to` query parameters, inferred). Set them
/// with [`BankAccounts::transactions`] and the methods of its [`List`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransactionFilter {
    iban: Iban,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

impl TransactionFilter {
    /// The `from` and `to` query parameters, `YYYY-MM-DD`; refused when `from` is after `to`.
    fn params(&self) -> Result<(Option<String>, Option<String>), Error> {
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err(Error::InvalidRequest(format!(
                "from ({from}) must not be after to ({to})"
            )));
        }
        let param = |date: Option<NaiveDate>| date.map(|d| d.format("%Y-%m-%d").to_string());
        Ok((param(self.from), param(self.to)))
    }
}

/// The transactions of one account, from [`BankAccounts::transactions`].
///
/// ```no_run
/// use chrono::NaiveDate;
/// use cryptopocket::{Client, model::Iban};
///
/// # async fn run(client: Client, iban: Iban) -> Result<(), cryptopocket::Error> {
/// let april = client
///     .bank_accounts()
///     .transactions(&iban)
///     .booked_from(NaiveDate::from_ymd_opt(2026, 4, 1).unwrap())
///     .booked_to(NaiveDate::from_ymd_opt(2026, 4, 30).unwrap())
///     .per_page(100)
///     .try_collect()
///     .await?;
/// # Ok(())
/// # }
/// ```
impl List<BankAccountTransaction, TransactionFilter> {
    /// Leaves out transactions booked before `date`.
    pub fn booked_from(mut self, date: NaiveDate) -> Self {
        self.filter.from = Some(date);
        self
    }

    /// Leaves out transactions booked after `date`. A date before
    /// [`booked_from`](Self::booked_from) is refused with [`Error::InvalidRequest`] when the
    /// list is fetched, before anything is sent.
    pub fn booked_to(mut self, date: NaiveDate) -> Self {
        self.filter.to = Some(date);
        self
    }
}

impl BankAccounts {
    /// List bank accounts (path inferred: `GET /banking/accounts`): every account of the
    /// integration, a page at a time; see [`List`].
    pub fn list(&self) -> List<BankAccount> {
        List::new::<endpoints::ListBankAccounts>(self.client.clone(), (), |client, (), at| {
            async move {
                const OP: &str = endpoints::ListBankAccounts::OPERATION.id;
                let parts = client
                    .call::<endpoints::ListBankAccounts>(move |api| {
                        let mut request = api.list_bank_accounts().page(at.page);
                        if let Some(per_page) = at.per_page {
                            request = request.per_page(per_page);
                        }
                        request.send().boxed()
                    })
                    .await?;
                Page::from_parts(at.page, parts, |raw| account(OP, raw))
            }
            .boxed()
        })
    }

    /// List account transactions (`GET /banking/accounts/{iban}/transactions`): every
    /// transaction of the account `iban`, which must be one of the integration's (see
    /// [`list`](Self::list)), a page at a time; [`booked_from`](List::booked_from) and
    /// [`booked_to`](List::booked_to) choose the dates. An IBAN not assigned to the
    /// integration is [`Error::Api`] (inferred 403/404).
    pub fn transactions(&self, iban: &Iban) -> List<BankAccountTransaction, TransactionFilter> {
        let filter = TransactionFilter {
            iban: iban.clone(),
            from: None,
            to: None,
        };
        List::new::<endpoints::ListBankAccountTransactions>(
            self.client.clone(),
            filter,
            |client, filter, at| {
                async move {
                    const OP: &str = endpoints::ListBankAccountTransactions::OPERATION.id;
                    let (from, to) = filter.params()?;
                    let iban = filter.iban.as_str().to_owned();
                    let parts = client
                        .call::<endpoints::ListBankAccountTransactions>(move |api| {
                            let mut request = api
                                .list_bank_account_transactions()
                                .iban(iban.clone())
                                .page(at.page);
                            if let Some(per_page) = at.per_page {
                                request = request.per_page(per_page);
                            }
                            if let Some(from) = &from {
                                request = request.from(from.clone());
                            }
                            if let Some(to) = &to {
                                request = request.to(to.clone());
                            }
                            request.send().boxed()
                        })
                        .await?;
                    Page::from_parts(at.page, parts, |raw| transaction(OP, raw))
                }
                .boxed()
            },
        )
    }

    /// Reconcile payment with bank transaction (path and body inferred): tells CryptoPocket
    /// that a `pending_bank` payment was paid by this incoming transaction. Sent at most once.
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn reconcile(
        &self,
        payment_id: &PaymentId,
        iban: &Iban,
        transaction_id: &TransactionId,
    ) -> Result<Reconciliation, Error> {
        const OP: &str = endpoints::ReconcilePayment::OPERATION.id;
        let body = types::ReconcilePaymentRequest {
            payment_id: payment_id.as_str().into(),
            iban: iban.as_str().to_owned(),
            transaction_id: transaction_id.as_str().into(),
        };
        let parts = self
            .client
            .call::<endpoints::ReconcilePayment>(move |api| {
                api.reconcile_payment().body(body.clone()).send().boxed()
            })
            .await?;
        let raw = created_object(parts.data, OP)?;
        Ok(Reconciliation {
            payment_id: PaymentId::from_server(raw.payment_id.into_string()),
            status: PaymentStatus::from(raw.status),
            transaction_id: raw.transaction_id.map(server_id),
        })
    }
}

fn server_id(id: Id) -> TransactionId {
    TransactionId::from_server(id.into_string())
}

/// A decimal string in major units, every digit kept; a value that is not one fails the
/// response with the field's path rather than being guessed at.
fn amount(op: &'static str, path: &str, text: Option<String>) -> Result<Option<Decimal>, Error> {
    text.map(|text| field(op, path, money::parse_decimal(&text)))
        .transpose()
}

fn account(op: &'static str, raw: types::BankAccount) -> Result<BankAccount, Error> {
    Ok(BankAccount {
        balance: amount(op, "data[].balance", raw.balance)?,
        iban: Iban::from_server(raw.iban),
        bic: raw.bic,
        holder_name: raw.holder_name,
        currency: raw.currency,
        status: raw.status,
        created_at: raw.created_at.map(Timestamp::get),
    })
}

fn transaction(
    op: &'static str,
    raw: types::BankAccountTransaction,
) -> Result<BankAccountTransaction, Error> {
    let booking_date = raw
        .booking_date
        .map(|date| {
            field(
                op,
                "data[].booking_date",
                NaiveDate::parse_from_str(&date, "%Y-%m-%d").map_err(|_| "not a YYYY-MM-DD date"),
            )
        })
        .transpose()?;
    Ok(BankAccountTransaction {
        amount: amount(op, "data[].amount", raw.amount)?,
        booking_date,
        id: server_id(raw.id),
        direction: raw.direction.map(TransactionDirection::from),
        currency: raw.currency,
        concept: raw.concept,
        counterparty_name: raw.counterparty_name,
        counterparty_iban: raw.counterparty_iban.map(Iban::from_server),
        iban: raw.iban.map(Iban::from_server),
        payment_id: raw
            .payment_id
            .map(|id| PaymentId::from_server(id.into_string())),
        reconciled: raw.reconciled,
        created_at: raw.created_at.map(Timestamp::get),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_keep_every_digit_and_serialise_as_strings() {
        let raw: types::BankAccountTransaction = serde_json::from_value(serde_json::json!({
            "id": 77, "amount": "1234567890.123456789012345678", "booking_date": "2026-04-30",
            "direction": "credit", "payment_id": "aBcDeFgHiJkLmNoPqRsTuVwXy",
            "counterparty_iban": "ES6867130002530016234794"
        }))
        .unwrap();
        let tx = transaction(endpoints::ListBankAccountTransactions::OPERATION.id, raw).unwrap();
        assert_eq!(tx.id.as_str(), "77");
        assert_eq!(tx.direction, Some(TransactionDirection::Credit));
        let json = serde_json::to_value(&tx).unwrap();
        assert_eq!(json["amount"], "1234567890.123456789012345678");
        assert_eq!(json["booking_date"], "2026-04-30");
        assert_eq!(json["payment_id"], "aBcDeFgHiJkLmNoPqRsTuVwXy");

        let raw: types::BankAccount = serde_json::from_value(serde_json::json!({
            "iban": "ES6867130002530016234794", "balance": "1520.350"
        }))
        .unwrap();
        let account = account(endpoints::ListBankAccounts::OPERATION.id, raw).unwrap();
        assert_eq!(
            serde_json::to_value(&account).unwrap()["balance"],
            "1520.350"
        );
    }

    #[test]
    fn a_misshapen_amount_or_date_names_the_field() {
        let raw: types::BankAccountTransaction = serde_json::from_value(serde_json::json!({
            "id": "t1", "amount": "1.234,56"
        }))
        .unwrap();
        let error = transaction(endpoints::ListBankAccountTransactions::OPERATION.id, raw)
            .unwrap_err()
            .to_string();
        assert!(error.contains("data[].amount"), "{error}");
        let raw: types::BankAccountTransaction = serde_json::from_value(serde_json::json!({
            "id": "t1", "booking_date": "30/04/2026"
        }))
        .unwrap();
        let error = transaction(endpoints::ListBankAccountTransactions::OPERATION.id, raw)
            .unwrap_err()
            .to_string();
        assert!(error.contains("data[].booking_date"), "{error}");
    }
}
