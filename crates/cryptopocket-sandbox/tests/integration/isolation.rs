//! Several sandboxes in one process keep to themselves (ports, credentials, tokens, state,
//! clocks), and every sandbox checks the `auth` token: missing, wrong and expired tokens
//! are refused with `authorization_incorrect`, in the HTTP 200 envelope the docs describe.

use std::time::Duration;

use cryptopocket_sandbox::{Sandbox, SandboxConfig};
use serde_json::json;

use crate::support::{self, assert_api_error, http, register, send, token};

/// Three sandboxes on port 0: different ports and credentials, tokens good only where
/// they were issued, customers and clocks of their own.
#[tokio::test]
async fn sandboxes_in_one_process_are_independent() {
    let sandboxes = [
        Sandbox::start().await.unwrap(),
        Sandbox::start().await.unwrap(),
        Sandbox::start().await.unwrap(),
    ];
    let http = http();
    let mut ports: Vec<_> = sandboxes.iter().map(|s| s.addr().port()).collect();
    ports.dedup();
    assert_eq!(ports.len(), 3, "{ports:?}");
    assert!(ports.iter().all(|&p| p != 0));
    let mut keys: Vec<_> = sandboxes.iter().map(|s| s.api_key().to_owned()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 3, "fresh credentials for each");

    let tokens = [
        token(&http, &sandboxes[0]).await,
        token(&http, &sandboxes[1]).await,
        token(&http, &sandboxes[2]).await,
    ];
    for (i, sandbox) in sandboxes.iter().enumerate() {
        // Another sandbox's credentials do not authenticate here...
        let other = &sandboxes[(i + 1) % 3];
        let (status, body) = send(
            http.post(format!("{}/authenticate", sandbox.base_url()))
                .json(&json!({"api_key": other.api_key(), "api_secret": other.api_secret()})),
        )
        .await;
        assert_api_error(status, &body, 200, "authorization_incorrect");
        // ... and only its own token is accepted.
        for (j, token) in tokens.iter().enumerate() {
            let (status, body) = send(
                http.get(format!("{}/customers/list", sandbox.base_url()))
                    .header("auth", token),
            )
            .await;
            if i == j {
                assert_eq!((status, &body["status"]), (200, &json!("ok")), "{body}");
            } else {
                assert_api_error(status, &body, 200, "authorization_incorrect");
            }
        }
    }

    // State: one customer in the first, two in the second, none in the third; the same
    // e-mail registers in each.
    register(&http, &sandboxes[0], &tokens[0], "same@example.com").await;
    register(&http, &sandboxes[1], &tokens[1], "same@example.com").await;
    register(&http, &sandboxes[1], &tokens[1], "other@example.com").await;
    for (i, expected) in [1, 2, 0].into_iter().enumerate() {
        let (_, list) = send(
            http.get(format!("{}/customers/list", sandboxes[i].base_url()))
                .header("auth", &tokens[i]),
        )
        .await;
        assert_eq!(list["pagination"]["total"], expected, "sandbox {i}: {list}");
        assert_eq!(sandboxes[i].control().stats().customers, expected);
    }

    // Clocks: moving one leaves the others where they were.
    let before: Vec<_> = sandboxes.iter().map(|s| s.control().now()).collect();
    sandboxes[2].control().advance(Duration::from_secs(7200));
    assert_eq!(sandboxes[0].control().now(), before[0]);
    assert_eq!(sandboxes[1].control().now(), before[1]);
    assert_eq!(
        sandboxes[2].control().now() - before[2],
        chrono::TimeDelta::hours(2)
    );
    // The third's token expired with its clock; the others' did not.
    for (i, sandbox) in sandboxes.iter().enumerate() {
        let (status, body) = send(
            http.get(format!("{}/available-assets", sandbox.base_url()))
                .header("auth", &tokens[i]),
        )
        .await;
        if i == 2 {
            assert_api_error(status, &body, 200, "authorization_incorrect");
        } else {
            assert_eq!(body["status"], "ok", "{body}");
        }
    }

    // Stopping one leaves the others serving.
    let [first, second, third] = sandboxes;
    let first_url = first.base_url().to_owned();
    first.shutdown().await;
    assert!(
        http.get(format!("{first_url}/available-assets"))
            .send()
            .await
            .is_err()
    );
    for sandbox in [&second, &third] {
        let token = token(&http, sandbox).await;
        register(&http, sandbox, &token, "after-shutdown@example.com").await;
    }
}

