//! The integration's bank accounts, their transactions, and reconciling payments with them.
//!
//! These are among the newest endpoints; only the transactions path is documented. Every
//! field of [`BankAccount`], [`BankAccountTransaction`] and [`Reconciliation`] is
//! **inferred**: the API sends amounts as decimal strings in major units, which become exact
//! [`Decimal`]s here, digit for digit. For anything else the server sends, call the
//! operation through [`Client::raw`](crate::Client::raw).

use chrono::{DateTime, NaiveDate, Utc};
use cryptopocket_api::{Endpoint as _, Id, endpoints, types};
use futures::FutureExt as _;
use rust_decimal::Decimal;

use crate::{
    Error,
    convert::{FromApi as _, Maybe as _, field, paged, send_body},
    model::{Iban, PaymentId, PaymentStatus, TransactionDirection, TransactionId, money},
    pagination::{List, Page},
};

crate::model::area! {
    /// Bank accounts and reconciliation; from
    /// [`Client::bank_accounts`](crate::Client::bank_accounts).
    pub struct BankAccounts;
    /// The integration's bank accounts, their transactions, and reconciliation.
    pub fn bank_accounts();
}

crate::model::output! {
    /// One of the integration's bank accounts (List bank accounts; **inferred**, only `iban`
    /// is required).
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct BankAccount {
        /// The account's IBAN, as sent (upper case without spaces in every example).
        pub iban: Iban = Iban::from_server(raw.iban),
        /// The BIC of the account's bank, when sent.
        pub bic: Option<String>,
        /// The account holder, when sent.
        pub holder_name: Option<String>,
        /// ISO 4217 currency of the account, e.g. `EUR`, when sent.
        pub currency: Option<String>,
        /// Current balance in major units, exactly as sent (`"1520.35"`), when sent.
        pub balance: Option<Decimal> = amount(op, "data[].balance", raw.balance)?,
        /// State of the account, when sent. No values are documented.
        pub status: Option<String>,
        /// When the account was assigned, when sent.
        pub created_at: Option<DateTime<Utc>> = raw.created_at.map(Into::into),
    }
    fn from_api(op, raw: types::BankAccount);
}

crate::model::output! {
    /// A movement on one of the integration's accounts (List account transactions; the path
    /// is documented, the shape **inferred**: only `id` is required).
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct BankAccountTransaction {
        /// The transaction id, as sent to [`BankAccounts::reconcile`].
        pub id: TransactionId = server_id(raw.id),
        /// Incoming (`credit`) or outgoing (`debit`), when sent.
        pub direction: Option<TransactionDirection> = raw.direction.map(Into::into),
        /// The amount in major units, exactly as sent (`"150.50"`), when sent.
        pub amount: Option<Decimal> = amount(op, "data[].amount", raw.amount)?,
        /// ISO 4217 currency, e.g. `EUR`, when sent.
        pub currency: Option<String>,
        /// The transfer reference as the bank shows it; a transfer payment's `concept` number
        /// should appear in it. When sent.
        pub concept: Option<String>,
        /// Name of the payer or payee, when sent.
        pub counterparty_name: Option<String>,
        /// IBAN of the payer or payee, as sent, when sent.
        pub counterparty_iban: Option<Iban> = raw.counterparty_iban.map(Iban::from_server),
        /// The booking date, when sent.
        pub booking_date: Option<NaiveDate> = booking_date(op, raw.booking_date)?,
        /// The account the transaction belongs to, when sent.
        pub iban: Option<Iban> = raw.iban.map(Iban::from_server),
        /// The payment it was reconciled with; `None` when not reconciled (or not sent).
        pub payment_id: Option<PaymentId> = raw.payment_id.map(PaymentId::from_server),
        /// Whether the transaction is already linked to a payment, when sent.
        pub reconciled: Option<bool>,
        /// When CryptoPocket recorded the transaction, when sent.
        pub created_at: Option<DateTime<Utc>> = raw.created_at.map(Into::into),
    }
    fn from_api(op, raw: types::BankAccountTransaction);
}

crate::model::output! {
    /// The answer of Reconcile payment with bank transaction (**inferred**).
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct Reconciliation {
        /// The reconciled payment.
        pub payment_id: PaymentId = PaymentId::from_server(raw.payment_id),
        /// The payment's new status, e.g. [`PaymentStatus::PaymentReceived`].
        pub status: PaymentStatus,
        /// The bank transaction it was linked to, when sent.
        pub transaction_id: Option<TransactionId> = raw.transaction_id.map(server_id),
    }
    fn from_api(op, raw: types::Reconciliation);
}

