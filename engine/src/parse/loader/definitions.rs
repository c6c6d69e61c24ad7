//! The WSDL and XSD definitions a process sees: every component of its imported documents and of
//! what they import in turn, by kind and expanded name.
//!
//! Each [`LoadedDocument`] carries an index of its own components, built once when it is loaded, so
//! assembling the definitions of a process only walks its import graph and compares names.
//! Lookups try the documents in order (the process's imports first, breadth first), which is a
//! handful of hash lookups for real processes.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::Deref;
use std::sync::Arc;

use super::LoadedDocument;
use crate::diagnostic::Diagnostic;
use crate::model::wsdl::{Binding, Message, Operation, PartnerLinkType, PortType, Property, PropertyAlias, Service, WsdlDocument};
use crate::model::xsd::{
    self, AttributeDecl, AttributeGroupDef, BuiltinType, ElementDecl, GroupDef, Sample, SampleError, Schema, SchemaSet, TypeDef, ValueError,
};
use crate::model::QName;
use crate::source::FileId;
use crate::span::{Span, Spanned};

/// The kinds of named top-level definitions. Names are unique per kind (and namespace).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DefinitionKind {
    Message,
    PortType,
    Binding,
    Service,
    PartnerLinkType,
    Property,
    Element,
    Type,
    Attribute,
    Group,
    AttributeGroup,
}

const KINDS: usize = 11;

impl DefinitionKind {
    pub const ALL: [DefinitionKind; KINDS] = [
        DefinitionKind::Message,
        DefinitionKind::PortType,
        DefinitionKind::Binding,
        DefinitionKind::Service,
        DefinitionKind::PartnerLinkType,
        DefinitionKind::Property,
        DefinitionKind::Element,
        DefinitionKind::Type,
        DefinitionKind::Attribute,
        DefinitionKind::Group,
        DefinitionKind::AttributeGroup,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// How messages name the kind: "message", "port type"...
    pub fn describe(self) -> &'static str {
        match self {
            DefinitionKind::Message => "message",
            DefinitionKind::PortType => "port type",
            DefinitionKind::Binding => "binding",
            DefinitionKind::Service => "service",
            DefinitionKind::PartnerLinkType => "partner link type",
            DefinitionKind::Property => "property",
            DefinitionKind::Element => "element",
            DefinitionKind::Type => "type",
            DefinitionKind::Attribute => "attribute",
            DefinitionKind::Group => "group",
            DefinitionKind::AttributeGroup => "attribute group",
        }
    }
}

/// Where a definition sits in its document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    /// Index into the WSDL document's vector of that kind.
    Wsdl(u32),
    /// Index into the vector of that kind of one of the document's schemas.
    Schema { schema: u32, index: u32 },
    /// Index into the vector of that kind of an `xsd:redefine`.
    Redefine { schema: u32, redefine: u32, index: u32 },
}

/// The components of one document by kind and name, built once per loaded document.
#[derive(Debug, Default)]
pub(crate) struct DocumentIndex {
    /// Per kind, every definition in document order (redefinitions included).
    entries: [Vec<(QName, Slot)>; KINDS],
    /// Per kind, the first definition of each name, as an index into `entries`.
    by_name: [HashMap<QName, u32>; KINDS],
    /// Per kind, the components of `xsd:redefine`s: they replace those of the same name.
    redefinitions: [HashMap<QName, Slot>; KINDS],
    /// Property aliases by property name, as indexes into the WSDL's vector.
    aliases: HashMap<QName, Vec<u32>>,
    /// Names defined twice in this document: (kind, name, first, second).
    duplicates: Vec<(DefinitionKind, QName, Slot, Slot)>,
}

