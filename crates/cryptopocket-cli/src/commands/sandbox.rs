//! `cryptopocket sandbox serve`: the local sandbox (`cryptopocket-sandbox`), standalone:
//! fixed credentials and a clock that runs by itself.

use std::net::{Ipv4Addr, SocketAddr};

use clap::Subcommand;
use cryptopocket_sandbox::{Sandbox, SandboxConfig};
use serde_json::json;

use super::Context;
use crate::exit::Failure;

/// Run the local sandbox server.
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the sandbox API on 127.0.0.1 with fixed credentials and a real-time clock; prints
    /// the environment variables to export. Stops on ctrl-c.
    #[command(after_help = "Example:\n  cryptopocket sandbox serve --port 8080")]
    Serve {
        /// The port (0 picks a free one).
        #[arg(long, default_value = "8080")]
        port: u16,
    },
}

/// Runs a `sandbox` subcommand.
pub async fn run(context: &Context, command: SandboxCommand) -> Result<(), Failure> {
    match command {
        SandboxCommand::Serve { port } => {
            let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            let sandbox = Sandbox::start_with(SandboxConfig::standalone(address))
                .await
                .map_err(|e| {
                    Failure::usage(format!("cannot start the sandbox on {address}: {e}"))
                        .detail("choose another --port (0 picks a free one)")
                })?;
            context.printer.line(
                sandbox.banner().trim_end(),
                &json!({
                    "base_url": sandbox.base_url(),
                    "api_key": sandbox.api_key(),
                    "api_secret": sandbox.api_secret(),
                }),
            );
            let stopped = tokio::signal::ctrl_c().await;
            sandbox.shutdown().await;
            stopped.map_err(|e| Failure::unreachable(format!("cannot wait for ctrl-c: {e}")))
        }
    }
}
