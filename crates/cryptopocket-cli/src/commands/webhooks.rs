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

use axum::Router;
use clap::Subcommand;
use cryptopocket::{
    subscriptions::Subscription,
    webhooks::{DeliveryHeaders, WebhookEvent, WebhookVerifier},
};
use cryptopocket_webhooks::{
    BoxError, Delivery, DeliveryKey, Outcome, PostgresInbox, SqliteInbox, WebhookEndpoint,
};
use serde_json::json;
use tokio::sync::Notify;

use super::{Context, naming_flag};
use crate::{
    args::any_duration,
    client,
    exit::Failure,
    files,
    output::{Printer, write_stderr, write_stdout},
    views::DeliveryView,
};

/// Subscribe to webhook events; verify and receive deliveries.
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Have CryptoPocket POST one event type to a URL (Webhook Event Subscribe).
    #[command(
        after_help = "Example:\n  cryptopocket webhooks subscribe --type COINS_SENT --url https://example.com/hooks/cryptopocket"
    )]
    Subscribe(Subscription),

    /// Move an event type's subscription to another URL (Webhook Event Update).
    #[command(
        after_help = "Example:\n  cryptopocket webhooks update --type COINS_SENT --url https://example.com/hooks/v2",
        mut_arg("url", |url| url.help("The new URL (http or https)"))
    )]
    Update(Subscription),

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
    /// delivery and answers 200 (verified), 401 (rejected), 400 (not an event) or 413 (too
    /// large); with `--store`, each event is applied once and a redelivery is a duplicate.
    #[command(
        after_help = "Example:\n  cryptopocket webhooks listen --port 9000 --store sqlite:webhooks.db"
    )]
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
        /// Apply each event once: remember deliveries in an SQLite file (`sqlite:PATH`) or a
        /// PostgreSQL database (`postgres:URL`). A redelivery of an event already applied
        /// prints `duplicate …` and is answered 200; one being handled elsewhere, 503.
        #[arg(long, value_name = "sqlite:PATH|postgres:URL", value_parser = inbox_store)]
        store: Option<InboxStore>,
    },
}

/// Where `webhooks listen --store` remembers the events it applied.
#[derive(Debug, Clone)]
pub enum InboxStore {
    /// `sqlite:PATH`: an SQLite file, created if missing.
    Sqlite(PathBuf),
    /// `postgres:URL`, or the URL itself (`postgres://…`).
    Postgres(String),
}

fn inbox_store(text: &str) -> Result<InboxStore, String> {
    if let Some(path) = text.strip_prefix("sqlite:") {
        return if path.is_empty() {
            Err("sqlite: needs a file, e.g. sqlite:webhooks.db".into())
        } else {
            Ok(InboxStore::Sqlite(PathBuf::from(path)))
        };
    }
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        return Ok(InboxStore::Postgres(text.to_owned()));
    }
    match text.strip_prefix("postgres:") {
        Some(url) if !url.is_empty() => Ok(InboxStore::Postgres(url.to_owned())),
        _ => Err("expected sqlite:PATH or postgres:URL".into()),
    }
}

/// Runs a `webhooks` subcommand.
pub async fn run(context: &Context, command: WebhooksCommand) -> Result<(), Failure> {
    match command {
        WebhooksCommand::Subscribe(subscription) => {
            let answer = context.client()?.webhooks().subscribe(&subscription).await;
            subscribed(&context.printer, &subscription, answer)
        }
        WebhooksCommand::Update(subscription) => {
            let answer = context.client()?.webhooks().update(&subscription).await;
            subscribed(&context.printer, &subscription, answer)
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
            let view = check(&verifier, &headers, &body);
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
            store,
        } => listen(context, host, port, max_deliveries, store).await,
    }
}

