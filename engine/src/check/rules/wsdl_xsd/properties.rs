//! Variable properties (`vprop:property`) and their aliases: how they are declared (SA00019,
//! SA00020, SA00022), that correlation sets use simple-typed ones (SA00045), and that every use of
//! a property finds an alias for the type it is applied to (SA00021).

use super::{Rule, RuleContext};
use crate::check::rules::Tier;
use crate::diagnostic::Diagnostic;
use crate::model::process::{ActivityKind, AssignOperation, CorrelationPattern, CorrelationSet, Name, ScopeDecls};
use crate::model::wsdl::{Message, Operation, Property, PropertyAlias};
use crate::model::xsd::{BuiltinType, ElementType, TypeDef};
use crate::model::{QName, QNameRef};
use crate::parse::loader::Def;
use crate::parse::Definitions;
use crate::resolve::{message_activities, start_tag_name, DeclaredType, MessageActivity, ProcessDefinitions};
use crate::span::Span;

pub(super) const SA00019: Rule = Rule {
    code: "SA00019",
    tier: Tier::Wsdl,
    summary: "A vprop:property has both a type and an element, or neither.",
    why: "A property's value is typed either by an XML Schema type or by a global element, exactly one \
          of the two; without it the value has no type, with both it has two.",
    failing: r#"<vprop:property name="orderId"/>"#,
    fixed: r#"<vprop:property name="orderId" type="xsd:string"/>"#,
    check: check_property_declarations,
};

pub(super) const SA00020: Rule = Rule {
    code: "SA00020",
    tier: Tier::Wsdl,
    summary: "A vprop:propertyAlias does not use exactly one of messageType with part, type, or element.",
    why: "An alias says where a property's value lives in one kind of variable: a part of a message \
          (`messageType` and `part`), a value of a type (`type`), or an element (`element`). Any other \
          combination names no variable kind, or several.",
    failing: r#"<vprop:propertyAlias propertyName="tns:orderId" messageType="tns:orderRequest"
    type="xsd:string"/>"#,
    fixed: r#"<vprop:propertyAlias propertyName="tns:orderId" messageType="tns:orderRequest" part="order">
  <vprop:query>id</vprop:query>
</vprop:propertyAlias>"#,
    check: check_alias_forms,
};

pub(super) const SA00021: Rule = Rule {
    code: "SA00021",
    tier: Tier::Wsdl,
    summary: "A property is used on a variable or message for whose type no directly imported WSDL has a propertyAlias.",
    why: "A property is an abstract name; only a propertyAlias says where its value is in a variable of \
          a given message type, type or element. Reading a property of a variable (from/to `property`), \
          or correlating a message on a correlation set, needs an alias for that type in a WSDL the \
          process imports itself.",
    failing: r#"<correlationSet name="order" properties="tns:orderId"/>
<!-- no alias of tns:orderId for message tns:orderRequest -->
<receive partnerLink="client" operation="order" variable="req">
  <correlations><correlation set="order" initiate="yes"/></correlations>
</receive>"#,
    fixed: r#"<!-- in the imported WSDL -->
<vprop:propertyAlias propertyName="tns:orderId" messageType="tns:orderRequest" part="order">
  <vprop:query>id</vprop:query>
</vprop:propertyAlias>"#,
    check: check_alias_coverage,
};

pub(super) const SA00022: Rule = Rule {
    code: "SA00022",
    tier: Tier::Wsdl,
    summary: "Two propertyAliases map the same property for the same message type, type or element.",
    why: "A property must have one value in a variable. Two aliases for the same property and the same \
          variable type could point at different places, and the process could not tell which holds.",
    failing: r#"<vprop:propertyAlias propertyName="tns:orderId" element="tns:order"><vprop:query>id</vprop:query></vprop:propertyAlias>
<vprop:propertyAlias propertyName="tns:orderId" element="tns:order"><vprop:query>ref</vprop:query></vprop:propertyAlias>"#,
    fixed: r#"<vprop:propertyAlias propertyName="tns:orderId" element="tns:order"><vprop:query>id</vprop:query></vprop:propertyAlias>"#,
    check: check_duplicate_aliases,
};

pub(super) const SA00045: Rule = Rule {
    code: "SA00045",
    tier: Tier::Schema,
    summary: "A correlation set uses a property that is not of an XML Schema simple type.",
    why: "Correlation compares property values to route messages to instances; only simple values (strings, \
          numbers...) compare reliably, so the properties of a correlation set must have simple types.",
    failing: r#"<vprop:property name="customer" type="tns:CustomerType"/> <!-- a complexType -->
<correlationSet name="byCustomer" properties="tns:customer"/>"#,
    fixed: r#"<vprop:property name="customerId" type="xsd:string"/>
<correlationSet name="byCustomer" properties="tns:customerId"/>"#,
    check: check_correlation_property_types,
};

