//! Signed webhook deliveries: a queue, one worker that posts in order, bounded retries,
//! and a log a test can read. Also where each event is routed (the subscriptions, plus the
//! sandbox's own extra subscriber URLs) and the drills a receiver is put through: every
//! delivery twice, and redelivery of one already made.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::sync::{Notify, mpsc};

use crate::config::SandboxConfig;
use crate::server::lock;
use crate::world::Event;

/// What happened to one event sent to one subscriber.
///
/// Its JSON form is the one `GET /sandbox/deliveries` answers (and
/// [`RemoteControl::deliveries`](crate::RemoteControl::deliveries) reads): the fields
/// below, flat, with the outcome as `outcome` (`delivered` or `failed`), `status` and
/// `reason`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "DeliveryWire")]
#[non_exhaustive]
pub struct Delivery {
    /// The sandbox's id for this delivery (`dlv_1`, `dlv_2`, … in the order they were
    /// queued), which [`Control::redeliver`](crate::Control::redeliver) takes. A sandbox
    /// name: CryptoPocket sends no delivery or event id.
    pub id: String,
    /// The delivery this one repeats: set on a redelivery and on the second copy that
    /// `deliver_twice` sends; `None` for an event's first delivery.
    pub duplicate_of: Option<String>,
    /// The event type as subscribed (`PAY_IN`, `COINS_SENT`, …).
    pub event_type: String,
    /// Where it was posted.
    pub url: String,
    /// The JSON body, exactly as signed and sent.
    pub body: String,
    /// Attempts made, the first one included.
    pub attempts: u32,
    /// How the last attempt ended.
    pub outcome: DeliveryOutcome,
}

/// How a delivery's last attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The receiver answered 2xx.
    Delivered {
        /// Its status code.
        status: u16,
    },
    /// Every attempt failed; the reason of the last one.
    Failed {
        /// A status code or a transport error, in words.
        reason: String,
    },
}

/// [`Delivery`] as the control route writes it (borrowed, so a listing copies no body).
#[derive(serde::Serialize)]
struct DeliveryWireRef<'a> {
    id: &'a str,
    duplicate_of: Option<&'a str>,
    event_type: &'a str,
    url: &'a str,
    attempts: u32,
    outcome: &'static str,
    status: Option<u16>,
    reason: Option<&'a str>,
    body: &'a str,
}

/// [`Delivery`] as it is read back; fields this version does not know are ignored.
#[derive(serde::Deserialize)]
struct DeliveryWire {
    id: String,
    duplicate_of: Option<String>,
    event_type: String,
    url: String,
    attempts: u32,
    outcome: String,
    status: Option<u16>,
    reason: Option<String>,
    body: String,
}

impl serde::Serialize for Delivery {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (outcome, status, reason) = match &self.outcome {
            DeliveryOutcome::Delivered { status } => ("delivered", Some(*status), None),
            DeliveryOutcome::Failed { reason } => ("failed", None, Some(reason.as_str())),
        };
        DeliveryWireRef {
            id: &self.id,
            duplicate_of: self.duplicate_of.as_deref(),
            event_type: &self.event_type,
            url: &self.url,
            attempts: self.attempts,
            outcome,
            status,
            reason,
            body: &self.body,
        }
        .serialize(serializer)
    }
}

impl TryFrom<DeliveryWire> for Delivery {
    type Error = String;

    fn try_from(wire: DeliveryWire) -> Result<Self, String> {
        let outcome = match (wire.outcome.as_str(), wire.status, wire.reason) {
            ("delivered", Some(status), _) => DeliveryOutcome::Delivered { status },
            ("failed", _, Some(reason)) => DeliveryOutcome::Failed { reason },
            (word, ..) => {
                return Err(format!(
                    "a delivery's outcome is `delivered` with a status or `failed` with a \
                     reason, not {:?}",
                    word.chars().take(40).collect::<String>()
                ));
            }
        };
        Ok(Delivery {
            id: wire.id,
            duplicate_of: wire.duplicate_of,
            event_type: wire.event_type,
            url: wire.url,
            body: wire.body,
            attempts: wire.attempts,
            outcome,
        })
    }
}

