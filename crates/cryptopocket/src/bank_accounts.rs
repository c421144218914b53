//! The integration's bank accounts, their transactions, and reconciling payments with them.
//!
//! These are among the newest endpoints; only the transactions path is documented. Results
//! are the generated types (`BankAccount`, `BankAccountTransaction`), whose fields are
//! inferred: amounts are decimal strings there, in major units.

use std::num::NonZeroU64;

use cryptopocket_api::types;
use futures::{FutureExt as _, Stream};

use crate::{
    Client, Error,
    call::Effect,
    convert::required,
    model::{Iban, PaymentId, TransactionId},
    pagination::{self, Page},
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

impl BankAccounts {
    /// One page of List bank accounts (path inferred: `GET /banking/accounts`).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn list_page(&self, page: NonZeroU64) -> Result<Page<types::BankAccount>, Error> {
        let parts = self
            .client
            .call::<types::BankAccountsListResponse, ()>(
                "listBankAccounts",
                Effect::Read,
                move |api| api.list_bank_accounts().page(page).send().boxed(),
            )
            .await?;
        Page::from_parts(pagination::number(page), parts, Ok)
    }

    /// Every bank account, page after page.
    pub fn list(&self) -> impl Stream<Item = Result<types::BankAccount, Error>> + Send + 'static {
        pagination::items("listBankAccounts", self.clone(), |accounts, page| {
            async move { accounts.list_page(page).await }.boxed()
        })
    }

    /// One page of List account transactions (`GET /banking/accounts/{iban}/transactions`).
    /// The IBAN must be one of the integration's (see [`list`](Self::list)).
    ///
    /// # Errors
    ///
    /// An IBAN not assigned to the integration as [`Error::Api`] (inferred 403/404); see
    /// [`Error`].
    pub async fn transactions_page(
        &self,
        iban: &Iban,
        page: NonZeroU64,
    ) -> Result<Page<types::BankAccountTransaction>, Error> {
        let iban = iban.as_str().to_owned();
        let parts = self
            .client
            .call::<types::BankAccountTransactionsResponse, types::IntegrationError>(
                "listBankAccountTransactions",
                Effect::Read,
                move |api| {
                    api.list_bank_account_transactions()
                        .iban(iban.clone())
                        .page(page)
                        .send()
                        .boxed()
                },
            )
            .await?;
        Page::from_parts(pagination::number(page), parts, Ok)
    }

    /// Every transaction of one account, page after page.
    pub fn transactions(
        &self,
        iban: &Iban,
    ) -> impl Stream<Item = Result<types::BankAccountTransaction, Error>> + Send + 'static {
        pagination::items(
            "listBankAccountTransactions",
            (self.clone(), iban.clone()),
            |(accounts, iban), page| {
                async move { accounts.transactions_page(&iban, page).await }.boxed()
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
        required(parts.data, OP)
    }
}
