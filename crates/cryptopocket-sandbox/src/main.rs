//! `cryptopocket-sandbox`: the sandbox as a standalone server.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::Parser;
use cryptopocket_sandbox::{Sandbox, SandboxConfig, Schedule};

/// A local, stateful CryptoPocket server. Prints the environment a client needs, then
/// serves until Ctrl-C.
#[derive(Debug, Parser)]
#[command(version, after_help = "Example:\n  cryptopocket-sandbox --port 8080")]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// The API key to accept.
    #[arg(long, default_value = SandboxConfig::STANDALONE_API_KEY)]
    api_key: String,
    /// The API secret to accept (and sign webhooks with).
    #[arg(long, default_value = SandboxConfig::STANDALONE_API_SECRET)]
    api_secret: String,
    /// Token lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    token_ttl: u64,
    /// Every scheduled step (KYC, payment, off-ramp) takes this many seconds instead of
    /// the default schedule.
    #[arg(long)]
    step_seconds: Option<u64>,
    /// Connections served at once; more wait, unanswered, until one closes [default: 1024].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: Option<u32>,
    /// Seconds a client may take to send a request head (or stay idle between two requests
    /// on one connection) before it is disconnected [default: 10].
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    header_timeout: Option<u64>,

    /// Seconds a client may take, once its request head is in, to send the body and be
    /// answered before it gets HTTP 408 and is disconnected [default: 30].
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    request_timeout: Option<u64>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let mut config = SandboxConfig::standalone(SocketAddr::new(args.host, args.port));
    config.api_key = args.api_key;
    config.api_secret = args.api_secret;
    config.token_ttl = Duration::from_secs(args.token_ttl);
    if let Some(step) = args.step_seconds {
        config.schedule = Schedule::uniform(Duration::from_secs(step));
    }
    if let Some(max) = args.max_connections {
        config.limits.max_connections = usize::try_from(max).unwrap_or(usize::MAX);
    }
    if let Some(seconds) = args.header_timeout {
        config.limits.header_timeout = Duration::from_secs(seconds);
    }
    if let Some(seconds) = args.request_timeout {
        config.limits.request_timeout = Duration::from_secs(seconds);
    }
    let sandbox = match Sandbox::start_with(config).await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("error: cannot listen on {}:{}: {e}", args.host, args.port);
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
