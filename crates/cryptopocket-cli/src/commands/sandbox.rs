//! `cryptopocket sandbox`: run the local sandbox (`serve`), and drive a running one through
//! its `/sandbox/*` control endpoints (`advance`, `pay`, `send-transfer`, `fail-next`, `ban`,
//! `deliveries`, and the webhook drills `redeliver`, `deliver-twice`, `webhook-url`), the
//! same actions as the sandbox crate's `Control` handle, without curl.
//!
//! `serve`'s flags are the standalone binary's ([`SandboxArgs`], flattened). The control
//! commands find the sandbox at the base URL (`--base-url` / `CRYPTOPOCKET_BASE_URL`, which
//! `serve` prints); they need no credentials.

use std::time::Duration;

use clap::Subcommand;
use cryptopocket_sandbox::{Sandbox, SandboxArgs};
use progenitor_client::encode_path;
use serde::Serialize;
use serde_json::{Value, json};

use super::{Context, MAX_ANSWER_BYTES, payments::format_seconds, read_answer};
use crate::{args::any_duration, exit::Failure, output::View};

/// Run the local sandbox server, or drive a running one.
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the sandbox API (on 127.0.0.1:8080 unless --host and --port say otherwise) with
    /// fixed credentials and a real-time clock; prints the environment variables to export.
    /// Stops on ctrl-c. Takes the same flags as the `cryptopocket-sandbox` binary.
    #[command(after_help = "Example:\n  cryptopocket sandbox serve --port 8080")]
    Serve {
        /// Where to listen, what to accept, how fast time moves.
        #[command(flatten)]
        args: SandboxArgs,
    },

    /// Move a running sandbox's clock forward (whole seconds): due status changes happen and
    /// their webhooks are sent. Prints the sandbox's new now.
    #[command(after_help = "Example:\n  cryptopocket sandbox advance 1m")]
    Advance {
        /// How far: 30s, 1m, 2h, 1d, or a bare number of seconds.
        #[arg(value_name = "DURATION", value_parser = any_duration)]
        by: Duration,
    },

    /// Play the end user: pay a started payment on its payment page.
    #[command(after_help = "Example:\n  cryptopocket sandbox pay ehs1cdjoZRAFJNNvdIFDEsxHy")]
    Pay {
        /// The payment id.
        payment_id: String,
        /// How the payer pays a guided payment (a direct payment uses its own method).
        #[arg(long, value_parser = ["card", "psd2", "transfer"], default_value = "card")]
        method: String,
    },

    /// Play the payer of a bank-transfer payment: the transfer arrives on the integration's
    /// first account and the payment becomes pending_bank. Prints the bank transaction's id,
    /// which `bank-accounts reconcile` takes.
    #[command(
        after_help = "Example:\n  cryptopocket sandbox send-transfer ehs1cdjoZRAFJNNvdIFDEsxHy"
    )]
    SendTransfer {
        /// The payment id.
        payment_id: String,
    },

    /// Make the next call of an operation answer an API error instead of doing its work.
    #[command(
        after_help = "Example:\n  cryptopocket sandbox fail-next createPayment --code unexpected_error"
    )]
    FailNext {
        /// The spec's operationId (`createPayment`, `getPayment`, …).
        operation_id: String,
        /// The error code the call answers.
        #[arg(long, default_value = "unexpected_error")]
        code: String,
    },

    /// Ban a customer: their payments are refused with user_banned.
    #[command(after_help = "Example:\n  cryptopocket sandbox ban 100001")]
    Ban {
        /// The customer id.
        user_id: u64,
    },

    /// The webhook deliveries the sandbox has made, oldest first (the bodies with --json or
    /// --columns body).
    #[command(after_help = "Example:\n  cryptopocket sandbox deliveries")]
    Deliveries,

    /// Send a webhook delivery again, as a retry would: the same body to the same URL, signed
    /// afresh (new X-Timestamp). Prints the redeliveries queued; `sandbox deliveries` shows
    /// how they ended. A drill for the receiver's duplicate handling.
    #[command(after_help = "Example:\n  cryptopocket sandbox redeliver dlv_3\n  \
                            cryptopocket sandbox redeliver --last\n  \
                            cryptopocket sandbox redeliver --all")]
    Redeliver {
        /// The delivery's id, as `sandbox deliveries` lists it.
        #[arg(
            value_name = "DELIVERY_ID",
            required_unless_present_any = ["last", "all"],
            conflicts_with_all = ["last", "all"]
        )]
        delivery_id: Option<String>,
        /// The delivery made last.
        #[arg(long, conflicts_with = "all")]
        last: bool,
        /// Every delivery the sandbox remembers, in order.
        #[arg(long)]
        all: bool,
    },

    /// Deliver every webhook twice in a row from now on (or stop), to drill the receiver's
    /// duplicate handling; `serve --deliver-twice` starts with it on.
    #[command(after_help = "Example:\n  cryptopocket sandbox deliver-twice on")]
    DeliverTwice {
        /// on or off.
        #[arg(value_name = "on|off", value_parser = ["on", "off"])]
        state: String,
    },

    /// Add or remove an extra subscriber URL: it gets every event, beside the URLs subscribed
    /// through the API (a sandbox feature; `serve --webhook-url URL` adds one at start). Prints
    /// the drills' settings.
    #[command(
        after_help = "Example:\n  cryptopocket sandbox webhook-url add http://127.0.0.1:3000/webhooks"
    )]
    WebhookUrl {
        /// add or remove.
        #[arg(value_name = "add|remove", value_parser = ["add", "remove"])]
        action: String,
        /// An http or https URL.
        #[arg(value_name = "URL", value_parser = http_url)]
        url: String,
    },
}

