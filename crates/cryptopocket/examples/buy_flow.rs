//! The documented buy flow, end to end: authenticate, register a customer, wait for KYC,
//! quote, create a guided payment, pay it as the end user, follow it to `coins_sent`,
//! receive and verify the signed webhook, list the transactions.
//!
//! ```sh
//! cargo run --example buy_flow            # offline, against an in-process sandbox
//! cargo run --example buy_flow -- --live  # against CRYPTOPOCKET_BASE_URL with real credentials
//! ```
//!
//! Offline, the example starts `cryptopocket-sandbox` on a free loopback port with a
//! one-second schedule and plays the end user on the sandbox's payment page itself.
//!
//! With `--live` it reads `CRYPTOPOCKET_API_KEY`, `CRYPTOPOCKET_API_SECRET` and
//! `CRYPTOPOCKET_BASE_URL` (the public sandbox when unset), prints the pages a person must
//! open (KYC form, payment page) and polls while they do. The webhook step needs a public
//! URL that forwards to this machine: set `BUY_FLOW_WEBHOOK_URL` to it and
//! `BUY_FLOW_WEBHOOK_PORT` to the local port it forwards to; without them the step is
//! skipped.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use cryptopocket::{
    Client, Environment,
    customers::NewCustomer,
    model::{EventType, PaymentType},
    onramp::{NewGuidedPayment, QuoteRequest},
    subscriptions::Subscription,
    watch::Outcome,
    webhooks::{WebhookEvent, WebhookVerifier},
};
use cryptopocket_sandbox::{ClockMode, Sandbox, SandboxConfig, Schedule};
use futures::{StreamExt, TryStreamExt};
use rust_decimal::Decimal;
use secrecy::SecretString;
use tokio::sync::mpsc;

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Where the flow runs, and what differs between the two places.
enum Target {
    /// An in-process sandbox: the example plays the end user and time runs fast.
    Local(Sandbox),
    /// A real CryptoPocket environment: a person does the end user's part.
    Live,
}

impl Target {
    fn poll_every(&self) -> Duration {
        match self {
            Target::Local(_) => Duration::from_millis(250),
            Target::Live => Duration::from_secs(10),
        }
    }

