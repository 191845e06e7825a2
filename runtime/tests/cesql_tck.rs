//! The CloudEvents SQL compatibility kit (`../shared/conformance/cesql-tck/`, kept outside
//! the repository; `JIDO_CESQL_TCK` names another copy, and `tests/run` requires one): every case of every file is parsed and
//! evaluated, and its value and error kind compared with the kit's. Prints `N passed`.

#![expect(clippy::print_stdout, reason = "the kit's count is reported on stdout")]
#![expect(clippy::unwrap_used, clippy::panic, reason = "a test stops at the first broken file")]

use std::collections::HashMap;
use std::path::PathBuf;

use jido_dispatch::routing::cesql::{Attributes, ErrorKind, Expression, Value};
use yaml_rust2::{Yaml, YamlLoader};

/// An event as the kit writes it: attribute name → value.
struct Event(HashMap<String, Value<'static>>);

impl Attributes for Event {
    fn attribute(&self, name: &str) -> Option<Value<'_>> {
        self.0.get(name).cloned()
    }
}

fn value(yaml: &Yaml) -> Option<Value<'static>> {
    match yaml {
        Yaml::Boolean(b) => Some(Value::Bool(*b)),
        Yaml::Integer(n) => Some(Value::Int(i32::try_from(*n).unwrap())),
        Yaml::String(s) | Yaml::Real(s) => Some(Value::Str(s.clone().into())),
        _ => None,
    }
}

/// The kit's event: `event` as given, or a valid one with `eventOverrides` applied.
fn event(case: &Yaml) -> Event {
    let mut attributes: HashMap<String, Value<'static>> = match &case["event"] {
        Yaml::Hash(_) => HashMap::new(),
        _ => {
            [("specversion", "1.0"), ("id", "a-id"), ("source", "http://example.com/src"), ("type", "a.type")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), Value::Str(v.to_owned().into())))
                .collect()
        }
    };
    for key in ["event", "eventOverrides"] {
        if let Yaml::Hash(map) = &case[key] {
            for (name, v) in map {
                // Context attributes (and timestamps) are strings whatever YAML makes of them.
                let name = name.as_str().unwrap().to_owned();
                let v = match (name.as_str(), v) {
                    ("specversion" | "id" | "source" | "type" | "subject" | "time", Yaml::String(s)) => {
                        Value::Str(s.clone().into())
                    }
                    _ => value(v).unwrap(),
                };
                attributes.insert(name, v);
            }
        }
    }
    Event(attributes)
}

fn error_kind(name: &str) -> Option<ErrorKind> {
    match name {
        "math" => Some(ErrorKind::Math),
        "cast" => Some(ErrorKind::Cast),
        "missingAttribute" => Some(ErrorKind::MissingAttribute),
        "missingFunction" => Some(ErrorKind::MissingFunction),
        "functionEvaluation" => Some(ErrorKind::FunctionEvaluation),
        _ => None,
    }
}

/// Runs one case; `Err` says how it differs from the kit.
fn run(case: &Yaml) -> Result<(), String> {
    let text = match &case["expression"] {
        Yaml::Integer(n) => n.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        other => other.as_str().ok_or("no expression")?.to_owned(),
    };
    let error = case["error"].as_str();
    let parsed = Expression::parse(&text);
    if error == Some("parse") {
        return match parsed {
            Err(_) => Ok(()),
            Ok(_) => Err("parsed, expected a parse error".to_owned()),
        };
    }
    let expression = parsed.map_err(|e| format!("parse error {e}"))?;
    let evaluation = expression.evaluate(&event(case));
    if let Some(expected) = value(&case["result"]) {
        // The kit writes `result: FALSE` for one boolean; YAML reads it as a string.
        let expected = match (&expected, &evaluation.value) {
            (Value::Str(s), Value::Bool(_))
                if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") =>
            {
                Value::Bool(s.eq_ignore_ascii_case("true"))
            }
            _ => expected,
        };
        if expected != evaluation.value {
            return Err(format!("value {:?}, expected {expected:?}", evaluation.value));
        }
    }
    match error.map(|e| error_kind(e).ok_or(format!("unknown error kind {e}"))).transpose()? {
        Some(kind) if !evaluation.errors.contains(&kind) => {
            Err(format!("errors {:?}, expected {kind:?}", evaluation.errors))
        }
        None if !evaluation.errors.is_empty() => Err(format!("unexpected errors {:?}", evaluation.errors)),
        _ => Ok(()),
    }
}

/// The kit's directory: `JIDO_CESQL_TCK` (then it must exist), else the shared checkout
/// beside the repository, if there is one.
fn kit() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("JIDO_CESQL_TCK") {
        return Some(PathBuf::from(dir));
    }
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/cesql-tck");
    beside.is_dir().then_some(beside)
}

#[test]
fn every_case_of_the_cesql_compatibility_kit_passes() {
    let Some(dir) = kit() else {
        println!(
            "CESQL compatibility kit: not found beside the repository and JIDO_CESQL_TCK unset; skipped"
        );
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the CESQL kit is not at {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 17, "expected the kit's files in {}", dir.display());
    let (mut passed, mut failures) = (0, Vec::new());
    for file in files {
        let docs = YamlLoader::load_from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let suite = &docs[0];
        for case in suite["tests"].as_vec().unwrap() {
            match run(case) {
                Ok(()) => passed += 1,
                Err(why) => failures.push(format!(
                    "{} / {} ({:?}): {why}",
                    suite["name"].as_str().unwrap_or("?"),
                    case["name"].as_str().unwrap_or("?"),
                    case["expression"]
                )),
            }
        }
    }
    println!("CESQL compatibility kit: {passed} passed, {} failed", failures.len());
    assert!(failures.is_empty(), "{} cases failed:\n{}", failures.len(), failures.join("\n"));
}
