//! No secret in any output: neither the API secret nor the token shows in logs, errors or
//! `Debug` output, whatever the server answers, including a token in an unexpected shape.

use cryptopocket::{Error, model::PaymentId};
use serde_json::json;
use wiremock::{
    Mock, MockServer, Request,
    matchers::{header, path},
};

use crate::support::{
    AUTHENTICATE, GET_PAYMENT, client_builder, fast_retries,
    logs::Captured,
    mock::{self, Received as _},
    payment_id,
};

const SECRET: &str = "SECRET-s3cr3t-VALUE";
const TOKEN: &str = "TOKEN-t0k3n-VALUE";

/// Every place where the secret or the token (or a recognisable part of either) shows, with
/// the lines that show it.
fn leaks(shown: &[(&str, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (what, text) in shown {
        for (name, needle) in [("secret", "s3cr3t"), ("token", "t0k3n")] {
            for line in text.lines().filter(|line| line.contains(needle)) {
                found.push(format!("the {name} appears in {what}: {line}"));
            }
        }
    }
    found
}

#[tokio::test]
async fn no_secret_or_token_appears_in_logs_errors_or_debug_output() {
    let (captured, _guard) = Captured::start(tracing::Level::TRACE);

    let server = MockServer::builder().start().await;
    let authenticate = |request: &Request| {
        let body = request.json().unwrap_or_default();
        if body["api_secret"] == SECRET {
            mock::token(TOKEN)
        } else {
            mock::api_error("authorization_incorrect")
        }
    };
    mock::on(&server, "POST", AUTHENTICATE, authenticate).await;
    Mock::given(path("/api/payment/dropped"))
        .and(header("auth", TOKEN))
        .respond_with_err(mock::dropped)
        .mount(&server)
        .await;
    mock::otherwise(&server, |request: &Request| {
        if request.auth() != Some(TOKEN) {
            return mock::api_error("authorization_incorrect");
        }
        match request.url.path() {
            GET_PAYMENT => mock::fixture("getPayment.response.json"),
            "/api/payment/refused" => mock::api_error("authorization_incorrect"),
            // A body that does not decode and echoes the token in a string value.
            "/api/payment/garbled" => {
                mock::ok(json!({"id": "garbled", "holder": TOKEN, "fiat_amount": "oops"}))
            }
            "/api/payment/proxy" => mock::raw(
                502,
                "text/html",
                "<html><body>502 Bad Gateway</body></html>",
            ),
            _ => mock::json(404, json!({"message": "not found"})),
        }
    })
    .await;
    let builder = || {
        client_builder(&server)
            .credentials("key-test", SECRET)
            .retry_policy(fast_retries(2))
    };
    let builder_debug = format!("{:?}", builder());
    let client = builder().build().unwrap();
    let onramp = client.onramp();
    let id = |s: &str| PaymentId::new(s).unwrap();

    let mut errors = Vec::new();
    onramp.get(&payment_id()).await.expect("the success");
    for which in ["refused", "garbled", "dropped", "proxy"] {
        errors.push(onramp.get(&id(which)).await.expect_err(which));
    }
    // A server that is not there at all: the error comes from authenticating.
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let unreachable = builder()
        .environment(cryptopocket::Environment::Custom(format!(
            "http://127.0.0.1:{closed_port}/api"
        )))
        .retry_policy(fast_retries(1))
        .build()
        .unwrap();
    errors.push(
        unreachable
            .onramp()
            .get(&payment_id())
            .await
            .expect_err("nothing listens there"),
    );
    assert!(matches!(errors[0], Error::Api(_)), "{:?}", errors[0]);
    assert!(matches!(errors[1], Error::Decode { .. }), "{:?}", errors[1]);
    assert!(
        matches!(errors[2], Error::Transport { .. }),
        "{:?}",
        errors[2]
    );
    assert!(
        matches!(errors[3], Error::UnexpectedStatus { .. }),
        "{:?}",
        errors[3]
    );
    assert!(
        matches!(
            errors[4],
            Error::Transport {
                maybe_sent: false,
                ..
            }
        ),
        "{:?}",
        errors[4]
    );

    let mut shown = vec![
        ("builder {:?}", builder_debug),
        ("client {:?}", format!("{client:?}")),
        ("onramp {:?}", format!("{onramp:?}")),
        ("unreachable client {:?}", format!("{unreachable:?}")),
        ("log", captured.text()),
    ];
    for error in &errors {
        shown.push(("error {:?}", format!("{error:?}")));
        shown.push(("error {}", format!("{error}")));
        if let Error::Api(api) = error {
            shown.push(("api error {}", api.to_string()));
        }
    }
    let leaks = leaks(&shown);
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));

    // The capture worked: the calls were traced.
    let log = captured.text();
    assert!(log.contains("operation"), "{log}");
    assert!(log.contains("getPayment"), "{log}");
    assert!(log.contains("duration_ms"), "{log}");
    assert!(log.contains("attempts"), "{log}");
    // The server really issued and checked the token, so it was there to leak.
    let gets = mock::requests_to(&server, GET_PAYMENT).await;
    assert_eq!(gets.len(), 1);
    assert_eq!(gets[0].auth(), Some(TOKEN));
}

#[tokio::test]
async fn a_token_in_an_unexpected_authenticate_shape_is_not_printed() {
    // The token response is undocumented; a token under a name the client does not look
    // for is a plausible real shape. The client cannot use it, but its error must not print
    // the token.
    let (captured, _guard) = Captured::start(tracing::Level::TRACE);
    let server = MockServer::builder().start().await;
    let unexpected = mock::ok(json!({"access_token": TOKEN}));
    mock::on(&server, "POST", AUTHENTICATE, unexpected).await;
    mock::otherwise(&server, mock::fixture("getPayment.response.json")).await;
    let client = client_builder(&server)
        .credentials("key-test", SECRET)
        .build()
        .unwrap();

    let error = client.onramp().get(&payment_id()).await.unwrap_err();
    assert_error!(error, Error::Decode { .. }, "authenticate");
    let leaks = leaks(&[
        ("error {:?}", format!("{error:?}")),
        ("error {}", format!("{error}")),
        ("log", captured.text()),
    ]);
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
}
