//! Property aliases (WS-BPEL 2.0 §8.2.5): where a property's value lives in a variable of a given
//! type. Evaluation asks a [`PropertyAliases`]; [`AliasTable`] answers from the imported WSDL
//! definitions, with the alias queries compiled once.

use std::sync::Arc;

use super::types::{SimpleKind, TypeRef, VarType};
use super::xpath::compile::Compiled;
use super::xpath::interface::XPathRole;
use crate::check::ParsedExpressions;
use crate::model::QName;
use crate::parse::Definitions;
use crate::xpath::Language;

/// The alias of a property for a variable type: the part of a message (for a message type), and
/// the query that selects the property's node in the part or the variable (none: the whole part
/// or variable).
#[derive(Clone, Debug)]
pub struct Alias {
    pub part: Option<String>,
    pub query: Option<Arc<Compiled>>,
    /// How XPath sees the property's value when the property has a simple type
    /// (`bpel:getVariableProperty` returns it as a boolean, number or string).
    pub kind: Option<SimpleKind>,
}

pub trait PropertyAliases {
    /// The alias of `property` that applies to a variable of type `ty`, if any.
    fn alias(&self, ty: &VarType, property: &QName) -> Option<Alias>;
}

/// No property has any alias.
pub struct NoAliases;

impl PropertyAliases for NoAliases {
    fn alias(&self, _ty: &VarType, _property: &QName) -> Option<Alias> {
        None
    }
}

/// Any closure `(variable type, property) -> alias` serves as the aliases.
impl<F: Fn(&VarType, &QName) -> Option<Alias>> PropertyAliases for F {
    fn alias(&self, ty: &VarType, property: &QName) -> Option<Alias> {
        self(ty, property)
    }
}

/// Every property alias of a set of definitions, with its query compiled.
#[derive(Debug, Default)]
pub struct AliasTable {
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    property: QName,
    target: AliasTarget,
    alias: Alias,
}

#[derive(Debug, PartialEq)]
enum AliasTarget {
    Message(QName),
    Element(QName),
    Type(QName),
}

impl AliasTable {
    /// Reads every `vprop:propertyAlias` of `definitions`. Aliases whose names do not resolve are
    /// left out (static analysis reports them).
    pub fn new(definitions: &Definitions) -> AliasTable {
        AliasTable::build(definitions, None)
    }

    /// Like [`AliasTable::new`], compiling the queries from their parses by the analysis.
    pub fn from_parsed(definitions: &Definitions, parsed: &ParsedExpressions) -> AliasTable {
        AliasTable::build(definitions, Some(parsed))
    }

    fn build(definitions: &Definitions, parsed: Option<&ParsedExpressions>) -> AliasTable {
        let mut entries = Vec::new();
        for alias in definitions.all_property_aliases() {
            let Some(property) = alias.property_name.as_ref().and_then(|p| p.name.clone()) else { continue };
            let resolved = |r: &Option<crate::model::QNameRef>| r.as_ref().and_then(|r| r.name.clone());
            let target = if let Some(message) = resolved(&alias.message_type) {
                AliasTarget::Message(message)
            } else if let Some(element) = resolved(&alias.element) {
                AliasTarget::Element(element)
            } else if let Some(type_) = resolved(&alias.type_) {
                AliasTarget::Type(type_)
            } else {
                continue;
            };
            let query = alias.query.as_ref().map(|query| {
                let uri = query.query_language.as_ref().map(|l| l.value.trim());
                Arc::new(match Language::from_uri(uri) {
                    None => Compiled::failed(
                        &query.text,
                        format!("the query language `{}` is not supported (only XPath 1.0 and 2.0)", uri.unwrap_or_default()),
                        XPathRole::Query,
                    ),
                    Some(language) => match parsed.and_then(|parsed| parsed.get(alias.file(), query.span)) {
                        Some(parsed) => Compiled::from_parsed(&query.text, parsed, &query.namespaces, XPathRole::Query, language),
                        None => Compiled::new_in(&query.text, &query.namespaces, XPathRole::Query, language),
                    },
                })
            });
            let kind = definitions.property(&property).and_then(|p| {
                let type_name = p.type_.as_ref()?.name.as_ref()?;
                TypeRef::resolve(type_name, definitions).ok()?.simple
            });
            let part = alias.part.as_ref().map(|p| p.value.clone());
            entries.push(Entry { property, target, alias: Alias { part, query, kind } });
        }
        AliasTable { entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl PropertyAliases for AliasTable {
    fn alias(&self, ty: &VarType, property: &QName) -> Option<Alias> {
        self.entries
            .iter()
            .find(|entry| {
                entry.property == *property
                    && match (&entry.target, ty) {
                        (AliasTarget::Message(name), VarType::Message(message)) => *name == message.name,
                        (AliasTarget::Element(name), VarType::Element(element)) => name == element,
                        (AliasTarget::Type(name), VarType::Type(type_ref)) => *name == type_ref.name,
                        _ => false,
                    }
            })
            .map(|entry| entry.alias.clone())
    }
}
