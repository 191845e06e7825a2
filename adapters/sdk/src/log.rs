//! Helpers over the host `log` import.

pub use crate::bindings::jido::dispatch::log::Level;
use crate::bindings::jido::dispatch::log::log as host_log;

/// Logs `message` with key/value `fields` at `level`.
pub fn log(level: Level, message: &str, fields: &[(String, String)]) {
    host_log(level, message, fields);
}

/// Logs `message` at debug level.
pub fn debug(message: &str) {
    host_log(Level::Debug, message, &[]);
}

/// Logs `message` at info level.
pub fn info(message: &str) {
    host_log(Level::Info, message, &[]);
}

/// Logs `message` at warn level.
pub fn warn(message: &str) {
    host_log(Level::Warn, message, &[]);
}

/// Logs `message` at error level.
pub fn error(message: &str) {
    host_log(Level::Error, message, &[]);
}
