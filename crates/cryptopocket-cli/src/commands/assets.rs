//! `cryptopocket assets`: Get Available Assets and Token Price.

use clap::Subcommand;
use cryptopocket::assets::TokenPriceRequest;

use super::{Context, record};
use crate::exit::Failure;

/// Supported coins and chains, and token prices.
#[derive(Debug, Subcommand)]
pub enum AssetsCommand {
    /// The coin and chain pairs payments accept (Get Available Assets).
    #[command(after_help = "Example:\n  cryptopocket assets list")]
    List,

    /// The price of one token (Token Price).
    #[command(after_help = "Example:\n  cryptopocket assets price --symbol USDC --chain polygon")]
    Price(TokenPriceRequest),
}

/// Runs an `assets` subcommand.
pub async fn run(context: &Context, command: AssetsCommand) -> Result<(), Failure> {
    let assets = context.client()?.assets();
    match command {
        AssetsCommand::List => {
            let list = assets.list().await?;
            context.printer.list(&list)?;
        }
        AssetsCommand::Price(request) => {
            record(&context.printer, &request, assets.token_price(&request)).await?;
        }
    }
    Ok(())
}
