//! The raw socket server the byte-level fault tests rely on: it reads what a client sends,
//! plays a script byte for byte, and survives input it cannot read.

use serde_json::json;
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::TcpStream,
};

use crate::support::raw::{RawServer, Reply, Step, head};

/// Sends `bytes` on a fresh connection and returns everything the server wrote back until
/// it closed the connection.
async fn exchange(server: &RawServer, bytes: &[u8]) -> String {
    let mut socket = TcpStream::connect(server.addr()).await.unwrap();
    socket.write_all(bytes).await.unwrap();
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn the_raw_server_survives_odd_input_and_parses_what_clients_send() {
    let server = RawServer::start(|request| match request.route() {
        "/script" => Reply::Script(vec![
            Step::text(&head("200 OK", &[("Content-Length", "10")])),
            Step::text("cut"),
        ]),
        _ => Reply::Json(
            200,
            json!({"echo": String::from_utf8_lossy(&request.body), "method": request.method}),
        ),
    })
    .await;

    let garbage = exchange(&server, b"\x00\xffnot http at all\r\n\r\n").await;
    assert!(garbage.starts_with("HTTP/1.1 400 "), "{garbage}");
    let bad_length = exchange(&server, b"POST /x HTTP/1.1\r\ncontent-length: many\r\n\r\n").await;
    assert!(bad_length.starts_with("HTTP/1.1 400 "), "{bad_length}");
    let bad_header = exchange(&server, b"GET /x HTTP/1.1\r\nno colon here\r\n\r\n").await;
    assert!(bad_header.starts_with("HTTP/1.1 400 "), "{bad_header}");
    assert!(server.requests().is_empty(), "{:#?}", server.requests());

    // A body sent in two writes, read whole; the answer closes the connection.
    let mut socket = TcpStream::connect(server.addr()).await.unwrap();
    socket
        .write_all(b"POST /a?x=1 HTTP/1.1\r\nHost: h\r\ncontent-length: 10\r\n\r\nhello")
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    socket.write_all(b"world").await.unwrap();
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert!(answer.contains("connection: close") || answer.contains("Connection: close"));
    assert!(
        answer.ends_with(r#"{"echo":"helloworld","method":"POST"}"#),
        "{answer}"
    );
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].is("POST", "/a"));
    assert_eq!(seen[0].target, "/a?x=1");
    assert_eq!(seen[0].header("HOST"), Some("h"));
    assert_eq!(seen[0].body, b"helloworld");

    // A script is written byte for byte, short body and all, then the connection closes.
    let cut = exchange(&server, b"GET /script HTTP/1.1\r\n\r\n").await;
    assert_eq!(cut, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\ncut");

    // Still serving, and counting per route.
    let fine = exchange(&server, b"GET /a HTTP/1.1\r\n\r\n").await;
    assert!(fine.starts_with("HTTP/1.1 200 "), "{fine}");
    assert_eq!(server.count("/a"), 2);
    assert_eq!(server.count("/script"), 1);
}
