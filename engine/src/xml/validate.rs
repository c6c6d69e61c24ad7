//! Validating variable values against their declared types: `<validate>` and
//! `<assign validate="yes">` (WS-BPEL 2.0 §8.4.3, §10.3). An invalid value is the standard fault
//! `invalidVariables`.
//!
//! **Checked**: element names against their declarations; simple content (built-in types,
//! restrictions with their facets, lists, unions, `fixed` values) through
//! [`crate::model::xsd::validate_simple_value`]; `xsi:nil` against `nillable`; complex types:
//! declared, required, prohibited and fixed attributes and their simple types (attribute groups
//! and the base types of extensions included), empty content, simple content (against the base
//! type), element content (every child element must be declared by the content model — sequences,
//! choices, `all`, groups, element references, the base type's content for an extension — or
//! match a wildcard, and is validated recursively), required child elements (those a sequence
//! needs, outside choices), the maximum number of a child element (outside repeated groups), and
//! text in non-mixed content.
//!
//! **Not checked** (reported in [`Validation::unchecked`], never a fault): the order of child
//! elements and occurrence constraints inside choices and repeated groups, `pattern` facets and
//! other checks the simple-type validator cannot decide, `xsi:type` substitution, substitution
//! groups, identity constraints, and types or declarations that are missing from the loaded
//! schemas (static analysis reports those).

use crate::fault::{Fault, StandardFault};
use crate::model::xsd::{
    validate_simple_type, validate_simple_value, AttributeItem, AttributeTarget, AttributeUseKind, BuiltinType, ComplexTypeDef,
    ContentModel, Derivation, ElementDecl, ElementType, MaxOccurs, Particle, ProcessContents, SchemaSet, SimpleTypeRef, Term, TypeDef,
    ValueError, Wildcard,
};
use crate::model::QName;

use super::types::{MessageType, PartKind, VarType};
use super::value::{Message, Value, XmlElement};

pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Nesting (of elements and of type derivations) beyond which validation gives up with a note.
const MAX_DEPTH: usize = 64;

/// A successful validation, with what could not be checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Validation {
    pub unchecked: Vec<String>,
}

/// Validates the value of variable `name` against its declared type. An uninitialized variable
/// is `uninitializedVariable`; an invalid value (or a message part that is not initialized) is
/// `invalidVariables`.
pub fn validate_variable<S: SchemaSet + ?Sized>(schemas: &S, name: &str, ty: &VarType, value: Option<&Value>) -> Result<Validation, Fault> {
    let Some(value) = value else {
        return Err(Fault::standard(StandardFault::UninitializedVariable, format!("the variable `{name}` is not initialized")));
    };
    let mut validator = Validator { schemas, notes: Vec::new() };
    let result = match (ty, value) {
        (VarType::Message(message_type), Value::Message(message)) => validator.message(message_type, message),
        (VarType::Element(declared), Value::Element(element)) => validator.global_element(element, declared),
        (VarType::Type(type_ref), Value::Element(element)) => validator.typed(element, &type_ref.name, 0),
        (ty, _) => Err(format!("the value does not have the shape of its declared {ty}")),
    };
    match result {
        Ok(()) => Ok(Validation { unchecked: validator.notes }),
        Err(message) => Err(Fault::standard(StandardFault::InvalidVariables, format!("the variable `{name}` is not valid: {message}"))),
    }
}

/// Validates a message against its WSDL message type: every part present and valid against its
/// element declaration or type. `Err` says what is wrong, naming the part.
pub fn validate_message<S: SchemaSet + ?Sized>(schemas: &S, ty: &MessageType, message: &Message) -> Result<Validation, String> {
    let mut validator = Validator { schemas, notes: Vec::new() };
    validator.message(ty, message).map(|()| Validation { unchecked: validator.notes })
}

struct Validator<'s, S: ?Sized> {
    schemas: &'s S,
    notes: Vec<String>,
}

type Checked = Result<(), String>;

/// An attribute a complex type allows.
struct AllowedAttribute<'a> {
    name: QName,
    kind: AttributeUseKind,
    type_: Option<&'a SimpleTypeRef>,
    fixed: Option<&'a str>,
}

/// The child elements a content model allows.
#[derive(Default)]
struct Allowed<'a> {
    elements: Vec<&'a ElementDecl>,
    wildcards: Vec<&'a Wildcard>,
    /// Elements a sequence requires, with their minimum.
    required: Vec<(QName, u32)>,
    /// Elements that may appear a bounded number of times (outside repeated groups).
    bounded: Vec<(QName, u32)>,
    any_type: bool,
}