impl DocumentIndex {
    pub(crate) fn build(wsdl: Option<&WsdlDocument>, schema: Option<&Schema>) -> DocumentIndex {
        let mut index = DocumentIndex::default();
        if let Some(wsdl) = wsdl {
            let ns = wsdl.target_namespace();
            index.add_wsdl(DefinitionKind::Message, ns, wsdl.messages.iter().map(|m| &m.name));
            index.add_wsdl(DefinitionKind::PortType, ns, wsdl.port_types.iter().map(|p| &p.name));
            index.add_wsdl(DefinitionKind::Binding, ns, wsdl.bindings.iter().map(|b| &b.name));
            index.add_wsdl(DefinitionKind::Service, ns, wsdl.services.iter().map(|s| &s.name));
            index.add_wsdl(DefinitionKind::PartnerLinkType, ns, wsdl.partner_link_types.iter().map(|p| &p.name));
            index.add_wsdl(DefinitionKind::Property, ns, wsdl.properties.iter().map(|p| &p.name));
            for (i, alias) in wsdl.property_aliases.iter().enumerate() {
                if let Some(property) = alias.property_name.as_ref().and_then(|p| p.name.clone()) {
                    index.aliases.entry(property).or_default().push(i as u32);
                }
            }
        }
        let schemas = wsdl.map(|w| w.schemas.as_slice()).unwrap_or_default().iter().chain(schema);
        for (s, schema) in schemas.enumerate() {
            let ns = schema.target_namespace();
            let at = |index: usize| Slot::Schema { schema: s as u32, index: index as u32 };
            for (i, element) in schema.elements.iter().enumerate() {
                index.add(DefinitionKind::Element, QName::new(ns, &element.name.value), at(i));
            }
            for (i, type_def) in schema.types.iter().enumerate() {
                if let Some(name) = type_def.name() {
                    index.add(DefinitionKind::Type, QName::new(ns, &name.value), at(i));
                }
            }
            for (i, attribute) in schema.attributes.iter().enumerate() {
                index.add(DefinitionKind::Attribute, QName::new(ns, &attribute.name.value), at(i));
            }
            for (i, group) in schema.groups.iter().enumerate() {
                index.add(DefinitionKind::Group, QName::new(ns, &group.name.value), at(i));
            }
            for (i, group) in schema.attribute_groups.iter().enumerate() {
                index.add(DefinitionKind::AttributeGroup, QName::new(ns, &group.name.value), at(i));
            }
            for (r, redefine) in schema.redefines.iter().enumerate() {
                let at = |index: usize| Slot::Redefine { schema: s as u32, redefine: r as u32, index: index as u32 };
                for (i, type_def) in redefine.types.iter().enumerate() {
                    if let Some(name) = type_def.name() {
                        index.add_redefinition(DefinitionKind::Type, QName::new(ns, &name.value), at(i));
                    }
                }
                for (i, group) in redefine.groups.iter().enumerate() {
                    index.add_redefinition(DefinitionKind::Group, QName::new(ns, &group.name.value), at(i));
                }
                for (i, group) in redefine.attribute_groups.iter().enumerate() {
                    index.add_redefinition(DefinitionKind::AttributeGroup, QName::new(ns, &group.name.value), at(i));
                }
            }
        }
        index
    }

    fn add_wsdl<'a>(&mut self, kind: DefinitionKind, namespace: Option<&str>, names: impl Iterator<Item = &'a Spanned<String>>) {
        for (i, name) in names.enumerate() {
            self.add(kind, QName::new(namespace, &name.value), Slot::Wsdl(i as u32));
        }
    }

    fn add(&mut self, kind: DefinitionKind, name: QName, slot: Slot) {
        let k = kind.index();
        let position = self.entries[k].len() as u32;
        self.entries[k].push((name.clone(), slot));
        match self.by_name[k].entry(name) {
            Entry::Occupied(first) => {
                let first_slot = self.entries[k][*first.get() as usize].1;
                self.duplicates.push((kind, first.key().clone(), first_slot, slot));
            }
            Entry::Vacant(vacant) => {
                vacant.insert(position);
            }
        }
    }

    fn add_redefinition(&mut self, kind: DefinitionKind, name: QName, slot: Slot) {
        let k = kind.index();
        self.entries[k].push((name.clone(), slot));
        self.redefinitions[k].entry(name).or_insert(slot);
    }

    fn has_redefinitions(&self) -> bool {
        self.redefinitions.iter().any(|map| !map.is_empty())
    }
}

/// A top-level definition kind that [`Definitions`] can look up.
pub trait Component: Sized + 'static {
    const KIND: DefinitionKind;
    fn lookup(document: &LoadedDocument, slot: Slot) -> Option<&Self>;
    fn name(&self) -> Option<&Spanned<String>>;
    fn span(&self) -> Span;
}

fn wsdl_item<T>(document: &LoadedDocument, slot: Slot, items: impl FnOnce(&WsdlDocument) -> &[T]) -> Option<&T> {
    match slot {
        Slot::Wsdl(index) => items(document.wsdl.as_ref()?).get(index as usize),
        _ => None,
    }
}

fn schema_item<T>(document: &LoadedDocument, slot: Slot, items: impl FnOnce(&Schema) -> &[T]) -> Option<&T> {
    match slot {
        Slot::Schema { schema, index } => items(document.schemas().get(schema as usize)?).get(index as usize),
        _ => None,
    }
}

