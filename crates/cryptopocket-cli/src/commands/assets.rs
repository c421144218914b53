//! `cryptopocket assets`: Get Available Assets and Token Price.

use clap::Subcommand;
use cryptopocket::assets::TokenPriceRequest;

use super::Context;
use crate::exit::Failure;

/// Supported coins and chains, and token prices.
#[derive(Debug, Subcommand)]
pub enum AssetsCommand {
    /// The coin and chain pairs payments accept (Get Available Assets).
    #[command(after_help = "Example:\n  cryptopocket assets list")]
    List,

    /// The price of one token (Token Price).
    #[command(after_help = "Example:\n  cryptopocket assets price --symbol USDC --chain polygon")]
    Price {
        /// The token, e.g. USDC.
        #[arg(long)]
        symbol: String,
        /// Its chain, e.g. polygon.
        #[arg(long)]
        chain: Option<String>,
        /// The currency of the price, e.g. EUR.
        #[arg(long, value_name = "CURRENCY")]
        fiat_symbol: Option<String>,
    },
}

/// Runs an `assets` subcommand.
pub async fn run(context: &Context, command: AssetsCommand) -> Result<(), Failure> {
    let assets = context.client()?.assets();
    match command {
        AssetsCommand::List => {
            let list = assets.available().await?;
            context.printer.list(&list)?;
        }
        AssetsCommand::Price {
            symbol,
            chain,
            fiat_symbol,
        } => {
            let mut request = TokenPriceRequest::new(symbol);
            if let Some(chain) = chain {
                request = request.chain(chain);
            }
            if let Some(fiat_symbol) = fiat_symbol {
                request = request.fiat_symbol(fiat_symbol);
            }
            let price = assets.token_price(&request).await?;
            context.printer.record(&price)?;
        }
    }
    Ok(())
}
