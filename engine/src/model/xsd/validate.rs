//! Checking text against a simple type: built-in lexical spaces, restriction facets, lists and
//! unions.
//!
//! The answer is three-valued. [`ValueError::Invalid`] means the value is wrong;
//! [`ValueError::Unsupported`] means this implementation cannot decide (a `pattern` facet, an
//! indeterminate order) and the caller must not take the value as valid; [`ValueError::Schema`]
//! means the type itself is broken or missing.

use super::builtin::{BuiltinType, Decimal, ValueSpace, WhiteSpace};
use super::{
    ComplexTypeDef, ContentModel, Derivation, ElementType, Facet, FacetKind, SchemaSet, SimpleTypeDef, SimpleTypeRef, SimpleVariety,
    TypeDef, XSD_NS,
};
use crate::model::QName;

/// Derivation chains and nested list/union types deeper than this are taken as circular.
const MAX_DEPTH: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The value is not in the type's value space.
    #[error("{0}")]
    Invalid(String),
    /// The value may or may not be valid: something this implementation does not check decides.
    #[error("cannot tell: {0}")]
    Unsupported(String),
    /// The type is missing, not simple, circular, or has facets that make no sense.
    #[error("{0}")]
    Schema(String),
}

/// Validates `text` against the simple type named `type_name` (a built-in `xs:` type or a type of
/// `set`). A complex type with simple content is accepted too: its character data is checked.
pub fn validate_simple_value<S: SchemaSet + ?Sized>(set: &S, type_name: &QName, text: &str) -> Result<(), ValueError> {
    let mut validator = Validator::new(set);
    let handle = validator.resolve_name(type_name)?;
    validator.check(handle, text)
}

/// Validates `text` against a type reference as found in the model (an attribute's type, a list's
/// item type).
pub fn validate_simple_type<S: SchemaSet + ?Sized>(set: &S, type_ref: &SimpleTypeRef, text: &str) -> Result<(), ValueError> {
    let mut validator = Validator::new(set);
    let handle = validator.resolve_ref(type_ref)?;
    validator.check(handle, text)
}

/// Validates `text` as the content of the global element `element`, whose type must be simple
/// (or complex with simple content). A `fixed` value is enforced.
pub fn validate_element_text<S: SchemaSet + ?Sized>(set: &S, element: &QName, text: &str) -> Result<(), ValueError> {
    let Some(decl) = set.find_element(element) else {
        return Err(ValueError::Schema(format!("no element {element} is declared")));
    };
    let mut validator = Validator::new(set);
    let handle = match &decl.type_ {
        ElementType::Named(name) => match &name.name {
            Some(name) => validator.resolve_name(name)?,
            None => return Err(ValueError::Schema(format!("the type `{}` of element {element} is not resolved", name.text))),
        },
        ElementType::Anonymous(def) => match def.as_ref() {
            TypeDef::Simple(simple) => Handle::Simple(simple),
            TypeDef::Complex(complex) => Handle::Complex(complex),
        },
        ElementType::Unspecified => Handle::Builtin(BuiltinType::AnyType),
    };
    validator.check(handle, text)?;
    let Some(fixed) = &decl.fixed else { return Ok(()) };
    let (value, fixed_value) = (WhiteSpace::Collapse.apply(text), WhiteSpace::Collapse.apply(fixed));
    // Compared in the value space when the type is atomic (`01` is the fixed `1` of an int).
    let equal = match validator.chain(handle).map(|chain| chain.base) {
        Ok(Base::Atomic(builtin)) => builtin.equal(&value, &fixed_value).map_err(ValueError::Unsupported)?,
        _ => value == fixed_value,
    };
    if equal {
        Ok(())
    } else {
        Err(ValueError::Invalid(format!("element {element} has the fixed value `{fixed_value}`, not `{value}`")))
    }
}