fn redefined_item<T>(document: &LoadedDocument, slot: Slot, items: impl FnOnce(&xsd::Redefine) -> &[T]) -> Option<&T> {
    match slot {
        Slot::Redefine { schema, redefine, index } => {
            let redefine = document.schemas().get(schema as usize)?.redefines.get(redefine as usize)?;
            items(redefine).get(index as usize)
        }
        _ => None,
    }
}

macro_rules! wsdl_component {
    ($type:ty, $kind:ident, $field:ident) => {
        impl Component for $type {
            const KIND: DefinitionKind = DefinitionKind::$kind;
            fn lookup(document: &LoadedDocument, slot: Slot) -> Option<&Self> {
                wsdl_item(document, slot, |w| &w.$field)
            }
            fn name(&self) -> Option<&Spanned<String>> {
                Some(&self.name)
            }
            fn span(&self) -> Span {
                self.span
            }
        }
    };
}

wsdl_component!(Message, Message, messages);
wsdl_component!(PortType, PortType, port_types);
wsdl_component!(Binding, Binding, bindings);
wsdl_component!(Service, Service, services);
wsdl_component!(PartnerLinkType, PartnerLinkType, partner_link_types);
wsdl_component!(Property, Property, properties);

impl Component for ElementDecl {
    const KIND: DefinitionKind = DefinitionKind::Element;
    fn lookup(document: &LoadedDocument, slot: Slot) -> Option<&Self> {
        schema_item(document, slot, |s| &s.elements)
    }
    fn name(&self) -> Option<&Spanned<String>> {
        Some(&self.name)
    }
    fn span(&self) -> Span {
        self.span
    }
}

impl Component for AttributeDecl {
    const KIND: DefinitionKind = DefinitionKind::Attribute;
    fn lookup(document: &LoadedDocument, slot: Slot) -> Option<&Self> {
        schema_item(document, slot, |s| &s.attributes)
    }
    fn name(&self) -> Option<&Spanned<String>> {
        Some(&self.name)
    }
    fn span(&self) -> Span {
        self.span
    }
}

impl Component for TypeDef {
    const KIND: DefinitionKind = DefinitionKind::Type;
    fn lookup(document: &LoadedDocument, slot: Slot) -> Option<&Self> {
        schema_item(document, slot, |s| &s.types).or_else(|| redefined_item(document, slot, |r| &r.types))
    }
    fn name(&self) -> Option<&Spanned<String>> {
        TypeDef::name(self)
    }
    fn span(&self) -> Span {
        TypeDef::span(self)
    }
}

impl Component for GroupDef {
    const KIND: DefinitionKind = DefinitionKind::Group;
    fn lookup(document: &LoadedDocument, slot: Slot) -> Option<&Self> {
        schema_item(document, slot, |s| &s.groups).or_else(|| redefined_item(document, slot, |r| &r.groups))
    }
    fn name(&self) -> Option<&Spanned<String>> {
        Some(&self.name)
    }
    fn span(&self) -> Span {
        self.span
    }
}

impl Component for AttributeGroupDef {
    const KIND: DefinitionKind = DefinitionKind::AttributeGroup;
    fn lookup(document: &LoadedDocument, slot: Slot) -> Option<&Self> {
        schema_item(document, slot, |s| &s.attribute_groups).or_else(|| redefined_item(document, slot, |r| &r.attribute_groups))
    }
    fn name(&self) -> Option<&Spanned<String>> {
        Some(&self.name)
    }
    fn span(&self) -> Span {
        self.span
    }
}

/// A definition with the document it comes from. Dereferences to the definition.
#[derive(Debug)]
pub struct Def<'a, T> {
    pub document: &'a LoadedDocument,
    pub item: &'a T,
    /// The target namespace the definition is in.
    pub namespace: Option<&'a str>,
}

impl<T> Clone for Def<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Def<'_, T> {}

impl<T> Deref for Def<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.item
    }
}

impl<'a, T> Def<'a, T> {
    pub fn file(&self) -> FileId {
        self.document.file
    }

    /// Another item of the same document (an operation of a port type, say).
    pub fn with<U>(&self, item: &'a U) -> Def<'a, U> {
        Def { document: self.document, item, namespace: self.namespace }
    }
}

impl<T: Component> Def<'_, T> {
    pub fn qname(&self) -> QName {
        QName::new(self.namespace, self.item.name().map_or("", |n| n.value.as_str()))
    }

