//! Sample instances: an element with every declared child and attribute filled with a value of its
//! type, for a user to edit into a real message (the REPL's and the language server's templates).
//!
//! Optional elements and attributes are included once; a choice takes its first branch; repeated
//! elements appear `minOccurs` times (at least once). What cannot be honoured (wildcards, `pattern`
//! facets, recursion cut short) is listed in [`Sample::notes`] rather than silently dropped.

use std::collections::HashSet;

use super::builtin::{BuiltinType, Decimal, ValueSpace};
use super::validate::{describe, Base, Chain, Handle, Validator, ValueError};
use super::{
    AttributeItem, AttributeTarget, AttributeUseKind, ComplexTypeDef, ContentModel, Derivation, ElementDecl, ElementType, FacetKind,
    Particle, SchemaSet, SimpleTypeRef, Term, TypeDef,
};
use crate::model::QName;

/// Deeper element nesting is cut off (with a note).
const MAX_DEPTH: usize = 32;
/// A `minOccurs` above this is written this many times (with a note).
const MAX_REPEAT: u32 = 100;
/// Steps (elements and particles written) and characters of a generated value a sample may take:
/// nested `minOccurs` and `length` facets could otherwise ask for more than time or memory allow.
const MAX_STEPS: usize = 100_000;
const MAX_VALUE_LENGTH: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// One element, namespace declarations on it.
    pub xml: String,
    /// What the sample does not honour: each note names the construct.
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SampleError {
    #[error("no element {0} is declared")]
    UnknownElement(QName),
    #[error("no type {0} is defined")]
    UnknownType(QName),
}

/// A sample instance of the global element `element`.
pub fn sample_element<S: SchemaSet + ?Sized>(set: &S, element: &QName) -> Result<Sample, SampleError> {
    let decl = set.find_element(element).ok_or_else(|| SampleError::UnknownElement(element.clone()))?;
    let mut writer = Writer::new(set);
    let mut xml = String::new();
    writer.element(&mut xml, decl);
    Ok(writer.finish(xml))
}

/// A sample element named `element_name` whose content is of type `type_name` (a BPEL variable
/// declared with `type=`).
pub fn sample_of_type<S: SchemaSet + ?Sized>(set: &S, element_name: &QName, type_name: &QName) -> Result<Sample, SampleError> {
    let mut writer = Writer::new(set);
    let content = match BuiltinType::from_qname(type_name) {
        Some(builtin) => Content::Simple(Handle::Builtin(builtin)),
        None => match set.find_type(type_name) {
            Some(TypeDef::Simple(def)) => Content::Simple(Handle::Simple(def)),
            Some(TypeDef::Complex(def)) => Content::Complex(def),
            None => return Err(SampleError::UnknownType(type_name.clone())),
        },
    };
    let name = writer.prefixed(element_name.namespace.as_deref(), &element_name.local);
    let mut xml = String::new();
    writer.write(&mut xml, &name, content, None);
    Ok(writer.finish(xml))
}

/// What goes inside an element.
#[derive(Clone, Copy)]
enum Content<'s> {
    Simple(Handle<'s>),
    Complex(&'s ComplexTypeDef),
    /// `anyType`, or a type that could not be found (noted).
    Anything,
}

struct Writer<'s, S: ?Sized> {
    set: &'s S,
    /// (namespace URI, prefix), in the order they were first needed.
    namespaces: Vec<(String, String)>,
    notes: Vec<String>,
    /// Complex types being written, outermost first: a type met again is recursion.
    expanding: Vec<&'s ComplexTypeDef>,
    /// Nesting of types and groups being written; bounds what a circular schema would make endless.
    depth: usize,
    steps: usize,
}

impl<'s, S: SchemaSet + ?Sized> Writer<'s, S> {
    fn new(set: &'s S) -> Self {
        Writer { set, namespaces: Vec::new(), notes: Vec::new(), expanding: Vec::new(), depth: 0, steps: 0 }
    }

    /// Counts one step; `false` once the sample is too big to go on.
    fn step(&mut self) -> bool {
        self.steps += 1;
        if self.steps == MAX_STEPS {
            self.note("the sample is too big and is cut short".to_string());
        }
        self.steps < MAX_STEPS
    }