impl<'s, S: SchemaSet + ?Sized> Validator<'s, S> {
    fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    fn message(&mut self, ty: &MessageType, message: &Message) -> Checked {
        for part in &ty.parts {
            match (message.part(&part.name), &part.kind) {
                (None, _) => Err(format!("the part `{}` is not initialized", part.name)),
                (Some(element), PartKind::Element(declared)) => self.global_element(element, declared),
                (Some(element), PartKind::Type(type_ref)) => self.typed(element, &type_ref.name, 0),
            }
            .map_err(|message| format!("part `{}`: {message}", part.name))?;
        }
        Ok(())
    }

    fn value_result(&mut self, result: Result<(), ValueError>, what: &str) -> Checked {
        match result {
            Ok(()) => Ok(()),
            Err(ValueError::Invalid(message)) => Err(format!("{what}: {message}")),
            Err(ValueError::Unsupported(message)) | Err(ValueError::Schema(message)) => {
                self.note(format!("{what}: not checked: {message}"));
                Ok(())
            }
        }
    }

    fn global_element(&mut self, element: &XmlElement, declared: &QName) -> Checked {
        if !element.has_name(declared) {
            return Err(format!("the element is {}, but {declared} is declared", element.name()));
        }
        match self.schemas.find_element(declared) {
            Some(decl) => self.element(element, decl, 0),
            None => {
                self.note(format!("no declaration of element {declared} is loaded"));
                Ok(())
            }
        }
    }

    fn element(&mut self, element: &XmlElement, decl: &'s ElementDecl, depth: usize) -> Checked {
        if depth > MAX_DEPTH {
            self.note(format!("elements nested more than {MAX_DEPTH} deep are not checked"));
            return Ok(());
        }
        let label = format!("<{}>", element.local);
        if matches!(element.attribute(Some(XSI_NS), "nil").map(str::trim), Some("true" | "1")) {
            if !decl.nillable {
                return Err(format!("{label} has xsi:nil, but its declaration is not nillable"));
            }
            if !element.children.is_empty() {
                return Err(format!("{label} has xsi:nil and content"));
            }
            return Ok(());
        }
        if element.attribute(Some(XSI_NS), "type").is_some() {
            self.note("xsi:type is not honoured: elements are checked against their declared type".to_string());
        }
        match &decl.type_ {
            ElementType::Named(reference) => match &reference.name {
                Some(type_name) => self.typed(element, type_name, depth)?,
                None => self.note(format!("the type `{}` of {label} is not resolved", reference.text)),
            },
            ElementType::Anonymous(def) => match def.as_ref() {
                TypeDef::Simple(simple) => {
                    let reference = SimpleTypeRef::Inline(Box::new(simple.clone()));
                    self.simple(element, |schemas, text| validate_simple_type(schemas, &reference, text))?
                }
                TypeDef::Complex(complex) => self.complex(element, complex, depth)?,
            },
            ElementType::Unspecified => {}
        }
        if let Some(fixed) = &decl.fixed {
            if !element.has_child_elements() && collapse(&element.text()) != collapse(fixed) {
                return Err(format!("{label} has the fixed value `{}`, not `{}`", collapse(fixed), collapse(&element.text())));
            }
        }
        Ok(())
    }

    /// The content (and attributes) of `element` against the named type.
    fn typed(&mut self, element: &XmlElement, type_name: &QName, depth: usize) -> Checked {
        if let Some(builtin) = BuiltinType::from_qname(type_name) {
            if builtin == BuiltinType::AnyType {
                return Ok(());
            }
            return self.simple(element, |schemas, text| validate_simple_value(schemas, type_name, text));
        }
        match self.schemas.find_type(type_name) {
            Some(TypeDef::Simple(_)) => self.simple(element, |schemas, text| validate_simple_value(schemas, type_name, text)),
            Some(TypeDef::Complex(complex)) => self.complex(element, complex, depth),
            None => {
                self.note(format!("no type {type_name} is loaded"));
                Ok(())
            }
        }
    }

    fn simple(&mut self, element: &XmlElement, check: impl FnOnce(&S, &str) -> Result<(), ValueError>) -> Checked {
        let label = format!("<{}>", element.local);
        if element.has_child_elements() {
            return Err(format!("{label} has child elements, but its type is simple"));
        }
        if let Some(attribute) = element.attributes.iter().find(|a| a.namespace.as_deref() != Some(XSI_NS)) {
            return Err(format!("{label} has the attribute `{}`, but its type is simple", attribute.local));
        }
        let result = check(self.schemas, &element.text());
        self.value_result(result, &label)
    }

