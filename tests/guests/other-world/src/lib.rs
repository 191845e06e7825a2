//! Test-only guest: a well-formed component of an unrelated world (it exports `greet`),
//! so loading it as an adapter must fail with a message naming what it exports.

wit_bindgen::generate!({
    inline: "package test:other; world other { export greet: func() -> string; }",
});

/// The exported component.
#[derive(Debug)]
pub struct Other;

impl Guest for Other {
    fn greet() -> String {
        "not an adapter".to_owned()
    }
}

#[cfg(target_arch = "wasm32")]
export!(Other);