    fn enter(&mut self) {
        self.depth += 1;
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// Puts the namespace declarations on the root element.
    fn finish(self, mut xml: String) -> Sample {
        let name_end = xml[1..].find([' ', '>', '/']).map_or(xml.len(), |i| i + 1);
        let mut declarations = String::new();
        for (uri, prefix) in &self.namespaces {
            declarations.push_str(&format!(" xmlns:{prefix}=\"{}\"", escape(uri, true)));
        }
        xml.insert_str(name_end, &declarations);
        Sample { xml, notes: self.notes }
    }

    fn prefixed(&mut self, namespace: Option<&str>, local: &str) -> String {
        let Some(uri) = namespace else {
            return local.to_string();
        };
        let prefix = match self.namespaces.iter().find(|(u, _)| u == uri) {
            Some((_, prefix)) => prefix.clone(),
            None => {
                let prefix = if self.namespaces.is_empty() { "tns".to_string() } else { format!("ns{}", self.namespaces.len()) };
                self.namespaces.push((uri.to_string(), prefix.clone()));
                prefix
            }
        };
        format!("{prefix}:{local}")
    }

    fn content_of(&mut self, decl: &'s ElementDecl) -> Content<'s> {
        match &decl.type_ {
            ElementType::Named(name) => match &name.name {
                Some(name) => self.content_of_type(name),
                None => Content::Anything,
            },
            ElementType::Anonymous(def) => match def.as_ref() {
                TypeDef::Simple(def) => Content::Simple(Handle::Simple(def)),
                TypeDef::Complex(def) => Content::Complex(def),
            },
            ElementType::Unspecified => {
                let head = decl.substitution_group.as_ref().and_then(|g| g.name.as_ref()).and_then(|name| self.set.find_element(name));
                match head {
                    Some(head) if !std::ptr::eq(head, decl) && !matches!(head.type_, ElementType::Unspecified) => self.content_of(head),
                    _ => Content::Anything,
                }
            }
        }
    }

    fn content_of_type(&mut self, name: &QName) -> Content<'s> {
        if let Some(builtin) = BuiltinType::from_qname(name) {
            return if builtin.is_simple() { Content::Simple(Handle::Builtin(builtin)) } else { Content::Anything };
        }
        match self.set.find_type(name) {
            Some(TypeDef::Simple(def)) => Content::Simple(Handle::Simple(def)),
            Some(TypeDef::Complex(def)) => Content::Complex(def),
            None => {
                self.note(format!("type {name} is not defined: its content is left empty"));
                Content::Anything
            }
        }
    }

    fn element(&mut self, out: &mut String, decl: &'s ElementDecl) {
        if decl.abstract_ {
            self.note(format!("element {} is abstract: replace it with a member of its substitution group", decl.qname()));
        }
        let name = self.prefixed(decl.namespace.as_deref(), &decl.name.value);
        let content = self.content_of(decl);
        let value = decl.fixed.as_deref().or(decl.default.as_deref());
        self.write(out, &name, content, value);
    }

    fn write(&mut self, out: &mut String, name: &str, content: Content<'s>, value: Option<&str>) {
        if !self.step() {
            return;
        }
        match content {
            Content::Anything => out.push_str(&format!("<{name}/>")),
            Content::Simple(handle) => {
                let text = match value {
                    Some(value) => value.to_string(),
                    None => self.simple_value(handle),
                };
                out.push_str(&format!("<{name}>{}</{name}>", escape(&text, false)));
            }
            Content::Complex(def) => {
                if self.expanding.iter().any(|t| std::ptr::eq(*t, def)) || self.depth >= MAX_DEPTH {
                    self.note(format!("the content of <{name}> is recursive: it is left empty"));
                    out.push_str(&format!("<{name}/>"));
                    return;
                }
                self.expanding.push(def);
                self.enter();
                let mut attributes = String::new();
                let mut children = String::new();
                let mut seen = HashSet::new();
                let text = self.complex(def, &mut attributes, &mut children, &mut seen);
                self.leave();
                self.expanding.pop();
                let text = value.map(str::to_string).or(text).map(|t| escape(&t, false)).unwrap_or_default();
                if children.is_empty() && text.is_empty() {
                    out.push_str(&format!("<{name}{attributes}/>"));
                } else {
                    out.push_str(&format!("<{name}{attributes}>{text}{children}</{name}>"));
                }
            }
        }
    }

    /// Writes the attributes and child elements of a complex type; returns its character data
    /// when it has simple content.
    fn complex(
        &mut self,
        def: &'s ComplexTypeDef,
        attributes: &mut String,
        children: &mut String,
        seen: &mut HashSet<QName>,
    ) -> Option<String> {
        let mut text = None;
        match &def.content {
            ContentModel::Empty => self.attributes(&def.attributes, attributes, seen),
            ContentModel::Particle(particle) => {
                self.attributes(&def.attributes, attributes, seen);
                self.particle(children, particle);
            }
            ContentModel::Simple(content) => {
                // The derived type's attributes first, so that a restriction's prohibitions hold.
                self.attributes(&def.attributes, attributes, seen);
                if let Some(base) = self.base_complex(content.base.as_ref().and_then(|b| b.name.as_ref())) {
                    self.enter();
                    self.complex(base, attributes, children, seen);
                    self.leave();
                }
                text = Some(self.simple_value(Handle::Complex(def)));
            }
            ContentModel::Complex(content) => {
                let base = self.base_complex(content.base.as_ref().and_then(|b| b.name.as_ref()));
                match content.derivation {
                    Derivation::Extension => {
                        if let Some(base) = base {
                            self.enter();
                            self.complex(base, attributes, children, seen);
                            self.leave();
                        }
                        self.attributes(&def.attributes, attributes, seen);
                    }
                    Derivation::Restriction => {
                        self.attributes(&def.attributes, attributes, seen);
                        if let Some(base) = base {
                            // A restriction restates the content; only the base's attributes carry over.
                            let mut ignored = String::new();
                            self.enter();
                            self.complex(base, attributes, &mut ignored, seen);
                            self.leave();
                        }
                    }
                }
                if let Some(particle) = &content.particle {
                    self.particle(children, particle);
                }
            }
        }
        text
    }

    fn base_complex(&mut self, base: Option<&QName>) -> Option<&'s ComplexTypeDef> {
        let base = base?;
        if self.depth >= MAX_DEPTH {
            self.note(format!("the derivation from type {base} is too deep"));
            return None;
        }
        if BuiltinType::from_qname(base).is_some() {
            return None;
        }
        match self.set.find_type(base) {
            Some(TypeDef::Complex(def)) => {
                if self.expanding.iter().any(|t| std::ptr::eq(*t, def)) {
                    self.note(format!("type {base} derives from itself"));
                    return None;
                }
                Some(def)
            }
            Some(TypeDef::Simple(_)) => None,
            None => {
                self.note(format!("base type {base} is not defined"));
                None
            }
        }
    }