    fn complex(&mut self, element: &XmlElement, def: &'s ComplexTypeDef, depth: usize) -> Checked {
        let label = format!("<{}>", element.local);
        self.attributes(element, def, &label)?;
        match &def.content {
            ContentModel::Empty => {
                if element.has_child_elements() || !element.text().trim().is_empty() {
                    return Err(format!("{label} must be empty"));
                }
                Ok(())
            }
            ContentModel::Simple(content) => {
                if element.has_child_elements() {
                    return Err(format!("{label} has child elements, but its content is simple"));
                }
                if !content.facets.is_empty() {
                    self.note(format!("the facets of the simple content of {label} are not checked"));
                }
                match content.base.as_ref().and_then(|b| b.name.as_ref()) {
                    Some(base) => {
                        let result = validate_simple_value(self.schemas, base, &element.text());
                        self.value_result(result, &label)
                    }
                    None => Ok(()),
                }
            }
            ContentModel::Particle(particle) => {
                let mut allowed = Allowed::default();
                self.collect(particle, true, false, &mut allowed, 0);
                self.children(element, &allowed, def.mixed, depth)
            }
            ContentModel::Complex(content) => {
                let mut allowed = Allowed::default();
                if content.derivation == Derivation::Extension {
                    self.base_content(content.base.as_ref().and_then(|b| b.name.as_ref()), &mut allowed, 0);
                }
                if let Some(particle) = &content.particle {
                    self.collect(particle, true, false, &mut allowed, 0);
                }
                self.children(element, &allowed, def.mixed, depth)
            }
        }
    }

    /// Adds the element content of a base type (and its own bases) to `allowed`.
    fn base_content(&mut self, base: Option<&QName>, allowed: &mut Allowed<'s>, depth: usize) {
        let Some(base) = base else { return };
        if depth > MAX_DEPTH {
            return;
        }
        if BuiltinType::from_qname(base) == Some(BuiltinType::AnyType) {
            allowed.any_type = true;
            return;
        }
        match self.schemas.find_type(base) {
            Some(TypeDef::Complex(def)) => match &def.content {
                ContentModel::Particle(particle) => self.collect(particle, true, false, allowed, 0),
                ContentModel::Complex(content) => {
                    if content.derivation == Derivation::Extension {
                        self.base_content(content.base.as_ref().and_then(|b| b.name.as_ref()), allowed, depth + 1);
                    }
                    if let Some(particle) = &content.particle {
                        self.collect(particle, true, false, allowed, 0);
                    }
                }
                ContentModel::Empty | ContentModel::Simple(_) => {}
            },
            _ => self.note(format!("the base type {base} is not a loaded complex type")),
        }
    }

    /// Flattens a content model. `required`: every enclosing group needs this particle;
    /// `repeated`: some enclosing group may repeat.
    fn collect(&mut self, particle: &'s Particle, required: bool, repeated: bool, allowed: &mut Allowed<'s>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let required = required && particle.occurs.min >= 1;
        let record = |allowed: &mut Allowed<'s>, decl: &'s ElementDecl| {
            let name = decl.qname();
            if required {
                allowed.required.push((name.clone(), particle.occurs.min));
            }
            if let (false, MaxOccurs::Bounded(max)) = (repeated, particle.occurs.max) {
                allowed.bounded.push((name, max));
            }
            allowed.elements.push(decl);
        };
        match &particle.term {
            Term::Element(decl) => record(allowed, decl),
            Term::ElementRef(reference) => match reference.name.as_ref().and_then(|n| self.schemas.find_element(n)) {
                Some(decl) => record(allowed, decl),
                None => self.note(format!("the element reference `{}` is not resolved", reference.text)),
            },
            Term::Group(reference) => match reference.name.as_ref().and_then(|n| self.schemas.find_group(n)) {
                Some(group) => {
                    if let Some(inner) = &group.particle {
                        let repeated = repeated || particle.occurs.is_repeated();
                        self.collect(inner, required, repeated, allowed, depth + 1);
                    }
                }
                None => self.note(format!("the group `{}` is not resolved", reference.text)),
            },
            Term::Sequence(items) | Term::All(items) => {
                let repeated = repeated || particle.occurs.is_repeated();
                for item in items {
                    self.collect(item, required, repeated, allowed, depth + 1);
                }
            }
            Term::Choice(items) => {
                let repeated = repeated || particle.occurs.is_repeated();
                // Which branch is taken is not checked: nothing inside a choice is required.
                let single = items.len() == 1;
                for item in items {
                    self.collect(item, required && single, repeated, allowed, depth + 1);
                }
            }
            Term::Any(wildcard) => allowed.wildcards.push(wildcard),
        }
    }

