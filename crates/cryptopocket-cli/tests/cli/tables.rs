//! Tables: identifiers never wrapped, even at a narrow width; `--columns` picks columns by
//! field name, and an unknown name is exit 2 listing the valid ones.

use crate::{
    sandbox::Api,
    support::{failed, stdout},
};

/// The table lines that hold `text` whole.
fn whole(table: &str, text: &str) -> bool {
    table.lines().any(|line| line.contains(text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_and_txids_are_never_wrapped_even_when_narrow() {
    let api = Api::start().await;
    let user = api.customer("ana-tables@example.com", true).await;
    let id = api.payment(&user, "card").await;
    api.control().pay(&id, "card").expect("pay");
    api.control().advance(std::time::Duration::from_secs(3600));
    let payment = api.json(&["payments", "get", &id]).await;
    let txid = payment["txid"].as_str().expect("a txid").to_owned();
    assert!(txid.len() > 40);
    for width in ["40", "80", "160"] {
        let output = api
            .run_env(&[("COLUMNS", width)], &["payments", "list"])
            .await;
        assert!(output.status.success(), "{output:?}");
        let table = stdout(&output);
        assert!(
            whole(&table, &id),
            "COLUMNS={width}: the id is wrapped:\n{table}"
        );
        assert!(
            whole(&table, &txid),
            "COLUMNS={width}: the txid is wrapped:\n{table}"
        );
        // A record too.
        let output = api
            .run_env(&[("COLUMNS", width)], &["payments", "get", &id])
            .await;
        let record = stdout(&output);
        assert!(whole(&record, &id) && whole(&record, &txid), "{record}");
    }
    // Other columns still wrap to the width when the identifiers leave room.
    let output = api
        .run_env(&[("COLUMNS", "60")], &["customers", "list"])
        .await;
    assert!(output.status.success(), "{output:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_choose_the_fields_shown() {
    let api = Api::start().await;
    let user = api.customer("ana-columns@example.com", true).await;
    let id = api.payment(&user, "card").await;
    let output = api
        .run(&["payments", "list", "--columns", "status,id"])
        .await;
    assert!(output.status.success(), "{output:?}");
    let table = stdout(&output);
    let header = table.lines().nth(1).unwrap_or_default();
    let (status, id_at) = (header.find("status"), header.find(" id "));
    assert!(
        status.is_some() && id_at.is_some() && status < id_at,
        "{table}"
    );
    assert!(
        !table.contains("fiat_amount") && table.contains(&id),
        "{table}"
    );
    // Any field of the result, nested ones by their dotted path; a record too.
    let output = api
        .run(&["payments", "get", &id, "--columns", "holder,external_id"])
        .await;
    let record = stdout(&output);
    assert!(
        record.contains("external_id") && record.contains("order-17"),
        "{record}"
    );
    assert!(!record.contains("fiat_amount"), "{record}");
    // An unknown name: exit 2, listing the valid ones.
    let output = api
        .run(&["payments", "list", "--columns", "id,colour"])
        .await;
    let stderr = failed(&output, 2);
    assert!(stderr.contains("colour"), "{stderr}");
    assert!(
        stderr.contains("fiat_amount") && stderr.contains("txid"),
        "{stderr}"
    );
}