/// An http or https URL with a host, checked before anything is sent.
fn http_url(text: &str) -> Result<String, String> {
    match reqwest::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(text.to_owned())
        }
        _ => Err("must be an http or https URL, such as http://127.0.0.1:3000/webhooks".into()),
    }
}

/// What a control action answered: its `data`, shown as a record.
#[derive(Debug, Serialize)]
#[serde(transparent)]
struct ControlAnswer(Value);

impl View for ControlAnswer {
    const FIELDS: &'static [&'static str] = &[
        "payment_id",
        "transaction_id",
        "user_id",
        "operation",
        "code",
        "now",
        "deliver_twice",
        "webhook_urls",
    ];
}

/// One webhook delivery the sandbox made.
#[derive(Debug, Serialize)]
#[serde(transparent)]
struct DeliveryRecord(Value);

impl View for DeliveryRecord {
    const FIELDS: &'static [&'static str] = &[
        "id",
        "duplicate_of",
        "event_type",
        "url",
        "attempts",
        "outcome",
        "status",
        "reason",
    ];
}

/// Runs a `sandbox` subcommand.
pub async fn run(context: &Context, command: SandboxCommand) -> Result<(), Failure> {
    let (method, path, query): (&str, String, Vec<(&str, String)>) = match command {
        SandboxCommand::Serve { args } => return serve(context, args).await,
        SandboxCommand::Advance { by } => {
            if by.subsec_nanos() != 0 {
                return Err(Failure::usage(format!(
                    "the sandbox's clock moves in whole seconds, not {}s",
                    format_seconds(by)
                ))
                .with_code("invalid_value")
                .hint(format!(
                    "advance by {}s or {}s",
                    by.as_secs(),
                    by.as_secs() + 1
                )));
            }
            (
                "POST",
                "/sandbox/advance".into(),
                vec![("seconds", by.as_secs().to_string())],
            )
        }
        SandboxCommand::Pay { payment_id, method } => (
            "POST",
            format!("/sandbox/payments/{}/pay", encode_path(&payment_id)),
            vec![("method", method)],
        ),
        SandboxCommand::SendTransfer { payment_id } => (
            "POST",
            format!("/sandbox/payments/{}/transfer", encode_path(&payment_id)),
            vec![],
        ),
        SandboxCommand::FailNext { operation_id, code } => {
            if cryptopocket::api::Operation::find(&operation_id).is_none() {
                return Err(super::api::unknown_operation(&operation_id));
            }
            (
                "POST",
                "/sandbox/fail-next".into(),
                vec![("operation", operation_id), ("code", code)],
            )
        }
        SandboxCommand::Ban { user_id } => {
            ("POST", format!("/sandbox/customers/{user_id}/ban"), vec![])
        }
        SandboxCommand::Deliveries => ("GET", "/sandbox/deliveries".into(), vec![]),
        SandboxCommand::Redeliver {
            delivery_id,
            last,
            all,
        } => {
            let which = match (delivery_id, last, all) {
                (_, true, _) => "last".to_owned(),
                (_, _, true) => "all".to_owned(),
                (Some(id), _, _) => id,
                (None, false, false) => {
                    return Err(Failure::usage(
                        "which delivery? Give its id, --last or --all",
                    ));
                }
            };
            (
                "POST",
                format!("/sandbox/deliveries/{}/redeliver", encode_path(&which)),
                vec![],
            )
        }
        SandboxCommand::DeliverTwice { state } => (
            "POST",
            "/sandbox/deliver-twice".into(),
            vec![("enabled", (state == "on").to_string())],
        ),
        SandboxCommand::WebhookUrl { action, url } => (
            if action == "add" { "POST" } else { "DELETE" },
            "/sandbox/webhook-urls".into(),
            vec![("url", url)],
        ),
    };
    let data = control(context, method, &path, &query).await?;
    match data {
        Value::Array(items) => context
            .printer
            .list(&items.into_iter().map(DeliveryRecord).collect::<Vec<_>>()),
        data => context.printer.record(&ControlAnswer(data)),
    }
}

