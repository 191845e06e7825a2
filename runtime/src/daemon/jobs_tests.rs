//! Unit tests of the job store and the letter filter (no daemon, no guest).

use serde_json::json;

use super::jobs::{JobSpec, JobState, JobStore, LetterFilter, Progress};
use crate::adapter::DeliveryError;
use crate::dead_letter::DeadLetter;
use crate::signal::Signal;
use crate::target::TargetSpec;

fn letter(url: &str, code: &str, failed_at: &str) -> DeadLetter {
    DeadLetter {
        id: 1,
        origin: "bus/default/1".to_owned(),
        target: TargetSpec::new("webhook").with("url", json!(url)),
        error: DeliveryError::permanent(code, "no"),
        attempts: 1,
        failed_at: failed_at.to_owned(),
        signal: Signal::builder("order.created", "/shop").build().expect("a signal"),
    }
}

#[test]
fn the_letter_filter_takes_adapter_url_origin_code_and_window() {
    let l = letter("https://hooks.example.com:8443/in?x=1", "http_400", "2026-12-01T10:00:00Z");
    let f = |filter: LetterFilter| filter.matches(&l);
    let target = |t: &str| LetterFilter { target: Some(t.to_owned()), ..LetterFilter::default() };
    assert!(f(LetterFilter::default()));
    assert!(f(target("webhook")) && f(target("https://hooks.example.com:8443")));
    assert!(f(target("https://hooks.example.com:8443/in?x=1")));
    assert!(!f(target("http")) && !f(target("https://hooks.example.com")));
    assert!(f(LetterFilter { code: Some("http_400".to_owned()), ..LetterFilter::default() }));
    assert!(!f(LetterFilter { code: Some("http_503".to_owned()), ..LetterFilter::default() }));
    assert!(!f(LetterFilter { origin: Some("dispatch".to_owned()), ..LetterFilter::default() }));
    let ten = 1_796_119_200_000; // 2026-12-01T10:00:00Z
    assert!(f(LetterFilter { since_ms: Some(ten), until_ms: Some(ten + 1), ..LetterFilter::default() }));
    assert!(!f(LetterFilter { until_ms: Some(ten), ..LetterFilter::default() }));
}

#[test]
fn jobs_checkpoint_resume_and_a_cancel_wins_over_the_runners_end() {
    let dir = super::test_support::TestDir::new("jobs");
    let store = JobStore::open(&dir.join("store.sqlite")).expect("opens");
    let spec = JobSpec::Redrive { filter: LetterFilter::default(), last_id: 9 };
    let job = store.create(spec.clone()).expect("created");
    assert_eq!((job.state, job.spec), (JobState::Running, spec));
    let progress = Progress { cursor: 4, total: Some(9), processed: 4, succeeded: 3, failed: 1, skipped: 0 };
    store.checkpoint(job.id, &progress).expect("checkpoint");
    let resumed = store.resume_running().expect("resume");
    assert_eq!(resumed.len(), 1);
    assert_eq!((resumed[0].progress, resumed[0].resumed), (progress, 1));
    assert!(store.finish(job.id, JobState::Cancelled, None).expect("cancel"));
    assert!(!store.finish(job.id, JobState::Done, None).expect("end"), "the cancel wins");
    assert_eq!(store.get(job.id).expect("get").map(|j| j.state), Some(JobState::Cancelled));
    assert!(store.resume_running().expect("resume").is_empty());
}
