//! Signal ids: UUIDv7, monotonic within the process.

/// A new UUIDv7 in its hyphenated form. Ids made by one process sort in creation order
/// (the `uuid` crate's v7 context keeps a counter within the same millisecond).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().hyphenated().to_string()
}
