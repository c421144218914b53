//! The command line's shape: global options, the command tree, and value parsers shared by
//! several commands. Each group's own subcommands live next to their code in `commands/`.

use std::time::Duration;

use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand, ValueEnum};
use cryptopocket::MAX_TIMEOUT;

use crate::{
    commands::{
        api::ApiArgs, assets::AssetsCommand, auth::AuthCommand, bank_accounts::BankAccountsCommand,
        customers::CustomersCommand, kyc::KycCommand, offramp::OffRampCommand,
        payments::PaymentsCommand, sandbox::SandboxCommand, webhooks::WebhooksCommand,
    },
    exit::Failure,
    output,
};

const ABOUT: &str = "Every CryptoPocket API operation from a shell.";

const LONG_ABOUT: &str = "Every CryptoPocket API operation from a shell.

Credentials come from CRYPTOPOCKET_API_KEY and CRYPTOPOCKET_API_SECRET (or --api-key and
--api-secret, before or after the command; prefer the environment, since flags show up in the
process list). The server is the published sandbox unless --base-url or CRYPTOPOCKET_BASE_URL
names another, such as a local `cryptopocket sandbox serve`.

Output is a table for people (--columns a,b,c picks the columns; ids are never wrapped);
--json prints the typed result as JSON instead (amounts as decimal strings in major units,
statuses as the API spells them). With --json a failure is one JSON object on stderr with its
code, message, hint, operation, exit and may_have_reached_server. -v and -vv (or RUST_LOG) log
what the client does on stderr. Nothing printed ever shows the API secret or a session token.

Durations (--timeout, --interval, --max-wait) take a unit: 500ms, 1.5s, 1m, 2h; a bare
number is seconds.

When a create (payment, off-ramp, customer, document, reconciliation) fails in a way that may
have reached the server, the error says so and how to look the object up before creating it
again: for a payment, `cryptopocket payments find --external-id ID` (so give --external-id).

Exit codes: 0 success; 1 the API refused the call (or a webhook delivery or a watched payment was rejected);
2 usage or configuration error; 3 transport error, timeout, or an answer that could not be read.";

const EXAMPLES: &str = "Examples:
  cryptopocket sandbox serve --port 8080    # in another terminal; export what it prints
  cryptopocket auth check
  cryptopocket sandbox advance 1m           # move the local sandbox's clock
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

/// Where to connect, as whom, and how to print. Every one of these is accepted before or
/// after the command (`cryptopocket auth check --api-key K`) and shown under its own heading
/// in each command's help.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// The API base URL, ending in /api (a local sandbox: http://127.0.0.1:PORT/api).
    #[arg(long, env = "CRYPTOPOCKET_BASE_URL", value_name = "URL", global = true)]
    pub base_url: Option<String>,

    /// Which CryptoPocket environment: `sandbox` (the published one) or `production` (which
    /// also needs --base-url, since its URL is given to each integrator).
    #[arg(
        long = "env",
        value_enum,
        value_name = "ENV",
        hide_possible_values = true,
        global = true
    )]
    pub environment: Option<EnvName>,

    /// Your API key (default: $CRYPTOPOCKET_API_KEY).
    //
    // The environment is read after parsing (`parse`), not by clap: clap would hand a global
    // argument's value from the environment down to `sandbox serve`'s own `--api-key` and
    // `--api-secret` (the same ids), and the sandbox would then accept, and print, the
    // user's real credentials instead of its development ones.
    #[arg(long, value_name = "KEY", global = true)]
    pub api_key: Option<String>,

    /// Your API secret (default: $CRYPTOPOCKET_API_SECRET, which is safer: flags show in the
    /// process list). Never printed.
    #[arg(long, value_name = "SECRET", global = true)]
    pub api_secret: Option<String>,

    /// Allow plain http to this one host (not loopback, which is always allowed), e.g. a
    /// sandbox container named `sandbox` on a private network. Warns each time it is used.
    #[arg(
        long,
        env = "CRYPTOPOCKET_ALLOW_HTTP_HOST",
        value_name = "HOST",
        global = true
    )]
    pub allow_http_host: Option<String>,

    /// Print the result as JSON instead of a table, and a failure as one JSON object on
    /// stderr.
    #[arg(long, global = true)]
    pub json: bool,

    /// The table columns to show, in order, named after the result's fields (nested ones
    /// by their dotted path, `instructions.url`). Tables only.
    #[arg(
        long,
        value_name = "A,B,C",
        value_delimiter = ',',
        num_args = 1,
        global = true
    )]
    pub columns: Option<Vec<String>>,

    /// The longest a call may take, retries included: 30s, 1.5s, 500ms, 2m, or a bare number
    /// of seconds (at most a day).
    #[arg(
        long,
        env = "CRYPTOPOCKET_TIMEOUT",
        value_name = "DURATION",
        value_parser = duration,
        allow_negative_numbers = true,
        global = true
    )]
    pub timeout: Option<Duration>,

    /// Log what the client does on stderr: -v calls and retries, -vv more detail. RUST_LOG
    /// (`cryptopocket=debug`, `info`) overrides it. Secrets and tokens are never logged.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Whether --base-url was typed on the command line (not taken from the environment).
    #[arg(skip)]
    pub base_url_from_flag: bool,

    /// Whether --api-key was typed on the command line (not taken from the environment).
    #[arg(skip)]
    pub api_key_from_flag: bool,
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

    /// Run the local sandbox server, or drive a running one.
    ///
    /// `serve` runs it; `advance`, `pay`, `send-transfer`, `fail-next`, `ban` and
    /// `deliveries` drive the one at the base URL, without curl.
    #[command(
        subcommand,
        after_help = "Example:\n  cryptopocket sandbox serve --port 8080\n  cryptopocket sandbox advance 1m"
    )]
    Sandbox(SandboxCommand),

    /// Send any operation of the spec by its operationId and print the envelope.
    ///
    /// The escape hatch for an operation whose shape is still a guess: sent once, with the
    /// client's authentication, and the envelope printed as the server wrote it (redacted);
    /// exit 1 when it is an error.
    #[command(
        after_help = "Example:\n  cryptopocket api getPayment --path payment_id=aBcDeFgHiJkLmNoPqRsTuVwXy\n  cryptopocket api getQuote --field amount=100 --field symbol=USDC --field payment_type=card\n  cryptopocket api listPayments --query per_page=5"
    )]
    Api(ApiArgs),

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
    let typed = |id: &str| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    cli.global.base_url_from_flag = typed("base_url");
    cli.global.api_key_from_flag = typed("api_key");
    if cli.global.api_key.is_none() {
        cli.global.api_key = std::env::var("CRYPTOPOCKET_API_KEY").ok();
    }
    if cli.global.api_secret.is_none() {
        cli.global.api_secret = std::env::var("CRYPTOPOCKET_API_SECRET").ok();
    }
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
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    for secret in secrets_given(args.iter().cloned()) {
        output::protect_secret(&secret);
    }
    if let Ok(secret) = std::env::var("CRYPTOPOCKET_API_SECRET") {
        output::protect_secret(&secret);
    }
    // Help shows the environment's base URL, and an error may echo an argument: a password
    // in either is protected too (and protecting anything also strips every URL's userinfo
    // from what is printed, which nothing else does when no API secret is set).
    let base_url = std::env::var("CRYPTOPOCKET_BASE_URL").ok();
    for url in args.iter().chain(&base_url) {
        if let Some(password) = reqwest::Url::parse(url)
            .ok()
            .and_then(|url| url.password().map(str::to_owned))
        {
            output::protect_secret(&password);
        }
    }
    let plain = error.render().to_string();
    if error.use_stderr() && json_asked(&args) {
        let failure = clap_failure(error, &plain);
        let _ = failure.report(true);
        std::process::exit(error.exit_code());
    }
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

