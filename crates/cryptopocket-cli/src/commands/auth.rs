//! `cryptopocket auth check`: Authentication, on its own, to check the credentials up front.

use clap::Subcommand;
use serde_json::json;

use super::Context;
use crate::exit::Failure;

/// Check the API key and secret.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Authenticate now and say whether the API accepts the key and secret from this machine
    /// (Authentication). Prints neither the secret nor the session token.
    #[command(after_help = "Example:\n  cryptopocket auth check")]
    Check,
}

/// Runs an `auth` subcommand.
pub async fn run(context: &Context, command: AuthCommand) -> Result<(), Failure> {
    match command {
        AuthCommand::Check => {
            let client = context.client()?;
            client.authenticate().await?;
            let (base_url, api_key) = (client.base_url(), client.api_key());
            context.printer.message(
                &format!("authenticated: {base_url} accepts the API key {api_key}"),
                &json!({"authenticated": true, "base_url": base_url, "api_key": api_key}),
            );
        }
    }
    Ok(())
}