    fn children(&mut self, element: &XmlElement, allowed: &Allowed<'s>, mixed: bool, depth: usize) -> Checked {
        let label = format!("<{}>", element.local);
        if !mixed && !allowed.any_type && !element.text().trim().is_empty() {
            return Err(format!("{label} holds text, but its content is element-only"));
        }
        for child in element.child_elements() {
            let decl = allowed.elements.iter().find(|d| child.has_name(&d.qname()));
            match decl {
                Some(decl) => self.element(child, decl, depth + 1)?,
                None if allowed.any_type => {}
                None => {
                    let wildcard = allowed.wildcards.iter().find(|w| wildcard_allows(w, child.namespace.as_deref()));
                    match wildcard {
                        Some(wildcard) if wildcard.process_contents != ProcessContents::Skip => {
                            if let Some(global) = self.schemas.find_element(&child.name()) {
                                self.element(child, global, depth + 1)?;
                            } else if wildcard.process_contents == ProcessContents::Strict {
                                self.note(format!("<{}> matches a strict wildcard but no declaration of it is loaded", child.local));
                            }
                        }
                        Some(_) => {}
                        None => return Err(format!("{label} does not allow the element {}", child.name())),
                    }
                }
            }
        }
        for (name, min) in &allowed.required {
            let count = element.child_elements().filter(|c| c.has_name(name)).count();
            if count < *min as usize {
                return Err(format!("{label} lacks the required element {name}"));
            }
        }
        for (name, max) in &allowed.bounded {
            let count = element.child_elements().filter(|c| c.has_name(name)).count();
            if count > *max as usize {
                return Err(format!("{label} has {count} {name} elements, at most {max} are allowed"));
            }
        }
        Ok(())
    }

    fn attributes(&mut self, element: &XmlElement, def: &'s ComplexTypeDef, label: &str) -> Checked {
        let mut declared: Vec<AllowedAttribute<'s>> = Vec::new();
        let mut wildcard = def.any_attribute.is_some();
        self.collect_attributes(&def.attributes, &mut declared, 0);
        self.base_attributes(def, &mut declared, &mut wildcard, 0);
        for attribute in &element.attributes {
            if attribute.namespace.as_deref() == Some(XSI_NS) {
                continue;
            }
            let name = QName::new(attribute.namespace.as_deref(), &attribute.local);
            match declared.iter().find(|d| d.name == name) {
                Some(allowed) if allowed.kind == AttributeUseKind::Prohibited => {
                    return Err(format!("{label} must not have the attribute {name}"));
                }
                Some(allowed) => {
                    if let Some(type_) = allowed.type_ {
                        let result = validate_simple_type(self.schemas, type_, &attribute.value);
                        self.value_result(result, &format!("the attribute {name} of {label}"))?;
                    }
                    if let Some(fixed) = allowed.fixed {
                        if collapse(fixed) != collapse(&attribute.value) {
                            return Err(format!("the attribute {name} of {label} has the fixed value `{fixed}`"));
                        }
                    }
                }
                None if wildcard => {}
                None => return Err(format!("{label} does not allow the attribute {name}")),
            }
        }
        for allowed in &declared {
            let present = element.attributes.iter().any(|a| allowed.name == QName::new(a.namespace.as_deref(), &a.local));
            if allowed.kind == AttributeUseKind::Required && !present {
                return Err(format!("{label} lacks the required attribute {}", allowed.name));
            }
        }
        Ok(())
    }

    fn base_attributes(&mut self, def: &'s ComplexTypeDef, declared: &mut Vec<AllowedAttribute<'s>>, wildcard: &mut bool, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let base = match &def.content {
            ContentModel::Complex(content) if content.derivation == Derivation::Extension => content.base.as_ref(),
            ContentModel::Simple(content) if content.derivation == Derivation::Extension => content.base.as_ref(),
            _ => None,
        };
        let Some(base) = base.and_then(|b| b.name.as_ref()) else { return };
        if BuiltinType::from_qname(base) == Some(BuiltinType::AnyType) {
            *wildcard = true;
            return;
        }
        if let Some(TypeDef::Complex(base_def)) = self.schemas.find_type(base) {
            *wildcard |= base_def.any_attribute.is_some();
            self.collect_attributes(&base_def.attributes, declared, 0);
            self.base_attributes(base_def, declared, wildcard, depth + 1);
        }
    }

