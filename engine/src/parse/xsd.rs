//! Syntax tree of an `xsd:schema` (a file of its own or inside a WSDL's `types`) -> [`Schema`].
//!
//! Tolerant: an unreadable part is left out and reported with the span of its element or attribute
//! value. Elements of other namespaces (annotations' content, tool extensions) are skipped silently;
//! elements of the XSD namespace that do not belong where they stand are reported.

use crate::diagnostic::{codes, Diagnostic};
use crate::model::xsd::*;
use crate::model::{QName, QNameRef};
use crate::source::FileId;
use crate::span::{Span, Spanned};
use crate::syntax::{Element, NamespaceScopes, XmlDocument};

/// Reads a schema file. `None` when the document has no root element or its root is not
/// `xsd:schema` (reported).
pub fn read_schema_document(file: FileId, doc: &XmlDocument, diagnostics: &mut Vec<Diagnostic>) -> Option<Schema> {
    let root = doc.root.as_ref()?;
    if !root.is(XSD_NS, "schema") {
        diagnostics.push(crate::parse::wrong_root(
            file,
            root,
            "an XML Schema <schema>",
            format!("a schema document starts with <xsd:schema xmlns:xsd=\"{XSD_NS}\">"),
        ));
        return None;
    }
    Some(read_schema(file, &doc.scopes, root, diagnostics))
}

/// Reads one `xsd:schema` element.
pub fn read_schema(file: FileId, scopes: &NamespaceScopes, element: &Element, diagnostics: &mut Vec<Diagnostic>) -> Schema {
    let mut reader = Reader { file, scopes, diagnostics };
    let target_namespace = reader.name(element, "targetNamespace").filter(|n| !n.value.is_empty());
    let element_form_default = reader.form(element, "elementFormDefault").unwrap_or_default();
    let attribute_form_default = reader.form(element, "attributeFormDefault").unwrap_or_default();
    let mut schema_reader = SchemaReader {
        reader,
        target_namespace: target_namespace.as_ref().map(|n| n.value.clone()),
        element_form_default,
        attribute_form_default,
    };
    let mut schema = Schema {
        span: element.span,
        target_namespace,
        element_form_default,
        attribute_form_default,
        elements: Vec::new(),
        types: Vec::new(),
        attributes: Vec::new(),
        groups: Vec::new(),
        attribute_groups: Vec::new(),
        imports: Vec::new(),
        includes: Vec::new(),
        redefines: Vec::new(),
    };
    schema_reader.top_level(element, &mut schema);
    schema
}

/// Attribute and diagnostic helpers shared by the WSDL and XSD readers.
pub(crate) struct Reader<'a> {
    pub(crate) file: FileId,
    pub(crate) scopes: &'a NamespaceScopes,
    pub(crate) diagnostics: &'a mut Vec<Diagnostic>,
}

