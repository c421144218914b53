//! The command line's shape: global options, the command tree, and value parsers shared by
//! several commands. Each group's own subcommands live next to their code in `commands/`.

use std::time::Duration;

use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand, ValueEnum};

use crate::commands::{
    assets::AssetsCommand, auth::AuthCommand, bank_accounts::BankAccountsCommand,
    customers::CustomersCommand, kyc::KycCommand, offramp::OffRampCommand,
    payments::PaymentsCommand, sandbox::SandboxCommand, webhooks::WebhooksCommand,
};

const ABOUT: &str = "Every CryptoPocket API operation from a shell.";

const LONG_ABOUT: &str = "Every CryptoPocket API operation from a shell.

Credentials come from CRYPTOPOCKET_API_KEY and CRYPTOPOCKET_API_SECRET (or --api-key and
--api-secret, given before the command; prefer the environment, since flags show up in the
process list). The server is the published sandbox unless --base-url or CRYPTOPOCKET_BASE_URL
names another, such as a local `cryptopocket sandbox serve`.

Output is a table for people; --json prints the typed result as JSON instead (amounts as
decimal strings in major units, statuses as the API spells them).

Exit codes: 0 success; 1 the API refused the call (or a webhook delivery was rejected);
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

    /// The longest a call may take, retries included, in seconds (fractions allowed).
    #[arg(long, value_name = "SECONDS", value_parser = seconds, global = true)]
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

/// Parses the command line; clap itself prints usage errors and exits with 2.
pub fn parse() -> Cli {
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    cli.global.base_url_from_flag =
        matches.value_source("base_url") == Some(clap::parser::ValueSource::CommandLine);
    cli
}

/// Seconds as a positive, finite decimal number (`30`, `0.05`).
pub fn seconds(text: &str) -> Result<Duration, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !value.is_finite() || value <= 0.0 {
        return Err(format!("`{text}` must be a number of seconds above zero"));
    }
    Duration::try_from_secs_f64(value).map_err(|e| format!("`{text}`: {e}"))
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
        for bad in ["0", "-1", "NaN", "inf", "soon", ""] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
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
