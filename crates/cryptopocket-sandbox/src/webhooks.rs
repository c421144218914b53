//! Signed webhook deliveries: a queue, one worker that posts in order, bounded retries,
//! and a log a test can read.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::sync::{Notify, mpsc};

use crate::config::SandboxConfig;
use crate::server::lock;

/// What happened to one event sent to one subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
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
    event_type: String,
    url: String,
    body: String,
}

/// The sending side of the delivery queue and the log.
pub(crate) struct Outbox {
    queue: mpsc::Sender<Job>,
    log: Arc<Mutex<VecDeque<Delivery>>>,
    pending: Arc<AtomicUsize>,
    idle: Arc<Notify>,
    max_log: usize,
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
        };
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

    /// Queues one delivery; a full queue records it as failed rather than growing.
    pub(crate) fn send(&self, event_type: &str, url: &str, body: String) {
        self.pending.fetch_add(1, Ordering::SeqCst);
        let job = Job {
            event_type: event_type.to_owned(),
            url: url.to_owned(),
            body,
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
        tracing::debug!(event = %job.event_type, attempts, ?outcome, "webhook delivery");
        Delivery {
            event_type: job.event_type,
            url: job.url,
            body: job.body,
            attempts,
            outcome,
        }
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
