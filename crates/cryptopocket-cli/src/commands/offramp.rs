//! `cryptopocket offramp`: the OffRamp operations (selling crypto).

use clap::Subcommand;
use cryptopocket::{
    model::OffRampId,
    offramp::{NewOffRamp, OffRampQuoteRequest},
};

use super::{Context, ListArgs, record};
use crate::exit::Failure;

/// Selling crypto: quotes and off-ramp operations.
#[derive(Debug, Subcommand)]
pub enum OffRampCommand {
    /// What selling an amount of tokens pays out (Get quote).
    #[command(
        after_help = "Example:\n  cryptopocket offramp quote --amount 100 --symbol USDC --blockchain polygon"
    )]
    Quote(OffRampQuoteRequest),

    /// Start a sale: prints the wallet the customer sends the tokens to (Create OffRamp
    /// Transaction).
    #[command(
        after_help = "Example:\n  cryptopocket offramp create --user-id 100067 --amount 20 --symbol BUSD --blockchain bsc \\\n    --iban ES9121000418450200051332"
    )]
    Create(NewOffRamp),

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
        OffRampCommand::Quote(request) => {
            record(printer, &request, offramp.quote(&request)).await?
        }
        OffRampCommand::Create(sale) => record(printer, &sale, offramp.create(&sale)).await?,
        OffRampCommand::Get { id } => {
            printer.record(&offramp.get(&id).await?)?;
        }
        OffRampCommand::List(list) => {
            printer.list(&list.collect(list.sized(offramp.list()).stream()).await?)?;
        }
    }
    Ok(())
}
