//! A webhook endpoint in a few lines, receiving real deliveries from a local sandbox.
//!
//! ```sh
//! cargo run -p cryptopocket-webhooks --example webhook_axum
//! ```
//!
//! The example starts `cryptopocket-sandbox` in-process, mounts a `WebhookEndpoint` with an
//! SQLite inbox on an axum server, subscribes it to every event (the legacy
//! `RAMPOFF_FINISHED` too), and plays a customer who buys and then sells. Four events happen;
//! five deliveries arrive (the off-ramp's end comes under both names) and each event is
//! applied once: the legacy delivery is acknowledged as a duplicate without running the
//! handler.

use std::time::Duration;

use axum::Router;
use cryptopocket::webhooks::{WebhookEvent, WebhookVerifier};
use cryptopocket_sandbox::Sandbox;
use cryptopocket_webhooks::{BoxError, Delivery, Outcome, SqliteInbox, WebhookEndpoint};
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::sync::mpsc;

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let sandbox = Sandbox::start().await?;
    let database = std::env::temp_dir().join(format!("webhook_axum-{}.db", std::process::id()));

    // The endpoint: verify, decode, deduplicate, hand over. This is the part a service writes.
    let verifier = WebhookVerifier::new(SecretString::from(sandbox.api_secret().to_owned()))
        .expect_api_key(sandbox.api_key());
    let (applied, mut applied_rx) = mpsc::unbounded_channel();
    let endpoint = WebhookEndpoint::builder(verifier)
        .inbox(SqliteInbox::open(&database)?)
        .lease(Duration::from_secs(30))
        .on_outcome(|outcome: &Outcome| {
            let key = outcome.key().map(ToString::to_string).unwrap_or_default();
            println!(
                "   -> {} {} {key}",
                outcome.status().as_u16(),
                outcome.text()
            );
        })
        .handle(move |delivery: Delivery| {
            let applied = applied.clone();
            async move {
                match &delivery.event {
                    WebhookEvent::PayIn(e) => {
                        println!("   PAY_IN: payment {} received", e.payment_id)
                    }
                    WebhookEvent::CoinsSent(e) => println!(
                        "   COINS_SENT: credit {} {} to the customer (tx {})",
                        e.coin_amount.unwrap_or_default(),
                        e.coin_symbol.as_deref().unwrap_or("?"),
                        e.txid.as_deref().unwrap_or("?")
                    ),
                    WebhookEvent::CryptoReceived(e) => {
                        println!("   CRYPTO_RECEIVED: off-ramp {} funded", e.id);
                    }
                    WebhookEvent::TransferRampoffFinished(e) => {
                        println!("   {}: pay-out of off-ramp {} sent", e.event_type, e.id)
                    }
                    other => println!("   {:?}: logged", other.event_type()),
                }
                applied.send(delivery.key).ok();
                Ok::<_, BoxError>(())
            }
        });
    let app = Router::new().route("/webhooks", endpoint.route());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/webhooks", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("1. webhook endpoint at {url}, inbox {}", database.display());

    // The integration's side, against the sandbox's HTTP API (a service would use
    // `cryptopocket::Client`): subscribe, register a customer, buy, sell.
    let api = Api::authenticate(&sandbox).await?;
    for event in [
        "PAY_IN",
        "COINS_SENT",
        "CRYPTO_RECEIVED",
        "TRANSFER_RAMPOFF_FINISHED",
        "RAMPOFF_FINISHED",
    ] {
        api.call("subscribeToWebhook", json!({"type": event, "url": url}))
            .await?;
    }
    let email = format!("webhook+{}@example.com", std::process::id());
    let customer = api
        .call("registerUser", json!({"name": "Alice", "email": email}))
        .await?;
    let user_id = customer["id"].as_u64().ok_or("no customer id")?;
    let control = sandbox.control();
    control.set_kyc(user_id, "valid")?;
    let payment = api
        .call(
            "createPayment",
            json!({
                "user_id": user_id, "payment_type": "card", "fiat_symbol": "EUR",
                "fiat_amount": 50, "coin_symbol": "USDC", "coin_chain": "polygon",
                "wallet": "0xB51b2ce243bb1F88880bC8D287EBbfd7F695Ac55",
            }),
        )
        .await?;
    control.pay(
        payment["payment_id"].as_str().ok_or("no payment id")?,
        "card",
    )?;
    api.call(
        "createRampoff",
        json!({
            "user_id": user_id, "amount": 20, "symbol": "BUSD", "blockchain": "bsc",
            "iban": "ES76 2077 0024 0031 0257 5766",
        }),
    )
    .await?;
    println!("2. customer {user_id} bought with a card and sold 20 BUSD; moving the clock");
    control.advance(Duration::from_secs(600));

    // Four events, five deliveries.
    for _ in 0..4 {
        tokio::time::timeout(Duration::from_secs(30), applied_rx.recv())
            .await?
            .ok_or("the endpoint stopped")?;
    }
    control.settle().await;
    let stats = endpoint.stats();
    println!(
        "3. {} deliveries: {} applied, {} duplicate(s) acknowledged without running the handler",
        stats.received, stats.applied, stats.duplicates
    );
    sandbox.shutdown().await;
    std::fs::remove_file(&database).ok();
    if stats.applied != 4 || stats.duplicates != 1 {
        return Err(format!("expected 4 events applied once and 1 duplicate: {stats:?}").into());
    }
    Ok(())
}

/// Just enough of the API for the example.
struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn authenticate(sandbox: &Sandbox) -> Result<Self, Failure> {
        let mut api = Api {
            http: reqwest::Client::builder().no_proxy().build()?,
            base: sandbox.base_url().to_owned(),
            token: String::new(),
        };
        let body = json!({"api_key": sandbox.api_key(), "api_secret": sandbox.api_secret()});
        let data = api.call("authenticate", body).await?;
        api.token = data["token"].as_str().ok_or("no token")?.to_owned();
        Ok(api)
    }

    async fn call(&self, operation: &str, body: Value) -> Result<Value, Failure> {
        let answer: Value = self
            .http
            .post(format!("{}/{operation}", self.base))
            .header("auth", &self.token)
            .json(&body)
            .send()
            .await?
            .json()
            .await?;
        if let Some(error) = answer.get("error") {
            return Err(format!("{operation}: {error}").into());
        }
        Ok(answer["data"].clone())
    }
}
