//! XML Schema 1.0 as values: enough to type BPEL variables (global elements and named types),
//! validate the values of simple types, and generate a sample instance of an element.
//!
//! References between components are [`QNameRef`]s resolved when the schema was read, so nothing
//! here needs the namespace declarations of the source. Lookups across schemas go through
//! [`SchemaSet`], which the loaded definitions of a process implement.
//!
//! Not modelled (ignored when read): identity constraints (`key`, `keyref`, `unique`), notations,
//! `final`/`block`, and `xsi:type` substitution.

pub(crate) mod builtin;
mod sample;
mod validate;

pub(crate) use builtin::days_from_civil;
pub use builtin::BuiltinType;
pub use sample::{sample_element, sample_of_type, Sample, SampleError};
pub use validate::{validate_element_text, validate_simple_type, validate_simple_value, ValueError};

use super::{QName, QNameRef};
use crate::span::{Span, Spanned};

pub const XSD_NS: &str = "http://www.w3.org/2001/XMLSchema";

pub type Name = Spanned<String>;

/// One `xsd:schema` element: a file of its own, or one of the schemas inside a WSDL's `types`.
#[derive(Clone, Debug)]
pub struct Schema {
    pub span: Span,
    pub target_namespace: Option<Name>,
    pub element_form_default: Form,
    pub attribute_form_default: Form,
    /// Global element declarations.
    pub elements: Vec<ElementDecl>,
    /// Named (global) simple and complex types.
    pub types: Vec<TypeDef>,
    /// Global attribute declarations.
    pub attributes: Vec<AttributeDecl>,
    pub groups: Vec<GroupDef>,
    pub attribute_groups: Vec<AttributeGroupDef>,
    pub imports: Vec<SchemaImport>,
    pub includes: Vec<SchemaInclude>,
    pub redefines: Vec<Redefine>,
}

impl Schema {
    pub fn target_namespace(&self) -> Option<&str> {
        self.target_namespace.as_ref().map(|n| n.value.as_str())
    }

    pub fn element(&self, local: &str) -> Option<&ElementDecl> {
        self.elements.iter().find(|e| e.name.value == local)
    }

