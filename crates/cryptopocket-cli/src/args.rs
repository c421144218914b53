//! The command line's shape: global options, the command tree, and value parsers shared by
//! several commands. Each group's own subcommands live next to their code in `commands/`.

use std::time::Duration;

use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand, ValueEnum};
use cryptopocket::MAX_TIMEOUT;

use crate::{
    commands::{
        assets::AssetsCommand, auth::AuthCommand, bank_accounts::BankAccountsCommand,
        customers::CustomersCommand, kyc::KycCommand, offramp::OffRampCommand,
        payments::PaymentsCommand, sandbox::SandboxCommand, webhooks::WebhooksCommand,
    },
    output,
};

const ABOUT: &str = "Every CryptoPocket API operation from a shell.";

const LONG_ABOUT: &str = "Every CryptoPocket API operation from a shell.

Credentials come from CRYPTOPOCKET_API_KEY and CRYPTOPOCKET_API_SECRET (or --api-key and
--api-secret, given before the command; prefer the environment, since flags show up in the
process list). The server is the published sandbox unless --base-url or CRYPTOPOCKET_BASE_URL
names another, such as a local `cryptopocket sandbox serve`.

Output is a table for people; --json prints the typed result as JSON instead (amounts as
decimal strings in major units, statuses as the API spells them). With --json a failure is one
JSON object on stderr, {\"error\": {...}}, with its message, exit_code, operation, api_code and
may_have_reached_server. Nothing printed ever shows the API secret or a session token.

When a create (payment, off-ramp, customer, document, reconciliation) fails in a way that may
have reached the server, the error says so and how to look the object up before creating it
again: for a payment, `cryptopocket payments list --external-id ID` (so give --external-id).

Exit codes: 0 success; 1 the API refused the call (or a webhook delivery or a watched payment was rejected);
2 usage or configuration error; 3 transport error, timeout, or an answer that could not be read.";

const EXAMPLES: &str = "Examples:
  cryptopocket sandbox serve --port 8080    # in another terminal; export what it prints
  cryptopocket auth check
  cryptopocket customers register --name Ana --email ana@example.com
  cryptopocket --json payments get aBcDeFgHiJkLmNoPqRsTuVwXy";

/// The whole command line.
#[derive(Debug, Parser)]
#[command(
    name = "cryptopocket",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = EXAMPLES,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Options every command shares.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where to connect, as whom, and how to print.
#[derive(Debug, Args)]
pub struct Global {
    /// The API base URL, ending in /api (a local sandbox: http://127.0.0.1:PORT/api).
    #[arg(long, env = "CRYPTOPOCKET_BASE_URL", value_name = "URL", global = true)]
    pub base_url: Option<String>,

    /// Which CryptoPocket environment; production also needs --base-url, since its URL is
    /// given to each integrator.
    #[arg(long = "env", value_enum, value_name = "ENV", global = true)]
    pub environment: Option<EnvName>,

    /// The API key (default: $CRYPTOPOCKET_API_KEY). Give it before the command.
    #[arg(
        long,
        env = "CRYPTOPOCKET_API_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub api_key: Option<String>,

    /// The API secret (default: $CRYPTOPOCKET_API_SECRET, which is safer). Never printed.
    #[arg(
        long,
        env = "CRYPTOPOCKET_API_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub api_secret: Option<String>,

    /// Print the result as JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,

    /// The longest a call may take, retries included, in seconds (fractions allowed; at most
    /// 86400, a day).
    #[arg(
        long,
        value_name = "SECONDS",
        value_parser = seconds,
        allow_negative_numbers = true,
        global = true
    )]
    pub timeout: Option<Duration>,

    /// Whether --base-url was typed on the command line (not taken from the environment).
    #[arg(skip)]
    pub base_url_from_flag: bool,
}

/// A named environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvName {
    /// The published sandbox, <https://sandbox.cryptopocket.io/api>.
    Sandbox,
    /// Production (with --base-url).
    Production,
}

/// The command groups, as the API documentation groups the operations.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the API key and secret by authenticating now.
    #[command(subcommand, after_help = "Example:\n  cryptopocket auth check")]
    Auth(AuthCommand),

    /// Supported coins and chains, and token prices.
    #[command(subcommand, after_help = "Example:\n  cryptopocket assets list")]
    Assets(AssetsCommand),

    /// Register, find and list customers; upload their documents.
    #[command(
        subcommand,
        after_help = "Example:\n  cryptopocket customers register --name Ana --email ana@example.com"
    )]
    Customers(CustomersCommand),

    /// A customer's KYC/KYB status and the enhanced verification link.
    #[command(subcommand, after_help = "Example:\n  cryptopocket kyc status 100067")]
    Kyc(KycCommand),

    /// Buying crypto: methods, quotes, payments, and following a payment to the end.
    #[command(
        subcommand,
        after_help = "Example:\n  cryptopocket payments watch aBcDeFgHiJkLmNoPqRsTuVwXy"
    )]
    Payments(PaymentsCommand),

    /// Selling crypto: quotes and off-ramp operations.
    #[command(
        subcommand,
        after_help = "Example:\n  cryptopocket offramp quote --amount 100 --symbol USDC"
    )]
    Offramp(OffRampCommand),

    /// The integration's bank accounts, their transactions, and reconciliation.
    #[command(subcommand, after_help = "Example:\n  cryptopocket bank-accounts list")]
    BankAccounts(BankAccountsCommand),

    /// Subscribe to webhook events; verify and receive deliveries.
    #[command(
        subcommand,
        after_help = "Example:\n  cryptopocket webhooks listen --port 9000"
    )]
    Webhooks(WebhooksCommand),

    /// Run the local sandbox server.
    #[command(
        subcommand,
        after_help = "Example:\n  cryptopocket sandbox serve --port 8080"
    )]
    Sandbox(SandboxCommand),

    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  cryptopocket completions bash > ~/.local/share/bash-completion/completions/cryptopocket"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Parses the command line; usage errors exit with 2 (clap's message, redacted).