async fn serve(context: &Context, args: SandboxArgs) -> Result<(), Failure> {
    let address = args.address();
    let sandbox = Sandbox::start_with(args.config()).await.map_err(|e| {
        Failure::usage(format!("cannot start the sandbox on {address}: {e}"))
            .hint("choose another --port (0 picks a free one)")
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

/// The sandbox's origin: the base URL without its `/api`.
fn origin(context: &Context) -> Result<String, Failure> {
    let base_url = context
        .global
        .base_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            Failure::usage("which sandbox? No base URL is set")
                .with_code("missing_base_url")
                .hint(
                    "export the CRYPTOPOCKET_BASE_URL that `cryptopocket sandbox serve` prints, \
                     or pass --base-url http://127.0.0.1:PORT/api",
                )
        })?;
    let trimmed = base_url.trim_end_matches('/');
    Ok(trimmed.strip_suffix("/api").unwrap_or(trimmed).to_owned())
}

/// Sends one control request and returns the envelope's `data`.
async fn control(
    context: &Context,
    method: &str,
    path: &str,
    query: &[(&str, String)],
) -> Result<Value, Failure> {
    let origin = origin(context)?;
    let url = format!("{origin}{path}");
    cryptopocket::api::prepare_tls();
    let timeout = context.global.timeout.unwrap_or(Duration::from_secs(30));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .build()
        .map_err(|e| Failure::usage(format!("cannot build an HTTP client: {e}")))?;
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|e| Failure::usage(format!("bad method: {e}")))?;
    let unreachable = |e: reqwest::Error| {
        Failure::unreachable(format!("cannot reach the sandbox at {origin}: {e}"))
            .with_code("connect_failed")
            .hint(
                "is `cryptopocket sandbox serve` running there? Check --base-url / \
                 CRYPTOPOCKET_BASE_URL",
            )
    };
    let sent = http.request(method, &url).query(query).send().await;
    let (status, body) = read_answer(sent.map_err(unreachable)?)
        .await
        .map_err(unreachable)?;
    if body.len() > MAX_ANSWER_BYTES {
        return Err(Failure::unreachable(format!(
            "the answer from {origin} is longer than {MAX_ANSWER_BYTES} bytes"
        ))
        .with_code("body_too_large"));
    }
    let envelope: Value =
        serde_json::from_slice(&body).map_err(|_| not_a_sandbox(&origin, status))?;
    let word = envelope
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if status.is_success() && matches!(word, "ok" | "success" | "sucess") {
        return Ok(envelope.get("data").cloned().unwrap_or(Value::Null));
    }
    let code = envelope.get("error").and_then(Value::as_str);
    match code {
        // An unknown path: a server without the control endpoints.
        None | Some("not_found" | "wrong_http_method") => Err(not_a_sandbox(&origin, status)),
        Some(code) => {
            let message = envelope
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("the sandbox refused");
            let mut failure = Failure::refused(format!("{code}: {message}"));
            failure.error_code = std::borrow::Cow::Owned(code.to_owned());
            Err(failure.detail(format!(
                "(refused by the sandbox, HTTP {})",
                status.as_u16()
            )))
        }
    }
}

