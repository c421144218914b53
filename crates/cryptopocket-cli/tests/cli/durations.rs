//! Ranges checked by clap, before anything else happens, and durations with units.

use predicates::prelude::*;

use crate::{sandbox::Api, support::cli};

#[test]
fn ranges_are_refused_at_parse_time() {
    // No credentials and no server: a refusal by clap names the flag and the range.
    for (args, says) in [
        (&["payments", "list", "--per-page", "500"][..], "1..=100"),
        (&["payments", "list", "--limit", "0"][..], "--limit"),
        (&["customers", "list", "--per-page", "0"][..], "--per-page"),
    ] {
        cli()
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says))
            .stderr(predicate::str::contains("CRYPTOPOCKET").not());
    }
}

#[test]
fn durations_with_bad_units_or_out_of_range_name_the_flag() {
    for (args, flag, says) in [
        (
            &["--timeout", "5x", "assets", "list"][..],
            "--timeout",
            "unknown unit `x`",
        ),
        (
            &["assets", "list", "--timeout", "25h"][..],
            "--timeout",
            "a day",
        ),
        (
            &["payments", "watch", "p", "--interval", "0s"][..],
            "--interval",
            "above zero",
        ),
        (
            &["payments", "watch", "p", "--max-wait", "soon"][..],
            "--max-wait",
            "500ms",
        ),
        (&["sandbox", "advance", "1.5s"][..], "", "whole seconds"),
    ] {
        cli()
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(flag))
            .stderr(predicate::str::contains(says));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durations_take_units_and_bare_seconds() {
    let api = Api::start().await;
    for timeout in ["500ms", "1.5s", "1m", "30"] {
        let output = api.run(&["assets", "list", "--timeout", timeout]).await;
        assert!(output.status.success(), "--timeout {timeout}: {output:?}");
    }
    // A watch that cannot end within --max-wait 300ms says so in the same words.
    let user = api.customer("ana-durations@example.com", true).await;
    let id = api.payment(&user, "card").await;
    let output = api
        .run(&[
            "payments",
            "watch",
            &id,
            "--interval",
            "100ms",
            "--max-wait",
            "300ms",
        ])
        .await;
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let stderr = crate::support::stderr(&output);
    assert!(stderr.contains("0.3 s"), "{stderr}");
}
