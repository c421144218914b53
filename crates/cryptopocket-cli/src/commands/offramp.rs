//! `cryptopocket offramp`: the OffRamp operations (selling crypto).

use clap::Subcommand;
use cryptopocket::{
    model::{OffRampId, UserId},
    offramp::{NewOffRamp, OffRampQuoteRequest},
};
use rust_decimal::Decimal;

use super::{Context, ListArgs};
use crate::exit::Failure;

/// Selling crypto: quotes and off-ramp operations.
#[derive(Debug, Subcommand)]
pub enum OffRampCommand {
    /// What selling an amount of tokens pays out (Get quote).
    #[command(
        after_help = "Example:\n  cryptopocket offramp quote --amount 100 --symbol USDC --blockchain polygon"
    )]
    Quote {
        /// Tokens to sell, in whole tokens.
        #[arg(long)]
        amount: Decimal,
        /// The token, e.g. USDC.
        #[arg(long)]
        symbol: String,
        /// Its chain.
        #[arg(long)]
        blockchain: Option<String>,
    },

    /// Start a sale: prints the wallet the customer sends the tokens to (Create OffRamp
    /// Transaction).
    #[command(
        after_help = "Example:\n  cryptopocket offramp create --user-id 100067 --amount 20 --symbol BUSD --blockchain bsc \\\n    --iban ES9121000418450200051332"
    )]
    Create {
        /// The customer who sells.
        #[arg(long)]
        user_id: UserId,
        /// Tokens to sell, in whole tokens.
        #[arg(long)]
        amount: Decimal,
        /// The token, e.g. BUSD.
        #[arg(long)]
        symbol: String,
        /// The chain the tokens come from (not needed for LATAM).
        #[arg(long)]
        blockchain: Option<String>,
        /// The payout IBAN (not needed for LATAM).
        #[arg(long)]
        iban: Option<String>,
        /// The payout bank (LATAM only).
        #[arg(long)]
        bank_name: Option<String>,
    },

    /// One off-ramp operation (Retrieve off-ramp transaction status).
    #[command(after_help = "Example:\n  cryptopocket offramp get 6f1c2a")]
    Get {
        /// The off-ramp id.
        id: OffRampId,
    },

    /// Every off-ramp operation (List off-ramp transactions).
    #[command(after_help = "Example:\n  cryptopocket offramp list --limit 20")]
    List(ListArgs),
}

/// Runs an `offramp` subcommand.
pub async fn run(context: &Context, command: OffRampCommand) -> Result<(), Failure> {
    let offramp = context.client()?.offramp();
    let printer = &context.printer;
    match command {
        OffRampCommand::Quote {
            amount,
            symbol,
            blockchain,
        } => {
            let mut request = OffRampQuoteRequest::new(amount, symbol);
            if let Some(blockchain) = blockchain {
                request = request.blockchain(blockchain);
            }
            let quote = offramp.quote(&request).await?;
            printer.record(&quote)?;
        }
        OffRampCommand::Create {
            user_id,
            amount,
            symbol,
            blockchain,
            iban,
            bank_name,
        } => {
            let mut sale = NewOffRamp::new(&user_id, amount, symbol);
            if let Some(blockchain) = blockchain {
                sale = sale.blockchain(blockchain);
            }
            if let Some(iban) = iban {
                sale = sale.iban(iban);
            }
            if let Some(bank_name) = bank_name {
                sale = sale.bank_name(bank_name);
            }
            printer.record(&offramp.create(&sale).await?)?;
        }
        OffRampCommand::Get { id } => {
            printer.record(&offramp.get(&id).await?)?;
        }
        OffRampCommand::List(list) => {
            printer.list(&list.collect(list.sized(offramp.list()).stream()).await?)?;
        }
    }
    Ok(())
}