/// HMAC-SHA256 over the raw body followed by the timestamp, keyed with the API secret,
/// in lower-case hex: the scheme the reference describes.
pub fn sign(secret: &str, body: &[u8], timestamp: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(body);
    mac.update(timestamp.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

struct Job {
    id: String,
    duplicate_of: Option<String>,
    event_type: String,
    url: String,
    body: String,
}

/// One event for one URL, before it is queued.
pub(crate) struct Routed {
    event_type: String,
    url: String,
    body: String,
}

/// A delivery just queued: what a redelivery answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Queued {
    pub(crate) id: String,
    pub(crate) duplicate_of: Option<String>,
    pub(crate) event_type: String,
    pub(crate) url: String,
}

/// Which remembered deliveries to send again.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Which<'a> {
    Id(&'a str),
    Last,
    All,
}

/// Why a redelivery was not queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RedeliverError {
    /// No remembered delivery has that id.
    Unknown,
    /// `Last` with nothing delivered yet.
    NoneYet,
}

/// The current event types, every one an extra subscriber URL receives. The legacy
/// `RAMPOFF_FINISHED` goes only to those who subscribed with that name.
const CURRENT_EVENT_TYPES: [&str; 4] = [
    "PAY_IN",
    "COINS_SENT",
    "CRYPTO_RECEIVED",
    "TRANSFER_RAMPOFF_FINISHED",
];

/// The sending side of the delivery queue and the log.
pub(crate) struct Outbox {
    queue: mpsc::Sender<Job>,
    log: Arc<Mutex<VecDeque<Delivery>>>,
    pending: Arc<AtomicUsize>,
    idle: Arc<Notify>,
    max_log: usize,
    next_id: AtomicU64,
    deliver_twice: AtomicBool,
    webhook_urls: Mutex<Vec<String>>,
}

impl Outbox {
    /// Starts the worker on the current runtime.
    pub(crate) fn start(config: &SandboxConfig) -> Self {
        let (queue, jobs) = mpsc::channel(config.limits.max_deliveries.max(1));
        let outbox = Outbox {
            queue,
            log: Arc::default(),
            pending: Arc::default(),
            idle: Arc::default(),
            max_log: config.limits.max_deliveries.max(1),
            next_id: AtomicU64::new(1),
            deliver_twice: AtomicBool::new(config.deliver_twice),
            webhook_urls: Mutex::new(Vec::new()),
        };
        for url in &config.webhook_urls {
            outbox.add_webhook_url(url);
        }
        let worker = Worker {
            http: reqwest::Client::builder()
                .timeout(config.webhook_timeout)
                // A receiver answering 3xx has not taken the delivery; following it would
                // post the signed event wherever the receiver points.
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .build()
                .unwrap_or_default(),
            api_key: config.api_key.clone(),
            api_secret: config.api_secret.clone(),
            attempts: config.webhook_attempts.max(1),
            backoff: config.webhook_backoff,
            log: outbox.log.clone(),
            pending: outbox.pending.clone(),
            idle: outbox.idle.clone(),
            max_log: outbox.max_log,
        };
        tokio::spawn(worker.run(jobs));
        outbox
    }

    /// Where each event goes: the URL subscribed for its type (the legacy
    /// `RAMPOFF_FINISHED` subscription gets `TRANSFER_RAMPOFF_FINISHED` under its old name),
    /// then every extra subscriber URL that does not already get it under the same name.
    /// Called under the world's lock; [`Outbox::send_all`] queues the result after it.
    pub(crate) fn route(
        &self,
        events: Vec<Event>,
        subscriptions: &BTreeMap<String, String>,
    ) -> Vec<Routed> {
        let extra = lock(&self.webhook_urls).clone();
        let mut routed = Vec::new();
        for event in events {
            let mut targets: Vec<(String, String)> = Vec::new();
            for (subscribed, url) in subscriptions {
                // Subscribers under the legacy name get the renamed event too.
                let wanted = subscribed == event.event_type
                    || (subscribed == "RAMPOFF_FINISHED"
                        && event.event_type == "TRANSFER_RAMPOFF_FINISHED");
                if wanted {
                    targets.push((subscribed.clone(), url.clone()));
                }
            }
            if CURRENT_EVENT_TYPES.contains(&event.event_type) {
                for url in &extra {
                    let target = (event.event_type.to_owned(), url.clone());
                    if !targets.contains(&target) {
                        targets.push(target);
                    }
                }
            }
            for (event_type, url) in targets {
                let mut body = event.body.clone();
                body["type"] = serde_json::Value::String(event_type.clone());
                routed.push(Routed {
                    event_type,
                    url,
                    body: body.to_string(),
                });
            }
        }
        routed
    }

