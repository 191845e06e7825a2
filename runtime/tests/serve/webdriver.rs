//! A small W3C WebDriver client over reqwest, driving Debian's `chromedriver` and headless
//! `chromium` for the console's browser tests.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// The W3C element reference key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A running chromedriver and one browser session; both end when dropped, and the temporary
/// directory they were given (Chromium leaves its singleton files there) is removed.
pub struct Browser {
    driver: Child,
    temp: std::path::PathBuf,
    base: String,
    session: String,
    http: reqwest::Client,
}

fn found(name: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .find(|path| std::path::Path::new(path).exists())
        .map(|path| (*path).to_owned())
        .unwrap_or_else(|| {
            panic!(
                "{name} is not installed: run `bash tests/run`, which installs chromium and chromium-driver"
            )
        })
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium session.
    pub async fn start() -> Browser {
        let driver_path = found("chromedriver", &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]);
        let chromium = found("chromium", &["/usr/bin/chromium", "/usr/lib/chromium/chromium"]);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let temp = std::env::temp_dir().join(format!("jido-webdriver-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&temp).expect("a temp dir for the browser");
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .env("TMPDIR", &temp)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let ready = http.get(format!("{base}/status")).send().await.ok();
            if let Some(response) = ready
                && let Ok(text) = response.text().await
                && serde_json::from_str::<Value>(&text).is_ok_and(|s| s["value"]["ready"] == json!(true))
            {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "chromedriver never got ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"]
            }
        }}});
        let created = http
            .post(format!("{base}/session"))
            .header("content-type", "application/json")
            .body(capabilities.to_string())
            .send()
            .await
            .expect("new session")
            .text()
            .await
            .expect("session answer");
        let created: Value = serde_json::from_str(&created).expect("session JSON");
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        Browser { driver, temp, base, session, http }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.http.request(method.clone(), &url);
        if method != reqwest::Method::GET {
            let body = body.unwrap_or_else(|| json!({}));
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let text = request.send().await.expect("webdriver call").text().await.expect("webdriver answer");
        let answer: Value = serde_json::from_str(&text).expect("webdriver JSON");
        answer["value"].clone()
    }

    /// Opens `url`.
    pub async fn open(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    /// The first element matching `css`, waiting for it (30 s at most).
    pub async fn find(&self, css: &str) -> String {
        self.until(&format!("an element {css}"), || async {
            let found = self
                .call(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css})))
                .await;
            found[ELEMENT].as_str().map(str::to_owned)
        })
        .await
    }

    /// Types `text` into the element `css`.
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{element}/clear"), None).await;
        self.call(reqwest::Method::POST, &format!("/element/{element}/value"), Some(json!({"text": text})))
            .await;
    }

    /// Clicks the element `css`.
    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{element}/click"), None).await;
    }

    /// The visible text of the element `css`.
    pub async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        self.call(reqwest::Method::GET, &format!("/element/{element}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until the text of `css` contains `wanted`; returns the text.
    pub async fn wait_text(&self, css: &str, wanted: &str) -> String {
        self.until(&format!("{css} to show {wanted:?}"), || async {
            let text = self.text(css).await;
            text.contains(wanted).then_some(text)
        })
        .await
    }

    /// Saves a PNG screenshot of the page to `path`.
    pub async fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine as _;
        let encoded = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap_or_default())
            .expect("a PNG");
        std::fs::write(path, png).expect("screenshot written");
    }

    async fn until<T, F: Future<Output = Option<T>>>(&self, what: &str, mut probe: impl FnMut() -> F) -> T {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(value) = probe().await {
                return value;
            }
            assert!(tokio::time::Instant::now() < deadline, "waited 30 s for {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Browser {
    /// Ends the session (the browser quits), then the driver.
    pub async fn close(self) {
        self.call(reqwest::Method::DELETE, "", None).await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.temp);
    }
}
