//! `cryptopocket kyc`: Retrieve KYC/KYB verification status and Create enhanced verification
//! link.

use clap::Subcommand;
use cryptopocket::model::UserId;

use super::Context;
use crate::exit::Failure;

/// A customer's KYC/KYB status and the enhanced verification link.
#[derive(Debug, Subcommand)]
pub enum KycCommand {
    /// Where a customer's KYC (or a company's KYB) stands: unused, processing, valid or fail.
    #[command(after_help = "Example:\n  cryptopocket kyc status 100067")]
    Status {
        /// The customer id.
        user_id: UserId,
    },

    /// A link to the enhanced verification, which raises a customer's limits (the answer to
    /// kyc_reinforced_required).
    #[command(after_help = "Example:\n  cryptopocket kyc enhanced-link 100067")]
    EnhancedLink {
        /// The customer id.
        user_id: UserId,
    },
}

/// Runs a `kyc` subcommand.
pub async fn run(context: &Context, command: KycCommand) -> Result<(), Failure> {
    let kyc = context.client()?.kyc();
    match command {
        KycCommand::Status { user_id } => {
            context.printer.record(&kyc.get(&user_id).await?)?;
        }
        KycCommand::EnhancedLink { user_id } => {
            let link = kyc.create_link(&user_id).await?;
            context.printer.record(&link)?;
        }
    }
    Ok(())
}