/// Every operation but `/authenticate` refuses a missing, empty, wrong, `Bearer`-prefixed
/// or revoked token with `authorization_incorrect` at HTTP 200, and does nothing.
#[tokio::test]
async fn missing_and_wrong_tokens_are_refused() {
    let sandbox = Sandbox::start().await.unwrap();
    let http = http();
    let base = sandbox.base_url();
    let good = token(&http, &sandbox).await;
    let wrong: [Option<String>; 6] = [
        None,
        Some(String::new()),
        Some("b87bsdf8hdsj9fh9sd78fubsdoiufbj".into()),
        Some(format!("Bearer {good}")),
        Some(good.to_uppercase()),
        Some(good[1..].to_owned()),
    ];
    for token in &wrong {
        for request in [
            http.get(format!("{base}/customers/list")),
            http.post(format!("{base}/registerUser"))
                .json(&json!({"name": "Eve", "email": "eve@example.com"})),
            http.post(format!("{base}/subscribeToWebhook"))
                .form(&[("type", "PAY_IN"), ("url", "https://demo.com")]),
            http.get(format!("{base}/payment/aBcDeFgHiJkLmNoPqRsTuVwXy")),
            http.post(format!("{base}/customers/100001/documents"))
                .json(&json!({"type": "invoice", "file": "JVBERi0xLjQK"})),
        ] {
            let request = match token {
                Some(token) => request.header("auth", token),
                None => request,
            };
            let (status, body) = send(request).await;
            assert_api_error(status, &body, 200, "authorization_incorrect");
        }
        // The token in the standard header is not the `auth` header.
        if let Some(token) = token {
            let (status, body) = send(
                http.get(format!("{base}/customers/list"))
                    .header("authorization", token),
            )
            .await;
            assert_api_error(status, &body, 200, "authorization_incorrect");
        }
    }
    assert_eq!(sandbox.control().stats().customers, 0, "nothing was done");
    // Wrong credentials get no token.
    for (key, secret) in [
        (sandbox.api_key(), "wrong"),
        ("wrong", sandbox.api_secret()),
        ("", ""),
    ] {
        let (status, body) = send(
            http.post(format!("{base}/authenticate"))
                .json(&json!({"api_key": key, "api_secret": secret})),
        )
        .await;
        let code = if key.is_empty() {
            "fail_mandatory_field"
        } else {
            "authorization_incorrect"
        };
        assert_api_error(status, &body, 200, code);
    }
    assert_eq!(sandbox.control().stats().tokens, 1);
    // Revoked tokens are refused like expired ones; a new one works.
    sandbox.control().revoke_tokens();
    let (status, body) = send(
        http.get(format!("{base}/customers/list"))
            .header("auth", &good),
    )
    .await;
    assert_api_error(status, &body, 200, "authorization_incorrect");
    let fresh = token(&http, &sandbox).await;
    let (_, body) = send(
        http.get(format!("{base}/customers/list"))
            .header("auth", &fresh),
    )
    .await;
    assert_eq!(body["status"], "ok", "{body}");
}

/// A token lives `token_ttl` of virtual time: valid a second before, refused at expiry
/// and after, and `/authenticate` issues a new one. The answer says when it expires.
#[tokio::test]
async fn tokens_expire_after_token_ttl_on_the_virtual_clock() {
    let ttl = Duration::from_secs(600);
    let sandbox = Sandbox::start_with(SandboxConfig {
        token_ttl: ttl,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let control = sandbox.control();
    let http = http();
    let base = sandbox.base_url();
    let (_, answer) = send(
        http.post(format!("{base}/authenticate"))
            .json(&json!({"api_key": sandbox.api_key(), "api_secret": sandbox.api_secret()})),
    )
    .await;
    assert_eq!(answer["data"]["expires_in"], 600);
    let token = answer["data"]["token"].as_str().unwrap().to_owned();
    let list = || {
        http.get(format!("{base}/customers/list"))
            .header("auth", &token)
    };

    control.advance(ttl - Duration::from_secs(1));
    let (_, body) = send(list()).await;
    assert_eq!(
        body["status"], "ok",
        "valid one second before expiry: {body}"
    );
    control.advance(Duration::from_secs(1));
    let (status, body) = send(list()).await;
    assert_api_error(status, &body, 200, "authorization_incorrect");
    control.advance(Duration::from_secs(3600));
    let (status, body) = send(list()).await;
    assert_api_error(status, &body, 200, "authorization_incorrect");

    let renewed = support::token(&http, &sandbox).await;
    assert_ne!(renewed, token);
    let (_, body) = send(
        http.get(format!("{base}/customers/list"))
            .header("auth", &renewed),
    )
    .await;
    assert_eq!(body["status"], "ok", "{body}");
}
