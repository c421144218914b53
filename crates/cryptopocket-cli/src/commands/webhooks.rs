//! `cryptopocket webhooks`: subscribing (Webhook Event Subscribe / Update), and checking
//! deliveries with `cryptopocket::webhooks::WebhookVerifier`, from a file (`verify`) or live
//! (`listen`).

use std::{
    net::IpAddr,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode},
};
use clap::{
    Subcommand,
    builder::{PossibleValuesParser, TypedValueParser as _},
};
use cryptopocket::{
    model::EventType,
    webhooks::{DeliveryHeaders, WebhookError, WebhookEvent, WebhookVerifier},
};
use serde_json::json;
use tokio::sync::Notify;

use super::Context;
use crate::{
    args::any_duration,
    client,
    exit::Failure,
    files,
    output::{Printer, write_stderr, write_stdout},
    views::DeliveryView,
};

/// The event types the API accepts for subscriptions.
fn event_type() -> impl clap::builder::TypedValueParser<Value = EventType> {
    PossibleValuesParser::new([
        "PAY_IN",
        "COINS_SENT",
        "CRYPTO_RECEIVED",
        "TRANSFER_RAMPOFF_FINISHED",
    ])
    .map(|s: String| EventType::from(s.as_str()))
}

/// Subscribe to webhook events; verify and receive deliveries.
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Have CryptoPocket POST one event type to a URL (Webhook Event Subscribe).
    #[command(
        after_help = "Example:\n  cryptopocket webhooks subscribe --type COINS_SENT --url https://example.com/hooks/cryptopocket"
    )]
    Subscribe {
        /// The event type.
        #[arg(long = "type", value_name = "TYPE", value_parser = event_type())]
        event: EventType,
        /// Where deliveries go (http or https).
        #[arg(long)]
        url: String,
    },

    /// Move an event type's subscription to another URL (Webhook Event Update).
    #[command(
        after_help = "Example:\n  cryptopocket webhooks update --type COINS_SENT --url https://example.com/hooks/v2"
    )]
    Update {
        /// The event type.
        #[arg(long = "type", value_name = "TYPE", value_parser = event_type())]
        event: EventType,
        /// The new URL (http or https).
        #[arg(long)]
        url: String,
    },

    /// Check a saved delivery's signature with the API secret (CRYPTOPOCKET_API_SECRET).
    /// Exit code 0 when verified, 1 when rejected (the reason is printed).
    #[command(
        after_help = "Example:\n  cryptopocket webhooks verify --body delivery.json --signature 9f86d0… \\\n    --timestamp 1700000000 --delivery-api-key pk_live_abc --tolerance 1d"
    )]
    Verify {
        /// The raw body as received (not re-serialised JSON).
        #[arg(long, value_name = "FILE")]
        body: PathBuf,
        /// The X-Signature header.
        #[arg(long)]
        signature: String,
        /// The X-Timestamp header.
        #[arg(long)]
        timestamp: String,
        /// The delivery's X-API-Key header. When your API key is configured
        /// (CRYPTOPOCKET_API_KEY or --api-key), it must match it.
        #[arg(long, value_name = "KEY")]
        delivery_api_key: Option<String>,
        /// How old (or how far ahead) the timestamp may be (300s, 1d, or a bare number of
        /// seconds); raise it to check an old saved delivery.
        #[arg(
            long,
            value_name = "DURATION",
            value_parser = any_duration,
            allow_negative_numbers = true,
            default_value = "300"
        )]
        tolerance: Duration,
        /// Check as of this Unix time instead of now.
        #[arg(long, value_name = "UNIX_SECONDS")]
        now: Option<i64>,
    },

    /// Receive deliveries: a local server that verifies each POST, prints one line per
    /// delivery and answers 200 (verified) or 401 (rejected).
    #[command(after_help = "Example:\n  cryptopocket webhooks listen --port 9000")]
    Listen {
        /// The port (0 picks a free one, printed on stderr).
        #[arg(long, default_value = "9000")]
        port: u16,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: IpAddr,
        /// Stop after this many deliveries (by default, run until ctrl-c).
        #[arg(
            long,
            value_name = "N",
            value_parser = clap::value_parser!(u64).range(1..),
            allow_negative_numbers = true
        )]
        max_deliveries: Option<u64>,
    },
}

/// Runs a `webhooks` subcommand.
pub async fn run(context: &Context, command: WebhooksCommand) -> Result<(), Failure> {
    match command {
        WebhooksCommand::Subscribe { event, url } => {
            let answer = context.client()?.webhooks().subscribe(&event, &url).await?;
            subscribed(&context.printer, &event, &url, &answer);
            Ok(())
        }
        WebhooksCommand::Update { event, url } => {
            let answer = context.client()?.webhooks().update(&event, &url).await?;
            subscribed(&context.printer, &event, &url, &answer);
            Ok(())
        }
        WebhooksCommand::Verify {
            body,
            signature,
            timestamp,
            delivery_api_key,
            tolerance,
            now,
        } => {
            let delivery_api_key = delivery_key(context, delivery_api_key)?;
            let mut verifier = verifier(context)?.tolerance(tolerance);
            if let Some(now) = now {
                verifier = verifier.clock(move || now);
            }
            let body = files::read(&body)?;
            let headers = DeliveryHeaders::new(delivery_api_key, signature, timestamp);
            let view = check(&verifier, Ok(headers), &body);
            if context.printer.json {
                context.printer.record(&view)?;
            } else if view.verified {
                write_stdout(&format!("{}\n", describe(&view)));
            }
            match view.reason {
                None => Ok(()),
                Some(reason) => {
                    Err(Failure::refused(format!("rejected: {reason}"))
                        .with_code("delivery_rejected"))
                }
            }
        }
        WebhooksCommand::Listen {
            port,
            host,
            max_deliveries,
        } => listen(context, host, port, max_deliveries).await,
    }
}

