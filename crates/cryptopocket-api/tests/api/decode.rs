//! How the generated code reads a declared response (`decode_response`, in place of
//! progenitor's `from_response`) and writes path parameters (`PathSegment`, in place of
//! `encode_path`): the same results as progenitor's.

use std::time::Duration;

use cryptopocket_api::{BodyTooLarge, Client, Error, Hooks, PathSegment};
use proptest::prelude::*;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

const PAYMENT: &str = include_str!("../../../../tests/fixtures/getPayment.response.json");

/// A server that answers one request with a chunked 200 whose body is `body` cut into
/// `pieces` chunks, each written and flushed apart, so the client reads several frames.
async fn chunked(body: &'static str, pieces: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut head = [0u8; 4096];
        let _ = socket.read(&mut head).await.unwrap();
        let mut reply = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
            x-served-by: test\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec();
        socket.write_all(&reply).await.unwrap();
        let size = body.len().div_ceil(pieces);
        for piece in body.as_bytes().chunks(size) {
            reply.clear();
            reply.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            reply.extend_from_slice(piece);
            reply.extend_from_slice(b"\r\n");
            socket.write_all(&reply).await.unwrap();
            socket.flush().await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        socket.write_all(b"0\r\n\r\n").await.unwrap();
        let _ = socket.read(&mut head).await;
    });
    format!("http://{addr}/api")
}

/// getPayment of a fixed id, sent once to `base` with `hooks`.
async fn get_payment(
    base: &str,
    hooks: Hooks,
) -> Result<cryptopocket_api::ResponseValue<cryptopocket_api::types::GetPaymentResponse>, Error<()>>
{
    Client::new(base, hooks)
        .get_payment()
        .payment_id("aBcDeFgHiJkLmNoPqRsTuVwXy")
        .send()
        .await
}

#[tokio::test]
async fn a_body_in_one_or_many_chunks_decodes_the_same_and_keeps_its_headers() {
    let expected: cryptopocket_api::types::GetPaymentResponse =
        serde_json::from_str(PAYMENT).unwrap();
    for pieces in [1, 2, 7] {
        let base = chunked(PAYMENT, pieces).await;
        let value = get_payment(&base, Hooks::default()).await.unwrap();
        assert_eq!(value.status().as_u16(), 200, "{pieces} chunks");
        assert_eq!(
            value
                .headers()
                .get("x-served-by")
                .map(|v| v.to_str().unwrap()),
            Some("test"),
            "{pieces} chunks: the response's headers travel with the value"
        );
        assert_eq!(value.into_inner(), expected, "{pieces} chunks");
    }
}

#[tokio::test]
async fn a_chunked_body_over_the_cap_fails_with_the_cap() {
    let base = chunked(PAYMENT, 5).await;
    let error = get_payment(&base, Hooks::default().max_body_bytes(100))
        .await
        .unwrap_err();
    match error {
        Error::ResponseBodyError(e) => {
            assert_eq!(BodyTooLarge::find(&e), Some(BodyTooLarge { limit: 100 }));
        }
        other => panic!("expected a body error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_body_that_is_not_the_type_keeps_its_bytes_whatever_its_chunks() {
    let body = r#"{"status":"error","error":"require_kyc","data":"https://kyc.example/form"}"#;
    let base = chunked(body, 3).await;
    let error = get_payment(&base, Hooks::default()).await.unwrap_err();
    match error {
        Error::InvalidResponsePayload(bytes, _) => assert_eq!(&bytes[..], body.as_bytes()),
        other => panic!("expected the undecoded bytes, got {other:?}"),
    }
}

proptest! {
    /// The generated code's path encoding is progenitor's, byte for byte.
    #[test]
    fn path_segments_are_encoded_as_progenitor_does(text in any::<String>()) {
        prop_assert_eq!(
            PathSegment(&text).to_string(),
            progenitor_client::encode_path(&text)
        );
    }
}

#[test]
fn path_segments_escape_what_a_segment_cannot_hold() {
    let cases = [
        ("aBcDeFgHiJkLmNoPqRsTuVwXy", "aBcDeFgHiJkLmNoPqRsTuVwXy"),
        ("a/b?c#d%e f", "a%2Fb%3Fc%23d%25e%20f"),
        ("é€", "%C3%A9%E2%82%AC"),
        ("x\u{7f}\n", "x%7F%0A"),
        ("<>`{}\"", "%3C%3E%60%7B%7D%22"),
        ("", ""),
    ];
    for (raw, encoded) in cases {
        assert_eq!(PathSegment(raw).to_string(), encoded);
        assert_eq!(progenitor_client::encode_path(raw), encoded);
    }
    assert_eq!(PathSegment(&12345u64).to_string(), "12345");
}