    pub fn type_def(&self, local: &str) -> Option<&TypeDef> {
        self.types.iter().find(|t| t.name().is_some_and(|n| n.value == local))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Form {
    Qualified,
    #[default]
    Unqualified,
}

#[derive(Clone, Debug)]
pub struct SchemaImport {
    pub span: Span,
    pub namespace: Option<Name>,
    pub schema_location: Option<Name>,
}

#[derive(Clone, Debug)]
pub struct SchemaInclude {
    pub span: Span,
    pub schema_location: Option<Name>,
}

/// `xsd:redefine`: includes a schema and replaces some of its types and groups.
#[derive(Clone, Debug)]
pub struct Redefine {
    pub span: Span,
    pub schema_location: Option<Name>,
    pub types: Vec<TypeDef>,
    pub groups: Vec<GroupDef>,
    pub attribute_groups: Vec<AttributeGroupDef>,
}

#[derive(Clone, Debug)]
pub struct ElementDecl {
    pub name: Name,
    pub span: Span,
    /// The namespace of the element's name in instances: the target namespace for a global or a
    /// qualified local declaration, none for an unqualified local one.
    pub namespace: Option<String>,
    pub type_: ElementType,
    pub nillable: bool,
    pub abstract_: bool,
    pub default: Option<String>,
    pub fixed: Option<String>,
    pub substitution_group: Option<QNameRef>,
}

impl ElementDecl {
    pub fn qname(&self) -> QName {
        QName::new(self.namespace.as_deref(), &self.name.value)
    }
}

#[derive(Clone, Debug)]
pub enum ElementType {
    Named(QNameRef),
    Anonymous(Box<TypeDef>),
    /// Neither `type` nor an inline type: `xsd:anyType` (or the substitution group head's type).
    Unspecified,
}

#[derive(Clone, Debug)]
pub enum TypeDef {
    Simple(SimpleTypeDef),
    Complex(ComplexTypeDef),
}

impl TypeDef {
    /// `None` for an anonymous type.
    pub fn name(&self) -> Option<&Name> {
        match self {
            TypeDef::Simple(t) => t.name.as_ref(),
            TypeDef::Complex(t) => t.name.as_ref(),
        }
    }

    pub fn span(&self) -> Span {
        match self {
            TypeDef::Simple(t) => t.span,
            TypeDef::Complex(t) => t.span,
        }
    }

    pub fn is_simple(&self) -> bool {
        matches!(self, TypeDef::Simple(_))
    }
}

#[derive(Clone, Debug)]
pub struct SimpleTypeDef {
    pub name: Option<Name>,
    pub span: Span,
    pub variety: SimpleVariety,
}

#[derive(Clone, Debug)]
pub enum SimpleVariety {
    Restriction(Restriction),
    /// `None` when the item type could not be read (a diagnostic says why).
    List(Option<SimpleTypeRef>),
    Union(Vec<SimpleTypeRef>),
}

#[derive(Clone, Debug)]
pub struct Restriction {
    /// `None` when neither `base` nor an inline base type could be read.
    pub base: Option<SimpleTypeRef>,
    pub facets: Vec<Facet>,
}

#[derive(Clone, Debug)]
pub enum SimpleTypeRef {
    Named(QNameRef),
    Inline(Box<SimpleTypeDef>),
}

#[derive(Clone, Debug)]
pub struct Facet {
    pub kind: FacetKind,
    pub value: Name,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FacetKind {
    Enumeration,
    Pattern,
    MinInclusive,
    MaxInclusive,
    MinExclusive,
    MaxExclusive,
    Length,
    MinLength,
    MaxLength,
    TotalDigits,
    FractionDigits,
    WhiteSpace,
}

impl FacetKind {
    pub const ALL: [FacetKind; 12] = [
        FacetKind::Enumeration,
        FacetKind::Pattern,
        FacetKind::MinInclusive,
        FacetKind::MaxInclusive,
        FacetKind::MinExclusive,
        FacetKind::MaxExclusive,
        FacetKind::Length,
        FacetKind::MinLength,
        FacetKind::MaxLength,
        FacetKind::TotalDigits,
        FacetKind::FractionDigits,
        FacetKind::WhiteSpace,
    ];

    /// The facet's element name in the XSD namespace.
    pub fn local_name(self) -> &'static str {
        match self {
            FacetKind::Enumeration => "enumeration",
            FacetKind::Pattern => "pattern",
            FacetKind::MinInclusive => "minInclusive",
            FacetKind::MaxInclusive => "maxInclusive",
            FacetKind::MinExclusive => "minExclusive",
            FacetKind::MaxExclusive => "maxExclusive",
            FacetKind::Length => "length",
            FacetKind::MinLength => "minLength",
            FacetKind::MaxLength => "maxLength",
            FacetKind::TotalDigits => "totalDigits",
            FacetKind::FractionDigits => "fractionDigits",
            FacetKind::WhiteSpace => "whiteSpace",
        }
    }

    pub fn from_local_name(local: &str) -> Option<FacetKind> {
        FacetKind::ALL.into_iter().find(|kind| kind.local_name() == local)
    }
}

#[derive(Clone, Debug)]
pub struct ComplexTypeDef {
    pub name: Option<Name>,
    pub span: Span,
    pub abstract_: bool,
    pub mixed: bool,
    pub content: ContentModel,
    /// Attributes declared by this type (including those of its extension or restriction element);
    /// the base type's attributes are not copied here.
    pub attributes: Vec<AttributeItem>,
    pub any_attribute: Option<Wildcard>,
}

#[derive(Clone, Debug)]
pub enum ContentModel {
    Empty,
    /// A `sequence`, `choice`, `all` or `group` directly inside the complex type.
    Particle(Particle),
    Simple(SimpleContent),
    Complex(ComplexContent),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Derivation {
    Extension,
    Restriction,
}

/// `simpleContent`: character data of a simple type, plus attributes.
#[derive(Clone, Debug)]
pub struct SimpleContent {
    pub derivation: Derivation,
    pub base: Option<QNameRef>,
    /// Only for a restriction.
    pub facets: Vec<Facet>,
}

/// `complexContent`: elements derived from another complex type.
#[derive(Clone, Debug)]
pub struct ComplexContent {
    pub derivation: Derivation,
    pub base: Option<QNameRef>,
    /// For an extension, what follows the base type's content; for a restriction, the whole content.
    pub particle: Option<Particle>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxOccurs {
    Bounded(u32),
    Unbounded,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occurs {
    pub min: u32,
    pub max: MaxOccurs,
}

impl Occurs {
    pub const ONCE: Occurs = Occurs { min: 1, max: MaxOccurs::Bounded(1) };

    pub fn is_optional(self) -> bool {
        self.min == 0
    }

    pub fn is_repeated(self) -> bool {
        !matches!(self.max, MaxOccurs::Bounded(0 | 1))
    }
}

#[derive(Clone, Debug)]
pub struct Particle {
    pub span: Span,
    pub occurs: Occurs,
    pub term: Term,
}

#[derive(Clone, Debug)]
pub enum Term {
    Element(Box<ElementDecl>),
    ElementRef(QNameRef),
    Group(QNameRef),
    Sequence(Vec<Particle>),
    Choice(Vec<Particle>),
    All(Vec<Particle>),
    Any(Wildcard),
}

/// `xsd:any` or `xsd:anyAttribute`.
#[derive(Clone, Debug)]
pub struct Wildcard {
    /// As written (`##any` when absent): `##any`, `##other`, or a list of URIs, `##targetNamespace`, `##local`.
    pub namespace: String,
    pub process_contents: ProcessContents,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessContents {
    Strict,
    Lax,
    Skip,
}

#[derive(Clone, Debug)]
pub struct AttributeDecl {
    pub name: Name,
    pub span: Span,
    /// The namespace of the attribute's name in instances (global or qualified local declarations).
    pub namespace: Option<String>,
    /// `None`: `xsd:anySimpleType`.
    pub type_: Option<SimpleTypeRef>,
    pub default: Option<String>,
    pub fixed: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AttributeUseKind {
    #[default]
    Optional,
    Required,
    Prohibited,
}

#[derive(Clone, Debug)]
pub enum AttributeItem {
    Attribute(AttributeUse),
    Group(QNameRef),
}

/// An attribute as used by a complex type or an attribute group.
#[derive(Clone, Debug)]
pub struct AttributeUse {
    pub span: Span,
    pub use_: AttributeUseKind,
    pub target: AttributeTarget,
}

#[derive(Clone, Debug)]
pub enum AttributeTarget {
    Local(AttributeDecl),
    Ref { name: QNameRef, default: Option<String>, fixed: Option<String> },
}

#[derive(Clone, Debug)]
pub struct GroupDef {
    pub name: Name,
    pub span: Span,
    /// The group's `sequence`, `choice` or `all`.
    pub particle: Option<Particle>,
}

#[derive(Clone, Debug)]
pub struct AttributeGroupDef {
    pub name: Name,
    pub span: Span,
    pub attributes: Vec<AttributeItem>,
    pub any_attribute: Option<Wildcard>,
}

/// Global schema components by expanded name, across however many schemas are loaded.
pub trait SchemaSet {
    fn find_element(&self, name: &QName) -> Option<&ElementDecl>;
    fn find_type(&self, name: &QName) -> Option<&TypeDef>;
    fn find_attribute(&self, name: &QName) -> Option<&AttributeDecl>;
    fn find_group(&self, name: &QName) -> Option<&GroupDef>;
    fn find_attribute_group(&self, name: &QName) -> Option<&AttributeGroupDef>;
}

/// A single schema on its own (includes, imports and redefines not followed).
impl SchemaSet for Schema {
    fn find_element(&self, name: &QName) -> Option<&ElementDecl> {
        self.in_namespace(name).then(|| self.element(&name.local)).flatten()
    }

    fn find_type(&self, name: &QName) -> Option<&TypeDef> {
        self.in_namespace(name).then(|| self.type_def(&name.local)).flatten()
    }

    fn find_attribute(&self, name: &QName) -> Option<&AttributeDecl> {
        self.in_namespace(name).then(|| self.attributes.iter().find(|a| a.name.value == name.local)).flatten()
    }

    fn find_group(&self, name: &QName) -> Option<&GroupDef> {
        self.in_namespace(name).then(|| self.groups.iter().find(|g| g.name.value == name.local)).flatten()
    }

    fn find_attribute_group(&self, name: &QName) -> Option<&AttributeGroupDef> {
        self.in_namespace(name).then(|| self.attribute_groups.iter().find(|g| g.name.value == name.local)).flatten()
    }
}

impl Schema {
    fn in_namespace(&self, name: &QName) -> bool {
        name.namespace.as_deref() == self.target_namespace()
    }
}