fn properties<'a>(definitions: &'a Definitions) -> impl Iterator<Item = Def<'a, Property>> {
    definitions.documents().iter().flat_map(|document| {
        let wsdl = document.wsdl.as_ref();
        let namespace = wsdl.and_then(|w| w.target_namespace());
        wsdl.map(|w| w.properties.as_slice()).unwrap_or_default().iter().map(move |item| Def { document, item, namespace })
    })
}

// SA00019 -----------------------------------------------------------------------------------------

fn check_property_declarations(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for property in properties(cx.definitions) {
        let problem = match (&property.type_, &property.element) {
            (Some(_), Some(_)) => "has both a type and an element",
            (None, None) => "has neither a type nor an element",
            _ => continue,
        };
        out.push(
            Diagnostic::error(SA00019.code, property.file(), property.name.span, format!("property `{}` {problem}", property.name.value))
                .with_help("give a property exactly one of `type` (an XML Schema type) and `element` (a global element)"),
        );
    }
}

// SA00020 -----------------------------------------------------------------------------------------

fn check_alias_forms(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for alias in cx.definitions.all_property_aliases() {
        let present: Vec<&str> = [
            ("messageType", alias.message_type.is_some()),
            ("part", alias.part.is_some()),
            ("type", alias.type_.is_some()),
            ("element", alias.element.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, is_present)| is_present.then_some(name))
        .collect();
        if matches!(present.as_slice(), ["messageType", "part"] | ["type"] | ["element"]) {
            continue;
        }
        let property = alias.property_name.as_ref().map_or("", |p| p.text.as_str());
        let has = if present.is_empty() { "none of them".to_string() } else { super::listing(present) };
        out.push(
            Diagnostic::error(
                SA00020.code,
                alias.file(),
                start_tag_name(&alias.document.text, alias.span),
                format!("the propertyAlias of `{property}` must use exactly one of messageType with part, type, or element; it has {has}"),
            )
            .with_help("messageType and part map a message part; type maps a value of an XML Schema type; element maps an element"),
        );
    }
}

// SA00022 -----------------------------------------------------------------------------------------

/// What an alias applies to: the kind of variable type and its name.
fn alias_target(alias: &PropertyAlias) -> Option<(&'static str, &QName)> {
    fn by<'a>(kind: &'static str, reference: &'a Option<QNameRef>) -> Option<(&'static str, &'a QName)> {
        Some((kind, reference.as_ref()?.name.as_ref()?))
    }
    by("message type", &alias.message_type).or_else(|| by("type", &alias.type_)).or_else(|| by("element", &alias.element))
}

fn check_duplicate_aliases(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let aliases: Vec<Def<'_, PropertyAlias>> = cx.definitions.all_property_aliases().collect();
    // (property, target kind, target), position: sorted, a duplicate follows the first alias of its key.
    let mut keys: Vec<((&QName, &str, &QName), usize)> = aliases
        .iter()
        .enumerate()
        .filter_map(|(position, alias)| {
            let item: &PropertyAlias = alias.item;
            let property = item.property_name.as_ref()?.name.as_ref()?;
            let (kind, target) = alias_target(item)?;
            Some(((property, kind, target), position))
        })
        .collect();
    keys.sort_unstable();
    let mut first_of_key = 0;
    for (index, (key, position)) in keys.iter().enumerate() {
        let (first_key, first) = keys[first_of_key];
        if index == first_of_key || first_key != *key {
            first_of_key = index;
            continue;
        }
        let (property, kind, target) = key;
        let (first, alias) = (&aliases[first], &aliases[*position]);
        out.push(
            Diagnostic::error(
                SA00022.code,
                alias.file(),
                start_tag_name(&alias.document.text, alias.span),
                format!("property `{}` has a second propertyAlias for {kind} `{}`", property.local, target.local),
            )
            .with_help("keep one alias per property and variable type")
            .with_related(first.file(), start_tag_name(&first.document.text, first.span), "the first alias"),
        );
    }
}

// SA00045 -----------------------------------------------------------------------------------------

/// Every correlation set of the process and its scopes.
fn correlation_sets<'a>(cx: &RuleContext<'a>) -> Vec<&'a CorrelationSet> {
    let scopes = std::iter::once(&cx.process.scope).chain(cx.process.activities.iter().filter_map(|a| match &a.kind {
        ActivityKind::Scope(scope) => Some(&scope.decls),
        _ => None,
    }));
    scopes.flat_map(|decls: &ScopeDecls| decls.correlation_sets.iter()).collect()
}

