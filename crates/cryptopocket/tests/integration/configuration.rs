//! Configuration: plain http only to a host named for it, with a warning naming it, and
//! structured configuration errors that never show a secret or a URL's userinfo.

use std::time::Duration;

use cryptopocket::{Client, ConfigError, Environment, Error, error::BaseUrlProblem};

use crate::support::logs::Captured;

#[test]
fn plain_http_to_the_named_host_is_built_with_a_warning_naming_it() {
    let (captured, _guard) = Captured::start(tracing::Level::WARN);
    let builder = || {
        Client::builder()
            .environment(Environment::Custom("http://sandbox:8080/api".into()))
            .credentials("k", "s3cr3t-value")
    };

    let refused = builder().build().unwrap_err();
    match &refused {
        Error::Config(ConfigError::BaseUrl {
            url,
            problem: BaseUrlProblem::PlainHttp,
            variable: None,
        }) => assert_eq!(url, "http://sandbox:8080/api"),
        other => panic!("{other:?}"),
    }
    assert!(captured.text().is_empty(), "{}", captured.text());

    for _ in 0..2 {
        builder().allow_plain_http_to("sandbox").build().unwrap();
    }
    let logs = captured.text();
    let warnings: Vec<_> = logs.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 2, "one warning per client built: {logs}");
    assert!(warnings.iter().all(|w| w.contains("sandbox")), "{logs}");
    assert!(!logs.contains("s3cr3t"), "{logs}");

    // An https URL needs no opt-in, and having one set does not warn.
    let before = captured.text().len();
    Client::builder()
        .credentials("k", "s")
        .allow_plain_http_to("sandbox")
        .build()
        .unwrap();
    assert_eq!(captured.text().len(), before, "{}", captured.text());
}

#[test]
fn configuration_errors_never_show_a_secret_or_userinfo() {
    let errors = [
        Client::builder()
            .environment(Environment::Custom(
                "https://admin:hunter2pass@api.example/api".into(),
            ))
            .credentials("k", "s3cr3t-value")
            .build()
            .unwrap_err(),
        Client::builder()
            .environment(Environment::Custom(
                "http://admin:hunter2pass@sandbox:8080/api".into(),
            ))
            .credentials("k", "s3cr3t-value")
            .allow_plain_http_to("sandbox")
            .build()
            .unwrap_err(),
        Client::builder()
            .environment(Environment::Custom("gopher://u:hunter2pass@x/api".into()))
            .credentials("k", "s3cr3t-value")
            .build()
            .unwrap_err(),
        Client::builder()
            .credentials("k", "s3cr3t-value")
            .deadline(Duration::from_secs(90_000))
            .build()
            .unwrap_err(),
        Client::builder()
            .credentials("", "s3cr3t-value")
            .build()
            .unwrap_err(),
    ];
    for error in &errors {
        assert!(matches!(error, Error::Config(_)), "{error:?}");
        assert!(!error.may_have_reached_server());
        let shown = format!("{error} {error:?}");
        assert!(
            !shown.contains("hunter2pass") && !shown.contains("s3cr3t") && !shown.contains("admin"),
            "{shown}"
        );
    }
    assert!(
        errors[4].to_string().contains("no API key"),
        "{}",
        errors[4]
    );
}

/// Every request, `authenticate` included, carries the `User-Agent`: the crate's by default,
/// the one given to `user_agent` otherwise.
#[tokio::test]
async fn every_request_carries_the_user_agent() {
    use crate::support::mock::{self, Received as _};

    let default = concat!("cryptopocket-rust/", env!("CARGO_PKG_VERSION"));
    for (given, expected) in [(None, default), (Some("my-service/1.0"), "my-service/1.0")] {
        let server = mock::issuing("t0k3n-user-agent").await;
        mock::otherwise(&server, mock::fixture("getPayment.response.json")).await;
        let mut builder = crate::support::client_builder(&server);
        if let Some(agent) = given {
            builder = builder.user_agent(agent);
        }
        let client = builder.build().unwrap();
        client
            .onramp()
            .get(&crate::support::payment_id())
            .await
            .unwrap();
        let all = mock::requests(&server).await;
        // Messages name the path only: the authenticate request's body holds the secret.
        assert_eq!(all.len(), 2, "{} requests", all.len());
        for request in all {
            let path = request.url.path();
            assert_eq!(request.header("user-agent"), Some(expected), "{path}");
        }
    }
}