/// Prints the API's answer to a subscription; a field the crate refuses is named by its flag.
fn subscribed(
    printer: &Printer,
    subscription: &Subscription,
    answer: Result<String, cryptopocket::Error>,
) -> Result<(), Failure> {
    let answer = answer.map_err(naming_flag::<Subscription>)?;
    let (event, url) = (subscription.event(), subscription.url());
    printer.message(
        &format!("{event} → {url}: {answer}"),
        &json!({"type": event, "url": url, "result": answer}),
    );
    Ok(())
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
fn check(verifier: &WebhookVerifier, headers: &DeliveryHeaders, body: &[u8]) -> DeliveryView {
    let event = verifier
        .verify(headers, body)
        .and_then(|()| WebhookEvent::from_slice(body));
    match event {
        Ok(event) => view_of(&event, &DeliveryKey::of(&event, body)),
        Err(error) => DeliveryView::rejected(error.to_string()),
    }
}

/// What a verified event says: its identity as the inbox keys it ([`DeliveryKey`]: type,
/// payment or off-ramp id, status), but no id for a type this version does not know.
fn view_of(event: &WebhookEvent, key: &DeliveryKey) -> DeliveryView {
    let known = !matches!(event, WebhookEvent::Unknown { .. });
    let part = |text: &str| (known && text != "-").then(|| text.to_owned());
    DeliveryView {
        event_type: Some(key.kind().to_owned()),
        id: part(key.object_id()),
        status: part(key.status()),
        verified: true,
        reason: None,
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
    printer: Printer,
    remaining: Option<AtomicU64>,
    done: Notify,
}

impl Listener {
    /// Prints a line for every outcome the handler did not print (verified deliveries print
    /// their own), and counts the delivery.
    fn observe(&self, outcome: &Outcome) {
        match outcome {
            Outcome::Applied { .. } => {}
            Outcome::Rejected(rejection) => {
                let view = DeliveryView::rejected(rejection.to_string());
                self.printer.line(&describe(&view), &view);
            }
            other => {
                let word = match other {
                    Outcome::Duplicate { .. } => "duplicate",
                    Outcome::Busy { .. } => "busy",
                    Outcome::HandlerFailed { .. } => "failed",
                    Outcome::TimedOut { .. } => "timed-out",
                    Outcome::LeaseLost { .. } => "lease-lost",
                    _ => "inbox-unavailable",
                };
                let key = other.key();
                let part = |f: fn(&DeliveryKey) -> &str| key.map_or("-", f).to_owned();
                let (kind, id, status) = (
                    part(DeliveryKey::kind),
                    part(DeliveryKey::object_id),
                    part(DeliveryKey::status),
                );
                self.printer.line(
                    &format!("{word} {kind} {id} {status}"),
                    &json!({
                        "outcome": word,
                        "event_type": kind,
                        "id": id,
                        "status": status,
                        "http_status": other.status().as_u16(),
                    }),
                );
            }
        }
        // Counts down to zero and stays there (deliveries that arrive while the server stops
        // do not wrap the count around).
        if let Some(remaining) = &self.remaining
            && remaining.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                == Ok(1)
        {
            self.done.notify_one();
        }
    }
}

/// Receives deliveries with `cryptopocket_webhooks::WebhookEndpoint`: 200 verified (or a
/// duplicate), 401 unauthenticated, 400 not an event, 413 too large, 503 busy elsewhere.
async fn listen(
    context: &Context,
    host: IpAddr,
    port: u16,
    max_deliveries: Option<u64>,
    store: Option<InboxStore>,
) -> Result<(), Failure> {
    let printer = context.printer;
    let state = Arc::new(Listener {
        printer,
        remaining: max_deliveries.map(AtomicU64::new),
        done: Notify::new(),
    });
    let observer = Arc::clone(&state);
    let builder = WebhookEndpoint::builder(verifier(context)?)
        .on_outcome(move |outcome: &Outcome| observer.observe(outcome));
    let handler = move |delivery: Delivery| {
        let view = view_of(&delivery.event, &delivery.key);
        printer.line(&describe(&view), &view);
        async { Ok::<(), BoxError>(()) }
    };
    let endpoint = match store {
        None => builder.handle(handler),
        Some(InboxStore::Sqlite(path)) => {
            let inbox = SqliteInbox::open(&path).map_err(|e| {
                Failure::usage(format!("cannot open the inbox {}: {e}", path.display()))
            })?;
            builder.inbox(inbox).handle(handler)
        }
        Some(InboxStore::Postgres(url)) => {
            let inbox = PostgresInbox::connect(&url, 4).await.map_err(|e| {
                Failure::unreachable(format!("cannot use the PostgreSQL inbox: {e}"))
            })?;
            builder.inbox(inbox).handle(handler)
        }
    };
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
    // Every path is the endpoint: the URL subscribed is the user's choice.
    let app = Router::new().fallback_service(endpoint.route::<()>());
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
