//! Adapter manifests (`[[adapters]]` in the daemon's TOML) as the daemon reads them: the
//! authoring guide's example, and refused limits and grants naming their key.

use super::Config;

#[test]
fn the_authoring_guide_manifest_parses_into_limits_and_grants() {
    let guide = include_str!("../../../docs/authoring-adapters.md");
    let start = guide.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = start + guide[start..].find("```").expect("closed");
    let config = Config::parse(&guide[start..end], "guide", std::path::PathBuf::new()).expect("parses");
    let adapter = config.adapters[0].to_config().expect("valid");
    assert_eq!(adapter.limits.memory_bytes, 16 << 20);
    assert_eq!(adapter.limits.fuel, Some(50_000_000));
    assert_eq!(adapter.tenant.map(|t| (t.name, t.max_concurrency)), Some(("acme".to_owned(), 8)));
    assert!(matches!(adapter.http, crate::host::HttpGrant::Origins(ref o) if o.len() == 1));
    let profile = config.adapters[0].profile().expect("valid profile");
    let settings = crate::target::TargetSettings::parse(&profile.target_defaults).expect("valid");
    assert_eq!(settings.retry.max_retries, 5);
    assert!(settings.breaker.is_some());
}

#[test]
fn target_defaults_must_be_valid_host_keys() {
    let text =
        "[[adapters]]\nname = \"x\"\ncomponent = \"x.wasm\"\ntarget_defaults = { url = \"http://x\" }\n";
    let err = Config::parse(text, "t", std::path::PathBuf::new()).expect_err("refused");
    assert!(err.to_string().contains("target_defaults.url: not a host key"), "{err}");
    let text =
        "[[adapters]]\nname = \"x\"\ncomponent = \"x.wasm\"\ntarget_defaults = { ordering = \"fifo\" }\n";
    let err = Config::parse(text, "t", std::path::PathBuf::new()).expect_err("refused");
    assert!(err.to_string().contains("target_defaults.ordering: expected"), "{err}");
}

#[test]
fn out_of_range_limits_name_the_key() {
    let text = "[[adapters]]\nname = \"x\"\ncomponent = \"x.wasm\"\nlimits = { call_timeout = 0 }\n";
    let err = Config::parse(text, "t", std::path::PathBuf::new()).expect_err("refused");
    assert!(err.to_string().contains("limits.call_timeout: must be 1..=300000 ms, got 0"), "{err}");
    let text = "[[adapters]]\nname = \"x\"\ncomponent = \"x.wasm\"\ngrants = { http = [\"ftp://x\"] }\n";
    let err = Config::parse(text, "t", std::path::PathBuf::new()).expect_err("refused");
    assert!(err.to_string().contains("grants.http"), "{err}");
}
