//! The declared type of a variable, resolved once against the imported WSDL and XSD definitions:
//! what the copy rules, the XPath bindings and validation need to know about it.

use std::fmt;
use std::sync::Arc;

use crate::model::process::VariableType;
use crate::model::xsd::{BuiltinType, SchemaSet, SimpleTypeDef, SimpleTypeRef, SimpleVariety, TypeDef};
use crate::model::QName;
use crate::parse::Definitions;

use super::value::{Message, Value, XmlElement};

/// A variable's declared type.
#[derive(Clone, Debug, PartialEq)]
pub enum VarType {
    /// `messageType=`: a WSDL message.
    Message(Arc<MessageType>),
    /// `element=`: a global element declaration.
    Element(QName),
    /// `type=`: a simple or complex XML Schema type.
    Type(TypeRef),
}

#[derive(Clone, Debug, PartialEq)]
pub struct MessageType {
    pub name: QName,
    pub parts: Vec<PartType>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PartType {
    pub name: String,
    pub kind: PartKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PartKind {
    Element(QName),
    Type(TypeRef),
}

/// A named XML Schema type and, when it is simple, how XPath sees its values.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeRef {
    pub name: QName,
    /// `None` for a complex type (including `xsd:anyType` and complex types with simple content).
    pub simple: Option<SimpleKind>,
}

/// The XPath 1.0 type a value of a simple type is bound as (WS-BPEL 2.0 §8.2.2): `xsd:boolean`
/// and its derivations as a boolean, the numeric types as a number, everything else as a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SimpleKind {
    Boolean,
    Number,
    String,
}

/// Derivation chains longer than this are taken as circular.
const MAX_DERIVATION: usize = 64;

impl VarType {
    /// Resolves a variable's declaration. `Err` says what is missing (an unresolved QName, a
    /// message or type that no import defines); static analysis reports those before a process
    /// runs.
    pub fn resolve(ty: &VariableType, definitions: &Definitions) -> Result<VarType, String> {
        if let Some(message) = &ty.message_type {
            let name = message.name.as_ref().ok_or_else(|| format!("the message type `{}` is not resolved", message.text))?;
            return MessageType::resolve(name, definitions).map(|m| VarType::Message(Arc::new(m)));
        }
        if let Some(element) = &ty.element {
            let name = element.name.as_ref().ok_or_else(|| format!("the element `{}` is not resolved", element.text))?;
            if definitions.element(name).is_none() {
                return Err(format!("no element {name} is declared"));
            }
            return Ok(VarType::Element(name.clone()));
        }
        if let Some(type_) = &ty.type_ {
            let name = type_.name.as_ref().ok_or_else(|| format!("the type `{}` is not resolved", type_.text))?;
            return TypeRef::resolve(name, definitions).map(VarType::Type);
        }
        Err("the variable declares no messageType, element or type".to_string())
    }

    /// The value a variable of this type starts from when a copy initializes it: a message without
    /// parts, an empty element of the declared name, or an empty container named `variable`.
    pub fn skeleton(&self, variable: &str) -> Value {
        match self {
            VarType::Message(message) => Value::Message(Message::new(message.name.clone())),
            VarType::Element(name) => Value::Element(XmlElement::new(name.namespace.as_deref(), &name.local)),
            VarType::Type(_) => Value::Element(XmlElement::new(None, variable)),
        }
    }

    pub fn as_message(&self) -> Option<&MessageType> {
        match self {
            VarType::Message(message) => Some(message),
            _ => None,
        }
    }

    /// How XPath sees a value of this type when it is simple.
    pub fn simple_kind(&self) -> Option<SimpleKind> {
        match self {
            VarType::Type(type_ref) => type_ref.simple,
            _ => None,
        }
    }
}

impl fmt::Display for VarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VarType::Message(message) => write!(f, "message {}", message.name),
            VarType::Element(name) => write!(f, "element {name}"),
            VarType::Type(type_ref) => write!(f, "type {}", type_ref.name),
        }
    }
}

impl MessageType {
    pub fn resolve(name: &QName, definitions: &Definitions) -> Result<MessageType, String> {
        let message = definitions.message(name).ok_or_else(|| format!("no message {name} is defined"))?;
        let mut parts = Vec::with_capacity(message.parts.len());
        for part in &message.parts {
            let kind = if let Some(element) = &part.element {
                let element = element
                    .name
                    .as_ref()
                    .ok_or_else(|| format!("the element `{}` of part `{}` is not resolved", element.text, part.name.value))?;
                PartKind::Element(element.clone())
            } else if let Some(type_) = &part.type_ {
                let type_name = type_
                    .name
                    .as_ref()
                    .ok_or_else(|| format!("the type `{}` of part `{}` is not resolved", type_.text, part.name.value))?;
                PartKind::Type(TypeRef::resolve(type_name, definitions)?)
            } else {
                return Err(format!("part `{}` of message {name} has neither element nor type", part.name.value));
            };
            parts.push(PartType { name: part.name.value.clone(), kind });
        }
        Ok(MessageType { name: name.clone(), parts })
    }

