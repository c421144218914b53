//! `cryptopocket-sandbox`: the sandbox as a standalone server.

use clap::Parser;
use cryptopocket_sandbox::{Sandbox, SandboxArgs};

/// A local, stateful CryptoPocket server. Prints the environment a client needs, then
/// serves until Ctrl-C.
#[derive(Debug, Parser)]
#[command(version, after_help = "Example:\n  cryptopocket-sandbox --port 8080")]
struct Args {
    /// The same flags as `cryptopocket sandbox serve`.
    #[command(flatten)]
    sandbox: SandboxArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse().sandbox;
    let sandbox = match Sandbox::start_with(args.config()).await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.address());
            return std::process::ExitCode::from(2);
        }
    };
    println!("{}", sandbox.banner());
    if tokio::signal::ctrl_c().await.is_err() {
        eprintln!("error: cannot wait for Ctrl-C; stopping");
    }
    sandbox.shutdown().await;
    std::process::ExitCode::SUCCESS
}
