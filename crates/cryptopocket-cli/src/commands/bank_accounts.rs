//! `cryptopocket bank-accounts`: the integration's accounts, their transactions, and
//! reconciling a bank-transfer payment with a transaction.

use chrono::NaiveDate;
use clap::Subcommand;
use cryptopocket::{bank_accounts::NewReconciliation, model::Iban};

use super::{Context, ListArgs, create};
use crate::exit::{Failure, Lookup};

/// A booking date, written YYYY-MM-DD.
fn date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a date written YYYY-MM-DD"))
}

/// The integration's bank accounts, their transactions, and reconciliation.
#[derive(Debug, Subcommand)]
pub enum BankAccountsCommand {
    /// The integration's bank accounts (List bank accounts).
    #[command(after_help = "Example:\n  cryptopocket bank-accounts list")]
    List(ListArgs),

    /// The transactions of one account (List account transactions).
    #[command(
        after_help = "Example:\n  cryptopocket bank-accounts transactions ES9121000418450200051332 --from 2026-04-01 --limit 20"
    )]
    Transactions {
        /// One of the integration's IBANs.
        // Parsed by `Iban`'s `FromStr`: normalised and checksummed before anything is sent.
        iban: Iban,
        /// Only transactions booked on or after this date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE", value_parser = date)]
        from: Option<NaiveDate>,
        /// Only transactions booked on or before this date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE", value_parser = date)]
        to: Option<NaiveDate>,
        /// How many to show, and how many a page.
        #[command(flatten)]
        list: ListArgs,
    },

    /// Tell CryptoPocket that a pending_bank payment was paid by this incoming transaction
    /// (Reconcile payment with bank transaction).
    #[command(
        after_help = "Example:\n  cryptopocket bank-accounts reconcile --payment-id aBcDeFgHiJkLmNoPqRsTuVwXy \\\n    --iban ES9121000418450200051332 --transaction-id tx_123"
    )]
    Reconcile(NewReconciliation),
}

/// Runs a `bank-accounts` subcommand.
pub async fn run(context: &Context, command: BankAccountsCommand) -> Result<(), Failure> {
    let accounts = context.client()?.bank_accounts();
    let printer = &context.printer;
    match command {
        BankAccountsCommand::List(list) => {
            printer.list(&list.collect(list.sized(accounts.list()).stream()).await?)?;
        }
        BankAccountsCommand::Transactions {
            iban,
            from,
            to,
            list,
        } => {
            let mut transactions = list.sized(accounts.transactions(&iban));
            if let Some(from) = from {
                transactions = transactions.booked_from(from);
            }
            if let Some(to) = to {
                transactions = transactions.booked_to(to);
            }
            printer.list(&list.collect(transactions.stream()).await?)?;
        }
        BankAccountsCommand::Reconcile(input) => {
            let lookup = Lookup::Manual(format!(
                "look at transaction {} in `cryptopocket bank-accounts transactions {}` \
                 (its `reconciled` and `payment_id`) before reconciling again",
                input.transaction_id(),
                input.iban()
            ));
            create(printer, &input, lookup, accounts.reconcile(&input)).await?;
        }
    }
    Ok(())
}
