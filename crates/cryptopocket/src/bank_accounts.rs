//! The integration's bank accounts, their transactions, and reconciling payments with them.
//!
//! These are among the newest endpoints; only the transactions path is documented. Results
//! are the generated types (`BankAccount`, `BankAccountTransaction`), whose fields are
//! inferred: amounts are decimal strings there, in major units.

use std::num::NonZeroU64;

use chrono::NaiveDate;
use cryptopocket_api::types;
use futures::{FutureExt as _, Stream};

use crate::{
    Client, Error,
    call::Effect,
    convert::created_object,
    model::{Iban, PaymentId, TransactionId},
    pagination::{self, ListOptions, Page},
};

/// Bank accounts and reconciliation; from [`Client::bank_accounts`].
#[derive(Debug, Clone)]
pub struct BankAccounts {
    client: Client,
}

impl Client {
    /// The integration's bank accounts, their transactions, and reconciliation.
    pub fn bank_accounts(&self) -> BankAccounts {
        BankAccounts {
            client: self.clone(),
        }
    }
}

/// Which booking dates List account transactions includes, both ends inclusive (the
/// `from` and `to` query parameters, inferred). The default is every date.
///
/// ```
/// use chrono::NaiveDate;
/// use cryptopocket::bank_accounts::BookingDates;
///
/// let april = BookingDates {
///     from: NaiveDate::from_ymd_opt(2026, 4, 1),
///     to: NaiveDate::from_ymd_opt(2026, 4, 30),
/// };
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BookingDates {
    /// Leaves out transactions booked before this date.
    pub from: Option<NaiveDate>,
    /// Leaves out transactions booked after this date. A date before `from` is refused with
    /// [`Error::InvalidRequest`] when the list is called, before anything is sent.
    pub to: Option<NaiveDate>,
}

impl BookingDates {
    /// The `from` and `to` query parameters, `YYYY-MM-DD`; refused when `from` is after `to`.
    fn params(self) -> Result<(Option<String>, Option<String>), Error> {
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

impl BankAccounts {
    /// One page of List bank accounts (path inferred: `GET /banking/accounts`), at the
    /// server's default page size; see [`list_page_with`](Self::list_page_with).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn list_page(&self, page: NonZeroU64) -> Result<Page<types::BankAccount>, Error> {
        self.list_page_with(page, ListOptions::default()).await
    }

    /// One page of List bank accounts, `options.per_page` items long.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for a page size out of range; see [`Error`].
    pub async fn list_page_with(
        &self,
        page: NonZeroU64,
        options: ListOptions,
    ) -> Result<Page<types::BankAccount>, Error> {
        let per_page = options.per_page_param()?;
        let parts = self
            .client
            .call::<types::BankAccountsListResponse, ()>(
                "listBankAccounts",
                Effect::Read,
                move |api| {
                    let mut request = api.list_bank_accounts().page(page);
                    if let Some(per_page) = per_page {
                        request = request.per_page(per_page);
                    }
                    request.send().boxed()
                },
            )
            .await?;
        Page::from_parts(pagination::number(page), parts, Ok)
    }

    /// Every bank account, page after page, at the server's default page size; see
    /// [`list_with`](Self::list_with).
    pub fn list(&self) -> impl Stream<Item = Result<types::BankAccount, Error>> + Send + 'static {
        self.list_with(ListOptions::default())
    }

    /// Every bank account, page after page, `options.per_page` a page. A page size out of
    /// range is the stream's only item, [`Error::InvalidRequest`].
    pub fn list_with(
        &self,
        options: ListOptions,
    ) -> impl Stream<Item = Result<types::BankAccount, Error>> + Send + 'static {
        pagination::items(
            "listBankAccounts",
            (self.clone(), options),
            |(accounts, options), page| {
                async move { accounts.list_page_with(page, options).await }.boxed()
            },
        )
    }

    /// One page of List account transactions (`GET /banking/accounts/{iban}/transactions`),
    /// every date, at the server's default page size; see
    /// [`transactions_page_with`](Self::transactions_page_with).
    ///
    /// # Errors
    ///
    /// See [`transactions_page_with`](Self::transactions_page_with).
    pub async fn transactions_page(
        &self,
        iban: &Iban,
        page: NonZeroU64,
    ) -> Result<Page<types::BankAccountTransaction>, Error> {
        self.transactions_page_with(iban, page, BookingDates::default(), ListOptions::default())
            .await
    }

    /// One page of List account transactions booked on `dates`, `options.per_page` items
    /// long. The IBAN must be one of the integration's (see [`list`](Self::list)).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for a page size out of range or `from` after `to`; an IBAN
    /// not assigned to the integration as [`Error::Api`] (inferred 403/404); see [`Error`].
    pub async fn transactions_page_with(
        &self,
        iban: &Iban,
        page: NonZeroU64,
        dates: BookingDates,
        options: ListOptions,
    ) -> Result<Page<types::BankAccountTransaction>, Error> {
        let per_page = options.per_page_param()?;
        let (from, to) = dates.params()?;
        let iban = iban.as_str().to_owned();
        let parts = self
            .client
            .call::<types::BankAccountTransactionsResponse, types::IntegrationError>(
                "listBankAccountTransactions",
                Effect::Read,
                move |api| {
                    let mut request = api
                        .list_bank_account_transactions()
                        .iban(iban.clone())
                        .page(page);
                    if let Some(per_page) = per_page {
                        request = request.per_page(per_page);
                    }
                    if let Some(from) = &from {
                        request = request.from(from.clone());
                    }
                    if let Some(to) = &to {
                        request = request.to(to.clone());
                    }
                    request.send().boxed()
                },
            )
            .await?;
        Page::from_parts(pagination::number(page), parts, Ok)
    }

    /// Every transaction of one account, page after page, at the server's default page
    /// size; see [`transactions_with`](Self::transactions_with).
    pub fn transactions(
        &self,
        iban: &Iban,
    ) -> impl Stream<Item = Result<types::BankAccountTransaction, Error>> + Send + 'static {
        self.transactions_with(iban, BookingDates::default(), ListOptions::default())
    }

    /// Every transaction of one account booked on `dates`, page after page,
    /// `options.per_page` a page. Input refused before sending (see
    /// [`transactions_page_with`](Self::transactions_page_with)) is the stream's only item.
    pub fn transactions_with(
        &self,
        iban: &Iban,
        dates: BookingDates,
        options: ListOptions,
    ) -> impl Stream<Item = Result<types::BankAccountTransaction, Error>> + Send + 'static {
        pagination::items(
            "listBankAccountTransactions",
            (self.clone(), iban.clone(), dates, options),
            |(accounts, iban, dates, options), page| {
                async move {
                    accounts
                        .transactions_page_with(&iban, page, dates, options)
                        .await
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
    ) -> Result<types::Reconciliation, Error> {
        const OP: &str = "reconcilePayment";
        let body = types::ReconcilePaymentRequest {
            payment_id: payment_id.as_str().to_owned(),
            iban: iban.as_str().to_owned(),
            transaction_id: transaction_id.as_str().to_owned(),
        };
        let parts = self
            .client
            .call::<types::ReconcilePaymentSuccessResponse, types::IntegrationError>(
                OP,
                Effect::Create,
                move |api| api.reconcile_payment().body(body.clone()).send().boxed(),
            )
            .await?;
        created_object(parts.data, OP)
    }
}