    pub fn location(&self) -> Location {
        Location { file: self.document.file, span: self.item.span(), name_span: self.item.name().map_or(self.item.span(), |n| n.span) }
    }
}

impl Def<'_, PropertyAlias> {
    pub fn location(&self) -> Location {
        Location { file: self.document.file, span: self.item.span, name_span: self.item.span }
    }
}

/// Where a definition is written: for "go to definition" (`name_span`) and hover (`span`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    pub file: FileId,
    /// The whole element.
    pub span: Span,
    /// The value of its `name` attribute.
    pub name_span: Span,
}

/// A name defined more than once (WS-BPEL SA00014 rejects a process that uses one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub kind: DefinitionKind,
    pub name: QName,
    /// The definition lookups return (the redefinition, for [`ConflictReason::Redefined`]: see `second`).
    pub first: Location,
    pub second: Location,
    pub reason: ConflictReason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConflictReason {
    /// Twice in one document.
    SameDocument,
    /// In two documents, written differently.
    Different,
    /// In two documents, written the same way (whitespace aside).
    Identical,
    /// Replaced by an `xsd:redefine` (`second`), which lookups return.
    Redefined,
}

/// The definitions of a set of loaded documents and of everything they import, each document once.
#[derive(Clone, Debug, Default)]
pub struct Definitions {
    /// Breadth first from the roots, the roots first.
    documents: Vec<Arc<LoadedDocument>>,
    roots: usize,
    has_redefinitions: bool,
    conflicts: Vec<Conflict>,
}

impl Definitions {
    /// The definitions of `roots` (a process's imports, in order) and of what they import.
    pub fn from_documents(roots: &[Arc<LoadedDocument>]) -> Definitions {
        let mut seen = HashSet::new();
        let mut documents: Vec<Arc<LoadedDocument>> = Vec::new();
        for root in roots {
            if seen.insert(root.file) {
                documents.push(root.clone());
            }
        }
        let root_count = documents.len();
        let mut queue: VecDeque<Arc<LoadedDocument>> = documents.iter().cloned().collect();
        while let Some(document) = queue.pop_front() {
            let cyclic = document.cyclic_imports.iter().filter_map(|weak| weak.upgrade());
            for import in document.imports.iter().cloned().chain(cyclic) {
                if seen.insert(import.file) {
                    documents.push(import.clone());
                    queue.push_back(import);
                }
            }
        }
        let has_redefinitions = documents.iter().any(|d| d.index.has_redefinitions());
        let mut definitions = Definitions { documents, roots: root_count, has_redefinitions, conflicts: Vec::new() };
        definitions.conflicts = definitions.find_conflicts();
        definitions
    }

    /// Every document, the roots first, each once.
    pub fn documents(&self) -> &[Arc<LoadedDocument>] {
        &self.documents
    }

    /// Whether `file` is one of the documents the definitions were built from (not a transitive import).
    pub fn is_root(&self, file: FileId) -> bool {
        self.documents[..self.roots].iter().any(|d| d.file == file)
    }

