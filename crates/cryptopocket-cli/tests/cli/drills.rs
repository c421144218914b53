//! The webhook drills from the command line: `cryptopocket sandbox redeliver`,
//! `deliver-twice` and `webhook-url` against an in-process sandbox, and `sandbox serve
//! --deliver-twice --webhook-url URL` as a process.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{
    sandbox::Api,
    support::{blocking, cli_for, exports, failed, hook_receiver, payments_create, stderr, stdout},
};

fn counts(bodies: &Mutex<Vec<String>>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for body in bodies.lock().expect("lock").iter() {
        *counts.entry(body.clone()).or_default() += 1;
    }
    counts
}

/// A paid card payment of 50 EUR whose clock has passed `coins_sent`: `PAY_IN` and
/// `COINS_SENT`. Runs the binary against `run`'s sandbox.
async fn paid_payment(api: &Api, email: &str) -> String {
    let user = api.customer(email, true).await;
    let created = api.json(&payments_create(&user, "50")).await;
    let id = created["payment_id"].as_str().expect("an id").to_owned();
    api.pay_and_advance(&id).await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redeliver_deliver_twice_and_webhook_url_commands() {
    let api = Api::start().await;
    let (subscribed, subscribed_bodies) = hook_receiver().await;
    let (extra, extra_bodies) = hook_receiver().await;
    api.subscribe(&subscribed).await;

    // An extra subscriber URL and deliver-twice, switched on from the command line.
    let settings = api.json(&["sandbox", "webhook-url", "add", &extra]).await;
    assert_eq!(settings["webhook_urls"][0], extra.as_str(), "{settings}");
    let settings = api.json(&["sandbox", "deliver-twice", "on"]).await;
    assert_eq!(settings["deliver_twice"], true, "{settings}");
    assert!(api.control().deliver_twice());
    assert_eq!(api.control().webhook_urls(), std::slice::from_ref(&extra));

    paid_payment(&api, "ana-drill@example.com").await;
    // COINS_SENT twice to the subscription; PAY_IN and COINS_SENT twice each to the extra URL.
    let subscribed_counts = counts(&subscribed_bodies);
    assert_eq!(subscribed_counts.len(), 1, "{subscribed_counts:?}");
    assert!(subscribed_counts.values().all(|&n| n == 2));
    let extra_counts = counts(&extra_bodies);
    assert_eq!(extra_counts.len(), 2, "{extra_counts:?}");
    assert!(extra_counts.values().all(|&n| n == 2));

    // The listing names every delivery and the one each copy repeats.
    let deliveries = api.json(&["sandbox", "deliveries"]).await;
    let list = deliveries.as_array().expect("a list");
    assert_eq!(list.len(), 6, "{deliveries}");
    assert_eq!(
        list.iter()
            .filter(|d| d["duplicate_of"].is_string())
            .count(),
        3,
        "{deliveries}"
    );
    let table = stdout(&api.run(&["sandbox", "deliveries"]).await);
    assert!(
        table.contains("duplicate_of") && table.contains("dlv_1"),
        "{table}"
    );

    // Redeliver one by id, then the last, then all.
    let first = list[0]["id"].as_str().expect("an id").to_owned();
    let queued = api.json(&["sandbox", "redeliver", &first]).await;
    let queued = queued.as_array().expect("a list").clone();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0]["duplicate_of"], first.as_str());
    assert_eq!(queued[0]["outcome"], "queued");
    api.control().settle().await;
    let again = api.control().deliveries();
    assert_eq!(again.len(), 7, "once, whatever deliver-twice says");
    assert_eq!(again[6].body, list[0]["body"].as_str().expect("a body"));

    let last = api.json(&["sandbox", "redeliver", "--last"]).await;
    assert_eq!(last[0]["duplicate_of"], again[6].id.as_str(), "{last}");
    api.control().settle().await;
    let all = api.json(&["sandbox", "redeliver", "--all"]).await;
    assert_eq!(all.as_array().map(Vec::len), Some(8), "{all}");
    api.control().settle().await;
    assert_eq!(api.control().deliveries().len(), 16);
    assert_eq!(
        subscribed_bodies.lock().expect("lock").len() + extra_bodies.lock().expect("lock").len(),
        16
    );

    // Off again, and the extra URL removed: one COINS_SENT to the subscription only.
    api.json(&["sandbox", "deliver-twice", "off"]).await;
    let settings = api
        .json(&["sandbox", "webhook-url", "remove", &extra])
        .await;
    assert_eq!(
        settings["webhook_urls"],
        serde_json::json!([]),
        "{settings}"
    );
    let before = (
        subscribed_bodies.lock().expect("lock").len(),
        extra_bodies.lock().expect("lock").len(),
    );
    paid_payment(&api, "ana-drill-2@example.com").await;
    assert_eq!(subscribed_bodies.lock().expect("lock").len(), before.0 + 1);
    assert_eq!(extra_bodies.lock().expect("lock").len(), before.1);

    // Refusals: an unknown delivery (the sandbox's, exit 1), and usage errors (exit 2,
    // nothing sent).
    let stderr = api.fails(1, &["sandbox", "redeliver", "dlv_4242"]).await;
    assert!(stderr.contains("no delivery with id dlv_4242"), "{stderr}");
    let stderr = api
        .fails(1, &["sandbox", "webhook-url", "remove", &extra])
        .await;
    assert!(stderr.contains("sandbox_control"), "{stderr}");
    for args in [
        &["sandbox", "redeliver"][..],
        &["sandbox", "redeliver", "dlv_1", "--last"],
        &["sandbox", "redeliver", "--last", "--all"],
        &["sandbox", "deliver-twice", "maybe"],
        &["sandbox", "webhook-url", "add", "ftp://example.com/hook"],
        &["sandbox", "webhook-url", "list", &extra],
    ] {
        let output = api.run(args).await;
        failed(&output, 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redeliver_before_any_delivery_is_refused() {
    let api = Api::start().await;
    let stderr = api.fails(1, &["sandbox", "redeliver", "--last"]).await;
    assert!(stderr.contains("no webhook delivery"), "{stderr}");
    let none = api.json(&["sandbox", "redeliver", "--all"]).await;
    assert_eq!(none, serde_json::json!([]));
}

/// `sandbox serve --deliver-twice --webhook-url A --webhook-url B`: a standalone sandbox (real
/// clock) that delivers every event twice to both URLs, with no subscription made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_takes_the_drill_flags() {
    use std::process::{Command, Stdio};

    let (first, first_bodies) = hook_receiver().await;
    let (second, second_bodies) = hook_receiver().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_cryptopocket"))
        .args(["sandbox", "serve", "--port", "0", "--deliver-twice"])
        .args(["--webhook-url", &first, "--webhook-url", &second])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the sandbox");
    let out = child.stdout.take().expect("stdout");
    let exports = blocking(move || exports(out)).await;
    let get = |name: &str| exports.get(name).cloned().unwrap_or_default();
    let (url, key, secret) = (
        get("CRYPTOPOCKET_BASE_URL"),
        get("CRYPTOPOCKET_API_KEY"),
        get("CRYPTOPOCKET_API_SECRET"),
    );
    let run = |args: Vec<&str>| {
        let (url, key, secret) = (url.clone(), key.clone(), secret.clone());
        let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        blocking(move || {
            cli_for(&url, &key, &secret)
                .args(&args)
                .output()
                .expect("run the binary")
        })
    };
    let json = |output: std::process::Output| -> Value {
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_slice(&output.stdout).expect("JSON")
    };

    let settings = json(run(vec!["--json", "sandbox", "deliver-twice", "on"]).await);
    assert_eq!(
        settings["webhook_urls"],
        serde_json::json!([first, second]),
        "{settings}"
    );
    let user = json(
        run(vec![
            "--json",
            "customers",
            "register",
            "--name",
            "Ana",
            "--email",
            "ana-serve-drill@example.com",
        ])
        .await,
    )["id"]
        .to_string();
    json(run(vec!["--json", "sandbox", "advance", "1h"]).await);
    let mut create = payments_create(&user, "50");
    create.push("--json");
    let created = json(run(create).await);
    let id = created["payment_id"].as_str().expect("an id").to_owned();
    json(run(vec!["--json", "sandbox", "pay", &id]).await);
    json(run(vec!["--json", "sandbox", "advance", "1h"]).await);

    // PAY_IN and COINS_SENT, twice each, at both URLs.
    let deadline = Instant::now() + Duration::from_secs(20);
    while (first_bodies.lock().expect("lock").len() < 4
        || second_bodies.lock().expect("lock").len() < 4)
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    for bodies in [&first_bodies, &second_bodies] {
        let counts = counts(bodies);
        assert_eq!(counts.len(), 2, "{counts:?}");
        assert!(counts.values().all(|&n| n == 2), "{counts:?}");
    }
    assert_eq!(counts(&first_bodies), counts(&second_bodies));
}
