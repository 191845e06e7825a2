//! The signal validation table and the structured-mode round trip.

use super::*;

/// (input JSON, expected error message); `None` means accepted.
const TABLE: &[(&str, Option<&str>)] = &[
    (r#"{"type":"a.b","source":"/s"}"#, None),
    (r#"{"source":"/s"}"#, Some("type is required")),
    (r#"{"type":"a"}"#, Some("source is required")),
    (r#"{"type":"","source":"/s"}"#, Some("type given but empty")),
    (r#"{"type":"a","source":""}"#, Some("source given but empty")),
    (r#"{"type":"a","source":"/s","id":""}"#, Some("id given but empty")),
    (r#"{"type":"a","source":"/s","subject":""}"#, Some("subject given but empty")),
    (r#"{"type":"a","source":"/s","time":""}"#, Some("time given but empty")),
    (r#"{"type":"a","source":"/s","datacontenttype":""}"#, Some("datacontenttype given but empty")),
    (r#"{"type":"a","source":"/s","dataschema":""}"#, Some("dataschema given but empty")),
    (r#"{"type":7,"source":"/s"}"#, Some("type must be a string")),
    (
        r#"{"type":"a","source":"/s","time":"yesterday"}"#,
        Some("time \"yesterday\" is not an RFC 3339 timestamp"),
    ),
    (r#"{"type":"a","source":"/s","time":"2026-01-02T03:04:05Z"}"#, None),
    (r#"{"type":"a","source":"/s","specversion":"1.0.2"}"#, None),
    (
        r#"{"type":"a","source":"/s","specversion":"0.3"}"#,
        Some("unsupported specversion \"0.3\" (expected \"1.0\")"),
    ),
    (
        r#"{"type":"a","source":"/s","Bad-Name":"x"}"#,
        Some("invalid attribute name \"Bad-Name\": extension names are lower-case letters and digits"),
    ),
    (r#"{"type":"a","source":"/s","traceid":{"x":1}}"#, Some("traceid must be a string, boolean or integer")),
    (
        r#"{"type":"a","source":"/s","data":1,"data_base64":"AA=="}"#,
        Some("data and data_base64 are mutually exclusive"),
    ),
    (
        r#"{"type":"a","source":"/s","data_base64":"%%"}"#,
        Some("data_base64 is not valid base64: Invalid symbol 37, offset 0."),
    ),
    (r#"[1]"#, Some("signal is not valid JSON: expected a JSON object")),
];

#[test]
fn validation_table() {
    for (input, expected) in TABLE {
        let got = Signal::from_json(input).err().map(|e| e.to_string());
        assert_eq!(got.as_deref(), *expected, "input {input}");
    }
}

#[test]
fn defaults_fill_id_time_and_specversion() {
    let signal = Signal::from_json(r#"{"type":"a","source":"/s","specversion":"1.0.2"}"#).expect("valid");
    assert_eq!(signal.specversion, "1.0");
    assert_eq!(signal.id.len(), 36);
    assert!(uuid::Uuid::parse_str(&signal.id).is_ok_and(|u| u.get_version_num() == 7));
    let time = signal.time.expect("time is filled");
    assert!(time::OffsetDateTime::parse(&time, &time::format_description::well_known::Rfc3339).is_ok());
}

#[test]
fn default_source_fills_only_a_missing_source() {
    let filled = Signal::from_json_with_source(r#"{"type":"a"}"#, "/default").expect("valid");
    assert_eq!(filled.source, "/default");
    let kept = Signal::from_json_with_source(r#"{"type":"a","source":"/mine"}"#, "/default").expect("valid");
    assert_eq!(kept.source, "/mine");
}

#[test]
fn ids_are_monotonic_within_the_process() {
    let ids: Vec<String> = (0..10_000).map(|_| new_id()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids must sort in creation order");
}

#[test]
fn structured_json_round_trips_with_extensions_flattened() {
    let input = r#"{"specversion":"1.0","id":"1","source":"/s","type":"a.b","subject":"sub","time":"2026-01-02T03:04:05Z","datacontenttype":"application/json","traceparent":"00-ab","sampled":true,"attempt":3,"data":{"k":[1,2]}}"#;
    let signal = Signal::from_json(input).expect("valid");
    assert_eq!(signal.extensions.get("sampled"), Some(&ExtensionValue::Boolean(true)));
    assert_eq!(signal.extensions.get("attempt"), Some(&ExtensionValue::Integer(3)));
    let encoded = signal.to_json();
    let expected = r#"{"specversion":"1.0","id":"1","source":"/s","type":"a.b","subject":"sub","time":"2026-01-02T03:04:05Z","datacontenttype":"application/json","attempt":3,"sampled":true,"traceparent":"00-ab","data":{"k":[1,2]}}"#;
    assert_eq!(encoded, expected);
    assert_eq!(Signal::from_json(&encoded).expect("re-parses"), signal);
}

#[test]
fn binary_data_travels_as_data_base64() {
    let signal = Signal::builder("a", "/s")
        .id("1")
        .time("2026-01-02T03:04:05Z")
        .data(Data::binary(vec![0u8, 255, 7]))
        .build()
        .expect("valid");
    let encoded = signal.to_json();
    assert!(encoded.ends_with(r#","data_base64":"AP8H"}"#), "{encoded}");
    assert_eq!(Signal::from_json(&encoded).expect("re-parses").data, Some(Data::binary(vec![0u8, 255, 7])));
}

#[test]
fn null_attributes_are_absent() {
    let signal = Signal::from_json(r#"{"type":"a","source":"/s","subject":null,"ext":null,"data":null}"#)
        .expect("valid");
    assert_eq!(signal.subject, None);
    assert!(signal.extensions.is_empty());
    assert_eq!(signal.data, None);
}

#[test]
fn builder_applies_the_same_rules() {
    assert_eq!(Signal::builder("", "/s").build().err(), Some(SignalError::Empty("type".into())));
    assert_eq!(
        Signal::builder("a", "/s").subject("").build().err(),
        Some(SignalError::Empty("subject".into()))
    );
    assert!(Signal::builder("a", "/s").extension("Bad", ExtensionValue::Boolean(true)).build().is_err());
}
