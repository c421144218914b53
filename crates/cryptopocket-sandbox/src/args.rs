//! [`SandboxArgs`]: the one set of command-line flags of a standalone sandbox, shared by the
//! `cryptopocket-sandbox` binary and `cryptopocket sandbox serve`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::config::{SandboxConfig, Schedule};

/// The flags of a standalone sandbox: where it listens, the credentials it accepts, its
/// schedule, its connection limits and the webhook drills. Both front ends flatten this struct
/// (`#[command(flatten)]`), so they take the same flags with the same defaults.
///
/// ```
/// use clap::Parser;
/// use cryptopocket_sandbox::SandboxArgs;
///
/// #[derive(Parser)]
/// struct Cli {
///     #[command(flatten)]
///     sandbox: SandboxArgs,
/// }
///
/// let cli = Cli::parse_from(["serve", "--port", "0", "--step-seconds", "1"]);
/// let config = cli.sandbox.config();
/// assert_eq!(config.addr.port(), 0);
/// assert_eq!(config.api_key, "sandbox_api_key");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
#[non_exhaustive]
pub struct SandboxArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub host: IpAddr,
    /// The API key to accept.
    #[arg(long, value_name = "KEY", default_value = SandboxConfig::STANDALONE_API_KEY)]
    pub api_key: String,
    /// The API secret to accept (and sign webhooks with).
    #[arg(long, value_name = "SECRET", default_value = SandboxConfig::STANDALONE_API_SECRET)]
    pub api_secret: String,
    /// Token lifetime in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub token_ttl: u64,
    /// Every scheduled step (KYC, payment, off-ramp) takes this many seconds instead of
    /// the default schedule.
    #[arg(long, value_name = "SECONDS")]
    pub step_seconds: Option<u64>,
    /// Connections served at once; more wait, unanswered, until one closes [default: 1024].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,
    /// Seconds a client may take to send a request head (or stay idle between two requests
    /// on one connection) before it is disconnected [default: 10].
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub header_timeout: Option<u64>,
    /// Seconds a client may take, once its request head is in, to send the body and be
    /// answered before it gets HTTP 408 and is disconnected [default: 30].
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub request_timeout: Option<u64>,
    /// Also deliver every event to URL, beside the URLs subscribed through the API
    /// (repeatable). A sandbox feature for drills; the API keeps one URL per event type.
    #[arg(long = "webhook-url", value_name = "URL", value_parser = http_url)]
    pub webhook_urls: Vec<String>,
    /// Deliver every webhook twice in a row, to drill a receiver's duplicate handling
    /// (`cryptopocket sandbox deliver-twice off` stops it).
    #[arg(long)]
    pub deliver_twice: bool,
}

/// `--webhook-url`'s check: an http or https URL with a host.
fn http_url(text: &str) -> Result<String, String> {
    crate::webhooks::check_url(text).map(|()| text.to_owned())
}

impl Default for SandboxArgs {
    /// What an empty command line gives: port 8080 on loopback, the standalone credentials.
    fn default() -> Self {
        SandboxArgs {
            port: 8080,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            api_key: SandboxConfig::STANDALONE_API_KEY.to_owned(),
            api_secret: SandboxConfig::STANDALONE_API_SECRET.to_owned(),
            token_ttl: 3600,
            step_seconds: None,
            max_connections: None,
            header_timeout: None,
            request_timeout: None,
            webhook_urls: Vec::new(),
            deliver_twice: false,
        }
    }
}

impl SandboxArgs {
    /// Where the sandbox listens: `--host` and `--port`.
    pub fn address(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }

    /// The configuration these flags describe: [`SandboxConfig::standalone`] (a clock that
    /// runs by itself) with every flag given applied.
    pub fn config(&self) -> SandboxConfig {
        let mut config = SandboxConfig::standalone(self.address());
        config.api_key.clone_from(&self.api_key);
        config.api_secret.clone_from(&self.api_secret);
        config.token_ttl = Duration::from_secs(self.token_ttl);
        if let Some(step) = self.step_seconds {
            config.schedule = Schedule::uniform(Duration::from_secs(step));
        }
        if let Some(max) = self.max_connections {
            config.limits.max_connections = usize::try_from(max).unwrap_or(usize::MAX);
        }
        if let Some(seconds) = self.header_timeout {
            config.limits.header_timeout = Duration::from_secs(seconds);
        }
        if let Some(seconds) = self.request_timeout {
            config.limits.request_timeout = Duration::from_secs(seconds);
        }
        config.webhook_urls.clone_from(&self.webhook_urls);
        config.deliver_twice = self.deliver_twice;
        config
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::config::{ClockMode, Limits};

    #[derive(Debug, Parser)]
    struct Front {
        #[command(flatten)]
        sandbox: SandboxArgs,
    }

    fn parse(args: &[&str]) -> Result<SandboxArgs, clap::Error> {
        Front::try_parse_from(std::iter::once("sandbox").chain(args.iter().copied()))
            .map(|front| front.sandbox)
    }

    #[test]
    fn no_flags_are_the_defaults() -> Result<(), clap::Error> {
        let args = parse(&[])?;
        assert_eq!(args, SandboxArgs::default());
        let config = args.config();
        assert_eq!(config.addr, SocketAddr::from(([127, 0, 0, 1], 8080)));
        assert_eq!(config.api_key, SandboxConfig::STANDALONE_API_KEY);
        assert_eq!(config.api_secret, SandboxConfig::STANDALONE_API_SECRET);
        assert_eq!(config.clock, ClockMode::Realtime);
        assert_eq!(config.schedule, Schedule::default());
        assert_eq!(config.limits, Limits::default());
        assert!(config.webhook_urls.is_empty());
        assert!(!config.deliver_twice);
        Ok(())
    }

    #[test]
    fn every_flag_reaches_the_config() -> Result<(), clap::Error> {
        let config = parse(&[
            "--port",
            "0",
            "--host",
            "::1",
            "--api-key",
            "k",
            "--api-secret",
            "s",
            "--token-ttl",
            "60",
            "--step-seconds",
            "2",
            "--max-connections",
            "7",
            "--header-timeout",
            "3",
            "--request-timeout",
            "4",
            "--webhook-url",
            "http://127.0.0.1:9001/hook",
            "--deliver-twice",
            "--webhook-url",
            "https://receiver.example/hooks",
        ])?
        .config();
        assert_eq!(config.addr, "[::1]:0".parse().expect("an address"));
        assert_eq!(
            (config.api_key.as_str(), config.api_secret.as_str()),
            ("k", "s")
        );
        assert_eq!(config.token_ttl, Duration::from_secs(60));
        assert_eq!(config.schedule, Schedule::uniform(Duration::from_secs(2)));
        assert_eq!(config.limits.max_connections, 7);
        assert_eq!(config.limits.header_timeout, Duration::from_secs(3));
        assert_eq!(config.limits.request_timeout, Duration::from_secs(4));
        assert_eq!(
            config.webhook_urls,
            [
                "http://127.0.0.1:9001/hook",
                "https://receiver.example/hooks"
            ]
        );
        assert!(config.deliver_twice);
        Ok(())
    }

    #[test]
    fn out_of_range_values_are_refused() {
        for args in [
            ["--max-connections", "0"],
            ["--header-timeout", "0"],
            ["--request-timeout", "86401"],
            ["--port", "65536"],
            ["--host", "localhost"],
            ["--webhook-url", "ftp://receiver.example/"],
            ["--webhook-url", "receiver.example/hook"],
        ] {
            assert!(parse(&args).is_err(), "{args:?}");
        }
    }
}