fn not_a_sandbox(origin: &str, status: reqwest::StatusCode) -> Failure {
    Failure::unreachable(format!(
        "{origin} did not answer as a CryptoPocket sandbox (HTTP {})",
        status.as_u16()
    ))
    .with_code("not_a_sandbox")
    .hint(
        "the control commands drive a local `cryptopocket sandbox serve`: point --base-url / \
         CRYPTOPOCKET_BASE_URL at it",
    )
}

#[cfg(test)]
mod tests {
    use clap::{Args as _, CommandFactory as _, Parser as _};

    use super::*;
    use crate::args::{Cli, Command};

    /// The long options a command takes, `--help` and `--version` aside.
    fn long_options(command: &clap::Command) -> Vec<String> {
        let mut options: Vec<String> = command
            .get_arguments()
            .filter_map(clap::Arg::get_long)
            .filter(|long| !matches!(*long, "help" | "version"))
            .map(str::to_owned)
            .collect();
        options.sort();
        options
    }

    /// `cryptopocket sandbox serve` takes exactly the flags of `SandboxArgs`, which the
    /// `cryptopocket-sandbox` binary takes too (its own test checks its `--help`), besides
    /// the CLI's global options.
    #[test]
    fn serve_takes_the_standalone_flags() {
        let mut cli = Cli::command();
        cli.build();
        let serve = cli
            .find_subcommand("sandbox")
            .and_then(|sandbox| sandbox.find_subcommand("serve"))
            .expect("cryptopocket sandbox serve");
        // The global options propagated to it aside (its own `--api-key` and `--api-secret`
        // are the sandbox's, not the global ones).
        let mut own: Vec<String> = serve
            .get_arguments()
            .filter(|arg| !arg.is_global_set())
            .filter_map(clap::Arg::get_long)
            .filter(|long| !matches!(*long, "help" | "version"))
            .map(str::to_owned)
            .collect();
        own.sort();
        let expected = long_options(&SandboxArgs::augment_args(clap::Command::new("sandbox")));
        assert_eq!(own, expected);
        for flag in [
            "port",
            "host",
            "api-key",
            "api-secret",
            "token-ttl",
            "step-seconds",
            "max-connections",
            "header-timeout",
            "request-timeout",
            "webhook-url",
            "deliver-twice",
        ] {
            assert!(expected.iter().any(|long| long == flag), "--{flag}");
        }
    }

    /// The same argument vector parses to the same `SandboxArgs` through both front ends.
    #[test]
    fn the_same_flags_parse_the_same_through_both_front_ends() -> Result<(), clap::Error> {
        #[derive(clap::Parser)]
        struct Standalone {
            #[command(flatten)]
            sandbox: SandboxArgs,
        }

        let flags = [
            "--port",
            "0",
            "--host",
            "0.0.0.0",
            "--api-key",
            "k",
            "--api-secret",
            "s",
            "--token-ttl",
            "60",
            "--step-seconds",
            "1",
            "--max-connections",
            "8",
            "--header-timeout",
            "5",
            "--request-timeout",
            "9",
            "--deliver-twice",
            "--webhook-url",
            "http://127.0.0.1:9/a",
            "--webhook-url",
            "http://127.0.0.1:9/b",
        ];
        let cli = Cli::try_parse_from(["cryptopocket", "sandbox", "serve"].iter().chain(&flags))?;
        let Command::Sandbox(SandboxCommand::Serve { args: through_cli }) = cli.command else {
            panic!("parsed as another command: {:?}", cli.command);
        };
        let standalone = Standalone::try_parse_from(["cryptopocket-sandbox"].iter().chain(&flags))?;
        assert_eq!(through_cli, standalone.sandbox);
        assert_eq!(through_cli.config().limits.max_connections, 8);
        assert!(through_cli.config().deliver_twice);
        assert_eq!(through_cli.config().webhook_urls.len(), 2);
        Ok(())
    }
}
