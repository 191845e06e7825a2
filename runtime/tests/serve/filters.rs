//! Subscription filters through the daemon: every dialect from the config file and the
//! admin API, ANDed with the type pattern; bad expressions refused with their position.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::SERVER;
use crate::receiver::Receiver;
use crate::support::{Serve, failed_start, temp_dir};

/// The `id`s a receiver got, sorted.
fn ids(receiver: &Receiver) -> Vec<String> {
    let mut ids: Vec<String> = receiver
        .requests()
        .iter()
        .map(|r| {
            serde_json::from_slice::<serde_json::Value>(&r.body).expect("json")["id"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_from_the_config_file_and_the_api_pick_their_signals() {
    let (big, eu, any) = (Receiver::ok().await, Receiver::ok().await, Receiver::ok().await);
    let config = format!(
        r#"{SERVER}
[[subscriptions]]
path = "order.*"
filters = [{{ sql = "amount > 100 AND source LIKE '/shop/%'" }}]
dispatch = {{ adapter = "http", url = "{big}" }}

[[subscriptions]]
path = "order.**"
filters = [{{ prefix = {{ subject = "eu/" }} }}, {{ not = {{ exact = {{ region = "test" }} }} }}]
dispatch = {{ adapter = "http", url = "{eu}" }}
"#,
        big = big.url("/big"),
        eu = eu.url("/eu"),
    );
    let serve = Serve::start(&temp_dir("filters"), &config);
    let request = json!({
        "path": "order.created",
        "filters": [{"any": [{"suffix": {"source": "/vip"}}, {"all": [{"exact": {"priority": "1"}}]}]}],
        "dispatch": {"adapter": "http", "url": any.url("/any")}
    });
    let (status, body) = serve.admin(Method::POST, "/admin/subscriptions", Some(request)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let events = [
        json!({"id": "big", "type": "order.created", "source": "/shop/1", "amount": 250}),
        json!({"id": "small", "type": "order.created", "source": "/shop/1", "amount": 5}),
        json!({"id": "big-elsewhere", "type": "order.created", "source": "/pos/1", "amount": 250}),
        json!({"id": "no-amount", "type": "order.created", "source": "/shop/1"}),
        json!({"id": "eu", "type": "order.paid.card", "source": "/shop/1", "subject": "eu/fr/42"}),
        json!({"id": "eu-test", "type": "order.paid", "source": "/shop/1", "subject": "eu/de", "region": "test"}),
        json!({"id": "us", "type": "order.paid", "source": "/shop/1", "subject": "us/ny"}),
        json!({"id": "vip", "type": "order.created", "source": "/shop/vip"}),
        json!({"id": "first", "type": "order.created", "source": "/shop/2", "priority": 1}),
        json!({"id": "big-other-type", "type": "user.created", "source": "/shop/1", "amount": 999}),
    ];
    for event in events {
        let (status, body) = serve.event(event).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    big.wait_for(1, Duration::from_secs(30)).await;
    eu.wait_for(1, Duration::from_secs(30)).await;
    any.wait_for(2, Duration::from_secs(30)).await;
    // Routing (and so filtering) happens at ingress: once every lane is empty, nothing
    // more can arrive.
    loop {
        let (_, listed) = serve.admin(Method::GET, "/admin/subscriptions", None).await;
        let subs = listed["subscriptions"].as_array().cloned().unwrap_or_default();
        if subs.iter().all(|s| s["pending"] == 0) {
            assert_eq!(subs[0]["filters"], json!([{"sql": "amount > 100 AND source LIKE '/shop/%'"}]));
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(ids(&big), ["big"]);
    assert_eq!(ids(&eu), ["eu"]);
    assert_eq!(ids(&any), ["first", "vip"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_filters_are_refused_with_the_reason() {
    let serve = Serve::start(&temp_dir("bad-filters"), SERVER);
    for (filters, message) in [
        (json!([{"sql": "amount >"}]), "at offset 8: expected a value"),
        (json!([{"sql": "LENGHT(subject) > 3"}]), "unknown function LENGHT"),
        (json!([{"sql": "source LIKE 5"}]), "LIKE takes a string literal"),
        (json!([{"exact": {}}]), "exact: needs at least one entry"),
        (json!([{"prefix": {"Subject": "x"}}]), "\"Subject\" is not an attribute name"),
        (json!([{"regex": {"subject": "x"}}]), "unknown variant `regex`"),
    ] {
        let request = json!({"path": "a.b", "filters": filters, "dispatch": {"adapter": "noop"}});
        let (status, body) = serve.admin(Method::POST, "/admin/subscriptions", Some(request)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body["error"].as_str().unwrap_or_default().contains(message), "{message}: {body}");
    }
}

#[test]
fn a_bad_expression_in_the_config_file_stops_the_start() {
    let toml = format!(
        "{SERVER}\n[[subscriptions]]\npath = \"a.b\"\nfilters = [{{ sql = \"type = 'x' AND\" }}]\ndispatch = {{ adapter = \"noop\" }}\n"
    );
    let (code, stderr) = failed_start(&temp_dir("bad-filter-config"), &toml);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("at offset 14: expected a value"), "{stderr}");
}
