//! The attributes an expression reads: the eight CloudEvents context attributes, known
//! when an expression is compiled (read as a field, no name compare per event), and
//! extensions, looked up by name.

use std::borrow::Cow;

use super::Value;
use crate::signal::{ExtensionValue, Signal};

/// A CloudEvents context attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContextAttribute {
    /// `specversion`.
    SpecVersion,
    /// `id`.
    Id,
    /// `source`.
    Source,
    /// `type`.
    Type,
    /// `subject`.
    Subject,
    /// `time`.
    Time,
    /// `datacontenttype`.
    DataContentType,
    /// `dataschema`.
    DataSchema,
}

impl ContextAttribute {
    /// The context attribute called `name` (lower case); `None` for any other name.
    pub fn parse(name: &str) -> Option<ContextAttribute> {
        Some(match name {
            "specversion" => ContextAttribute::SpecVersion,
            "id" => ContextAttribute::Id,
            "source" => ContextAttribute::Source,
            "type" => ContextAttribute::Type,
            "subject" => ContextAttribute::Subject,
            "time" => ContextAttribute::Time,
            "datacontenttype" => ContextAttribute::DataContentType,
            "dataschema" => ContextAttribute::DataSchema,
            _ => return None,
        })
    }

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContextAttribute::SpecVersion => "specversion",
            ContextAttribute::Id => "id",
            ContextAttribute::Source => "source",
            ContextAttribute::Type => "type",
            ContextAttribute::Subject => "subject",
            ContextAttribute::Time => "time",
            ContextAttribute::DataContentType => "datacontenttype",
            ContextAttribute::DataSchema => "dataschema",
        }
    }
}

/// What an expression can read: the event's attributes by (lower-case) name.
pub trait Attributes {
    /// The attribute `name`, or `None` when the event does not have it.
    fn attribute(&self, name: &str) -> Option<Value<'_>>;

    /// A context attribute; by default [`Attributes::attribute`] of its name. Implement it
    /// when the context attributes can be read without comparing names.
    fn context(&self, name: ContextAttribute) -> Option<Value<'_>> {
        self.attribute(name.as_str())
    }

    /// An extension attribute (never a context attribute's name); by default
    /// [`Attributes::attribute`].
    fn extension(&self, name: &str) -> Option<Value<'_>> {
        self.attribute(name)
    }
}

impl Attributes for Signal {
    fn attribute(&self, name: &str) -> Option<Value<'_>> {
        match ContextAttribute::parse(name) {
            Some(context) => self.context(context),
            None => self.extensions.get(name).map(extension),
        }
    }

    fn extension(&self, name: &str) -> Option<Value<'_>> {
        self.extensions.get(name).map(extension)
    }

    fn context(&self, name: ContextAttribute) -> Option<Value<'_>> {
        let text = |s| Some(Value::Str(Cow::Borrowed(s)));
        match name {
            ContextAttribute::SpecVersion => text(&self.specversion),
            ContextAttribute::Id => text(&self.id),
            ContextAttribute::Source => text(&self.source),
            ContextAttribute::Type => text(&self.ty),
            ContextAttribute::Subject => self.subject.as_deref().and_then(text),
            ContextAttribute::Time => self.time.as_deref().and_then(text),
            ContextAttribute::DataContentType => self.datacontenttype.as_deref().and_then(text),
            ContextAttribute::DataSchema => self.dataschema.as_deref().and_then(text),
        }
    }
}

fn extension(value: &ExtensionValue) -> Value<'_> {
    match value {
        ExtensionValue::Text(s) => Value::Str(Cow::Borrowed(s)),
        ExtensionValue::Boolean(b) => Value::Bool(*b),
        // CESQL integers are 32-bit; a wider one is read as its text.
        ExtensionValue::Integer(n) => {
            i32::try_from(*n).map_or_else(|_| Value::Str(Cow::Owned(n.to_string())), Value::Int)
        }
    }
}