crate::model::input! {
    /// A reconciliation for [`BankAccounts::reconcile`] (Reconcile payment with bank
    /// transaction; **inferred**): the `pending_bank` payment, the integration's account that
    /// received the transfer, and the incoming transaction on it (see
    /// [`BankAccounts::transactions`]). Ids passed by reference, as everywhere.
    ///
    /// ```
    /// use cryptopocket::{bank_accounts::NewReconciliation, model::{Iban, PaymentId, TransactionId}};
    ///
    /// let payment = PaymentId::new("aBcDeFgHiJkLmNoPqRsTuVwXy").unwrap();
    /// let iban = Iban::new("ES91 2100 0418 4502 0005 1332").unwrap();
    /// let transaction = TransactionId::new("tx_123").unwrap();
    /// let reconciliation = NewReconciliation::new(&payment, &iban, &transaction);
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct NewReconciliation {
        /// The payment, in pending_bank.
        payment_id: PaymentId,
        /// The account that received the transfer (normalised and checksummed).
        iban: Iban,
        /// The incoming transaction.
        transaction_id: TransactionId,
    }

    /// Reconciles the payment `payment_id` with the transaction `transaction_id` received on
    /// the account `iban`, each checked when it was built.
    pub fn new(payment_id: &PaymentId, iban: &Iban, transaction_id: &TransactionId);

    fn to_api() -> types::ReconcilePaymentRequest;
}

impl NewReconciliation {
    /// The transaction, for looking it up after a failed reconciliation.
    pub fn transaction_id(&self) -> &TransactionId {
        &self.transaction_id
    }

    /// The account, for looking its transactions up after a failed reconciliation.
    pub fn iban(&self) -> &Iban {
        &self.iban
    }
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
        paged!(self, ListBankAccounts, list_bank_accounts)
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
                            crate::convert::boxed(|| {
                                api.list_bank_account_transactions()
                                    .iban(iban.clone())
                                    .page(at.page)
                                    .maybe(at.per_page, |request, n| request.per_page(n))
                                    .maybe(from.clone(), |request, from| request.from(from))
                                    .maybe(to.clone(), |request, to| request.to(to))
                                    .send()
                            })
                        })
                        .await?;
                    Page::from_parts(at.page, parts, |raw| {
                        BankAccountTransaction::from_api(OP, raw)
                    })
                }
                .boxed()
            },
        )
    }

    /// Reconcile payment with bank transaction (path and body inferred): tells CryptoPocket
    /// that a `pending_bank` payment was paid by an incoming transaction. Sent at most once.
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn reconcile(
        &self,
        reconciliation: &NewReconciliation,
    ) -> Result<Reconciliation, Error> {
        send_body!(
            self,
            ReconcilePayment,
            reconcile_payment,
            reconciliation.to_api()?
        )
        .await
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

/// A booking date, `YYYY-MM-DD`; anything else fails the response naming the field.
fn booking_date(op: &'static str, date: Option<String>) -> Result<Option<NaiveDate>, Error> {
    date.map(|date| {
        field(
            op,
            "data[].booking_date",
            NaiveDate::parse_from_str(&date, "%Y-%m-%d").map_err(|_| "not a YYYY-MM-DD date"),
        )
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flags of a command line that flatten the input build what the builder builds,
    /// the IBAN normalised; a mistyped IBAN is refused by the parser, before anything is sent.
    #[cfg(feature = "clap")]
    #[test]
    fn the_flags_build_what_the_builder_builds() {
        use clap::Parser as _;

        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            reconciliation: NewReconciliation,
        }
        let parse = |iban: &str| {
            let flags = [
                "reconcile",
                "--payment-id",
                "aBcDe",
                "--transaction-id",
                "tx_1",
            ];
            let args = flags.into_iter().chain(["--iban", iban]);
            Cli::try_parse_from(args).map(|cli| cli.reconciliation)
        };
        let built = NewReconciliation::new(
            &PaymentId::new("aBcDe").unwrap(),
            &Iban::new("ES9121000418450200051332").unwrap(),
            &TransactionId::new("tx_1").unwrap(),
        );
        assert_eq!(parse("es91 2100 0418 4502 0005 1332").unwrap(), built);
        assert_eq!(built.iban().as_str(), "ES9121000418450200051332");
        assert_eq!(built.transaction_id().as_str(), "tx_1");
        assert!(parse("ES9121000418450200051333").is_err());
    }

    #[test]
    fn amounts_keep_every_digit_and_serialise_as_strings() {
        let raw: types::BankAccountTransaction = serde_json::from_value(serde_json::json!({
            "id": 77, "amount": "1234567890.123456789012345678", "booking_date": "2026-04-30",
            "direction": "credit", "payment_id": "aBcDeFgHiJkLmNoPqRsTuVwXy",
            "counterparty_iban": "ES6867130002530016234794"
        }))
        .unwrap();
        let tx = BankAccountTransaction::from_api(
            endpoints::ListBankAccountTransactions::OPERATION.id,
            raw,
        )
        .unwrap();
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
        let account =
            BankAccount::from_api(endpoints::ListBankAccounts::OPERATION.id, raw).unwrap();
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
        let error = BankAccountTransaction::from_api(
            endpoints::ListBankAccountTransactions::OPERATION.id,
            raw,
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("data[].amount"), "{error}");
        let raw: types::BankAccountTransaction = serde_json::from_value(serde_json::json!({
            "id": "t1", "booking_date": "30/04/2026"
        }))
        .unwrap();
        let error = BankAccountTransaction::from_api(
            endpoints::ListBankAccountTransactions::OPERATION.id,
            raw,
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("data[].booking_date"), "{error}");
    }
}