    /// The diagnostics of every document.
    pub fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.documents.iter().flat_map(|d| d.diagnostics.iter())
    }

    /// Names defined more than once, in document order.
    pub fn conflicts(&self) -> &[Conflict] {
        &self.conflicts
    }

    fn find(&self, kind: DefinitionKind, name: &QName) -> Option<(usize, Slot)> {
        let k = kind.index();
        if self.has_redefinitions {
            for (i, document) in self.documents.iter().enumerate() {
                if let Some(slot) = document.index.redefinitions[k].get(name) {
                    return Some((i, *slot));
                }
            }
        }
        self.documents.iter().enumerate().find_map(|(i, document)| {
            let position = *document.index.by_name[k].get(name)?;
            Some((i, document.index.entries[k][position as usize].1))
        })
    }

    fn def<'a, T: Component>(&'a self, document: &'a LoadedDocument, slot: Slot) -> Option<Def<'a, T>> {
        let item = T::lookup(document, slot)?;
        let namespace = match slot {
            Slot::Wsdl(_) => document.wsdl.as_ref().and_then(WsdlDocument::target_namespace),
            Slot::Schema { schema, .. } | Slot::Redefine { schema, .. } => {
                document.schemas().get(schema as usize).and_then(Schema::target_namespace)
            }
        };
        Some(Def { document, item, namespace })
    }

    /// The definition of kind `T` named `name`.
    pub fn get<T: Component>(&self, name: &QName) -> Option<Def<'_, T>> {
        let (document, slot) = self.find(T::KIND, name)?;
        self.def(&self.documents[document], slot)
    }

    /// Every definition of kind `T` that lookups can return (each name once), in document order.
    pub fn iter<T: Component>(&self) -> impl Iterator<Item = Def<'_, T>> {
        let k = T::KIND.index();
        self.documents.iter().enumerate().flat_map(move |(i, document)| {
            document.index.entries[k].iter().filter_map(move |(name, slot)| {
                let (found, found_slot) = self.find(T::KIND, name)?;
                if found == i && found_slot == *slot {
                    self.def(document, *slot)
                } else {
                    None
                }
            })
        })
    }

    pub fn message(&self, name: &QName) -> Option<Def<'_, Message>> {
        self.get(name)
    }

    pub fn port_type(&self, name: &QName) -> Option<Def<'_, PortType>> {
        self.get(name)
    }

    pub fn operation(&self, port_type: &QName, operation: &str) -> Option<Def<'_, Operation>> {
        let port_type = self.port_type(port_type)?;
        Some(port_type.with(port_type.item.operation(operation)?))
    }

    pub fn binding(&self, name: &QName) -> Option<Def<'_, Binding>> {
        self.get(name)
    }

    pub fn service(&self, name: &QName) -> Option<Def<'_, Service>> {
        self.get(name)
    }

    pub fn partner_link_type(&self, name: &QName) -> Option<Def<'_, PartnerLinkType>> {
        self.get(name)
    }

    pub fn property(&self, name: &QName) -> Option<Def<'_, Property>> {
        self.get(name)
    }

    /// The aliases of `property` in every document, in document order.
    pub fn property_aliases<'a>(&'a self, property: &QName) -> impl Iterator<Item = Def<'a, PropertyAlias>> + 'a {
        let found: Vec<(&'a LoadedDocument, &'a [u32])> = self
            .documents
            .iter()
            .filter_map(|document| Some((document.as_ref(), document.index.aliases.get(property)?.as_slice())))
            .collect();
        found.into_iter().flat_map(|(document, indexes)| {
            let wsdl = document.wsdl.as_ref();
            indexes.iter().filter_map(move |&i| {
                let wsdl = wsdl?;
                let item = wsdl.property_aliases.get(i as usize)?;
                Some(Def { document, item, namespace: wsdl.target_namespace() })
            })
        })
    }

    /// Every property alias of every document, whatever its property.
    pub fn all_property_aliases(&self) -> impl Iterator<Item = Def<'_, PropertyAlias>> {
        self.documents.iter().flat_map(|document| {
            let wsdl = document.wsdl.as_ref();
            let namespace = wsdl.and_then(WsdlDocument::target_namespace);
            wsdl.map(|w| w.property_aliases.as_slice()).unwrap_or_default().iter().map(move |item| Def {
                document: document.as_ref(),
                item,
                namespace,
            })
        })
    }

    pub fn element(&self, name: &QName) -> Option<Def<'_, ElementDecl>> {
        self.get(name)
    }

    pub fn type_def(&self, name: &QName) -> Option<Def<'_, TypeDef>> {
        self.get(name)
    }

    pub fn attribute(&self, name: &QName) -> Option<Def<'_, AttributeDecl>> {
        self.get(name)
    }

    pub fn group(&self, name: &QName) -> Option<Def<'_, GroupDef>> {
        self.get(name)
    }

    pub fn attribute_group(&self, name: &QName) -> Option<Def<'_, AttributeGroupDef>> {
        self.get(name)
    }

    /// Whether `name` is a built-in XML Schema type or a type of the loaded schemas.
    pub fn has_type(&self, name: &QName) -> bool {
        BuiltinType::from_qname(name).is_some() || self.find(DefinitionKind::Type, name).is_some()
    }

    /// Where the definition of `kind` named `name` is written.
    pub fn locate(&self, kind: DefinitionKind, name: &QName) -> Option<Location> {
        let (document, slot) = self.find(kind, name)?;
        slot_location(&self.documents[document], kind, slot)
    }

    /// Checks `text` against a simple type (built-in or of the loaded schemas).
    pub fn validate_simple_value(&self, type_name: &QName, text: &str) -> Result<(), ValueError> {
        xsd::validate_simple_value(self, type_name, text)
    }

    /// Checks `text` as the content of a global element of simple type.
    pub fn validate_element_text(&self, element: &QName, text: &str) -> Result<(), ValueError> {
        xsd::validate_element_text(self, element, text)
    }

    /// A sample instance of a global element.
    pub fn sample_element(&self, element: &QName) -> Result<Sample, SampleError> {
        xsd::sample_element(self, element)
    }

    /// A sample element named `element_name` with content of type `type_name`.
    pub fn sample_of_type(&self, element_name: &QName, type_name: &QName) -> Result<Sample, SampleError> {
        xsd::sample_of_type(self, element_name, type_name)
    }

    fn find_conflicts(&self) -> Vec<Conflict> {
        let mut conflicts = Vec::new();
        for (i, document) in self.documents.iter().enumerate() {
            for (kind, name, first, second) in &document.index.duplicates {
                if let (Some(first), Some(second)) = (slot_location(document, *kind, *first), slot_location(document, *kind, *second)) {
                    conflicts.push(Conflict { kind: *kind, name: name.clone(), first, second, reason: ConflictReason::SameDocument });
                }
            }
            for kind in DefinitionKind::ALL {
                let k = kind.index();
                for (position, (name, slot)) in document.index.entries[k].iter().enumerate() {
                    let is_redefinition = matches!(slot, Slot::Redefine { .. });
                    if !is_redefinition && document.index.by_name[k].get(name) != Some(&(position as u32)) {
                        continue; // a duplicate within the document, reported above
                    }
                    // A redefinition conflicts with the original wherever it is; a plain definition
                    // with an earlier document's.
                    let others = self.documents.iter().enumerate().filter(|(j, _)| if is_redefinition { *j != i } else { *j < i });
                    for (_, other) in others {
                        let Some(&other_position) = other.index.by_name[k].get(name) else { continue };
                        let other_slot = other.index.entries[k][other_position as usize].1;
                        let (Some(first), Some(second)) = (slot_location(other, kind, other_slot), slot_location(document, kind, *slot))
                        else {
                            continue;
                        };
                        let reason = if is_redefinition {
                            ConflictReason::Redefined
                        } else if same_text(other, first.span, document, second.span) {
                            ConflictReason::Identical
                        } else {
                            ConflictReason::Different
                        };
                        conflicts.push(Conflict { kind, name: name.clone(), first, second, reason });
                        break;
                    }
                }
            }
        }
        conflicts
    }
}

