//! Why a signal was refused.

/// A signal failed validation. Messages name the attribute concerned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignalError {
    /// The input is not JSON, or not a JSON object.
    #[error("signal is not valid JSON: {0}")]
    Json(String),
    /// A required attribute is absent.
    #[error("{0} is required")]
    Missing(&'static str),
    /// An attribute is present but empty.
    #[error("{0} given but empty")]
    Empty(String),
    /// An attribute has the wrong JSON type.
    #[error("{name} must be {expected}")]
    WrongType {
        /// Attribute name.
        name: String,
        /// What was expected, e.g. `a string`.
        expected: &'static str,
    },
    /// `specversion` is not one we accept.
    #[error("unsupported specversion {0:?} (expected \"1.0\")")]
    SpecVersion(String),
    /// `time` is not an RFC 3339 timestamp.
    #[error("time {0:?} is not an RFC 3339 timestamp")]
    Time(String),
    /// An extension attribute name breaks CloudEvents naming rules.
    #[error("invalid attribute name {0:?}: extension names are lower-case letters and digits")]
    ExtensionName(String),
    /// Both `data` and `data_base64` were given.
    #[error("data and data_base64 are mutually exclusive")]
    DataConflict,
    /// `data_base64` is not valid base64.
    #[error("data_base64 is not valid base64: {0}")]
    Base64(String),
}
