//! Checking a component against the `dispatch-adapter` world before it is instantiated:
//! what it imports, which grants those imports need, and whether it exports the adapter
//! interface of a version this host speaks.

use wasmtime::Engine;
use wasmtime::component::Component;

use super::LoadError;

/// The package version this host implements.
pub const WORLD_VERSION: &str = "0.1.0";

/// The exported interface every adapter must provide.
pub const ADAPTER_EXPORT: &str = "jido:dispatch/adapter@0.1.0";

/// The exported interface of a `dispatch-view-adapter` component (an adapter exports this
/// one or [`ADAPTER_EXPORT`]).
pub const VIEW_ADAPTER_EXPORT: &str = "jido:dispatch/view-adapter@0.1.0";

/// The exported interface of a `dispatch-transform` component.
pub const TRANSFORM_EXPORT: &str = "jido:dispatch/transform@0.1.0";

/// The exported interface of a `dispatch-view-transform` component (a transform exports
/// this one or [`TRANSFORM_EXPORT`]).
pub const VIEW_TRANSFORM_EXPORT: &str = "jido:dispatch/view-transform@0.1.0";

/// Which world a component is loaded for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `dispatch-adapter`, or `dispatch-view-adapter` when it exports that.
    Adapter,
    /// `dispatch-view-adapter` (what [`check`] finds an adapter to be).
    ViewAdapter,
    /// `dispatch-transform`, or `dispatch-view-transform` when it exports that.
    Transform,
    /// `dispatch-view-transform` (what [`check`] finds a transform to be).
    ViewTransform,
}

/// One import of a component and what it takes to satisfy it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportInfo {
    /// Full import name, e.g. `jido:dispatch/http@0.1.0`.
    pub name: String,
    /// What the import needs: `none`, or the grant that gives it effect.
    pub grant: &'static str,
    /// Whether this host offers the import at all.
    pub offered: bool,
}

/// What a component needs and provides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentInfo {
    /// Every import, in the component's order.
    pub imports: Vec<ImportInfo>,
    /// Every export name.
    pub exports: Vec<String>,
}

impl ImportInfo {
    /// Whether calls through this import can wait in the host (network, channels), so a
    /// call into the component needs a wall-clock guard besides the epoch deadline.
    pub fn waits_on_host(&self) -> bool {
        self.name.starts_with("jido:dispatch/http@") || self.name.starts_with("jido:dispatch/channel@")
    }
}

/// Describes `component`'s imports and exports.
pub fn describe(engine: &Engine, component: &Component) -> ComponentInfo {
    let ty = component.component_type();
    let imports = ty
        .imports(engine)
        .map(|(name, _)| {
            let (offered, grant) = classify(name);
            ImportInfo { name: name.to_owned(), grant, offered }
        })
        .collect();
    let exports = ty.exports(engine).map(|(name, _)| name.to_owned()).collect();
    ComponentInfo { imports, exports }
}

/// Whether the host offers an import, and which grant it needs to have an effect.
fn classify(name: &str) -> (bool, &'static str) {
    let (package, _) = name.split_once('@').unwrap_or((name, ""));
    match package {
        "jido:dispatch/types" | "jido:dispatch/log" | "jido:dispatch/crypto" | "jido:dispatch/view" => {
            (true, "none")
        }
        "jido:dispatch/http" => (true, "http origins (egress allowlist)"),
        "jido:dispatch/channel" => (true, "channel targets, topics and buses"),
        "wasi:cli/stdout" | "wasi:cli/stderr" => (true, "stdio (output discarded otherwise)"),
        p if p.starts_with("wasi:io/")
            || p.starts_with("wasi:cli/")
            || p.starts_with("wasi:clocks/")
            || p.starts_with("wasi:random/") =>
        {
            (true, "none")
        }
        p if p.starts_with("wasi:filesystem/") => {
            (false, "wasi_stubs (an empty filesystem: nothing is preopened)")
        }
        p if p.starts_with("wasi:sockets/") => {
            (false, "wasi_stubs (no network: every socket is refused; use the http import)")
        }
        _ => (false, "not offered by this host"),
    }
}

