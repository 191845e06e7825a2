//! Building signals in code.

use std::collections::BTreeMap;

use super::{Data, ExtensionValue, Signal, SignalError, id, validate};

/// Builds a [`Signal`]; [`SignalBuilder::build`] applies every validation rule.
///
/// ```
/// use jido_dispatch::signal::Signal;
/// let signal = Signal::builder("user.created", "/demo")
///     .subject("user-1")
///     .data_json(&serde_json::json!({"id": 1}))
///     .build()
///     .unwrap();
/// assert_eq!(signal.specversion, "1.0");
/// assert!(signal.time.is_some());
/// ```
#[derive(Debug, Clone, Default)]
pub struct SignalBuilder {
    ty: String,
    source: String,
    id: Option<String>,
    specversion: Option<String>,
    subject: Option<String>,
    time: Option<String>,
    datacontenttype: Option<String>,
    dataschema: Option<String>,
    data: Option<Data>,
    extensions: BTreeMap<String, ExtensionValue>,
}

impl SignalBuilder {
    /// A builder for a signal of type `ty` from `source`.
    pub fn new(ty: impl Into<String>, source: impl Into<String>) -> Self {
        SignalBuilder { ty: ty.into(), source: source.into(), ..Default::default() }
    }

    /// Sets the id (default: a new UUIDv7).
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the spec version (`1.0` or `1.0.2`; stored as `1.0`).
    pub fn specversion(mut self, v: impl Into<String>) -> Self {
        self.specversion = Some(v.into());
        self
    }

    /// Sets the subject.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Sets the time (RFC 3339; default: now).
    pub fn time(mut self, time: impl Into<String>) -> Self {
        self.time = Some(time.into());
        self
    }

    /// Sets the data content type.
    pub fn datacontenttype(mut self, v: impl Into<String>) -> Self {
        self.datacontenttype = Some(v.into());
        self
    }

    /// Sets the data schema.
    pub fn dataschema(mut self, v: impl Into<String>) -> Self {
        self.dataschema = Some(v.into());
        self
    }

    /// Sets JSON data.
    pub fn data_json(mut self, value: &serde_json::Value) -> Self {
        self.data = Some(Data::json(value));
        self
    }

    /// Sets any data.
    pub fn data(mut self, data: Data) -> Self {
        self.data = Some(data);
        self
    }

    /// Adds an extension attribute.
    pub fn extension(mut self, name: impl Into<String>, value: ExtensionValue) -> Self {
        self.extensions.insert(name.into(), value);
        self
    }

    /// Validates and builds the signal.
    pub fn build(self) -> Result<Signal, SignalError> {
        let ty = validate::required("type", Some(self.ty))?;
        let source = validate::required("source", Some(self.source))?;
        let id = match validate::optional("id", self.id)? {
            Some(id) => id,
            None => id::new_id(),
        };
        let specversion = validate::specversion(self.specversion.as_deref().unwrap_or("1.0"))?;
        for name in self.extensions.keys() {
            validate::extension_name(name)?;
        }
        Ok(Signal {
            id,
            source,
            ty,
            specversion,
            subject: validate::optional("subject", self.subject)?,
            time: Some(validate::time(self.time)?),
            datacontenttype: validate::optional("datacontenttype", self.datacontenttype)?,
            dataschema: validate::optional("dataschema", self.dataschema)?,
            data: self.data,
            extensions: self.extensions,
        })
    }
}
