//! The shared table of response classifications (`classifications.json`, also read by the
//! JavaScript and Python SDKs' tests): the Rust SDK's `http::classify` agrees with every row.

#![expect(clippy::unwrap_used, clippy::panic, reason = "a test stops at the first broken row")]

use jido_dispatch_sdk::http::{Error, Response, classify};
use jido_dispatch_sdk::{DeliveryError, Failure};
use serde_json::Value;

fn input(case: &Value) -> Result<Response, Error> {
    let detail = || case["detail"].as_str().unwrap_or_default().to_owned();
    match case["error"].as_str() {
        Some("timeout") => Err(Error::Timeout),
        Some("connect") => Err(Error::Connect(detail())),
        Some("pool-timeout") => Err(Error::PoolTimeout),
        Some("denied") => Err(Error::Denied(detail())),
        Some("invalid-request") => Err(Error::InvalidRequest(detail())),
        Some("too-large") => Err(Error::TooLarge(case["detail"].as_u64().unwrap())),
        Some(other) => panic!("unknown error tag {other}"),
        None => Ok(Response {
            status: u16::try_from(case["status"].as_u64().unwrap()).unwrap(),
            headers: case["headers"]
                .as_array()
                .map(|pairs| {
                    pairs
                        .iter()
                        .map(|p| (p[0].as_str().unwrap().to_owned(), p[1].as_str().unwrap().to_owned()))
                        .collect()
                })
                .unwrap_or_default(),
            body: case["body"].as_str().unwrap_or_default().as_bytes().to_vec(),
        }),
    }
}

#[test]
fn classify_agrees_with_the_shared_table() {
    let table: Value = serde_json::from_str(include_str!("../classifications.json")).unwrap();
    let url = table["url"].as_str().unwrap();
    let cases = table["cases"].as_array().unwrap();
    for case in cases {
        let got = classify(url, input(case));
        let (outcome, failure): (&str, Option<Failure>) = match got {
            Ok(()) => ("ok", None),
            Err(DeliveryError::Retryable(f)) => ("retryable", Some(f)),
            Err(DeliveryError::Permanent(f)) => ("permanent", Some(f)),
        };
        assert_eq!(outcome, case["outcome"].as_str().unwrap(), "{case}");
        let Some(failure) = failure else { continue };
        assert_eq!(failure.code.as_deref(), case["code"].as_str(), "{case}");
        assert_eq!(failure.retry_after_ms, case["retry_after_ms"].as_u64(), "{case}");
        if let Some(message) = case["message"].as_str() {
            assert_eq!(failure.message, message, "{case}");
        }
    }
    assert!(cases.len() >= 25);
}