/// Checks that `info` describes a component of this host's world `kind`; `wasi:filesystem`
/// and `wasi:sockets` pass only with the `wasi_stubs` grant, and a transform may import
/// nothing of ours but `log` and `view` (transforms are pure). Returns the world found: an
/// adapter exporting `view-adapter` is a [`Kind::ViewAdapter`], a transform exporting
/// `view-transform` a [`Kind::ViewTransform`].
pub(super) fn check(info: &ComponentInfo, wasi_stubs: bool, kind: Kind) -> Result<Kind, LoadError> {
    let exports = |name: &str| info.exports.iter().any(|e| e == name);
    let (kind, export, world) = match kind {
        Kind::Adapter | Kind::ViewAdapter if exports(VIEW_ADAPTER_EXPORT) => {
            (Kind::ViewAdapter, VIEW_ADAPTER_EXPORT, "dispatch-view-adapter")
        }
        Kind::Adapter | Kind::ViewAdapter => {
            (Kind::Adapter, ADAPTER_EXPORT, "dispatch-adapter` or `dispatch-view-adapter")
        }
        Kind::Transform | Kind::ViewTransform if exports(VIEW_TRANSFORM_EXPORT) => {
            (Kind::ViewTransform, VIEW_TRANSFORM_EXPORT, "dispatch-view-transform")
        }
        Kind::Transform | Kind::ViewTransform => {
            (Kind::Transform, TRANSFORM_EXPORT, "dispatch-transform` or `dispatch-view-transform")
        }
    };
    let interface = export.split('@').next().unwrap_or(export);
    if !info.exports.iter().any(|e| e == export) {
        let other_version = info.exports.iter().find(|e| e.starts_with(&format!("{interface}@")));
        return Err(match other_version {
            Some(found) => LoadError::WrongWorld(format!(
                "it exports `{found}`, but this host speaks jido:dispatch@{WORLD_VERSION}"
            )),
            None => LoadError::WrongWorld(format!(
                "it does not export `{export}` (its exports: {}); build it against the \
                 `{world}` world of wit/",
                list(info.exports.iter().map(String::as_str))
            )),
        });
    }
    if matches!(kind, Kind::Transform | Kind::ViewTransform) {
        let impure: Vec<&str> = info
            .imports
            .iter()
            .map(|i| i.name.as_str())
            .filter(|name| {
                name.starts_with("jido:dispatch/")
                    && !name.starts_with("jido:dispatch/log@")
                    && !name.starts_with("jido:dispatch/types@")
                    && !name.starts_with("jido:dispatch/view@")
            })
            .collect();
        if !impure.is_empty() {
            return Err(LoadError::WrongWorld(format!(
                "a transform may import only jido:dispatch/log and jido:dispatch/view (transforms are \
                 pure), but it imports {}",
                list(impure.into_iter())
            )));
        }
    }
    let missing: Vec<&str> = info
        .imports
        .iter()
        .filter(|i| !(i.offered || (wasi_stubs && is_stub(&i.name))))
        .map(|i| i.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(LoadError::WrongWorld(format!(
            "it imports what this host does not offer: {} (wasi:filesystem and wasi:sockets load only with \
             the wasi_stubs grant, as an empty filesystem and no network: reach the network through \
             jido:dispatch/http)",
            list(missing.into_iter())
        )));
    }
    Ok(kind)
}

/// The imports the `wasi_stubs` grant offers (as an empty filesystem and no network).
fn is_stub(name: &str) -> bool {
    name.starts_with("wasi:filesystem/") || name.starts_with("wasi:sockets/")
}

fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(imports: &[&str], exports: &[&str]) -> ComponentInfo {
        ComponentInfo {
            imports: imports
                .iter()
                .map(|name| {
                    let (offered, grant) = classify(name);
                    ImportInfo { name: (*name).to_owned(), grant, offered }
                })
                .collect(),
            exports: exports.iter().map(|e| (*e).to_owned()).collect(),
        }
    }

    fn check_(info: &ComponentInfo) -> Result<(), LoadError> {
        check(info, false, Kind::Adapter).map(drop)
    }

    #[test]
    fn an_adapter_exports_either_adapter_interface_and_the_view_one_wins() {
        let plain = info(&["jido:dispatch/http@0.1.0"], &[ADAPTER_EXPORT]);
        assert_eq!(check(&plain, false, Kind::Adapter), Ok(Kind::Adapter));
        let viewing = info(&["jido:dispatch/http@0.1.0", "jido:dispatch/view@0.1.0"], &[VIEW_ADAPTER_EXPORT]);
        assert_eq!(check(&viewing, false, Kind::Adapter), Ok(Kind::ViewAdapter));
        let both = info(&[], &[ADAPTER_EXPORT, VIEW_ADAPTER_EXPORT]);
        assert_eq!(check(&both, false, Kind::Adapter), Ok(Kind::ViewAdapter));
        let transform = info(&[], &[VIEW_TRANSFORM_EXPORT]);
        let err = check(&transform, false, Kind::Adapter).expect_err("refused").to_string();
        assert!(err.contains("`dispatch-adapter` or `dispatch-view-adapter` world"), "{err}");
    }

    #[test]
    fn a_transform_may_import_log_and_view_but_not_http() {
        let pure = info(&["jido:dispatch/log@0.1.0", "jido:dispatch/types@0.1.0"], &[TRANSFORM_EXPORT]);
        assert_eq!(check(&pure, false, Kind::Transform), Ok(Kind::Transform));
        let viewing = info(
            &["jido:dispatch/log@0.1.0", "jido:dispatch/types@0.1.0", "jido:dispatch/view@0.1.0"],
            &[VIEW_TRANSFORM_EXPORT],
        );
        assert_eq!(check(&viewing, false, Kind::Transform), Ok(Kind::ViewTransform));
        let http = info(&["jido:dispatch/http@0.1.0"], &[TRANSFORM_EXPORT]);
        let err = check(&http, false, Kind::Transform).expect_err("refused").to_string();
        assert!(err.contains("only jido:dispatch/log") && err.contains("jido:dispatch/http@0.1.0"), "{err}");
        let adapter = info(&[], &[ADAPTER_EXPORT]);
        let err = check(&adapter, false, Kind::Transform).expect_err("refused").to_string();
        assert!(err.contains("does not export `jido:dispatch/transform@0.1.0`"), "{err}");
        assert!(err.contains("`dispatch-transform` or `dispatch-view-transform` world"), "{err}");
    }

    #[test]
    fn filesystem_and_sockets_are_refused_unless_stubbed() {
        let fs = info(&["wasi:filesystem/preopens@0.2.6"], &[ADAPTER_EXPORT]);
        assert!(
            check(&fs, false, Kind::Adapter)
                .expect_err("refused")
                .to_string()
                .contains("wasi:filesystem/preopens@0.2.6")
        );
        assert_eq!(check(&fs, true, Kind::Adapter), Ok(Kind::Adapter));
        let sockets = info(&["wasi:sockets/tcp@0.2.6"], &[ADAPTER_EXPORT]);
        assert!(
            check(&sockets, false, Kind::Adapter)
                .expect_err("refused")
                .to_string()
                .contains("wasi:sockets/tcp@0.2.6")
        );
        assert_eq!(check(&sockets, true, Kind::Adapter), Ok(Kind::Adapter));
    }

    #[test]
    fn an_adapter_of_this_version_passes() {
        assert_eq!(
            check_(&info(&["jido:dispatch/http@0.1.0", "wasi:cli/stdout@0.2.6"], &[ADAPTER_EXPORT])),
            Ok(())
        );
    }

    #[test]
    fn another_version_of_the_world_is_named() {
        let err = check_(&info(&[], &["jido:dispatch/adapter@0.2.0"])).expect_err("refused");
        assert!(
            err.to_string()
                .contains("exports `jido:dispatch/adapter@0.2.0`, but this host speaks jido:dispatch@0.1.0"),
            "{err}"
        );
    }

    #[test]
    fn a_component_of_another_world_lists_its_exports() {
        let err = check_(&info(&[], &["run"])).expect_err("refused");
        assert!(
            err.to_string().contains("does not export `jido:dispatch/adapter@0.1.0` (its exports: run)"),
            "{err}"
        );
    }

    #[test]
    fn imports_the_host_does_not_offer_are_named() {
        let err = check_(&info(&["acme:secret/keys@1.0.0"], &[ADAPTER_EXPORT])).expect_err("refused");
        assert!(err.to_string().contains("acme:secret/keys@1.0.0"), "{err}");
    }
}