    pub fn part(&self, name: &str) -> Option<&PartType> {
        self.parts.iter().find(|p| p.name == name)
    }
}

impl PartType {
    /// An empty value for this part: the declared element, or a container named after the part.
    pub fn skeleton(&self) -> XmlElement {
        match &self.kind {
            PartKind::Element(name) => XmlElement::new(name.namespace.as_deref(), &name.local),
            PartKind::Type(_) => XmlElement::new(None, &self.name),
        }
    }

    pub fn simple_kind(&self) -> Option<SimpleKind> {
        match &self.kind {
            PartKind::Type(type_ref) => type_ref.simple,
            PartKind::Element(_) => None,
        }
    }
}

impl TypeRef {
    /// A built-in type or a type of the loaded schemas.
    pub fn resolve<S: SchemaSet + ?Sized>(name: &QName, schemas: &S) -> Result<TypeRef, String> {
        let simple = simple_kind_of(schemas, name, 0).ok_or_else(|| format!("no type {name} is defined"))?;
        Ok(TypeRef { name: name.clone(), simple })
    }

    /// A built-in XML Schema type (`xsd:int` is `builtin("int")`); an unknown name is taken as a
    /// string type.
    pub fn builtin(local: &str) -> TypeRef {
        let simple = match BuiltinType::from_local_name(local) {
            Some(builtin) => builtin_kind(builtin),
            None => Some(SimpleKind::String),
        };
        TypeRef { name: QName::new(Some(crate::model::xsd::XSD_NS), local), simple }
    }
}

/// How XPath sees a value of a built-in type (§8.2.2): the type's value space decides.
fn builtin_kind(builtin: BuiltinType) -> Option<SimpleKind> {
    use crate::model::xsd::builtin::ValueSpace;
    if builtin == BuiltinType::AnyType {
        return None;
    }
    Some(match builtin.value_space() {
        ValueSpace::Boolean => SimpleKind::Boolean,
        ValueSpace::Decimal | ValueSpace::Float => SimpleKind::Number,
        _ => SimpleKind::String,
    })
}

/// `None`: no such type. `Some(None)`: a complex type. `Some(Some(kind))`: a simple type.
fn simple_kind_of<S: SchemaSet + ?Sized>(schemas: &S, name: &QName, depth: usize) -> Option<Option<SimpleKind>> {
    if let Some(builtin) = BuiltinType::from_qname(name) {
        return Some(builtin_kind(builtin));
    }
    match schemas.find_type(name)? {
        TypeDef::Complex(_) => Some(None),
        TypeDef::Simple(def) => Some(Some(simple_def_kind(schemas, def, depth))),
    }
}

fn simple_def_kind<S: SchemaSet + ?Sized>(schemas: &S, def: &SimpleTypeDef, depth: usize) -> SimpleKind {
    if depth > MAX_DERIVATION {
        return SimpleKind::String;
    }
    match &def.variety {
        SimpleVariety::List(_) | SimpleVariety::Union(_) => SimpleKind::String,
        SimpleVariety::Restriction(restriction) => match &restriction.base {
            Some(SimpleTypeRef::Named(base)) => match &base.name {
                Some(base) => simple_kind_of(schemas, base, depth + 1).flatten().unwrap_or(SimpleKind::String),
                None => SimpleKind::String,
            },
            Some(SimpleTypeRef::Inline(inline)) => simple_def_kind(schemas, inline, depth + 1),
            None => SimpleKind::String,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_types_bind_as_their_xpath_kind() {
        assert_eq!(TypeRef::builtin("int").simple, Some(SimpleKind::Number));
        assert_eq!(TypeRef::builtin("unsignedInt").simple, Some(SimpleKind::Number));
        assert_eq!(TypeRef::builtin("boolean").simple, Some(SimpleKind::Boolean));
        assert_eq!(TypeRef::builtin("string").simple, Some(SimpleKind::String));
        assert_eq!(TypeRef::builtin("duration").simple, Some(SimpleKind::String));
        assert_eq!(TypeRef::builtin("anyType").simple, None);
    }
}