impl Reader<'_> {
    pub(crate) fn error(&mut self, code: &'static str, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(code, self.file, span, message));
    }

    pub(crate) fn warning(&mut self, code: &'static str, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::warning(code, self.file, span, message));
    }

    /// An optional attribute's value, trimmed.
    pub(crate) fn name(&mut self, element: &Element, local: &str) -> Option<Spanned<String>> {
        element.attr(local).map(|a| Spanned::new(a.value.trim().to_string(), a.value_span))
    }

    pub(crate) fn required(&mut self, element: &Element, local: &str) -> Option<Spanned<String>> {
        let name = self.name(element, local);
        if name.is_none() {
            self.error(codes::MISSING_REQUIRED, element.name_span, format!("<{}> needs the attribute `{local}`", element.qualified_name()));
        }
        name
    }

    pub(crate) fn qname(&mut self, element: &Element, local: &str) -> Option<QNameRef> {
        let attribute = element.attr(local)?;
        Some(self.resolve(element, &attribute.value, attribute.value_span))
    }

    pub(crate) fn required_qname(&mut self, element: &Element, local: &str) -> Option<QNameRef> {
        let name = self.qname(element, local);
        if name.is_none() {
            self.error(codes::MISSING_REQUIRED, element.name_span, format!("<{}> needs the attribute `{local}`", element.qualified_name()));
        }
        name
    }

    /// Resolves a QName written in `element` (an attribute value or a token of one).
    pub(crate) fn resolve(&mut self, element: &Element, text: &str, span: Span) -> QNameRef {
        let name = match self.scopes.resolve_qname(element.scope, text) {
            Ok((namespace, local)) => Some(QName::new(namespace, local)),
            Err(error) => {
                let code = match error {
                    crate::syntax::QNameError::UnboundPrefix(_) => codes::UNBOUND_PREFIX,
                    crate::syntax::QNameError::Malformed => codes::INVALID_VALUE,
                };
                self.error(code, span, format!("`{}`: {error}", text.trim()));
                None
            }
        };
        QNameRef { text: text.trim().to_string(), span, name }
    }

    /// A whitespace-separated list of QNames, each with its own span when it can be located.
    pub(crate) fn qname_list(&mut self, element: &Element, local: &str) -> Vec<QNameRef> {
        let Some(attribute) = element.attr(local) else { return Vec::new() };
        // The value's offsets match the source unless a character reference was expanded.
        let exact = attribute.value.len() == attribute.value_span.len();
        let mut out = Vec::new();
        let mut offset = 0;
        for token in attribute.value.split_ascii_whitespace() {
            let start = attribute.value[offset..].find(token).map_or(offset, |i| offset + i);
            offset = start + token.len();
            let span = if exact {
                let base = attribute.value_span.start as usize;
                Span::new(base + start, base + offset)
            } else {
                attribute.value_span
            };
            out.push(self.resolve(element, token, span));
        }
        out
    }

    pub(crate) fn boolean(&mut self, element: &Element, local: &str) -> Option<bool> {
        let attribute = element.attr(local)?;
        match attribute.value.trim() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            other => {
                self.error(codes::INVALID_VALUE, attribute.value_span, format!("`{local}` must be `true` or `false`, not `{other}`"));
                None
            }
        }
    }

    pub(crate) fn unexpected(&mut self, child: &Element, parent: &Element) {
        self.error(
            codes::UNEXPECTED_ELEMENT,
            child.name_span,
            format!("<{}> is not allowed inside <{}>", child.qualified_name(), parent.qualified_name()),
        );
    }

    fn form(&mut self, element: &Element, local: &str) -> Option<Form> {
        let attribute = element.attr(local)?;
        match attribute.value.trim() {
            "qualified" => Some(Form::Qualified),
            "unqualified" => Some(Form::Unqualified),
            other => {
                self.error(
                    codes::INVALID_VALUE,
                    attribute.value_span,
                    format!("`{local}` must be `qualified` or `unqualified`, not `{other}`"),
                );
                None
            }
        }
    }
}

struct SchemaReader<'a> {
    reader: Reader<'a>,
    target_namespace: Option<String>,
    element_form_default: Form,
    attribute_form_default: Form,
}

/// Where a declaration stands: global ones are always qualified and may not use `ref`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Global,
    Local,
}

