//! The operator console in a real browser (headless Debian Chromium through chromedriver):
//! sign in, find a signal, open its timeline, bulk-redrive failed deliveries once the
//! receiver recovers and see them succeed. Screenshots of each screen go to the test's
//! temp dir, or to `docs/ui/` with `JIDO_UI_SCREENSHOTS=1`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::SERVER;
use crate::receiver::{Receiver, Reply};
use crate::support::{Serve, temp_dir};
use crate::webdriver::Browser;

fn screenshots(dir: &std::path::Path) -> PathBuf {
    if std::env::var_os("JIDO_UI_SCREENSHOTS").is_some() {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/ui"))
    } else {
        dir.to_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_finds_a_signal_opens_its_timeline_and_bulk_redrives_after_recovery() {
    let up = Arc::new(AtomicBool::new(false));
    let answer = up.clone();
    let receiver =
        Receiver::start(move |_, _| Reply::status(if answer.load(Ordering::SeqCst) { 200 } else { 400 }))
            .await;
    let healthy = Receiver::ok().await;
    let config = format!(
        "{SERVER}\n[[subscriptions]]\npath = \"order.**\"\ndispatch = {{ adapter = \"webhook\", url = \"{}\", secret = \"console-secret\" }}\n\n\
         [[subscriptions]]\npath = \"audit\"\ndispatch = {{ adapter = \"http\", url = \"{}\" }}\n",
        receiver.url("/orders"),
        healthy.url("/audit"),
    );
    let dir = temp_dir("console");
    let shots = screenshots(&dir);
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let serve = Serve::start(&dir, &config);
    for n in 0..3 {
        let event =
            json!({"type": "order.created", "source": "/shop", "id": format!("order-{n}"), "data": {"n": n}});
        assert_eq!(serve.event(event).await.0, StatusCode::ACCEPTED);
    }
    serve.event(json!({"type": "audit", "source": "/audit", "id": "audit-1"})).await;
    healthy.wait_for(1, Duration::from_secs(30)).await;
    serve.until("/admin/dead-letters", |b| b["dead_letters"].as_array().is_some_and(|l| l.len() == 3)).await;

    // The page is public and holds nothing; the data behind it needs the admin token.
    let (status, page) = serve.get_text("/ui").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<title>jido-dispatch console</title>"));
    assert!(
        !page.contains("src=") && !page.contains("href="),
        "no external assets: the console works offline"
    );
    for path in ["/admin/stats", "/admin/events"] {
        assert_eq!(serve.get_text(path).await.0, StatusCode::UNAUTHORIZED, "{path}");
    }
    let (status, stats) = serve.admin(Method::GET, "/admin/stats", None).await;
    assert_eq!((status, stats["dead_letters"].clone()), (StatusCode::OK, json!(3)), "{stats}");

    let browser = Browser::start().await;
    // The page itself holds nothing: a wrong token is refused.
    browser.open(&format!("{}/ui", serve.base)).await;
    browser.type_into("#token", "wrong").await;
    browser.click("#login-form button").await;
    browser.wait_text("#login-error", "wrong bearer token").await;
    browser.type_into("#token", "admin-secret").await;
    browser.click("#login-form button").await;
    browser.wait_text("#status", "live").await;
    let lanes = browser.wait_text("#lanes", "order.**").await;
    assert!(lanes.contains("webhook") && lanes.contains("audit"), "{lanes}");
    browser.wait_text("#breakers", "webhook").await;
    browser.screenshot(&shots.join("overview.png")).await;

    // Find the signal and open its timeline.
    browser.click("nav button[data-tab=signals]").await;
    browser.type_into("#s-id", "order-1").await;
    browser.click("#search-form button").await;
    browser.wait_text("#signal-rows", "order-1").await;
    browser.click("#signal-rows button").await;
    let timeline = browser.wait_text("#timeline", "http_400").await;
    assert!(timeline.contains("Signal order-1"), "{timeline}");
    browser.screenshot(&shots.join("signal-timeline.png")).await;

    browser.click("nav button[data-tab=subscriptions]").await;
    let subscriptions = browser.wait_text("#subs", "order.**").await;
    assert!(!subscriptions.contains("console-secret"), "{subscriptions}");
    browser.screenshot(&shots.join("subscriptions.png")).await;

    // The receiver recovers; redrive every http_400 letter from the console.
    up.store(true, Ordering::SeqCst);
    browser.click("nav button[data-tab=dead-letters]").await;
    browser.wait_text("#letters", "order-2").await;
    browser.screenshot(&shots.join("dead-letters.png")).await;
    browser.type_into("#r-code", "http_400").await;
    browser.click("#redrive-form button").await;
    let result = browser.wait_text("#redrive-result", " done: ").await;
    assert!(result.contains("3 redriven, 0 failed, 0 skipped of 3"), "{result}");
    receiver.wait_for(6, Duration::from_secs(30)).await;
    let (status, letters) = serve.admin(Method::GET, "/admin/dead-letters", None).await;
    assert_eq!((status, letters["dead_letters"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)));

    browser.click("nav button[data-tab=jobs]").await;
    browser.wait_text("#job-rows", "redrive").await;
    browser.screenshot(&shots.join("jobs.png")).await;
    browser.close().await;
}