    fn attributes(&mut self, items: &'s [AttributeItem], out: &mut String, seen: &mut HashSet<QName>) {
        for item in items {
            match item {
                AttributeItem::Group(name) => {
                    let Some(qname) = &name.name else { continue };
                    match self.set.find_attribute_group(qname) {
                        Some(group) if self.depth < MAX_DEPTH => {
                            self.enter();
                            self.attributes(&group.attributes, out, seen);
                            self.leave();
                        }
                        Some(_) => self.note(format!("attribute group {qname} nests too deep")),
                        None => self.note(format!("attribute group {qname} is not defined")),
                    }
                }
                AttributeItem::Attribute(attribute) => {
                    let (name, type_, value) = match &attribute.target {
                        AttributeTarget::Local(decl) => (
                            QName::new(decl.namespace.as_deref(), &decl.name.value),
                            decl.type_.as_ref(),
                            decl.fixed.as_ref().or(decl.default.as_ref()),
                        ),
                        AttributeTarget::Ref { name, default, fixed } => {
                            let Some(qname) = &name.name else { continue };
                            match self.set.find_attribute(qname) {
                                Some(decl) => (
                                    qname.clone(),
                                    decl.type_.as_ref(),
                                    fixed.as_ref().or(default.as_ref()).or(decl.fixed.as_ref()).or(decl.default.as_ref()),
                                ),
                                None => {
                                    self.note(format!("attribute {qname} is not declared"));
                                    continue;
                                }
                            }
                        }
                    };
                    if !seen.insert(name.clone()) || attribute.use_ == AttributeUseKind::Prohibited {
                        continue;
                    }
                    let value = match value {
                        Some(value) => value.clone(),
                        None => match type_ {
                            Some(type_ref) => self.simple_ref_value(type_ref),
                            None => BuiltinType::String.sample().to_string(),
                        },
                    };
                    let written = self.prefixed(name.namespace.as_deref(), &name.local);
                    out.push_str(&format!(" {written}=\"{}\"", escape(&value, true)));
                }
            }
        }
    }