    fn collect_attributes(&mut self, items: &'s [AttributeItem], declared: &mut Vec<AllowedAttribute<'s>>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        for item in items {
            match item {
                AttributeItem::Attribute(attribute_use) => {
                    let allowed = match &attribute_use.target {
                        AttributeTarget::Local(decl) => AllowedAttribute {
                            name: QName::new(decl.namespace.as_deref(), &decl.name.value),
                            kind: attribute_use.use_,
                            type_: decl.type_.as_ref(),
                            fixed: decl.fixed.as_deref(),
                        },
                        AttributeTarget::Ref { name, fixed, .. } => {
                            let Some(resolved) = &name.name else { continue };
                            let global = self.schemas.find_attribute(resolved);
                            AllowedAttribute {
                                name: resolved.clone(),
                                kind: attribute_use.use_,
                                type_: global.and_then(|g| g.type_.as_ref()),
                                fixed: fixed.as_deref().or(global.and_then(|g| g.fixed.as_deref())),
                            }
                        }
                    };
                    if !declared.iter().any(|d| d.name == allowed.name) {
                        declared.push(allowed);
                    }
                }
                AttributeItem::Group(reference) => match reference.name.as_ref().and_then(|n| self.schemas.find_attribute_group(n)) {
                    Some(group) => self.collect_attributes(&group.attributes, declared, depth + 1),
                    None => self.note(format!("the attribute group `{}` is not resolved", reference.text)),
                },
            }
        }
    }
}

fn wildcard_allows(wildcard: &Wildcard, namespace: Option<&str>) -> bool {
    let namespace = namespace.unwrap_or("");
    let constraint = wildcard.namespace.trim();
    match constraint {
        "" | "##any" => true,
        // The schema's target namespace is not kept on the wildcard: `##other` allows any
        // qualified name (unqualified ones are excluded, as the rule says).
        "##other" => !namespace.is_empty(),
        list => list.split_whitespace().any(|item| match item {
            "##local" => namespace.is_empty(),
            "##targetNamespace" => true,
            uri => uri == namespace,
        }),
    }
}