fn subscribed(printer: &Printer, event: &EventType, url: &str, answer: &str) {
    printer.message(
        &format!("{event} → {url}: {answer}"),
        &json!({"type": event, "url": url, "result": answer}),
    );
}

/// The delivery's key. `--api-key` once gave it here; it is now the caller's own key, as
/// everywhere, so a verify with `--api-key` and no `--delivery-api-key` names the new flag.
fn delivery_key(context: &Context, given: Option<String>) -> Result<String, Failure> {
    match given {
        Some(key) => Ok(key),
        None if context.global.api_key_from_flag => Err(Failure::usage(
            "`webhooks verify` takes the delivery's X-API-Key as --delivery-api-key",
        )
        .with_code("delivery_api_key_moved")
        .hint(
            "--api-key is your own API key, as for every command; pass the delivery's key with \
             --delivery-api-key KEY",
        )),
        None => Err(Failure::usage("the delivery's X-API-Key is missing")
            .with_code("missing_argument")
            .hint("pass it with --delivery-api-key KEY")),
    }
}

/// A verifier for the configured secret, expecting the configured API key when there is one.
fn verifier(context: &Context) -> Result<WebhookVerifier, Failure> {
    let verifier = WebhookVerifier::new(client::api_secret(&context.global)?);
    Ok(match client::api_key(&context.global) {
        Some(key) => verifier.expect_api_key(key),
        None => verifier,
    })
}

/// Verifies one delivery. The body is decoded only after its signature checked out.
fn check(
    verifier: &WebhookVerifier,
    headers: Result<DeliveryHeaders, WebhookError>,
    body: &[u8],
) -> DeliveryView {
    let event = headers
        .and_then(|headers| verifier.verify(&headers, body))
        .and_then(|()| WebhookEvent::from_slice(body));
    match event {
        Ok(event) => {
            let (id, status) = match &event {
                WebhookEvent::PayIn(e) | WebhookEvent::CoinsSent(e) => (
                    Some(e.payment_id.to_string()),
                    e.status.as_ref().map(ToString::to_string),
                ),
                WebhookEvent::CryptoReceived(e) | WebhookEvent::TransferRampoffFinished(e) => (
                    Some(e.id.to_string()),
                    e.status.as_ref().map(ToString::to_string),
                ),
                _ => (None, None),
            };
            let event_type = match &event {
                WebhookEvent::Unknown { event_type, .. } => event_type.clone(),
                known => known.event_type().to_string(),
            };
            DeliveryView {
                event_type: Some(event_type),
                id,
                status,
                verified: true,
                reason: None,
            }
        }
        Err(error) => DeliveryView {
            event_type: None,
            id: None,
            status: None,
            verified: false,
            reason: Some(error.to_string()),
        },
    }
}

/// `verified COINS_SENT aBc… coins_sent`, or `rejected: why`.
fn describe(view: &DeliveryView) -> String {
    match &view.reason {
        Some(reason) => format!("rejected: {reason}"),
        None => format!(
            "verified {} {} {}",
            view.event_type.as_deref().unwrap_or("-"),
            view.id.as_deref().unwrap_or("-"),
            view.status.as_deref().unwrap_or("-"),
        ),
    }
}

struct Listener {
    verifier: WebhookVerifier,
    printer: Printer,
    remaining: Option<AtomicU64>,
    done: Notify,
}

async fn listen(
    context: &Context,
    host: IpAddr,
    port: u16,
    max_deliveries: Option<u64>,
) -> Result<(), Failure> {
    let state = Arc::new(Listener {
        verifier: verifier(context)?,
        printer: context.printer,
        remaining: max_deliveries.map(AtomicU64::new),
        done: Notify::new(),
    });
    let listener = tokio::net::TcpListener::bind((host, port))
        .await
        .map_err(|e| {
            Failure::usage(format!("cannot listen on {host}:{port}: {e}"))
                .detail("choose another --port (0 picks a free one)")
        })?;
    let address = listener
        .local_addr()
        .map_err(|e| Failure::usage(format!("cannot listen on {host}:{port}: {e}")))?;
    write_stderr(&format!(
        "listening on http://{address}/ for webhook deliveries (ctrl-c to stop)\n"
    ));
    let app = Router::new()
        .fallback(receive)
        .with_state(Arc::clone(&state));
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                () = state.done.notified() => {}
            }
        })
        .await
        .map_err(|e| Failure::unreachable(format!("the webhook server stopped: {e}")))
}

/// One delivery: verify, print, answer 200 or 401 (405 for anything but POST).
async fn receive(
    State(state): State<Arc<Listener>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    if method != Method::POST {
        return StatusCode::METHOD_NOT_ALLOWED;
    }
    let view = check(
        &state.verifier,
        DeliveryHeaders::from_header_map(&headers),
        &body,
    );
    state.printer.line(&describe(&view), &view);
    // Counts down to zero and stays there (deliveries that arrive while the server stops do
    // not wrap the count around).
    if let Some(remaining) = &state.remaining
        && remaining.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)) == Ok(1)
    {
        state.done.notify_one();
    }
    if view.verified {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    }
}
