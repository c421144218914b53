//! How a sandbox is set up: credentials, address, clock, schedule and limits.

use std::net::SocketAddr;
use std::time::Duration;

use rust_decimal::Decimal;

/// Everything a [`Sandbox`](crate::Sandbox) can be started with.
///
/// `SandboxConfig::default()` is what tests want: port 0 on loopback, fresh random
/// credentials and a manual clock. [`SandboxConfig::standalone`] is what a developer
/// running the server by hand wants: a fixed port, credentials that are easy to type and
/// time that passes by itself.
#[derive(Clone)]
pub struct SandboxConfig {
    /// The API key `/authenticate` accepts; also sent as `X-API-Key` on webhook deliveries.
    pub api_key: String,
    /// The API secret `/authenticate` accepts; also the HMAC key of webhook signatures.
    pub api_secret: String,
    /// Where to listen. Port 0 picks a free port.
    pub addr: SocketAddr,
    /// How long a token from `/authenticate` stays valid, in virtual time.
    pub token_ttl: Duration,
    /// Whether virtual time follows the wall clock or moves only when told to.
    pub clock: ClockMode,
    /// How long each automatic status change takes, in virtual time.
    pub schedule: Schedule,
    /// Bounds on state, bodies and the business rules' amounts.
    pub limits: Limits,
    /// Webhook delivery attempts per event (the first one included) and the pause before
    /// the second one; each further pause doubles.
    pub webhook_attempts: u32,
    /// See [`SandboxConfig::webhook_attempts`].
    pub webhook_backoff: Duration,
    /// How long one delivery attempt may take before it counts as failed.
    pub webhook_timeout: Duration,
    /// Extra subscriber URLs, beside the ones subscribed through the API: each receives
    /// every event of the four current types (`PAY_IN`, `COINS_SENT`, `CRYPTO_RECEIVED`,
    /// `TRANSFER_RAMPOFF_FINISHED`), in order, each delivery with its own retries, so one
    /// failing receiver does not stop the others. A sandbox feature for drills: the API keeps
    /// one URL per event type (`updateWebhookSubscription` replaces it). A URL that already
    /// gets an event through its subscription does not get it twice.
    pub webhook_urls: Vec<String>,
    /// Deliver every event twice in a row (the second copy signed afresh), to drill a
    /// receiver's duplicate handling. A sandbox feature; switch it at run time with
    /// [`Control::set_deliver_twice`](crate::Control::set_deliver_twice).
    pub deliver_twice: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            api_key: format!("sbx_key_{}", random_alphanumeric(16)),
            api_secret: format!("sbx_secret_{}", random_alphanumeric(32)),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            token_ttl: Duration::from_secs(3600),
            clock: ClockMode::Manual,
            schedule: Schedule::default(),
            limits: Limits::default(),
            webhook_attempts: 4,
            webhook_backoff: Duration::from_millis(100),
            webhook_timeout: Duration::from_secs(5),
            webhook_urls: Vec::new(),
            deliver_twice: false,
        }
    }
}

impl std::fmt::Debug for SandboxConfig {
    // The secret stays out of logs even for a local server: the habit matters more here.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("api_key", &self.api_key)
            .field("api_secret", &"[redacted]")
            .field("addr", &self.addr)
            .field("token_ttl", &self.token_ttl)
            .field("clock", &self.clock)
            .field("schedule", &self.schedule)
            .field("limits", &self.limits)
            .field("webhook_urls", &self.webhook_urls)
            .field("deliver_twice", &self.deliver_twice)
            .finish_non_exhaustive()
    }
}

impl SandboxConfig {
    /// The API key a standalone sandbox accepts unless told otherwise.
    pub const STANDALONE_API_KEY: &'static str = "sandbox_api_key";
    /// The API secret a standalone sandbox accepts unless told otherwise.
    pub const STANDALONE_API_SECRET: &'static str = "sandbox_api_secret";

    /// A server for a developer: listens on `addr`, accepts
    /// [`STANDALONE_API_KEY`](Self::STANDALONE_API_KEY) /
    /// [`STANDALONE_API_SECRET`](Self::STANDALONE_API_SECRET), and lets time pass by
    /// itself.
    pub fn standalone(addr: SocketAddr) -> Self {
        SandboxConfig {
            api_key: Self::STANDALONE_API_KEY.to_owned(),
            api_secret: Self::STANDALONE_API_SECRET.to_owned(),
            addr,
            clock: ClockMode::Realtime,
            ..SandboxConfig::default()
        }
    }
}