fn slot_location(document: &LoadedDocument, kind: DefinitionKind, slot: Slot) -> Option<Location> {
    fn at<T: Component>(document: &LoadedDocument, slot: Slot) -> Option<Location> {
        let item = T::lookup(document, slot)?;
        Some(Location { file: document.file, span: item.span(), name_span: item.name().map_or(item.span(), |n| n.span) })
    }
    match kind {
        DefinitionKind::Message => at::<Message>(document, slot),
        DefinitionKind::PortType => at::<PortType>(document, slot),
        DefinitionKind::Binding => at::<Binding>(document, slot),
        DefinitionKind::Service => at::<Service>(document, slot),
        DefinitionKind::PartnerLinkType => at::<PartnerLinkType>(document, slot),
        DefinitionKind::Property => at::<Property>(document, slot),
        DefinitionKind::Element => at::<ElementDecl>(document, slot),
        DefinitionKind::Type => at::<TypeDef>(document, slot),
        DefinitionKind::Attribute => at::<AttributeDecl>(document, slot),
        DefinitionKind::Group => at::<GroupDef>(document, slot),
        DefinitionKind::AttributeGroup => at::<AttributeGroupDef>(document, slot),
    }
}

/// Whether two definitions are written the same way, whitespace aside.
fn same_text(a: &LoadedDocument, a_span: Span, b: &LoadedDocument, b_span: Span) -> bool {
    let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    words(a_span.slice(&a.text)) == words(b_span.slice(&b.text))
}

impl SchemaSet for Definitions {
    fn find_element(&self, name: &QName) -> Option<&ElementDecl> {
        self.get::<ElementDecl>(name).map(|d| d.item)
    }

    fn find_type(&self, name: &QName) -> Option<&TypeDef> {
        self.get::<TypeDef>(name).map(|d| d.item)
    }

    fn find_attribute(&self, name: &QName) -> Option<&AttributeDecl> {
        self.get::<AttributeDecl>(name).map(|d| d.item)
    }

    fn find_group(&self, name: &QName) -> Option<&GroupDef> {
        self.get::<GroupDef>(name).map(|d| d.item)
    }

    fn find_attribute_group(&self, name: &QName) -> Option<&AttributeGroupDef> {
        self.get::<AttributeGroupDef>(name).map(|d| d.item)
    }
}
