//! `cryptopocket bank-accounts`: the integration's accounts, their transactions, and
//! reconciling a bank-transfer payment with a transaction.

use clap::Subcommand;
use cryptopocket::model::{Iban, PaymentId, TransactionId};

use super::{Context, Limit};
use crate::exit::Failure;

/// An IBAN, normalised and checksummed before anything is sent.
fn iban(text: &str) -> Result<Iban, String> {
    Iban::new(text).map_err(|e| e.to_string())
}

/// The integration's bank accounts, their transactions, and reconciliation.
#[derive(Debug, Subcommand)]
pub enum BankAccountsCommand {
    /// The integration's bank accounts (List bank accounts).
    #[command(after_help = "Example:\n  cryptopocket bank-accounts list")]
    List(Limit),

    /// The transactions of one account (List account transactions).
    #[command(
        after_help = "Example:\n  cryptopocket bank-accounts transactions ES9121000418450200051332 --limit 20"
    )]
    Transactions {
        /// One of the integration's IBANs.
        #[arg(value_parser = iban)]
        iban: Iban,
        /// How many to show.
        #[command(flatten)]
        limit: Limit,
    },

    /// Tell CryptoPocket that a pending_bank payment was paid by this incoming transaction
    /// (Reconcile payment with bank transaction).
    #[command(
        after_help = "Example:\n  cryptopocket bank-accounts reconcile --payment-id aBcDeFgHiJkLmNoPqRsTuVwXy \\\n    --iban ES9121000418450200051332 --transaction-id tx_123"
    )]
    Reconcile {
        /// The payment, in pending_bank.
        #[arg(long)]
        payment_id: PaymentId,
        /// The account that received the transfer.
        #[arg(long, value_parser = iban)]
        iban: Iban,
        /// The incoming transaction.
        #[arg(long)]
        transaction_id: TransactionId,
    },
}

/// Runs a `bank-accounts` subcommand.
pub async fn run(context: &Context, command: BankAccountsCommand) -> Result<(), Failure> {
    let accounts = context.client()?.bank_accounts();
    let printer = &context.printer;
    match command {
        BankAccountsCommand::List(limit) => {
            printer.list(&limit.collect(accounts.list()).await?);
        }
        BankAccountsCommand::Transactions { iban, limit } => {
            printer.list(&limit.collect(accounts.transactions(&iban)).await?);
        }
        BankAccountsCommand::Reconcile {
            payment_id,
            iban,
            transaction_id,
        } => {
            let reconciliation = accounts
                .reconcile(&payment_id, &iban, &transaction_id)
                .await?;
            printer.record(&reconciliation);
        }
    }
    Ok(())
}