#[derive(Clone, Copy)]
pub(super) enum Handle<'a> {
    Builtin(BuiltinType),
    Simple(&'a SimpleTypeDef),
    /// Only usable when it has simple content.
    Complex(&'a ComplexTypeDef),
}

/// The facets of one restriction step, with the name of the type that declares them.
pub(super) struct Layer<'a> {
    pub(super) owner: Option<&'a str>,
    pub(super) facets: &'a [Facet],
}

impl Layer<'_> {
    fn owner(&self) -> String {
        describe(self.owner)
    }
}

/// What a chain of restrictions ends in.
pub(super) enum Base<'a> {
    Atomic(BuiltinType),
    List(Handle<'a>),
    Union(Option<&'a str>, &'a [SimpleTypeRef]),
}

/// A simple type seen as the restriction steps from it up to its variety: the facets of every
/// step (the type's own first) and what the last step restricts.
pub(super) struct Chain<'a> {
    pub(super) layers: Vec<Layer<'a>>,
    pub(super) base: Base<'a>,
}

/// What the facets of a layer constrain.
#[derive(Clone, Copy)]
enum Target {
    Atomic(BuiltinType),
    List,
    Union,
}

pub(super) struct Validator<'s, S: ?Sized> {
    pub(super) set: &'s S,
    pub(super) depth: usize,
}

impl<'s, S: SchemaSet + ?Sized> Validator<'s, S> {
    pub(super) fn new(set: &'s S) -> Self {
        Validator { set, depth: 0 }
    }