    /// Queues every routed delivery, each twice in a row when `deliver_twice` is on (the
    /// copy names the first as the one it repeats).
    pub(crate) fn send_all(&self, routed: Vec<Routed>) {
        let twice = self.deliver_twice.load(Ordering::SeqCst);
        for Routed {
            event_type,
            url,
            body,
        } in routed
        {
            let copy = twice.then(|| body.clone());
            let first = self.send(&event_type, &url, body, None);
            if let Some(body) = copy {
                self.send(&event_type, &url, body, Some(first.id));
            }
        }
    }

    /// Queues one delivery under a new id; a full queue records it as failed rather than
    /// growing.
    fn send(
        &self,
        event_type: &str,
        url: &str,
        body: String,
        duplicate_of: Option<String>,
    ) -> Queued {
        self.pending.fetch_add(1, Ordering::SeqCst);
        let job = Job {
            id: format!("dlv_{}", self.next_id.fetch_add(1, Ordering::SeqCst)),
            duplicate_of,
            event_type: event_type.to_owned(),
            url: url.to_owned(),
            body,
        };
        let queued = Queued {
            id: job.id.clone(),
            duplicate_of: job.duplicate_of.clone(),
            event_type: job.event_type.clone(),
            url: job.url.clone(),
        };
        if let Err(e) = self.queue.try_send(job) {
            let job = match e {
                mpsc::error::TrySendError::Full(job) | mpsc::error::TrySendError::Closed(job) => {
                    job
                }
            };
            record(
                &self.log,
                self.max_log,
                Delivery {
                    id: job.id,
                    duplicate_of: job.duplicate_of,
                    event_type: job.event_type,
                    url: job.url,
                    body: job.body,
                    attempts: 0,
                    outcome: DeliveryOutcome::Failed {
                        reason: "the delivery queue is full".into(),
                    },
                },
            );
            done(&self.pending, &self.idle);
        }
        queued
    }

    /// Queues remembered deliveries again, as a sender's retry would: the same event type,
    /// URL and body, signed when the attempt is made (so with a new `X-Timestamp`). Once
    /// each, whatever `deliver_twice` says; in the order they were first queued.
    pub(crate) fn redeliver(&self, which: Which<'_>) -> Result<Vec<Queued>, RedeliverError> {
        let originals: Vec<Delivery> = {
            let log = lock(&self.log);
            match which {
                Which::Id(id) => vec![
                    log.iter()
                        .find(|d| d.id == id)
                        .cloned()
                        .ok_or(RedeliverError::Unknown)?,
                ],
                Which::Last => vec![log.back().cloned().ok_or(RedeliverError::NoneYet)?],
                Which::All => {
                    let mut all: Vec<Delivery> = log.iter().cloned().collect();
                    all.sort_by_key(|d| sequence(&d.id));
                    all
                }
            }
        };
        Ok(originals
            .into_iter()
            .map(|d| self.send(&d.event_type, &d.url, d.body, Some(d.id)))
            .collect())
    }

    pub(crate) fn deliver_twice(&self) -> bool {
        self.deliver_twice.load(Ordering::SeqCst)
    }

    pub(crate) fn set_deliver_twice(&self, on: bool) {
        self.deliver_twice.store(on, Ordering::SeqCst);
    }

    pub(crate) fn webhook_urls(&self) -> Vec<String> {
        lock(&self.webhook_urls).clone()
    }

    /// Adds an extra subscriber URL (once: adding it again changes nothing).
    pub(crate) fn add_webhook_url(&self, url: &str) {
        let mut urls = lock(&self.webhook_urls);
        if !urls.iter().any(|u| u == url) {
            urls.push(url.to_owned());
        }
    }