impl SchemaReader<'_> {
    /// The children of `element` in the XSD namespace, without annotations. Elements in no
    /// namespace are reported; other namespaces are skipped.
    fn children<'e>(&mut self, element: &'e Element) -> Vec<&'e Element> {
        let mut out = Vec::new();
        for child in element.child_elements() {
            match child.namespace.as_deref() {
                Some(XSD_NS) if child.local == "annotation" => {}
                Some(XSD_NS) => out.push(child),
                Some(_) => {}
                None => self.reader.error(
                    codes::UNEXPECTED_ELEMENT,
                    child.name_span,
                    format!("<{}> is in no namespace; XML Schema elements belong to `{XSD_NS}`", child.qualified_name()),
                ),
            }
        }
        out
    }

    fn top_level(&mut self, element: &Element, schema: &mut Schema) {
        for child in self.children(element) {
            match child.local.as_str() {
                "import" => schema.imports.push(SchemaImport {
                    span: child.span,
                    namespace: self.reader.name(child, "namespace"),
                    schema_location: self.reader.name(child, "schemaLocation"),
                }),
                "include" => {
                    schema
                        .includes
                        .push(SchemaInclude { span: child.span, schema_location: self.reader.required(child, "schemaLocation") });
                }
                "redefine" => schema.redefines.push(self.redefine(child)),
                "element" => schema.elements.extend(self.element(child, Level::Global)),
                "simpleType" => schema.types.extend(self.named(child, |r, e| r.simple_type(e).map(TypeDef::Simple))),
                "complexType" => schema.types.extend(self.named(child, |r, e| Some(TypeDef::Complex(r.complex_type(e))))),
                "attribute" => schema.attributes.extend(self.attribute_decl(child, Level::Global)),
                "group" => schema.groups.extend(self.group_def(child)),
                "attributeGroup" => schema.attribute_groups.extend(self.attribute_group_def(child)),
                "notation" => {}
                _ => self.reader.unexpected(child, element),
            }
        }
    }

    /// A global type: its name is required.
    fn named(&mut self, element: &Element, read: impl FnOnce(&mut Self, &Element) -> Option<TypeDef>) -> Option<TypeDef> {
        self.reader.required(element, "name")?;
        read(self, element)
    }

    fn redefine(&mut self, element: &Element) -> Redefine {
        let mut redefine = Redefine {
            span: element.span,
            schema_location: self.reader.required(element, "schemaLocation"),
            types: Vec::new(),
            groups: Vec::new(),
            attribute_groups: Vec::new(),
        };
        for child in self.children(element) {
            match child.local.as_str() {
                "simpleType" => redefine.types.extend(self.named(child, |r, e| r.simple_type(e).map(TypeDef::Simple))),
                "complexType" => redefine.types.extend(self.named(child, |r, e| Some(TypeDef::Complex(r.complex_type(e))))),
                "group" => redefine.groups.extend(self.group_def(child)),
                "attributeGroup" => redefine.attribute_groups.extend(self.attribute_group_def(child)),
                _ => self.reader.unexpected(child, element),
            }
        }
        redefine
    }

    fn qualified_namespace(&self, form: Option<Form>, default: Form) -> Option<String> {
        match form.unwrap_or(default) {
            Form::Qualified => self.target_namespace.clone(),
            Form::Unqualified => None,
        }
    }

    /// A global element declaration, or a local one that has a name (not a `ref`).
    fn element(&mut self, element: &Element, level: Level) -> Option<ElementDecl> {
        let name = self.reader.required(element, "name")?;
        let namespace = match level {
            Level::Global => self.target_namespace.clone(),
            Level::Local => {
                let form = self.reader.form(element, "form");
                self.qualified_namespace(form, self.element_form_default)
            }
        };
        let named_type = self.reader.qname(element, "type");
        let mut inline: Option<TypeDef> = None;
        for child in self.children(element) {
            let read = match child.local.as_str() {
                "simpleType" => self.simple_type(child).map(TypeDef::Simple),
                "complexType" => Some(TypeDef::Complex(self.complex_type(child))),
                "unique" | "key" | "keyref" => continue,
                _ => {
                    self.reader.unexpected(child, element);
                    continue;
                }
            };
            if named_type.is_some() || inline.is_some() {
                self.reader.error(
                    codes::UNEXPECTED_ELEMENT,
                    child.name_span,
                    format!("element `{}` already has a type; an element has either a `type` attribute or one inline type", name.value),
                );
                continue;
            }
            inline = read;
        }
        let type_ = match (named_type, inline) {
            (Some(named), _) => ElementType::Named(named),
            (None, Some(inline)) => ElementType::Anonymous(Box::new(inline)),
            (None, None) => ElementType::Unspecified,
        };
        Some(ElementDecl {
            name,
            span: element.span,
            namespace,
            type_,
            nillable: self.reader.boolean(element, "nillable").unwrap_or(false),
            abstract_: self.reader.boolean(element, "abstract").unwrap_or(false),
            default: element.attr_value("default").map(str::to_string),
            fixed: element.attr_value("fixed").map(str::to_string),
            substitution_group: self.reader.qname(element, "substitutionGroup"),
        })
    }

    fn simple_type(&mut self, element: &Element) -> Option<SimpleTypeDef> {
        let name = self.reader.name(element, "name");
        let mut variety = None;
        for child in self.children(element) {
            let read = match child.local.as_str() {
                "restriction" => SimpleVariety::Restriction(self.simple_restriction(child)),
                "list" => {
                    let item = match self.reader.qname(child, "itemType") {
                        Some(item) => Some(SimpleTypeRef::Named(item)),
                        None => self.inline_simple_type(child),
                    };
                    if item.is_none() {
                        self.reader.error(
                            codes::MISSING_REQUIRED,
                            child.name_span,
                            "<list> needs an `itemType` attribute or an inline <simpleType>",
                        );
                    }
                    SimpleVariety::List(item)
                }
                "union" => {
                    let mut members: Vec<SimpleTypeRef> =
                        self.reader.qname_list(child, "memberTypes").into_iter().map(SimpleTypeRef::Named).collect();
                    for inline in self.children(child) {
                        if inline.local == "simpleType" {
                            members.extend(self.simple_type(inline).map(|t| SimpleTypeRef::Inline(Box::new(t))));
                        } else {
                            self.reader.unexpected(inline, child);
                        }
                    }
                    if members.is_empty() {
                        self.reader.error(codes::MISSING_REQUIRED, child.name_span, "<union> needs `memberTypes` or inline <simpleType>s");
                    }
                    SimpleVariety::Union(members)
                }
                _ => {
                    self.reader.unexpected(child, element);
                    continue;
                }
            };
            if variety.is_some() {
                self.reader.error(
                    codes::UNEXPECTED_ELEMENT,
                    child.name_span,
                    "a <simpleType> has exactly one <restriction>, <list> or <union>",
                );
                continue;
            }
            variety = Some(read);
        }
        match variety {
            Some(variety) => Some(SimpleTypeDef { name, span: element.span, variety }),
            None => {
                self.reader.error(codes::MISSING_REQUIRED, element.name_span, "a <simpleType> needs a <restriction>, <list> or <union>");
                None
            }
        }
    }

    /// The single inline `simpleType` child of `element`, if any.
    fn inline_simple_type(&mut self, element: &Element) -> Option<SimpleTypeRef> {
        let mut found = None;
        for child in self.children(element) {
            if child.local == "simpleType" && found.is_none() {
                found = self.simple_type(child).map(|t| SimpleTypeRef::Inline(Box::new(t)));
            } else {
                self.reader.unexpected(child, element);
            }
        }
        found
    }

    fn simple_restriction(&mut self, element: &Element) -> Restriction {
        let mut base = self.reader.qname(element, "base").map(SimpleTypeRef::Named);
        let mut facets = Vec::new();
        for child in self.children(element) {
            if child.local == "simpleType" {
                if base.is_some() {
                    self.reader.error(
                        codes::UNEXPECTED_ELEMENT,
                        child.name_span,
                        "the restriction already names its `base`; an inline base type is not allowed too",
                    );
                } else {
                    base = self.simple_type(child).map(|t| SimpleTypeRef::Inline(Box::new(t)));
                }
                continue;
            }
            match self.facet(child) {
                Some(facet) => facets.push(facet),
                None => self.reader.unexpected(child, element),
            }
        }
        if base.is_none() {
            self.reader.error(
                codes::MISSING_REQUIRED,
                element.name_span,
                "<restriction> needs a `base` attribute or an inline <simpleType>",
            );
        }
        Restriction { base, facets }
    }

    /// `None` when `element` is not a facet (the caller reports it); a facet without value is
    /// reported here and dropped.
    fn facet(&mut self, element: &Element) -> Option<Facet> {
        let kind = FacetKind::from_local_name(&element.local)?;
        let value = match element.attr("value") {
            Some(attribute) => Spanned::new(attribute.value.clone(), attribute.value_span),
            None => {
                self.reader.error(
                    codes::MISSING_REQUIRED,
                    element.name_span,
                    format!("<{}> needs the attribute `value`", element.qualified_name()),
                );
                Spanned::new(String::new(), element.name_span)
            }
        };
        if kind == FacetKind::WhiteSpace && !matches!(value.value.trim(), "preserve" | "replace" | "collapse") {
            self.reader.error(codes::INVALID_VALUE, value.span, "`whiteSpace` must be `preserve`, `replace` or `collapse`");
        }
        Some(Facet { kind, value, span: element.span })
    }

    fn complex_type(&mut self, element: &Element) -> ComplexTypeDef {
        let mut def = ComplexTypeDef {
            name: self.reader.name(element, "name"),
            span: element.span,
            abstract_: self.reader.boolean(element, "abstract").unwrap_or(false),
            mixed: self.reader.boolean(element, "mixed").unwrap_or(false),
            content: ContentModel::Empty,
            attributes: Vec::new(),
            any_attribute: None,
        };
        let mut has_content = false;
        for child in self.children(element) {
            match child.local.as_str() {
                "simpleContent" | "complexContent" | "sequence" | "choice" | "all" | "group" if has_content => {
                    self.reader.error(codes::UNEXPECTED_ELEMENT, child.name_span, "a <complexType> has one content model");
                }
                "simpleContent" => {
                    has_content = true;
                    def.content = self.simple_content(child, &mut def.attributes, &mut def.any_attribute);
                }
                "complexContent" => {
                    has_content = true;
                    if self.reader.boolean(child, "mixed") == Some(true) {
                        def.mixed = true;
                    }
                    def.content = self.complex_content(child, &mut def.attributes, &mut def.any_attribute);
                }
                "sequence" | "choice" | "all" | "group" => {
                    has_content = true;
                    if let Some(particle) = self.particle(child) {
                        def.content = ContentModel::Particle(particle);
                    }
                }
                _ => {
                    if !self.attribute_item(child, &mut def.attributes, &mut def.any_attribute) {
                        self.reader.unexpected(child, element);
                    }
                }
            }
        }
        def
    }

    /// Reads `attribute`, `attributeGroup` or `anyAttribute`; `false` for anything else.
    fn attribute_item(&mut self, element: &Element, items: &mut Vec<AttributeItem>, any: &mut Option<Wildcard>) -> bool {
        match element.local.as_str() {
            "attribute" => items.extend(self.attribute_use(element).map(AttributeItem::Attribute)),
            "attributeGroup" => items.extend(self.reader.required_qname(element, "ref").map(AttributeItem::Group)),
            "anyAttribute" => *any = Some(self.wildcard(element)),
            _ => return false,
        }
        true
    }

    fn derivation_of(element: &Element) -> Option<Derivation> {
        match element.local.as_str() {
            "extension" => Some(Derivation::Extension),
            "restriction" => Some(Derivation::Restriction),
            _ => None,
        }
    }

    fn simple_content(&mut self, element: &Element, attributes: &mut Vec<AttributeItem>, any: &mut Option<Wildcard>) -> ContentModel {
        let mut content = None;
        for child in self.children(element) {
            let Some(derivation) = Self::derivation_of(child) else {
                self.reader.unexpected(child, element);
                continue;
            };
            if content.is_some() {
                self.reader.error(codes::UNEXPECTED_ELEMENT, child.name_span, "<simpleContent> has one <extension> or <restriction>");
                continue;
            }
            let base = self.reader.required_qname(child, "base");
            let mut facets = Vec::new();
            for item in self.children(child) {
                if self.attribute_item(item, attributes, any) {
                    continue;
                }
                if derivation == Derivation::Restriction {
                    if item.local == "simpleType" {
                        self.reader.warning(
                            codes::UNEXPECTED_ELEMENT,
                            item.name_span,
                            "an inline base type in a simpleContent restriction is not supported: its facets are ignored",
                        );
                        continue;
                    }
                    if let Some(facet) = self.facet(item) {
                        facets.push(facet);
                        continue;
                    }
                }
                self.reader.unexpected(item, child);
            }
            content = Some(SimpleContent { derivation, base, facets });
        }
        match content {
            Some(content) => ContentModel::Simple(content),
            None => {
                self.reader.error(codes::MISSING_REQUIRED, element.name_span, "<simpleContent> needs an <extension> or a <restriction>");
                ContentModel::Empty
            }
        }
    }

    fn complex_content(&mut self, element: &Element, attributes: &mut Vec<AttributeItem>, any: &mut Option<Wildcard>) -> ContentModel {
        let mut content = None;
        for child in self.children(element) {
            let Some(derivation) = Self::derivation_of(child) else {
                self.reader.unexpected(child, element);
                continue;
            };
            if content.is_some() {
                self.reader.error(codes::UNEXPECTED_ELEMENT, child.name_span, "<complexContent> has one <extension> or <restriction>");
                continue;
            }
            let base = self.reader.required_qname(child, "base");
            let mut particle = None;
            for item in self.children(child) {
                match item.local.as_str() {
                    "sequence" | "choice" | "all" | "group" if particle.is_none() => particle = self.particle(item),
                    _ if self.attribute_item(item, attributes, any) => {}
                    _ => self.reader.unexpected(item, child),
                }
            }
            content = Some(ComplexContent { derivation, base, particle });
        }
        match content {
            Some(content) => ContentModel::Complex(content),
            None => {
                self.reader.error(codes::MISSING_REQUIRED, element.name_span, "<complexContent> needs an <extension> or a <restriction>");
                ContentModel::Empty
            }
        }
    }

    fn occurs(&mut self, element: &Element) -> Occurs {
        let mut occurs = Occurs::ONCE;
        if let Some(attribute) = element.attr("minOccurs") {
            match attribute.value.trim().parse::<u32>() {
                Ok(min) => occurs.min = min,
                Err(_) => self.reader.error(codes::INVALID_VALUE, attribute.value_span, "`minOccurs` must be a non-negative integer"),
            }
        }
        if let Some(attribute) = element.attr("maxOccurs") {
            match attribute.value.trim() {
                "unbounded" => occurs.max = MaxOccurs::Unbounded,
                other => match other.parse::<u32>() {
                    Ok(max) => occurs.max = MaxOccurs::Bounded(max),
                    Err(_) => self.reader.error(
                        codes::INVALID_VALUE,
                        attribute.value_span,
                        "`maxOccurs` must be a non-negative integer or `unbounded`",
                    ),
                },
            }
        }
        if let MaxOccurs::Bounded(max) = occurs.max {
            if max < occurs.min {
                let span = element.attr("maxOccurs").map_or(element.name_span, |a| a.value_span);
                self.reader.error(codes::INVALID_VALUE, span, format!("`maxOccurs` ({max}) is less than `minOccurs` ({})", occurs.min));
            }
        }
        occurs
    }

    /// A particle: `element`, `group` (reference), `sequence`, `choice`, `all` or `any`.
    fn particle(&mut self, element: &Element) -> Option<Particle> {
        let occurs = self.occurs(element);
        let term = match element.local.as_str() {
            "element" => match self.reader.qname(element, "ref") {
                Some(name) => Term::ElementRef(name),
                None => Term::Element(Box::new(self.element(element, Level::Local)?)),
            },
            "group" => Term::Group(self.reader.required_qname(element, "ref")?),
            "sequence" => Term::Sequence(self.particles(element)),
            "choice" => Term::Choice(self.particles(element)),
            "all" => Term::All(self.particles(element)),
            "any" => Term::Any(self.wildcard(element)),
            _ => {
                self.reader.error(
                    codes::UNEXPECTED_ELEMENT,
                    element.name_span,
                    format!("<{}> is not a particle", element.qualified_name()),
                );
                return None;
            }
        };
        Some(Particle { span: element.span, occurs, term })
    }

    fn particles(&mut self, element: &Element) -> Vec<Particle> {
        let mut out = Vec::new();
        for child in self.children(element) {
            match child.local.as_str() {
                "element" | "group" | "sequence" | "choice" | "any" => out.extend(self.particle(child)),
                _ => self.reader.unexpected(child, element),
            }
        }
        out
    }

    fn wildcard(&mut self, element: &Element) -> Wildcard {
        let process_contents = match element.attr("processContents") {
            None => ProcessContents::Strict,
            Some(attribute) => match attribute.value.trim() {
                "strict" => ProcessContents::Strict,
                "lax" => ProcessContents::Lax,
                "skip" => ProcessContents::Skip,
                _ => {
                    self.reader.error(codes::INVALID_VALUE, attribute.value_span, "`processContents` must be `strict`, `lax` or `skip`");
                    ProcessContents::Strict
                }
            },
        };
        Wildcard { namespace: element.attr_value("namespace").unwrap_or("##any").trim().to_string(), process_contents }
    }

    fn group_def(&mut self, element: &Element) -> Option<GroupDef> {
        let name = self.reader.required(element, "name")?;
        let mut particle = None;
        for child in self.children(element) {
            match child.local.as_str() {
                "sequence" | "choice" | "all" if particle.is_none() => particle = self.particle(child),
                _ => self.reader.unexpected(child, element),
            }
        }
        Some(GroupDef { name, span: element.span, particle })
    }

    fn attribute_group_def(&mut self, element: &Element) -> Option<AttributeGroupDef> {
        let name = self.reader.required(element, "name")?;
        let mut group = AttributeGroupDef { name, span: element.span, attributes: Vec::new(), any_attribute: None };
        for child in self.children(element) {
            if !self.attribute_item(child, &mut group.attributes, &mut group.any_attribute) {
                self.reader.unexpected(child, element);
            }
        }
        Some(group)
    }

    fn attribute_use(&mut self, element: &Element) -> Option<AttributeUse> {
        let use_ = match element.attr("use") {
            None => AttributeUseKind::Optional,
            Some(attribute) => match attribute.value.trim() {
                "optional" => AttributeUseKind::Optional,
                "required" => AttributeUseKind::Required,
                "prohibited" => AttributeUseKind::Prohibited,
                _ => {
                    self.reader.error(codes::INVALID_VALUE, attribute.value_span, "`use` must be `optional`, `required` or `prohibited`");
                    AttributeUseKind::Optional
                }
            },
        };
        let target = match self.reader.qname(element, "ref") {
            Some(name) => AttributeTarget::Ref {
                name,
                default: element.attr_value("default").map(str::to_string),
                fixed: element.attr_value("fixed").map(str::to_string),
            },
            None => AttributeTarget::Local(self.attribute_decl(element, Level::Local)?),
        };
        Some(AttributeUse { span: element.span, use_, target })
    }

    fn attribute_decl(&mut self, element: &Element, level: Level) -> Option<AttributeDecl> {
        let name = self.reader.required(element, "name")?;
        let namespace = match level {
            Level::Global => self.target_namespace.clone(),
            Level::Local => {
                let form = self.reader.form(element, "form");
                self.qualified_namespace(form, self.attribute_form_default)
            }
        };
        let type_ = match self.reader.qname(element, "type") {
            Some(name) => {
                for child in self.children(element) {
                    self.reader.unexpected(child, element);
                }
                Some(SimpleTypeRef::Named(name))
            }
            None => self.inline_simple_type(element),
        };
        Some(AttributeDecl {
            name,
            span: element.span,
            namespace,
            type_,
            default: element.attr_value("default").map(str::to_string),
            fixed: element.attr_value("fixed").map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse_xml;

    fn read(text: &str) -> (Schema, Vec<Diagnostic>) {
        let doc = parse_xml(text);
        assert!(doc.errors.is_empty(), "{:?}", doc.errors);
        let mut diagnostics = Vec::new();
        let schema = read_schema_document(FileId(0), &doc, &mut diagnostics).expect("a schema");
        (schema, diagnostics)
    }

    const CALCULATOR: &str = r#"<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:calc" xmlns:tns="urn:calc" elementFormDefault="qualified">
        <xsd:complexType name="input">
            <xsd:sequence>
                <xsd:element name="a" type="xsd:int"/>
                <xsd:element name="op" minOccurs="0" maxOccurs="unbounded">
                    <xsd:simpleType><xsd:restriction base="xsd:string"><xsd:enumeration value="ADD"/><xsd:enumeration value="SUB"/></xsd:restriction></xsd:simpleType>
                </xsd:element>
                <xsd:element ref="tns:note"/>
            </xsd:sequence>
            <xsd:attribute name="id" type="xsd:ID" use="required"/>
            <xsd:attributeGroup ref="tns:common"/>
        </xsd:complexType>
        <xsd:element name="note" type="xsd:string"/>
        <xsd:element name="calc" type="tns:input"/>
        <xsd:attributeGroup name="common"><xsd:attribute name="lang" type="xsd:language"/></xsd:attributeGroup>
        <xsd:simpleType name="ints"><xsd:list itemType="xsd:int"/></xsd:simpleType>
        <xsd:simpleType name="intOrDate"><xsd:union memberTypes="xsd:int  xsd:date"/></xsd:simpleType>
    </xsd:schema>"#;

    #[test]
    fn reads_types_elements_and_groups() {
        let (schema, diagnostics) = read(CALCULATOR);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(schema.target_namespace(), Some("urn:calc"));
        assert_eq!(schema.elements.len(), 2);
        assert_eq!(schema.types.len(), 3);
        assert_eq!(schema.attribute_groups.len(), 1);
        let Some(TypeDef::Complex(input)) = schema.type_def("input") else { panic!("complex type") };
        let ContentModel::Particle(Particle { term: Term::Sequence(items), .. }) = &input.content else { panic!("sequence") };
        assert_eq!(items.len(), 3);
        let Term::Element(op) = &items[1].term else { panic!("local element") };
        assert_eq!(op.namespace.as_deref(), Some("urn:calc"));
        assert_eq!(items[1].occurs, Occurs { min: 0, max: MaxOccurs::Unbounded });
        let Term::ElementRef(note) = &items[2].term else { panic!("ref") };
        assert_eq!(note.name, Some(QName::new(Some("urn:calc"), "note")));
        assert_eq!(input.attributes.len(), 2);
        let Some(TypeDef::Simple(SimpleTypeDef { variety: SimpleVariety::Union(members), .. })) = schema.type_def("intOrDate") else {
            panic!("union")
        };
        let spans: Vec<&str> = members
            .iter()
            .map(|m| match m {
                SimpleTypeRef::Named(n) => n.span.slice(CALCULATOR),
                SimpleTypeRef::Inline(_) => "",
            })
            .collect();
        assert_eq!(spans, ["xsd:int", "xsd:date"]);
    }

    #[test]
    fn reports_precisely_and_keeps_going() {
        let text = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t">
            <xs:element type="xs:int"/>
            <xs:elemnt name="typo"/>
            <xs:element name="e" type="q:t" minOccurs="x"/>
            <xs:simpleType name="s"><xs:restriction base="xs:int"><xs:minInclusive/></xs:restriction></xs:simpleType>
            <xs:element name="ok" type="xs:string"/>
        </xs:schema>"#;
        let (schema, diagnostics) = read(text);
        let found: Vec<(&str, &str)> = diagnostics.iter().map(|d| (d.code, d.span.slice(text))).collect();
        assert!(found.contains(&(codes::MISSING_REQUIRED, "xs:element")), "{found:?}");
        assert!(found.contains(&(codes::UNEXPECTED_ELEMENT, "xs:elemnt")), "{found:?}");
        assert!(found.contains(&(codes::UNBOUND_PREFIX, "q:t")), "{found:?}");
        assert!(found.contains(&(codes::MISSING_REQUIRED, "xs:minInclusive")), "{found:?}");
        assert!(schema.element("ok").is_some());
        assert!(schema.element("e").is_some());
    }
}