fn check_correlation_property_types(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for set in correlation_sets(cx) {
        for reference in &set.properties {
            let Some(property) = reference.name.as_ref().and_then(|name| cx.definitions.property(name)) else { continue };
            let Some(problem) = not_simple(cx.definitions, property.item) else { continue };
            let set_name = set.name.as_ref().map_or("", |n| n.value.as_str());
            out.push(
                Diagnostic::error(
                    SA00045.code,
                    cx.file,
                    reference.span,
                    format!("property `{}` of correlation set `{set_name}` {problem}", reference.text),
                )
                .with_help("correlation properties must have an XML Schema simple type (xsd:string, xsd:int, a simpleType...)")
                .with_related(property.file(), property.name.span, "the property is defined here"),
            );
        }
    }
}

/// Why the property's values are not of a simple type, or `None` when they are (or the type is
/// not known: a missing definition is reported elsewhere).
fn not_simple(definitions: &Definitions, property: &Property) -> Option<String> {
    match (&property.type_, &property.element) {
        (Some(type_), _) => {
            let name = type_.name.as_ref()?;
            (!is_simple_type(definitions, name)?).then(|| format!("has the complex type `{}`", type_.text))
        }
        (None, Some(element)) => {
            let declaration = definitions.element(element.name.as_ref()?)?;
            let simple = match &declaration.type_ {
                ElementType::Named(name) => is_simple_type(definitions, name.name.as_ref()?)?,
                ElementType::Anonymous(type_def) => type_def.is_simple(),
                ElementType::Unspecified if declaration.substitution_group.is_some() => return None,
                ElementType::Unspecified => false,
            };
            (!simple).then(|| format!("is the element `{}`, which has complex content", element.text))
        }
        (None, None) => Some("has no type".to_string()),
    }
}

fn is_simple_type(definitions: &Definitions, name: &QName) -> Option<bool> {
    match BuiltinType::from_qname(name) {
        Some(builtin) => Some(builtin.is_simple()),
        None => definitions.type_def(name).map(|def| matches!(def.item, TypeDef::Simple(_))),
    }
}

// SA00021 -----------------------------------------------------------------------------------------

/// The variable types a property use applies to, and whether a directly imported alias covers one.
struct AliasLookup<'a> {
    definitions: &'a Definitions,
}

impl<'a> AliasLookup<'a> {
    /// The aliases of `property` in the documents the process imports itself.
    fn direct_aliases(&self, property: &QName) -> impl Iterator<Item = Def<'a, PropertyAlias>> + 'a {
        let definitions = self.definitions;
        definitions.property_aliases(property).filter(move |alias| definitions.is_root(alias.file()))
    }

    fn covers_variable(&self, property: &QName, declared: DeclaredType<'_>) -> Option<bool> {
        let (kind, name) = match declared {
            DeclaredType::Message(r) => ("message type", r.name.as_ref()?),
            DeclaredType::Element(r) => ("element", r.name.as_ref()?),
            DeclaredType::Type(r) => ("type", r.name.as_ref()?),
            DeclaredType::Counter | DeclaredType::Unknown => return None,
        };
        Some(self.direct_aliases(property).any(|alias| alias_target(alias.item) == Some((kind, name))))
    }

    /// Whether an alias maps `property` for `message`: by its message type, or by the element or
    /// type of one of its parts (the forms a received message can be stored in).
    fn covers_message(&self, property: &QName, message: &Def<'_, Message>) -> bool {
        let message_name = message.qname();
        self.direct_aliases(property).any(|alias| match alias_target(alias.item) {
            Some(("message type", name)) => *name == message_name,
            Some(("element", name)) => message.parts.iter().any(|p| p.element.as_ref().and_then(|e| e.name.as_ref()) == Some(name)),
            Some(("type", name)) => message.parts.iter().any(|p| p.type_.as_ref().and_then(|t| t.name.as_ref()) == Some(name)),
            _ => false,
        })
    }
}

fn check_alias_coverage(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let index = ProcessDefinitions::new(cx.process, cx.definitions, cx.symbols);
    let aliases = AliasLookup { definitions: cx.definitions };
    property_reads(cx, &index, &aliases, out);
    correlated_messages(cx, &index, &aliases, out);
}

/// `<from variable="v" property="p"/>` and `<to ...>`.
fn property_reads(cx: &RuleContext<'_>, index: &ProcessDefinitions<'_>, aliases: &AliasLookup<'_>, out: &mut Vec<Diagnostic>) {
    let copies = cx.process.activities.iter().filter_map(|a| match &a.kind {
        ActivityKind::Assign(assign) => Some(assign.operations.iter()),
        _ => None,
    });
    for operation in copies.flatten() {
        let AssignOperation::Copy(copy) = operation else { continue };
        let from = copy.from.as_ref().map(|f| (&f.variable, &f.property));
        let to = copy.to.as_ref().map(|t| (&t.variable, &t.property));
        for (variable, property) in from.into_iter().chain(to) {
            let (Some(variable), Some(property)) = (variable, property) else { continue };
            property_of_variable(cx, index, aliases, variable, property, out);
        }
    }
}