    /// How long to wait for a final status: 60 polls' worth locally, 90 live.
    fn max_wait(&self) -> Duration {
        match self {
            Target::Local(_) => Duration::from_secs(15),
            Target::Live => Duration::from_secs(900),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let live = std::env::args().skip(1).any(|a| a == "--live");
    let (target, client, api_secret) = if live {
        let secret = std::env::var("CRYPTOPOCKET_API_SECRET").unwrap_or_default();
        let client = Client::from_env().map_err(|e| {
            format!("{e}: --live needs CRYPTOPOCKET_API_KEY and CRYPTOPOCKET_API_SECRET")
        })?;
        (Target::Live, client, secret)
    } else {
        let sandbox = Sandbox::start_with(SandboxConfig {
            clock: ClockMode::Realtime,
            schedule: Schedule::uniform(Duration::from_millis(500)),
            ..SandboxConfig::default()
        })
        .await?;
        println!("0. started a local sandbox at {}", sandbox.base_url());
        let client = Client::builder()
            .environment(Environment::Custom(sandbox.base_url().to_owned()))
            .credentials(sandbox.api_key(), sandbox.api_secret())
            .build()?;
        let secret = sandbox.api_secret().to_owned();
        (Target::Local(sandbox), client, secret)
    };
    let verifier =
        WebhookVerifier::new(SecretString::from(api_secret)).expect_api_key(client.api_key());
    let result = run(&target, &client, verifier).await;
    if let Target::Local(sandbox) = target {
        sandbox.shutdown().await;
    }
    result
}

async fn run(target: &Target, client: &Client, verifier: WebhookVerifier) -> Result<(), Failure> {
    // 1. The first call authenticates; the client keeps and renews the token from here on.
    let assets = client.assets().list().await?;
    println!(
        "1. authenticated at {} as {}; {} assets on offer",
        client.base_url(),
        client.api_key(),
        assets.len()
    );

    let email = format!("buyer+{}@example.com", std::process::id());
    let request = NewCustomer::new("John", email.clone());
    let customer = client.customers().create(&request).await?;
    println!("2. registered {email} as customer {}", customer.id);
    println!("   KYC form: {}", customer.kyc_form_url);

    // Each new KYC status once, until it is final or the wait is up.
    let watch = client.kyc().watch(&customer.id);
    let mut checks = watch
        .interval(target.poll_every())
        .max_wait(target.max_wait())
        .stream();
    let mut last = None;
    while let Some(kyc) = checks.try_next().await? {
        println!("3. KYC is {}", kyc.status);
        last = Some(kyc);
    }
    match Outcome::from_last(last) {
        Outcome::Succeeded(_) => {}
        Outcome::Failed(kyc) => {
            return Err(format!("KYC ended as {}; the flow stops here", kyc.status).into());
        }
        _ => return Err("KYC was not decided in time; the flow stops here".into()),
    }

    let amount = Decimal::new(15_050, 2);
    let quote = client
        .onramp()
        .quote(&QuoteRequest::new(amount, "USDC", PaymentType::Card).chain("polygon"))
        .await?;
    println!(
        "4. quote: {amount} EUR buys {} USDC on polygon",
        quote.coin_amount
    );

    let mut deliveries = subscribe(target, client).await?;

    let payment = client
        .onramp()
        .create_guided(
            &NewGuidedPayment::new(&customer.id, amount, "USDC", "polygon")
                .external_id(format!("order-{}", std::process::id())),
        )
        .await?;
    println!("6. guided payment {} created", payment.payment_id);

    match target {
        Target::Local(_) => {
            // What the end user's browser does on the gateway page: choose card, pay.
            let answer = reqwest::Client::new()
                .post(&payment.gateway_url)
                .form(&[("payment_type", "card")])
                .send()
                .await?;
            println!(
                "7. played the end user: paid by card on {} (HTTP {})",
                payment.gateway_url,
                answer.status().as_u16()
            );
        }
        Target::Live => println!("7. open {} and pay; polling meanwhile", payment.gateway_url),
    }

    // Each new status once, until it is final or the wait is up.
    let watch = client.onramp().watch(&payment.payment_id);
    let mut states = watch
        .interval(target.poll_every())
        .max_wait(target.max_wait())
        .stream();
    let mut last = None;
    while let Some(state) = states.try_next().await? {
        println!(
            "8. payment is {} ({} {} for {} {})",
            state.status,
            state.fiat_amount,
            state.fiat_symbol,
            state.coin_amount.unwrap_or_default(),
            state.coin_symbol
        );
        last = Some(state);
    }
    let Outcome::Succeeded(paid) = Outcome::from_last(last) else {
        return Err("the payment did not reach coins_sent; follow it later by its id".into());
    };
    println!("   txid {}", paid.txid.as_deref().unwrap_or("(none)"));

    if let Some(deliveries) = deliveries.as_mut() {
        loop {
            let (headers, body) = tokio::time::timeout(Duration::from_secs(30), deliveries.recv())
                .await?
                .ok_or("the webhook receiver stopped")?;
            match verifier.verify_event(&headers, &body)? {
                WebhookEvent::CoinsSent(event) if event.payment_id == payment.payment_id => {
                    println!(
                        "9. received COINS_SENT for {}: signature verified, txid {}",
                        event.payment_id,
                        event.txid.as_deref().unwrap_or("(none)")
                    );
                    break;
                }
                other => println!("9. received {} (signature verified)", other.event_type()),
            }
        }
    }

    println!("10. on-ramp transactions:");
    let payments: Vec<_> = client
        .onramp()
        .list()
        .stream()
        .take(20)
        .try_collect()
        .await?;
    for p in &payments {
        println!(
            "    {}  {:>16}  {:>9} {}  {} {}",
            p.id,
            p.status,
            p.fiat_amount,
            p.fiat_symbol,
            p.coin_amount.unwrap_or_default(),
            p.coin_symbol
        );
    }
    println!("done: payment {} is coins_sent", paid.id);
    Ok(())
}

/// Starts a receiver and subscribes it to the payment events; `None` when there is no URL
/// CryptoPocket could reach (live mode without `BUY_FLOW_WEBHOOK_URL`).
async fn subscribe(
    target: &Target,
    client: &Client,
) -> Result<Option<mpsc::Receiver<(HeaderMap, Bytes)>>, Failure> {
    let (port, public_url) = match target {
        Target::Local(_) => (0, None),
        Target::Live => match std::env::var("BUY_FLOW_WEBHOOK_URL") {
            Ok(url) => {
                let port = std::env::var("BUY_FLOW_WEBHOOK_PORT")
                    .ok()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(0);
                (port, Some(url))
            }
            Err(_) => {
                println!("5. no BUY_FLOW_WEBHOOK_URL: skipping the webhook step");
                return Ok(None);
            }
        },
    };
    let (tx, rx) = mpsc::channel(16);
    let app = axum::Router::new().route(
        "/webhooks",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let tx = tx.clone();
            async move {
                // Verification happens in the flow; the receiver only hands over the raw
                // bytes, untouched, as verification requires.
                match tx.send((headers, body)).await {
                    Ok(()) => StatusCode::OK,
                    Err(_) => StatusCode::SERVICE_UNAVAILABLE,
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    let url = public_url.unwrap_or_else(|| format!("http://{local}/webhooks"));
    for event in [EventType::PayIn, EventType::CoinsSent] {
        client
            .webhooks()
            .subscribe(&Subscription::new(event, &url))
            .await?;
    }
    println!("5. subscribed {url} to PAY_IN and COINS_SENT");
    Ok(Some(rx))
}