    pub(super) fn resolve_name(&self, name: &QName) -> Result<Handle<'s>, ValueError> {
        if name.namespace.as_deref() == Some(XSD_NS) {
            return BuiltinType::from_qname(name)
                .map(Handle::Builtin)
                .ok_or_else(|| ValueError::Schema(format!("`{}` is not a built-in XML Schema type", name.local)));
        }
        match self.set.find_type(name) {
            Some(TypeDef::Simple(def)) => Ok(Handle::Simple(def)),
            Some(TypeDef::Complex(def)) => Ok(Handle::Complex(def)),
            None => Err(ValueError::Schema(format!("no type {name} is defined"))),
        }
    }

    pub(super) fn resolve_ref(&self, type_ref: &'s SimpleTypeRef) -> Result<Handle<'s>, ValueError> {
        match type_ref {
            SimpleTypeRef::Inline(def) => Ok(Handle::Simple(def)),
            SimpleTypeRef::Named(name) => match &name.name {
                Some(name) => self.resolve_name(name),
                None => Err(ValueError::Schema(format!("the type reference `{}` is not resolved", name.text))),
            },
        }
    }

    pub(super) fn check(&mut self, handle: Handle<'s>, text: &str) -> Result<(), ValueError> {
        self.depth += 1;
        let result = self.check_inner(handle, text);
        self.depth -= 1;
        result
    }

    fn check_inner(&mut self, handle: Handle<'s>, text: &str) -> Result<(), ValueError> {
        let chain = self.chain(handle)?;
        match chain.base {
            Base::Atomic(builtin) => self.atomic(builtin, &chain.layers, text),
            Base::List(item) => self.list(item, &chain.layers, text),
            Base::Union(owner, members) => self.union(owner, members, &chain.layers, text),
        }
    }

    pub(super) fn chain(&self, handle: Handle<'s>) -> Result<Chain<'s>, ValueError> {
        let mut layers: Vec<Layer<'s>> = Vec::new();
        let mut current = handle;
        let mut steps = self.depth;
        loop {
            steps += 1;
            if steps > MAX_DEPTH {
                return Err(ValueError::Schema("the type derivation is circular or too deep".to_string()));
            }
            current = match current {
                Handle::Builtin(builtin) => return Ok(Chain { layers, base: Base::Atomic(builtin) }),
                Handle::Simple(def) => {
                    let owner = def.name.as_ref().map(|n| n.value.as_str());
                    match &def.variety {
                        SimpleVariety::Restriction(restriction) => {
                            layers.push(Layer { owner, facets: &restriction.facets });
                            match &restriction.base {
                                Some(base) => self.resolve_ref(base)?,
                                None => return Err(ValueError::Schema(format!("the restriction of {} has no base type", describe(owner)))),
                            }
                        }
                        SimpleVariety::List(item) => {
                            let Some(item) = item else {
                                return Err(ValueError::Schema(format!("the list {} has no item type", describe(owner))));
                            };
                            let item = self.resolve_ref(item)?;
                            return Ok(Chain { layers, base: Base::List(item) });
                        }
                        SimpleVariety::Union(members) => return Ok(Chain { layers, base: Base::Union(owner, members) }),
                    }
                }
                Handle::Complex(def) => {
                    let owner = def.name.as_ref().map(|n| n.value.as_str());
                    let ContentModel::Simple(content) = &def.content else {
                        return Err(ValueError::Unsupported(format!("{} has element content, not a simple value", describe(owner))));
                    };
                    if content.derivation == Derivation::Restriction {
                        layers.push(Layer { owner, facets: &content.facets });
                    }
                    match content.base.as_ref().and_then(|b| b.name.as_ref()) {
                        Some(base) => self.resolve_name(base)?,
                        None => return Err(ValueError::Schema(format!("the simple content of {} has no base type", describe(owner)))),
                    }
                }
            };
        }
    }

    fn atomic(&mut self, builtin: BuiltinType, layers: &[Layer<'_>], text: &str) -> Result<(), ValueError> {
        let whitespace = layers
            .iter()
            .flat_map(|layer| layer.facets.iter())
            .find(|facet| facet.kind == FacetKind::WhiteSpace)
            .and_then(|facet| WhiteSpace::parse(&facet.value.value))
            .unwrap_or_else(|| builtin.whitespace());
        let value = whitespace.apply(text);
        builtin.check_lexical(&value).map_err(ValueError::Invalid)?;
        let target = Target::Atomic(builtin);
        check_layers(target, layers, &value, |v| whitespace.apply(v))
    }

    fn list(&mut self, item: Handle<'s>, layers: &[Layer<'_>], text: &str) -> Result<(), ValueError> {
        let value = WhiteSpace::Collapse.apply(text);
        let mut unsupported = None;
        for token in value.split(' ').filter(|t| !t.is_empty()) {
            match self.check(item, token) {
                Ok(()) => {}
                Err(ValueError::Invalid(message)) => return Err(ValueError::Invalid(format!("list item `{token}`: {message}"))),
                Err(ValueError::Unsupported(message)) => unsupported = unsupported.or(Some(message)),
                Err(error @ ValueError::Schema(_)) => return Err(error),
            }
        }
        check_layers(Target::List, layers, &value, |v| WhiteSpace::Collapse.apply(v))?;
        unsupported.map_or(Ok(()), |message| Err(ValueError::Unsupported(message)))
    }

    fn union(&mut self, owner: Option<&str>, members: &'s [SimpleTypeRef], layers: &[Layer<'_>], text: &str) -> Result<(), ValueError> {
        let mut unsupported = None;
        let mut matched = false;
        for member in members {
            let member = self.resolve_ref(member)?;
            match self.check(member, text) {
                Ok(()) => {
                    matched = true;
                    break;
                }
                Err(ValueError::Invalid(_)) => {}
                Err(ValueError::Unsupported(message)) => unsupported = unsupported.or(Some(message)),
                Err(error @ ValueError::Schema(_)) => return Err(error),
            }
        }
        if !matched {
            return Err(match unsupported {
                Some(message) => ValueError::Unsupported(message),
                None => {
                    ValueError::Invalid(format!("`{}` is valid for none of the member types of the union {}", text.trim(), describe(owner)))
                }
            });
        }
        let value = WhiteSpace::Collapse.apply(text);
        check_layers(Target::Union, layers, &value, |v| WhiteSpace::Collapse.apply(v))
    }
}