    fn particle(&mut self, out: &mut String, particle: &'s Particle) {
        if particle.occurs.max == super::MaxOccurs::Bounded(0) {
            return;
        }
        if particle.occurs.min > MAX_REPEAT {
            self.note(format!("minOccurs {} is written {MAX_REPEAT} times", particle.occurs.min));
        }
        let count = particle.occurs.min.clamp(1, MAX_REPEAT);
        for _ in 0..count {
            if !self.step() {
                return;
            }
            match &particle.term {
                Term::Element(decl) => {
                    if particle.occurs.is_optional() && self.is_recursive(decl) {
                        return;
                    }
                    self.element(out, decl);
                }
                Term::ElementRef(name) => {
                    let Some(qname) = &name.name else { return };
                    match self.set.find_element(qname) {
                        Some(decl) => {
                            if particle.occurs.is_optional() && self.is_recursive(decl) {
                                return;
                            }
                            self.element(out, decl);
                        }
                        None => {
                            self.note(format!("element {qname} is not declared"));
                            return;
                        }
                    }
                }
                Term::Group(name) => {
                    let Some(qname) = &name.name else { return };
                    match self.set.find_group(qname) {
                        Some(group) => {
                            if let Some(inner) = &group.particle {
                                if self.depth >= MAX_DEPTH {
                                    self.note(format!("group {qname} nests too deep"));
                                    return;
                                }
                                self.enter();
                                self.particle(out, inner);
                                self.leave();
                            }
                        }
                        None => {
                            self.note(format!("group {qname} is not defined"));
                            return;
                        }
                    }
                }
                Term::Sequence(particles) | Term::All(particles) => {
                    for inner in particles {
                        self.particle(out, inner);
                    }
                }
                Term::Choice(particles) => {
                    if let Some(first) = particles.first() {
                        self.particle(out, first);
                    }
                }
                Term::Any(_) => {
                    if !particle.occurs.is_optional() {
                        self.note("an xsd:any wildcard requires an element: none is generated".to_string());
                    }
                    return;
                }
            }
        }
    }

    /// Whether writing `decl` would expand a complex type already being written.
    fn is_recursive(&mut self, decl: &'s ElementDecl) -> bool {
        match self.content_of(decl) {
            Content::Complex(def) => self.expanding.iter().any(|t| std::ptr::eq(*t, def)),
            _ => false,
        }
    }

    fn simple_ref_value(&mut self, type_ref: &'s SimpleTypeRef) -> String {
        match Validator::new(self.set).resolve_ref(type_ref) {
            Ok(handle) => self.simple_value(handle),
            Err(error) => {
                self.note(error.to_string());
                String::new()
            }
        }
    }

    /// A value of a simple type that passes validation, or the best candidate with a note.
    fn simple_value(&mut self, handle: Handle<'s>) -> String {
        let mut validator = Validator::new(self.set);
        let chain = match validator.chain(handle) {
            Ok(chain) => chain,
            Err(error) => {
                self.note(error.to_string());
                return String::new();
            }
        };
        let candidates = self.candidates(&chain, 0);
        let mut fallback: Option<(String, String)> = None;
        for candidate in &candidates {
            match validator.check(handle, candidate) {
                Ok(()) => return candidate.clone(),
                Err(ValueError::Unsupported(why)) if fallback.is_none() => fallback = Some((candidate.clone(), why)),
                Err(_) => {}
            }
        }
        let owner = chain.layers.first().and_then(|l| l.owner);
        match fallback {
            Some((candidate, why)) => {
                self.note(format!("`{candidate}` for {} may be invalid: {why}", describe(owner)));
                candidate
            }
            None => {
                self.note(format!("no sample value satisfies the facets of {}", describe(owner)));
                candidates.into_iter().next().unwrap_or_default()
            }
        }
    }