/// How the sandbox's virtual clock moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    /// Time stands still until [`Control::advance`](crate::Control::advance) moves it:
    /// tests decide when a status changes and never sleep.
    Manual,
    /// Time follows the wall clock (and `advance` still jumps ahead); statuses change on
    /// their own as the schedule says.
    Realtime,
}

/// How long each automatic step of the documented flows takes, in virtual time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// From registration until KYC moves from `unused` to `processing` (the customer has
    /// opened and sent the form).
    pub kyc_processing: Duration,
    /// From registration until KYC is decided (`valid`, or `fail` by the rules).
    pub kyc_decided: Duration,
    /// From the payer paying on the gateway (or a reconciliation) to `payment_received`.
    pub payment_received: Duration,
    /// From `payment_received` to `coins_sent`.
    pub coins_sent: Duration,
    /// From an off-ramp's creation until the customer's crypto arrives.
    pub crypto_received: Duration,
    /// From the crypto's arrival until the payout transfer is sent (`finished`).
    pub rampoff_finished: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            kyc_processing: Duration::from_secs(5),
            kyc_decided: Duration::from_secs(30),
            payment_received: Duration::from_secs(10),
            coins_sent: Duration::from_secs(20),
            crypto_received: Duration::from_secs(30),
            rampoff_finished: Duration::from_secs(60),
        }
    }
}

impl Schedule {
    /// Every step takes `step`: a demo (such as the buy-flow example) finishes in seconds.
    pub fn uniform(step: Duration) -> Self {
        Schedule {
            kyc_processing: step,
            kyc_decided: step.saturating_mul(2),
            payment_received: step,
            coins_sent: step,
            crypto_received: step,
            rampoff_finished: step,
        }
    }
}

/// Bounds that keep the sandbox's memory, connections and clock in hand whatever a client
/// sends, and the amounts its business rules use.
///
/// Two bounds are fixed rather than configured, because arithmetic depends on them: an
/// amount in a request is at most 10^15 (more is `fail_mandatory_field`), and the virtual
/// clock goes at most ten thousand years ahead (`POST /sandbox/advance` and
/// [`Control::try_advance`](crate::Control::try_advance) refuse to go past it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body read, in bytes; a bigger one gets HTTP 413.
    pub max_body_bytes: usize,
    /// Customers kept; registering one more is refused with `unexpected_error`.
    pub max_customers: usize,
    /// Payments kept (both kinds).
    pub max_payments: usize,
    /// Off-ramp operations kept.
    pub max_rampoffs: usize,
    /// Bank transactions kept per account.
    pub max_transactions: usize,
    /// Live tokens kept; the oldest is forgotten first.
    pub max_tokens: usize,
    /// Recorded exchanges (requests and their answers) kept for inspection.
    pub max_exchanges: usize,
    /// Webhook deliveries remembered for inspection, and queued at most.
    pub max_deliveries: usize,
    /// Connections served at once (at least 1). One more waits, unanswered, in the
    /// listen queue until a served one closes, so that a flood of connections cannot use
    /// up the process's file descriptors.
    pub max_connections: usize,
    /// How long a client may take to send a whole request head (request line and
    /// headers), counted from when the server starts reading it; a connection that is
    /// slower, or that sends nothing, is closed. The same bound applies to an idle
    /// keep-alive connection between two requests. Taken between 1 ms and 24 h.
    pub header_timeout: Duration,
    /// How long one request may take once its head is read: receiving its body and
    /// answering. A client that trickles a body is answered HTTP 408 and disconnected when it
    /// runs out, so it cannot hold a connection slot for ever. Taken between 1 ms and 24 h.
    pub request_timeout: Duration,
    /// Smallest purchase in EUR (`min_purchase` below it).
    pub min_purchase: Decimal,
    /// Purchases above this many EUR need the enhanced verification
    /// (`kyc_reinforced_required` until it is done).
    pub reinforced_above: Decimal,
    /// Card purchases a customer may make per calendar quarter, in EUR (`limit_exceded`
    /// beyond it).
    pub quarterly_card_limit: Decimal,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 2 * 1024 * 1024,
            max_customers: 10_000,
            max_payments: 10_000,
            max_rampoffs: 10_000,
            max_transactions: 10_000,
            max_tokens: 1_024,
            max_exchanges: 256,
            max_deliveries: 1_024,
            max_connections: 1_024,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            min_purchase: Decimal::new(20, 0),
            reinforced_above: Decimal::new(1_000, 0),
            quarterly_card_limit: Decimal::new(5_000, 0),
        }
    }
}

/// `len` random characters from `[A-Za-z0-9]`, the alphabet of the API's own ids.
pub(crate) fn random_alphanumeric(len: usize) -> String {
    std::iter::repeat_with(fastrand::alphanumeric)
        .take(len)
        .collect()
}