pub(super) fn describe(owner: Option<&str>) -> String {
    match owner {
        Some(name) => format!("type `{name}`"),
        None => "an anonymous type".to_string(),
    }
}

/// Checks the facets of every restriction step, the base type's first. A facet that cannot be
/// decided does not stop the others from being checked: an `Invalid` anywhere wins over it.
fn check_layers(target: Target, layers: &[Layer<'_>], value: &str, normalize: impl Fn(&str) -> String) -> Result<(), ValueError> {
    let mut unsupported: Option<String> = None;
    for layer in layers.iter().rev() {
        if let Some(message) = check_facets(target, layer, value, &normalize)? {
            unsupported = unsupported.or(Some(message));
        }
    }
    unsupported.map_or(Ok(()), |message| Err(ValueError::Unsupported(message)))
}

/// `Ok(Some(why))` when a facet of this layer could not be checked.
fn check_facets(target: Target, layer: &Layer<'_>, value: &str, normalize: &impl Fn(&str) -> String) -> Result<Option<String>, ValueError> {
    let mut unsupported = None;
    let facet_value = |facet: &Facet| normalize(&facet.value.value);

    let enumerations: Vec<&Facet> = layer.facets.iter().filter(|f| f.kind == FacetKind::Enumeration).collect();
    if !enumerations.is_empty() {
        let mut undecided = None;
        let mut found = false;
        for facet in &enumerations {
            let allowed = facet_value(facet);
            let equal = match target {
                Target::Atomic(builtin) if builtin.check_lexical(&allowed).is_err() => {
                    return Err(ValueError::Schema(format!(
                        "the enumeration value `{allowed}` of {} is not a valid xs:{}",
                        layer.owner(),
                        builtin.local_name()
                    )));
                }
                Target::Atomic(builtin) => builtin.equal(value, &allowed),
                Target::List | Target::Union => Ok(value == allowed),
            };
            match equal {
                Ok(true) => {
                    found = true;
                    break;
                }
                Ok(false) => {}
                Err(message) => undecided = undecided.or(Some(message)),
            }
        }
        if !found {
            match undecided {
                Some(message) => unsupported = Some(message),
                None => {
                    let allowed: Vec<String> = enumerations.iter().map(|f| format!("`{}`", facet_value(f))).collect();
                    return Err(ValueError::Invalid(format!(
                        "`{value}` is not one of the values {} allows: {}",
                        layer.owner(),
                        allowed.join(", ")
                    )));
                }
            }
        }
    }

    for facet in layer.facets {
        match facet.kind {
            FacetKind::Enumeration | FacetKind::WhiteSpace => {}
            FacetKind::Pattern => {
                unsupported = unsupported.or(Some(format!("the pattern `{}` of {} is not checked", facet.value.value, layer.owner())));
            }
            FacetKind::MinInclusive | FacetKind::MaxInclusive | FacetKind::MinExclusive | FacetKind::MaxExclusive => {
                if let Some(message) = check_bound(target, layer, facet, value, &facet_value(facet))? {
                    unsupported = unsupported.or(Some(message));
                }
            }
            FacetKind::Length | FacetKind::MinLength | FacetKind::MaxLength => check_length(target, layer, facet, value)?,
            FacetKind::TotalDigits | FacetKind::FractionDigits => check_digits(target, layer, facet, value)?,
        }
    }
    Ok(unsupported)
}

fn facet_number(layer: &Layer<'_>, facet: &Facet) -> Result<usize, ValueError> {
    facet.value.value.trim().parse::<usize>().map_err(|_| {
        ValueError::Schema(format!(
            "the {} facet of {} must be a non-negative integer, not `{}`",
            facet.kind.local_name(),
            layer.owner(),
            facet.value.value
        ))
    })
}

fn not_applicable(target: Target, layer: &Layer<'_>, facet: &Facet) -> ValueError {
    let what = match target {
        Target::Atomic(builtin) => format!("xs:{}", builtin.local_name()),
        Target::List => "a list type".to_string(),
        Target::Union => "a union type".to_string(),
    };
    ValueError::Schema(format!("the {} facet of {} does not apply to {what}", facet.kind.local_name(), layer.owner()))
}

fn check_bound(target: Target, layer: &Layer<'_>, facet: &Facet, value: &str, bound: &str) -> Result<Option<String>, ValueError> {
    let Target::Atomic(builtin) = target else {
        return Err(not_applicable(target, layer, facet));
    };
    if !matches!(builtin.value_space(), ValueSpace::Decimal | ValueSpace::Float | ValueSpace::Time | ValueSpace::Duration) {
        return Err(not_applicable(target, layer, facet));
    }
    // An integer type's bound may be written as a decimal (`1.0`); check it against the primitive.
    let lexical_check = if builtin.is_integer() { BuiltinType::Decimal } else { builtin };
    if let Err(message) = lexical_check.check_lexical(bound) {
        return Err(ValueError::Schema(format!("the {} facet of {}: {message}", facet.kind.local_name(), layer.owner())));
    }
    let ordering = match builtin.compare(value, bound) {
        Ok(ordering) => ordering,
        Err(message) => return Ok(Some(message)),
    };
    use std::cmp::Ordering::{Equal, Greater, Less};
    let (ok, relation) = match facet.kind {
        FacetKind::MinInclusive => (ordering != Less, "less than"),
        FacetKind::MaxInclusive => (ordering != Greater, "greater than"),
        FacetKind::MinExclusive => (ordering == Greater, if ordering == Equal { "equal to" } else { "less than" }),
        _ => (ordering == Less, if ordering == Equal { "equal to" } else { "greater than" }),
    };
    if ok {
        Ok(None)
    } else {
        Err(ValueError::Invalid(format!("`{value}` is {relation} {bound}, the {} of {}", facet.kind.local_name(), layer.owner())))
    }
}

fn check_length(target: Target, layer: &Layer<'_>, facet: &Facet, value: &str) -> Result<(), ValueError> {
    let limit = facet_number(layer, facet)?;
    let length = match target {
        // XML Schema 1.1 settles that length facets on QName and NOTATION constrain nothing.
        Target::Atomic(builtin) if builtin.value_space() == ValueSpace::QName => return Ok(()),
        Target::Atomic(builtin) => builtin.length(value).ok_or_else(|| not_applicable(target, layer, facet))?,
        Target::List => value.split(' ').filter(|s| !s.is_empty()).count(),
        Target::Union => return Err(not_applicable(target, layer, facet)),
    };
    let (ok, relation) = match facet.kind {
        FacetKind::Length => (length == limit, "exactly"),
        FacetKind::MinLength => (length >= limit, "at least"),
        _ => (length <= limit, "at most"),
    };
    if ok {
        Ok(())
    } else {
        Err(ValueError::Invalid(format!("`{value}` has length {length}; {} requires {relation} {limit}", layer.owner())))
    }
}

fn check_digits(target: Target, layer: &Layer<'_>, facet: &Facet, value: &str) -> Result<(), ValueError> {
    let limit = facet_number(layer, facet)?;
    let number = match target {
        Target::Atomic(builtin) if builtin.value_space() == ValueSpace::Decimal => Decimal::parse(value),
        _ => None,
    };
    let Some(number) = number else {
        return Err(not_applicable(target, layer, facet));
    };
    let (digits, what) = match facet.kind {
        FacetKind::TotalDigits => (number.total_digits(), "digits"),
        _ => (number.fraction_digits(), "fraction digits"),
    };
    if digits <= limit {
        Ok(())
    } else {
        Err(ValueError::Invalid(format!("`{value}` has {digits} {what}; {} allows at most {limit}", layer.owner())))
    }
}
