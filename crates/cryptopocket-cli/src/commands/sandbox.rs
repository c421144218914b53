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
use cryptopocket::subscriptions::Subscription;
use cryptopocket_sandbox::{RemoteControl, RemoteError, Sandbox, SandboxArgs};
use serde::Serialize;
use serde_json::{Value, json};

use super::Context;
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

/// An http or https URL, as subscribing requires ([`Subscription::check_url`]), checked
/// before anything is sent.
fn http_url(text: &str) -> Result<String, &'static str> {
    Subscription::check_url(text)
        .map(|()| text.to_owned())
        .map_err(|_| "must be an http or https URL, such as http://127.0.0.1:3000/webhooks")
}

/// What a control action answered, shown as a record.
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

/// One webhook delivery the sandbox made, or one redelivery it queued.
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
    // Values are checked before the base URL is looked at, as any flag's value is.
    match &command {
        SandboxCommand::Serve { .. } => {}
        SandboxCommand::Advance { by } => {
            RemoteControl::whole_seconds(*by).map_err(|e| {
                let (secs, next) = (by.as_secs(), by.as_secs() + 1);
                Failure::from(e).hint(format!("advance by {secs}s or {next}s"))
            })?;
        }
        SandboxCommand::FailNext { operation_id, .. }
            if cryptopocket::api::Operation::find(operation_id).is_none() =>
        {
            return Err(super::api::unknown_operation(operation_id));
        }
        _ => {}
    }
    let data = match command {
        SandboxCommand::Serve { args } => return serve(context, args).await,
        SandboxCommand::Advance { by } => {
            let now = remote(context)?.advance(by).await?;
            json!({"now": now.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()})
        }
        SandboxCommand::Pay { payment_id, method } => {
            remote(context)?.pay(&payment_id, &method).await?;
            json!({"payment_id": payment_id})
        }
        SandboxCommand::SendTransfer { payment_id } => {
            let tx = remote(context)?.send_transfer(&payment_id).await?;
            json!({"payment_id": payment_id, "transaction_id": tx})
        }
        SandboxCommand::FailNext { operation_id, code } => {
            remote(context)?.fail_next(&operation_id, &code).await?;
            json!({"operation": operation_id, "code": code})
        }
        SandboxCommand::Ban { user_id } => {
            remote(context)?.ban(user_id).await?;
            json!({"user_id": user_id, "banned": true})
        }
        SandboxCommand::Deliveries => json!(remote(context)?.deliveries().await?),
        SandboxCommand::Redeliver {
            delivery_id,
            last,
            all,
        } => {
            let remote = remote(context)?;
            let queued = match (delivery_id, last, all) {
                (_, true, _) => vec![remote.redeliver_last().await?],
                (_, _, true) => remote.redeliver_all().await?,
                (Some(id), ..) => vec![remote.redeliver(&id).await?],
                (None, ..) => {
                    return Err(Failure::usage(
                        "which delivery? Give its id, --last or --all",
                    ));
                }
            };
            // Each as the route answers it: queued, not yet delivered.
            let queued = queued.into_iter().map(|r| {
                json!({"id": r.id, "duplicate_of": r.duplicate_of, "event_type": r.event_type,
                    "url": r.url, "outcome": "queued"})
            });
            Value::Array(queued.collect())
        }
        SandboxCommand::DeliverTwice { state } => {
            json!(remote(context)?.set_deliver_twice(state == "on").await?)
        }
        SandboxCommand::WebhookUrl { action, url } if action == "add" => {
            json!(remote(context)?.add_webhook_url(&url).await?)
        }
        SandboxCommand::WebhookUrl { url, .. } => {
            json!(remote(context)?.remove_webhook_url(&url).await?)
        }
    };
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

/// The sandbox at the base URL, with `--timeout` (30 s by default) on each request.
fn remote(context: &Context) -> Result<RemoteControl, Failure> {
    let Some(base_url) = context
        .global
        .base_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    else {
        return Err(Failure::usage("which sandbox? No base URL is set")
            .with_code("missing_base_url")
            .hint(
                "export the CRYPTOPOCKET_BASE_URL that `cryptopocket sandbox serve` prints, \
                 or pass --base-url http://127.0.0.1:PORT/api",
            ));
    };
    cryptopocket::api::prepare_tls();
    let remote = RemoteControl::new(base_url)?;
    Ok(remote.with_timeout(
        context
            .global
            .timeout
            .unwrap_or(RemoteControl::DEFAULT_TIMEOUT),
    ))
}

/// The command line's failure for each way a control request goes wrong.
impl From<RemoteError> for Failure {
    fn from(error: RemoteError) -> Self {
        let text = error.to_string();
        match error {
            RemoteError::InvalidInput(message) => {
                Failure::usage(message).with_code("invalid_value")
            }
            RemoteError::Refused {
                code,
                message,
                status,
            } => {
                let mut failure = Failure::refused(format!("{code}: {message}"));
                failure.error_code = std::borrow::Cow::Owned(code);
                failure.detail(format!("(refused by the sandbox, HTTP {status})"))
            }
            RemoteError::TooLarge { .. } => Failure::unreachable(text).with_code("body_too_large"),
            RemoteError::NotASandbox { .. } | RemoteError::UnexpectedAnswer { .. } => {
                Failure::unreachable(text).with_code("not_a_sandbox").hint(
                    "the control commands drive a local `cryptopocket sandbox serve`: point \
                     --base-url / CRYPTOPOCKET_BASE_URL at it",
                )
            }
            // Unreachable, TimedOut, and whatever a later version adds.
            _ => Failure::unreachable(text).with_code("connect_failed").hint(
                "is `cryptopocket sandbox serve` running there? Check --base-url / \
                 CRYPTOPOCKET_BASE_URL",
            ),
        }
    }
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
