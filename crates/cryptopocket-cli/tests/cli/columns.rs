//! Table columns come from the result types (their fields, in the order `Serialize` writes
//! them); `--columns` chooses among them and refuses an unknown name listing the valid ones.
//! The inputs are the crate's types flattened into flags: a value the crate refuses is
//! refused before anything is sent, naming the field and its flag.

use crate::{
    sandbox::Api,
    support::{failed, json_error, payments_create, stdout},
};

/// The header of a list's table: its column names, in order.
fn header(table: &str) -> Vec<String> {
    let line = table.lines().nth(1).unwrap_or_default();
    line.split(['│', '┆'])
        .map(str::trim)
        .filter(|cell| !cell.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The field names of a record's table (its first column), in order.
fn rows(record: &str) -> Vec<String> {
    record
        .lines()
        .filter_map(|line| line.split(['│', '┆']).nth(1))
        .map(str::trim)
        .filter(|cell| !cell.is_empty())
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_come_from_the_result_type_and_can_be_chosen() {
    let api = Api::start().await;
    // A list whose view names no columns: every field of `Asset`, as it declares them.
    let output = api.run(&["assets", "list"]).await;
    assert!(output.status.success(), "{output:?}");
    let table = stdout(&output);
    assert_eq!(
        header(&table),
        ["symbol", "chain", "name", "decimals", "active"],
        "{table}"
    );
    // Chosen, in the order asked for.
    let output = api
        .run(&["assets", "list", "--columns", "chain,symbol"])
        .await;
    assert!(output.status.success(), "{output:?}");
    let table = stdout(&output);
    assert_eq!(header(&table), ["chain", "symbol"], "{table}");
    assert!(
        table.contains("polygon") && table.contains("USDC"),
        "{table}"
    );

    // A record: its fields in declaration order, a nested one by its dotted path (the tag
    // of the instructions first, as serde writes it), not in alphabetical order.
    let user = api.customer("ana-columns@example.com", true).await;
    let mut create = payments_create(&user, "150.50");
    create.extend(["--payment-type", "card"]);
    let output = api.run(&create).await;
    assert!(output.status.success(), "{output:?}");
    let record = stdout(&output);
    assert_eq!(
        rows(&record),
        ["payment_id", "instructions.kind", "instructions.url"],
        "{record}"
    );
    let mut chosen = create.clone();
    chosen.extend(["--columns", "instructions.url"]);
    let output = api.run(&chosen).await;
    assert!(output.status.success(), "{output:?}");
    let record = stdout(&output);
    assert_eq!(rows(&record), ["instructions.url"], "{record}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_column_is_refused_listing_the_valid_ones() {
    let api = Api::start().await;
    let output = api
        .run(&["assets", "list", "--columns", "chain,colour"])
        .await;
    let stderr = failed(&output, 2);
    assert!(
        stderr.contains("unknown column for --columns: colour"),
        "{stderr}"
    );
    assert!(
        stderr.contains("symbol, chain, name, decimals, active"),
        "{stderr}"
    );
    // A record too.
    let output = api
        .run(&["assets", "price", "--symbol", "USDC", "--columns", "cost"])
        .await;
    let stderr = failed(&output, 2);
    assert!(
        stderr.contains("cost") && stderr.contains("symbol, price, fiat_symbol, chain"),
        "{stderr}"
    );
    // An empty list has nothing to show: no error for a column its items would have.
    let output = api.run(&["customers", "list", "--columns", "id"]).await;
    assert!(output.status.success(), "{output:?}");
    assert_eq!(stdout(&output), "(no results)\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flattened_input_is_checked_by_the_crate_and_names_the_flag() {
    let api = Api::start().await;
    let user = api.customer("ana-flags@example.com", true).await;
    let mut args = payments_create(&user, "150.50");
    // A blank chain, which only the crate's own check refuses.
    let chain = args
        .iter()
        .position(|a| *a == "polygon")
        .expect("the chain");
    args[chain] = " ";
    let stderr = failed(&api.run(&args).await, 2);
    assert!(
        stderr.contains("invalid input: coin_chain must not be empty"),
        "{stderr}"
    );
    assert!(stderr.contains("correct --coin-chain"), "{stderr}");

    // Another input, as the JSON error's hint.
    let registered = api.requests("registerUser");
    let output = api
        .run(&[
            "--json",
            "customers",
            "register",
            "--name",
            "Carla",
            "--email",
            "carla@example.com",
            "--document-type",
            "DNI",
            "--document-number",
            " ",
        ])
        .await;
    let error = json_error(&output);
    assert_eq!(error["exit"], 2, "{error}");
    assert_eq!(error["code"], "invalid_request", "{error}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("document_number must not be empty"),
        "{error}"
    );
    let hint = error["hint"].as_str().unwrap_or_default();
    assert!(hint.contains("--document-number"), "{error}");
    // Refused before sending: neither request reached the sandbox.
    assert_eq!(api.requests("createPayment"), 0);
    assert_eq!(api.requests("registerUser"), registered);
}