fn collapse(text: &str) -> String {
    text.split([' ', '\t', '\n', '\r']).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::xsd::Schema;
    use crate::source::FileId;
    use crate::xml::types::{MessageType, PartType, TypeRef};
    use crate::xml::value::Message;
    use std::sync::Arc;

    const NS: &str = "urn:shop";

    fn schema() -> Schema {
        let text = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:shop" xmlns:s="urn:shop" elementFormDefault="qualified">
            <xs:simpleType name="month"><xs:restriction base="xs:int"><xs:minInclusive value="1"/><xs:maxInclusive value="12"/></xs:restriction></xs:simpleType>
            <xs:complexType name="base"><xs:sequence><xs:element name="id" type="xs:int"/></xs:sequence><xs:attribute name="version" type="xs:int"/></xs:complexType>
            <xs:complexType name="order"><xs:complexContent><xs:extension base="s:base"><xs:sequence>
                <xs:element name="month" type="s:month"/>
                <xs:element name="note" type="xs:string" minOccurs="0"/>
                <xs:choice><xs:element name="a" type="xs:string"/><xs:element name="b" type="xs:string"/></xs:choice>
                <xs:any namespace="urn:ext" processContents="skip" minOccurs="0"/>
            </xs:sequence><xs:attribute name="status" use="required"><xs:simpleType><xs:restriction base="xs:string">
                <xs:enumeration value="open"/><xs:enumeration value="closed"/></xs:restriction></xs:simpleType></xs:attribute>
            </xs:extension></xs:complexContent></xs:complexType>
            <xs:element name="order" type="s:order"/>
            <xs:element name="count" type="xs:int"/>
            <xs:element name="price"><xs:complexType><xs:simpleContent><xs:extension base="xs:decimal"><xs:attribute name="currency" type="xs:string"/></xs:extension></xs:simpleContent></xs:complexType></xs:element>
            <xs:element name="flag" type="xs:boolean" nillable="true"/>
        </xs:schema>"#;
        let document = crate::syntax::parse_xml(text);
        let mut diagnostics = Vec::new();
        let schema = crate::parse::xsd::read_schema(FileId(0), &document.scopes, document.root.as_ref().unwrap(), &mut diagnostics);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        schema
    }

    fn check(element_name: &str, xml: &str) -> Result<Validation, Fault> {
        let value = XmlElement::parse(xml).unwrap();
        validate_variable(&schema(), "v", &VarType::Element(QName::new(Some(NS), element_name)), Some(&Value::Element(value)))
    }

    fn valid(element_name: &str, xml: &str) {
        if let Err(fault) = check(element_name, xml) {
            panic!("{xml}: {fault}");
        }
    }

    fn invalid(element_name: &str, xml: &str) {
        match check(element_name, xml) {
            Err(fault) => assert!(fault.is(StandardFault::InvalidVariables), "{fault}"),
            Ok(_) => panic!("{xml} was taken as valid"),
        }
    }

    #[test]
    fn simple_elements() {
        valid("count", "<count xmlns='urn:shop'> 12 </count>");
        invalid("count", "<count xmlns='urn:shop'>false</count>");
        invalid("count", "<count xmlns='urn:shop'><x/></count>");
        invalid("count", "<other xmlns='urn:shop'>1</other>");
        valid("price", "<price xmlns='urn:shop' currency='EUR'>1.50</price>");
        invalid("price", "<price xmlns='urn:shop'>cheap</price>");
        invalid("price", "<price xmlns='urn:shop' rate='1'>1</price>");
        valid("flag", "<flag xmlns='urn:shop' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xsi:nil='true'/>");
    }

    #[test]
    fn complex_elements() {
        let good = "<order xmlns='urn:shop' status='open' version='2'><id>1</id><month>3</month><a>x</a></order>";
        valid("order", good);
        valid(
            "order",
            "<order xmlns='urn:shop' status='closed'><id>1</id><month>12</month><note>n</note><b/><e:x xmlns:e='urn:ext'/></order>",
        );
        invalid("order", "<order xmlns='urn:shop' status='open'><id>1</id><month>13</month><a/></order>");
        invalid("order", "<order xmlns='urn:shop' status='pending'><id>1</id><month>3</month><a/></order>");
        invalid("order", "<order xmlns='urn:shop'><id>1</id><month>3</month><a/></order>");
        invalid("order", "<order xmlns='urn:shop' status='open'><month>3</month><a/></order>");
        invalid("order", "<order xmlns='urn:shop' status='open'><id>1</id><id>2</id><month>3</month><a/></order>");
        invalid("order", "<order xmlns='urn:shop' status='open'><id>1</id><month>3</month><a/><unknown/></order>");
        invalid("order", "<order xmlns='urn:shop' status='open'>text<id>1</id><month>3</month><a/></order>");
        invalid("order", "<order xmlns='urn:shop' status='open' version='x'><id>1</id><month>3</month><a/></order>");
    }

    #[test]
    fn typed_variables_and_messages() {
        let schemas = schema();
        let month = VarType::Type(TypeRef { name: QName::new(Some(NS), "month"), simple: Some(crate::xml::SimpleKind::Number) });
        let value = |text: &str| Value::Element(XmlElement::with_text(None, "v", text));
        assert!(validate_variable(&schemas, "v", &month, Some(&value("12"))).is_ok());
        assert!(validate_variable(&schemas, "v", &month, Some(&value("13"))).unwrap_err().is(StandardFault::InvalidVariables));
        assert!(validate_variable(&schemas, "v", &month, None).unwrap_err().is(StandardFault::UninitializedVariable));

        let message_type = VarType::Message(Arc::new(MessageType {
            name: QName::new(Some(NS), "m"),
            parts: vec![
                PartType { name: "count".into(), kind: PartKind::Element(QName::new(Some(NS), "count")) },
                PartType { name: "month".into(), kind: PartKind::Type(TypeRef { name: QName::new(Some(NS), "month"), simple: None }) },
            ],
        }));
        let complete = Message::new(QName::new(Some(NS), "m"))
            .with_part("count", XmlElement::with_text(Some(NS), "count", "4"))
            .with_part("month", XmlElement::with_text(None, "month", "4"));
        assert!(validate_variable(&schemas, "v", &message_type, Some(&Value::Message(complete.clone()))).is_ok());
        let partial = Message { parts: complete.parts[..1].to_vec(), ..complete };
        assert!(validate_variable(&schemas, "v", &message_type, Some(&Value::Message(partial)))
            .unwrap_err()
            .is(StandardFault::InvalidVariables));
    }
}