///
/// From here on the API secret the user gave (flag or environment) is never printed: it is
/// protected by value before anything else happens, except for the commands that use no
/// credentials (`sandbox serve` prints its own fixed development credentials on purpose,
/// and users export them).
pub fn parse() -> Cli {
    let matches = Cli::command()
        .try_get_matches()
        .unwrap_or_else(|e| usage_error(&e));
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| usage_error(&e));
    cli.global.base_url_from_flag =
        matches.value_source("base_url") == Some(clap::parser::ValueSource::CommandLine);
    let uses_credentials = !matches!(
        cli.command,
        Command::Sandbox(_) | Command::Completions { .. }
    );
    if uses_credentials && let Some(secret) = &cli.global.api_secret {
        output::protect_secret(secret);
    }
    cli
}

/// Exits on a clap error, or after `--help` / `--version`. Clap prints them itself unless
/// the text would show an API secret found on the command line or in the environment (clap
/// echoes unexpected arguments, and help shows the environment's base URL): then it is
/// printed redacted, without colour.
fn usage_error(error: &clap::Error) -> ! {
    let args = std::env::args_os().skip(1);
    for secret in secrets_given(args.map(|a| a.to_string_lossy().into_owned())) {
        output::protect_secret(&secret);
    }
    if let Ok(secret) = std::env::var("CRYPTOPOCKET_API_SECRET") {
        output::protect_secret(&secret);
    }
    let plain = error.render().to_string();
    if output::redact(&plain) != plain {
        if error.use_stderr() {
            output::write_stderr(&plain);
        } else {
            output::write_stdout(&plain);
        }
        std::process::exit(error.exit_code());
    }
    error.exit()
}

/// The values given to `--api-secret` among `args`, wherever they stand (before `--`).
fn secrets_given(mut args: impl Iterator<Item = String>) -> Vec<String> {
    let mut secrets = Vec::new();
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if arg == "--api-secret" {
            if let Some(value) = args.next() {
                secrets.push(value);
            }
        } else if let Some(value) = arg.strip_prefix("--api-secret=") {
            secrets.push(value.to_owned());
        }
    }
    secrets
}

/// Seconds as a positive, finite decimal number (`30`, `0.05`), at most a day
/// ([`cryptopocket::MAX_TIMEOUT`], the longest the client accepts): `--timeout`, `--interval`.
pub fn seconds(text: &str) -> Result<Duration, String> {
    let duration = any_seconds(text)?;
    if duration > MAX_TIMEOUT {
        return Err(format!(
            "`{text}` is longer than the longest accepted, {} seconds (a day)",
            MAX_TIMEOUT.as_secs()
        ));
    }
    Ok(duration)
}

/// Seconds as a positive, finite decimal number, as long as a `Duration` holds: for
/// `--tolerance`, which may cover a delivery saved long ago (the verifier's arithmetic
/// saturates).
pub fn any_seconds(text: &str) -> Result<Duration, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !value.is_finite() || value <= 0.0 {
        return Err(format!("`{text}` must be a number of seconds above zero"));
    }
    match Duration::try_from_secs_f64(value) {
        Ok(duration) if duration.is_zero() => Err(format!("`{text}` is shorter than a nanosecond")),
        Ok(duration) => Ok(duration),
        Err(_) => Err(format!("`{text}` is too many seconds")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn seconds_accept_fractions_and_refuse_nonsense() {
        assert_eq!(seconds("0.05"), Ok(Duration::from_millis(50)));
        assert_eq!(seconds("2"), Ok(Duration::from_secs(2)));
        assert_eq!(seconds("86400"), Ok(MAX_TIMEOUT));
        for bad in [
            "0",
            "-1",
            "NaN",
            "inf",
            "-inf",
            "soon",
            "",
            "1e-300",
            "86400.001",
            "10000000000000000000",
            "1e30",
            "1.8e308",
        ] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
        // The tolerance may be longer than a day, up to what a Duration holds.
        assert_eq!(any_seconds("604800"), Ok(Duration::from_secs(604_800)));
        assert!(any_seconds("1e30").is_err());
        assert!(any_seconds("10000000000000000000").is_ok());
    }

    #[test]
    fn secrets_are_found_wherever_they_are_given() {
        let args = [
            "--api-secret",
            "one",
            "payments",
            "get",
            "--api-secret=two",
            "--",
            "--api-secret=three",
        ];
        assert_eq!(
            secrets_given(args.iter().map(|a| (*a).to_owned())),
            ["one", "two"]
        );
    }

    #[test]
    fn every_subcommand_has_an_example() {
        fn walk(command: &clap::Command, path: &str) {
            for sub in command.get_subcommands() {
                let path = format!("{path} {}", sub.get_name());
                if sub.get_name() == "help" {
                    continue;
                }
                let help = sub
                    .get_after_help()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                assert!(help.contains("Example:"), "`{path}` has no example");
                walk(sub, &path);
            }
        }
        walk(&Cli::command(), "cryptopocket");
    }
}