    /// Values worth trying, most likely valid first.
    fn candidates(&mut self, chain: &Chain<'s>, depth: usize) -> Vec<String> {
        let mut out = Vec::new();
        for layer in &chain.layers {
            if let Some(facet) = layer.facets.iter().find(|f| f.kind == FacetKind::Enumeration) {
                out.push(facet.value.value.clone());
                break;
            }
        }
        match &chain.base {
            Base::Atomic(builtin) => out.extend(atomic_candidates(*builtin, chain)),
            Base::List(item) => {
                let facets = || chain.layers.iter().flat_map(|l| l.facets.iter());
                let length = facets().find(|f| matches!(f.kind, FacetKind::Length | FacetKind::MinLength));
                let count = length.and_then(|f| f.value.value.trim().parse::<usize>().ok()).unwrap_or(1).clamp(1, MAX_REPEAT as usize);
                let items = self.inner_candidates(Ok(*item), depth);
                out.extend(items.into_iter().map(|item| vec![item; count].join(" ")));
            }
            Base::Union(_, members) => {
                if let Some(first) = members.first() {
                    let first = Validator::new(self.set).resolve_ref(first);
                    out.extend(self.inner_candidates(first, depth));
                }
            }
        }
        out
    }

    /// The candidates of a list's item type or a union's first member.
    fn inner_candidates(&mut self, handle: Result<Handle<'s>, ValueError>, depth: usize) -> Vec<String> {
        if depth > MAX_DEPTH {
            return Vec::new();
        }
        match handle.and_then(|h| Validator::new(self.set).chain(h)) {
            Ok(chain) => self.candidates(&chain, depth + 1),
            Err(_) => Vec::new(),
        }
    }
}

/// Candidates from the bounds and lengths of a chain over a built-in type, then its sample value.
fn atomic_candidates(builtin: BuiltinType, chain: &Chain<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let facets = || chain.layers.iter().flat_map(|l| l.facets.iter());
    let ordered = matches!(builtin.value_space(), ValueSpace::Decimal | ValueSpace::Float | ValueSpace::Time | ValueSpace::Duration);
    if ordered {
        for facet in facets() {
            let bound = facet.value.value.trim();
            let step = match facet.kind {
                FacetKind::MinInclusive | FacetKind::MaxInclusive => Some(bound.to_string()),
                FacetKind::MinExclusive => step_decimal(bound, true),
                FacetKind::MaxExclusive => step_decimal(bound, false),
                _ => None,
            };
            out.extend(step);
        }
    }
    let sample = builtin.sample();
    let length = facets().find(|f| f.kind == FacetKind::Length).and_then(|f| f.value.value.trim().parse::<usize>().ok());
    let min_length = facets().find(|f| f.kind == FacetKind::MinLength).and_then(|f| f.value.value.trim().parse::<usize>().ok());
    let max_length = facets().find(|f| f.kind == FacetKind::MaxLength).and_then(|f| f.value.value.trim().parse::<usize>().ok());
    if matches!(builtin.value_space(), ValueSpace::Text | ValueSpace::Any) {
        let wanted = length.or(min_length.filter(|&m| m > sample.len())).or(max_length.filter(|&m| m < sample.len()));
        if let Some(wanted) = wanted.filter(|&w| w <= MAX_VALUE_LENGTH) {
            out.push(sample.chars().cycle().take(wanted).collect());
        }
    }
    if builtin == BuiltinType::HexBinary {
        if let Some(octets) = length.or(min_length).filter(|&o| o <= MAX_VALUE_LENGTH) {
            out.push("00".repeat(octets));
        }
    }
    out.push(sample.to_string());
    out
}

/// The nearest "round" value above (`up`) or below an exclusive bound.
fn step_decimal(bound: &str, up: bool) -> Option<String> {
    let value = Decimal::parse(bound)?;
    Some(if value.is_integer() {
        if up { value.succ() } else { value.pred() }.to_string()
    } else if up != value.is_negative() {
        // Away from zero: one more digit.
        format!("{value}1")
    } else {
        value.trunc().to_string()
    })
}

fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}
