//! The sandbox serves the spec's operation table (`cryptopocket_api::operations::ALL`, which
//! `cargo xtask gen` writes from `openapi/cryptopocket.yaml`): every operation at its method
//! and path under `/api`, no other method there, and no API operation the table lacks.

use cryptopocket_api::operations::ALL;
use cryptopocket_sandbox::Sandbox;

use crate::support::{filled_path, http, send, token};

#[tokio::test]
async fn every_operation_of_the_table_is_served_at_its_method_and_path() {
    let sandbox = Sandbox::start().await.expect("start the sandbox");
    let http = http();
    let token = token(&http, &sandbox).await;
    let mut served: Vec<&str> = cryptopocket_sandbox::operation_ids().collect();
    served.sort_unstable();
    let mut table: Vec<&str> = ALL.iter().map(|op| op.id).collect();
    table.sort_unstable();
    assert_eq!(served, table);

    for op in ALL {
        let path = filled_path(op.path);
        let method = reqwest::Method::from_bytes(op.method.as_bytes()).expect("a method");
        let before = sandbox.control().exchanges().len();
        let (status, answer) = send(
            http.request(method, format!("{}{path}", sandbox.base_url()))
                .header("auth", &token),
        )
        .await;
        let exchanges = sandbox.control().exchanges();
        let last = exchanges.get(before).unwrap_or_else(|| {
            panic!(
                "{} {path} was not taken for an operation: {status} {answer}",
                op.method
            )
        });
        assert_eq!(
            (last.operation_id, last.method.as_str(), last.path.as_str()),
            (op.id, op.method, format!("/api{path}").as_str()),
            "{status} {answer}"
        );

        // Any other method at the same path is refused as such.
        let other = if op.method == "GET" {
            reqwest::Method::POST
        } else {
            reqwest::Method::GET
        };
        let (status, answer) = send(
            http.request(other.clone(), format!("{}{path}", sandbox.base_url()))
                .header("auth", &token),
        )
        .await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (405, Some("wrong_http_method")),
            "{other} {path}: {answer}"
        );
    }

    let (status, answer) = send(
        http.get(format!("{}/not-an-operation", sandbox.base_url()))
            .header("auth", &token),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some("not_found")),
        "{answer}"
    );
}
