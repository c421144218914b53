//! Behaviour tests against the local sandbox (`cryptopocket-sandbox`): one in-process
//! sandbox per test, a client for it, and the steps most tests begin with.
//!
//! The sandbox's clock is manual: a test moves it with `control.advance` and never sleeps.

use std::time::Duration;

use cryptopocket::{
    Client, Environment,
    customers::NewCustomer,
    model::{PaymentId, PaymentType, UserId},
    offramp::NewOffRamp,
    onramp::NewPayment,
};
use cryptopocket_sandbox::{Control, Sandbox, SandboxConfig};
use rust_decimal::Decimal;
use serde_json::Value;

use super::fast_retries;

/// From registration until KYC is decided, in the sandbox's default schedule.
pub const KYC_DECIDED: Duration = Duration::from_secs(30);
/// From paying on the gateway to `payment_received`, then on to `coins_sent`.
pub const PAYMENT_RECEIVED: Duration = Duration::from_secs(10);
/// See [`PAYMENT_RECEIVED`].
pub const COINS_SENT: Duration = Duration::from_secs(20);

/// A running sandbox, its control handle and a client with its credentials.
pub struct Harness {
    pub sandbox: Sandbox,
    pub control: Control,
    pub client: Client,
}

impl Harness {
    /// A sandbox with the default configuration: manual clock, one-hour tokens.
    pub async fn start() -> Self {
        Self::start_with(SandboxConfig::default()).await
    }

    pub async fn start_with(config: SandboxConfig) -> Self {
        let sandbox = Sandbox::start_with(config).await.expect("start a sandbox");
        let control = sandbox.control();
        let client = client_for(&sandbox, sandbox.api_secret());
        Self {
            sandbox,
            control,
            client,
        }
    }

    /// A second client of the same sandbox that authenticates with `api_secret`.
    pub fn client_with_secret(&self, api_secret: &str) -> Client {
        client_for(&self.sandbox, api_secret)
    }

    /// Registers an individual customer; KYC starts `unused`.
    pub async fn register(&self, email: &str) -> UserId {
        let name = email.split('@').next().unwrap_or("someone");
        self.client
            .customers()
            .create(&person(name, email))
            .await
            .unwrap_or_else(|e| panic!("register {email}: {e:?}"))
            .id
    }

    /// The outcome of every recorded answer of `operation_id`, in order: its error code, or
    /// `ok`.
    pub fn outcomes(&self, operation_id: &str) -> Vec<String> {
        self.control
            .exchanges()
            .iter()
            .filter(|e| e.operation_id == operation_id)
            .map(|e| outcome(&e.body))
            .collect()
    }

    /// `(operationId, outcome)` of every recorded answer, in order.
    pub fn trace(&self) -> Vec<(&'static str, String)> {
        self.control
            .exchanges()
            .iter()
            .map(|e| (e.operation_id, outcome(&e.body)))
            .collect()
    }

    /// Creates a card payment, pays it on the gateway and moves time until the coins are
    /// sent.
    pub async fn buy_with_card(&self, user_id: UserId, euros: i64) -> PaymentId {
        let created = self
            .client
            .onramp()
            .create(&purchase(
                user_id,
                Decimal::new(euros, 0),
                PaymentType::Card,
            ))
            .await
            .expect("create a card payment");
        self.control
            .pay(created.payment_id.as_str(), "card")
            .expect("pay on the gateway");
        self.control.advance(PAYMENT_RECEIVED + COINS_SENT);
        created.payment_id
    }
}

fn client_for(sandbox: &Sandbox, api_secret: &str) -> Client {
    Client::builder()
        .environment(Environment::Custom(sandbox.base_url().to_owned()))
        .credentials(sandbox.api_key(), api_secret)
        .attempt_timeout(Duration::from_secs(5))
        .deadline(Duration::from_secs(10))
        .retry_policy(fast_retries(3))
        .build()
        .expect("a client for the sandbox")
}

fn outcome(body: &str) -> String {
    let body: Value = serde_json::from_str(body).unwrap_or_default();
    body["error"].as_str().unwrap_or("ok").to_owned()
}

/// An individual customer with the optional identity fields filled in.
pub fn person(name: &str, email: &str) -> NewCustomer {
    NewCustomer::new(name, email)
        .surname("Liddell")
        .external_id(format!("cust-{name}"))
        .country("ES")
}

/// The documented createPayment request, for `user_id`, `fiat_amount` euros and a method.
pub fn purchase(user_id: UserId, fiat_amount: Decimal, payment_type: PaymentType) -> NewPayment {
    super::payment_for(&user_id, fiat_amount)
        .payment_type(payment_type)
        .external_id("order-1")
}

/// A sale of 20 BUSD on bsc by `user_id`, paid out to a Spanish IBAN.
pub fn sale(user_id: UserId) -> NewOffRamp {
    NewOffRamp::new(&user_id, Decimal::new(20, 0), "BUSD")
        .blockchain("bsc")
        .iban("ES76 2077 0024 0031 0257 5766")
}