/// Whether `--json` is among `args` (before `--`), wherever it stands.
fn json_asked(args: &[String]) -> bool {
    args.iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "--json")
}

/// A clap error as the command line's usage failure (exit 2), for `--json`: clap's message
/// without its `error: ` prefix and usage lines, and a code naming the kind of mistake.
fn clap_failure(error: &clap::Error, rendered: &str) -> Failure {
    use clap::error::ErrorKind;
    let text = rendered.trim_start_matches("error: ");
    let message = text
        .split("\n\n")
        .next()
        .unwrap_or(text)
        .trim()
        .replace('\n', " ");
    let code = match error.kind() {
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => "invalid_value",
        ErrorKind::UnknownArgument | ErrorKind::InvalidSubcommand => "unknown_argument",
        ErrorKind::MissingRequiredArgument | ErrorKind::MissingSubcommand => "missing_argument",
        ErrorKind::ArgumentConflict => "argument_conflict",
        _ => "usage",
    };
    Failure::usage(message)
        .with_code(code)
        .hint("see the command's --help")
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

/// A duration, at most a day ([`cryptopocket::MAX_TIMEOUT`], the longest the client
/// accepts): `--timeout`, `--interval`, `--max-wait`. See [`any_duration`] for the forms.
pub fn duration(text: &str) -> Result<Duration, String> {
    let duration = any_duration(text)?;
    if duration > MAX_TIMEOUT {
        return Err(format!(
            "`{text}` is longer than the longest accepted, a day (86400s or 24h)"
        ));
    }
    Ok(duration)
}

/// A duration above zero, as long as a `Duration` holds (`--tolerance`, which may cover a
/// delivery saved long ago), in the forms of [`cryptopocket::duration::parse_duration`]
/// (the same as `CRYPTOPOCKET_TIMEOUT`'s): a bare number of seconds (`30`, `0.05`), or
/// numbers with units (`500ms`, `1.5s`, `1m`, `2h`, `1d`, `1m30s`).
pub fn any_duration(text: &str) -> Result<Duration, String> {
    cryptopocket::duration::parse_duration(text).map_err(|error| format!("`{text}` {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_take_units_and_bare_seconds() {
        for (text, expected) in [
            ("500ms", Duration::from_millis(500)),
            ("1.5s", Duration::from_millis(1500)),
            ("1m", Duration::from_secs(60)),
            ("2h", Duration::from_secs(7200)),
            ("1d", MAX_TIMEOUT),
            ("1m30s", Duration::from_secs(90)),
            ("1m0s", Duration::from_secs(60)),
            (" 10 ", Duration::from_secs(10)),
            ("0.5", Duration::from_millis(500)),
        ] {
            assert_eq!(duration(text), Ok(expected), "{text}");
        }
        for (bad, says) in [
            ("5x", "unknown unit `x`"),
            ("ms", "not a duration"),
            ("0s", "above zero"),
            ("0ms0s", "above zero"),
            ("1.2.3s", "not a duration"),
            ("25h", "longer than the longest accepted"),
            ("-1s", "not a duration"),
        ] {
            let error = duration(bad).err().unwrap_or_default();
            assert!(error.contains(says), "{bad}: {error}");
        }
        assert_eq!(any_duration("7d"), Ok(Duration::from_secs(604_800)));
    }

    #[test]
    fn seconds_accept_fractions_and_refuse_nonsense() {
        let seconds = duration;
        let any_seconds = any_duration;
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