    /// Removes an extra subscriber URL; whether it was there.
    pub(crate) fn remove_webhook_url(&self, url: &str) -> bool {
        let mut urls = lock(&self.webhook_urls);
        let before = urls.len();
        urls.retain(|u| u != url);
        urls.len() != before
    }

    pub(crate) fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.log).iter().cloned().collect()
    }

    /// Waits until every queued delivery has succeeded or used up its attempts.
    pub(crate) async fn settle(&self) {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.pending.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }
}

struct Worker {
    http: reqwest::Client,
    api_key: String,
    api_secret: String,
    attempts: u32,
    backoff: Duration,
    log: Arc<Mutex<VecDeque<Delivery>>>,
    pending: Arc<AtomicUsize>,
    idle: Arc<Notify>,
    max_log: usize,
}

impl Worker {
    // One job at a time keeps deliveries in the order the events happened.
    async fn run(self, mut jobs: mpsc::Receiver<Job>) {
        while let Some(job) = jobs.recv().await {
            let delivery = self.deliver(job).await;
            record(&self.log, self.max_log, delivery);
            done(&self.pending, &self.idle);
        }
    }

    async fn deliver(&self, job: Job) -> Delivery {
        let mut pause = self.backoff;
        let mut outcome = DeliveryOutcome::Failed {
            reason: "not attempted".into(),
        };
        let mut attempts = 0;
        while attempts < self.attempts {
            if attempts > 0 {
                tokio::time::sleep(pause).await;
                pause = pause.saturating_mul(2);
            }
            attempts += 1;
            // Signed with wall-clock time: receivers check it against their own clock,
            // whatever the sandbox's virtual clock says.
            let timestamp = chrono::Utc::now().timestamp().to_string();
            let signature = sign(&self.api_secret, job.body.as_bytes(), &timestamp);
            let sent = self
                .http
                .post(&job.url)
                .header("content-type", "application/json")
                .header("X-API-Key", &self.api_key)
                .header("X-Signature", signature)
                .header("X-Timestamp", &timestamp)
                .body(job.body.clone())
                .send()
                .await;
            outcome = match sent {
                Ok(answer) if answer.status().is_success() => DeliveryOutcome::Delivered {
                    status: answer.status().as_u16(),
                },
                Ok(answer) => DeliveryOutcome::Failed {
                    reason: format!("the receiver answered HTTP {}", answer.status().as_u16()),
                },
                Err(e) if e.is_timeout() => DeliveryOutcome::Failed {
                    reason: "the receiver did not answer in time".into(),
                },
                Err(_) => DeliveryOutcome::Failed {
                    reason: "the receiver could not be reached".into(),
                },
            };
            if matches!(outcome, DeliveryOutcome::Delivered { .. }) {
                break;
            }
        }
        tracing::debug!(id = %job.id, event = %job.event_type, attempts, ?outcome, "webhook delivery");
        Delivery {
            id: job.id,
            duplicate_of: job.duplicate_of,
            event_type: job.event_type,
            url: job.url,
            body: job.body,
            attempts,
            outcome,
        }
    }
}

/// The number in a delivery id (`dlv_12` → 12), for ordering.
fn sequence(id: &str) -> u64 {
    id.strip_prefix("dlv_")
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX)
}

/// Whether `url` can be a subscriber: an http or https URL with a host, as subscribing
/// through the API requires. `Err` says what is wrong.
pub(crate) fn check_url(url: &str) -> Result<(), String> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(format!("{url:?} is not an http or https URL")),
    }
}

fn record(log: &Mutex<VecDeque<Delivery>>, max: usize, delivery: Delivery) {
    let mut log = lock(log);
    if log.len() >= max {
        log.pop_front();
    }
    log.push_back(delivery);
}

fn done(pending: &AtomicUsize, idle: &Notify) {
    if pending.fetch_sub(1, Ordering::SeqCst) == 1 {
        idle.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hex_hmac_of_body_then_timestamp() {
        // printf '{"a":1}1700000000' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            sign("secret", br#"{"a":1}"#, "1700000000"),
            "5bfb71b792ec829c706a4d9bf7e6cb063d5abc4336963b9ecdb01288e5befb5b"
        );
    }
}