fn property_of_variable(
    cx: &RuleContext<'_>,
    index: &ProcessDefinitions<'_>,
    aliases: &AliasLookup<'_>,
    variable: &Name,
    property: &QNameRef,
    out: &mut Vec<Diagnostic>,
) {
    let Some(name) = &property.name else { return };
    if cx.definitions.property(name).is_none() {
        return; // SA00010
    }
    let Some(declared) = index.variable_type(variable) else { return };
    if aliases.covers_variable(name, declared) != Some(false) {
        return;
    }
    let type_text = match declared {
        DeclaredType::Message(r) => format!("message type `{}`", r.text),
        DeclaredType::Element(r) => format!("element `{}`", r.text),
        DeclaredType::Type(r) => format!("type `{}`", r.text),
        DeclaredType::Counter | DeclaredType::Unknown => return,
    };
    out.push(missing_alias(
        cx,
        aliases,
        name,
        property.span,
        format!("no directly imported WSDL has a propertyAlias of `{}` for {type_text} (variable `{}`)", property.text, variable.value),
    ));
}

fn missing_alias(cx: &RuleContext<'_>, aliases: &AliasLookup<'_>, property: &QName, span: Span, message: String) -> Diagnostic {
    let mut diagnostic = Diagnostic::error(SA00021.code, cx.file, span, message)
        .with_help("add a <vprop:propertyAlias> for this type to a WSDL that the process imports directly");
    if let Some(indirect) = aliases.definitions.property_aliases(property).find(|a| !aliases.definitions.is_root(a.file())) {
        diagnostic = diagnostic.with_related(
            indirect.file(),
            start_tag_name(&indirect.document.text, indirect.span),
            "an alias of this property in a document the process imports only indirectly",
        );
    }
    diagnostic
}

/// The correlations of message activities: every property of the set must have an alias for each
/// message the correlation applies to.
fn correlated_messages(cx: &RuleContext<'_>, index: &ProcessDefinitions<'_>, aliases: &AliasLookup<'_>, out: &mut Vec<Diagnostic>) {
    for activity in message_activities(cx.process) {
        if activity.correlations().is_empty() {
            continue;
        }
        let Some(operation) = index.operation(&activity) else { continue };
        for correlation in activity.correlations() {
            let Some(set_name) = &correlation.set else { continue };
            let Some(set) = index.correlation_set(set_name) else { continue };
            let pattern = correlation.pattern.as_ref().map(|p| p.value);
            for message in correlated(index, &activity, &operation, pattern) {
                for reference in &set.properties {
                    let Some(property) = reference.name.as_ref() else { continue };
                    if cx.definitions.property(property).is_none() || aliases.covers_message(property, &message) {
                        continue;
                    }
                    out.push(missing_alias(
                        cx,
                        aliases,
                        property,
                        set_name.span,
                        format!(
                            "correlation set `{}` uses property `{}`, but no directly imported WSDL has a propertyAlias of it for message `{}` of operation `{}`",
                            set_name.value, reference.text, message.name.value, operation.name.value
                        ),
                    ));
                }
            }
        }
    }
}

/// The messages a correlation of `activity` applies to.
fn correlated<'a>(
    index: &ProcessDefinitions<'a>,
    activity: &MessageActivity<'_>,
    operation: &Def<'a, Operation>,
    pattern: Option<CorrelationPattern>,
) -> Vec<Def<'a, Message>> {
    let input = || operation.item.input.as_ref().and_then(|m| index.message(m.message.as_ref()));
    let output = || operation.item.output.as_ref().and_then(|m| index.message(m.message.as_ref()));
    let messages = match (activity, pattern) {
        (MessageActivity::Reply(_, reply), _) => match &reply.fault_name {
            Some(fault) => {
                let fault = fault.name.as_ref().and_then(|name| operation.item.fault(&name.local));
                vec![fault.and_then(|f| index.message(f.message.as_ref()))]
            }
            None => vec![output()],
        },
        (MessageActivity::Invoke(..), Some(CorrelationPattern::Request)) => vec![input()],
        (MessageActivity::Invoke(..), Some(CorrelationPattern::Response)) => vec![output()],
        (MessageActivity::Invoke(..), Some(CorrelationPattern::RequestResponse)) => vec![input(), output()],
        (MessageActivity::Invoke(..), None) if operation.is_one_way() => vec![input()],
        (MessageActivity::Invoke(..), None) => vec![], // a pattern is missing: SA00046
        _ => vec![input()],
    };
    messages.into_iter().flatten().collect()
}
