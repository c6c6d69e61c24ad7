//! `<assign>` and its `<copy>` operations (WS-BPEL 2.0 §8.4) as functions on values.
//!
//! A copy evaluates its from-spec to a [`Source`], its to-spec to a [`Target`], then replaces
//! (§8.4.2):
//!
//! | source \ target | element | attribute, text |
//! |---|---|---|
//! | element | the target keeps its name (the source's with `keepSrcElementName="yes"`) and takes the source's attributes and children | the source's string value |
//! | attribute, text, string, number, boolean | the target keeps its name and attributes; its children become one text node | the string value |
//!
//! Whole variables and parts are element targets; a message variable takes only a message of its
//! own type, and a message fits nothing else (`mismatchedAssignmentFailure`). A to-spec that
//! writes into a variable or part that is not initialized yet starts from its skeleton (the
//! declared element, empty; see [`VarType::skeleton`]), so `<to variable="v" part="p"><query>.`
//! initializes the part, as betsy's Assign-To-Query expects; a query that selects nothing in it is
//! a `selectionFailure`. Reading an uninitialized variable or part is `uninitializedVariable`.
//!
//! An assign is atomic: [`assign`] runs its copies against a [`Staged`] view and commits only when
//! all succeed (and, with `validate="yes"`, the changed variables are valid).

use serde::{Deserialize, Serialize};

use super::dom as xdom;
use super::types::{PartKind, VarType};
use super::validate::validate_variable;
use super::value::{Message, Value, XmlAttribute, XmlElement, XmlNode, MAX_DEPTH};
use super::xpath::compile::{Compiled, CompiledExpressions};
use super::xpath::evaluate::{evaluate, evaluate_locations, property_node, XPathEnv};
use super::xpath::interface::{Location, NodeValue, QueryContext, VariableRef, Variables, XPathValue};
use crate::fault::{Fault, StandardFault};
use crate::model::process::{Assign, AssignOperation, Copy, Expression, From, FromForm, Role, To};
use crate::model::QName;
use crate::parse::Definitions;
use crate::source::FileId;
use crate::syntax::NamespaceScopes;

/// The namespace of `sref:service-ref`.
pub const SREF_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/serviceref";
/// WS-Addressing 1.0 (and the two member submissions engines still send).
pub const WSA_NS: &str = "http://www.w3.org/2005/08/addressing";
const WSA_OLD_NS: [&str; 2] = ["http://schemas.xmlsoap.org/ws/2004/08/addressing", "http://schemas.xmlsoap.org/ws/2004/03/addressing"];
const WSDL_NS: &str = "http://schemas.xmlsoap.org/wsdl/";

/// Where copies read and write: variables, and partner link endpoints.
pub trait Store {
    fn variables(&self) -> &dyn Variables;

    /// Replaces the value of the variable `name` (visible where the assign is).
    fn set_variable(&mut self, name: &str, value: Value) -> Result<(), Fault>;

    /// The endpoint of a partner link's role, for `<from partnerLink= endpointReference=>`
    /// (`uninitializedPartnerRole` when the partner role has no endpoint yet).
    fn endpoint_reference(&self, partner_link: &str, role: Role) -> Result<EndpointReference, Fault>;

    /// Sets a partner link's partner role endpoint (`<to partnerLink=>`).
    fn set_partner_endpoint(&mut self, partner_link: &str, endpoint: EndpointReference) -> Result<(), Fault>;
}

/// A partner endpoint as WS-BPEL assigns it: a WS-Addressing endpoint reference wrapped in
/// `sref:service-ref` (§6.3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndpointReference {
    /// The address messages are sent to.
    pub address: String,
    /// The reference as received (a `wsa:EndpointReference`, or a `wsdl:service`), kept to give
    /// back what was assigned, reference parameters included.
    pub reference: Option<XmlElement>,
}

impl EndpointReference {
    pub fn new(address: &str) -> EndpointReference {
        EndpointReference { address: address.to_string(), reference: None }
    }

    /// The reference as `<sref:service-ref><wsa:EndpointReference><wsa:Address>`.
    pub fn to_service_ref(&self) -> XmlElement {
        let mut service_ref = XmlElement::new(Some(SREF_NS), "service-ref");
        service_ref.prefix = Some("sref".to_string());
        let reference = self.reference.clone().unwrap_or_else(|| {
            let mut epr = XmlElement::new(Some(WSA_NS), "EndpointReference");
            epr.prefix = Some("wsa".to_string());
            let mut address = XmlElement::with_text(Some(WSA_NS), "Address", &self.address);
            address.prefix = Some("wsa".to_string());
            epr.children.push(XmlNode::Element(address));
            epr
        });
        service_ref.children.push(XmlNode::Element(reference));
        service_ref
    }

    /// Reads a `sref:service-ref` (or a bare `wsa:EndpointReference`). Any other content — a
    /// reference scheme this engine does not know — is `unsupportedReference`.
    pub fn from_service_ref(element: &XmlElement) -> Result<EndpointReference, Fault> {
        let unsupported = |why: &str| Fault::standard(StandardFault::UnsupportedReference, why.to_string());
        let reference = if element.is(Some(SREF_NS), "service-ref") {
            let mut children = element.child_elements();
            match (children.next(), children.next()) {
                (Some(reference), None) if element.text().trim().is_empty() => reference,
                _ => return Err(unsupported("a sref:service-ref holds exactly one endpoint reference element")),
            }
        } else {
            element
        };
        let namespace = reference.namespace.as_deref().unwrap_or("");
        let is_wsa = namespace == WSA_NS || WSA_OLD_NS.contains(&namespace);
        let address = if is_wsa && reference.local == "EndpointReference" {
            reference.child_elements().find(|c| c.local == "Address" && c.namespace.as_deref() == Some(namespace)).map(|a| a.text())
        } else if reference.is(Some(WSDL_NS), "service") {
            reference
                .child_elements()
                .filter(|port| port.is(Some(WSDL_NS), "port"))
                .flat_map(|port| port.child_elements())
                .find(|address| address.local == "address")
                .and_then(|address| address.attribute(None, "location").map(str::to_string))
        } else {
            None
        };
        match address.map(|a| a.trim().to_string()).filter(|a| !a.is_empty()) {
            Some(address) => Ok(EndpointReference { address, reference: Some(reference.clone()) }),
            None => Err(unsupported(&format!(
                "the endpoint reference <{}> in namespace `{namespace}` is not supported: use a WS-Addressing EndpointReference with an Address",
                reference.local
            ))),
        }
    }
}

/// What a copy needs besides the store: where its expressions are compiled and the definitions
/// for `validate="yes"`.
#[derive(Clone, Copy)]
pub struct CopyEnv<'a> {
    /// The process file (the key of its compiled expressions).
    pub file: FileId,
    /// The process's namespace declarations.
    pub scopes: &'a NamespaceScopes,
    pub compiled: &'a CompiledExpressions,
    pub xpath: XPathEnv<'a>,
    /// For `<assign validate="yes">`; without definitions no validation is done.
    pub definitions: Option<&'a Definitions>,
}

/// The value a from-spec gives.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    Element(XmlElement),
    Attribute(XmlAttribute),
    /// A text node, or a string, number or boolean as its XPath string value.
    Text(String),
    Message(Message),
}

impl Source {
    pub fn string_value(&self) -> String {
        match self {
            Source::Element(element) => element.string_value(),
            Source::Attribute(attribute) => attribute.value.clone(),
            Source::Text(text) => text.clone(),
            Source::Message(message) => message.parts.iter().map(|p| p.value.string_value()).collect(),
        }
    }

    fn from_node(node: NodeValue) -> Source {
        match node {
            NodeValue::Element(element) => Source::Element(element),
            NodeValue::Attribute(attribute) => Source::Attribute(attribute),
            NodeValue::Text(text) | NodeValue::Other(text) => Source::Text(text),
        }
    }
}

/// What a to-spec designates.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    Variable(String),
    Part {
        variable: String,
        part: String,
    },
    /// A node inside a variable (or part) value.
    Node(Location),
    PartnerLink(String),
}

fn fault(kind: StandardFault, message: impl Into<String>) -> Fault {
    Fault::standard(kind, message)
}

/// Runs the copies of an assign atomically: either every copy succeeds (and, with
/// `validate="yes"`, every changed variable is valid) and all changes are committed to `store`, or
/// the first fault is returned and nothing changed.
pub fn assign<S: Store + ?Sized>(env: CopyEnv<'_>, store: &mut S, assign: &Assign) -> Result<(), Fault> {
    let validate = assign.validate.as_ref().is_some_and(|v| v.value) && env.definitions.is_some();
    if let ([AssignOperation::Copy(copy)], false) = (assign.operations.as_slice(), validate) {
        // One copy is atomic by itself: it writes only once everything is evaluated and checked.
        return execute_copy(env, store, copy);
    }
    let changes = stage(env, store, assign)?;
    let Changes { variables, endpoints } = changes;
    for (name, value) in variables {
        store.set_variable(&name, value)?;
    }
    for (name, endpoint) in endpoints {
        store.set_partner_endpoint(&name, endpoint)?;
    }
    Ok(())
}

/// Runs the copies of an assign without changing `store`: what they would change.
pub fn stage<S: Store + ?Sized>(env: CopyEnv<'_>, store: &S, assign: &Assign) -> Result<Changes, Fault> {
    let mut staged = Staged::new(store);
    for operation in &assign.operations {
        match operation {
            AssignOperation::Copy(copy) => execute_copy(env, &mut staged, copy)?,
            AssignOperation::Extension(_) => {
                return Err(fault(StandardFault::SubLanguageExecutionFault, "extension assign operations are not supported"));
            }
        }
    }
    if assign.validate.as_ref().is_some_and(|v| v.value) {
        if let Some(definitions) = env.definitions {
            for (name, _) in &staged.variables {
                if let Some(variable) = staged.variable(name) {
                    validate_variable(definitions, name, variable.ty, variable.value)?;
                }
            }
        }
    }
    Ok(staged.into_changes())
}

/// One `<copy>`: evaluates the from-spec, then the to-spec, then replaces.
pub fn execute_copy<S: Store + ?Sized>(env: CopyEnv<'_>, store: &mut S, copy: &Copy) -> Result<(), Fault> {
    let (Some(from), Some(to)) = (&copy.from, &copy.to) else {
        return Err(fault(StandardFault::SubLanguageExecutionFault, "a copy needs a from-spec and a to-spec"));
    };
    let ignore_missing = copy.ignore_missing_from_data.as_ref().is_some_and(|v| v.value);
    let keep_name = copy.keep_src_element_name.as_ref().is_some_and(|v| v.value);
    let ignore_uninitialized = copy.ignore_uninitialized_from_variable.as_ref().is_some_and(|v| v.value);
    let source = match evaluate_from(env, &*store, from, ignore_missing) {
        Err(fault) if ignore_uninitialized && fault.is(StandardFault::UninitializedVariable) => return Ok(()),
        other => other?,
    };
    let Some(source) = source else {
        return Ok(());
    };
    if let (Some(variable), None, None, None) = (&to.variable, &to.query, &to.property, &to.partner_link) {
        let part = to.part.as_ref().map(|p| p.value.as_str());
        return apply_whole(store, source, &variable.value, part, keep_name);
    }
    let target = resolve_to(env, store.variables(), to)?;
    apply(store, source, &target, keep_name)
}

/// Evaluates a from-spec. `Ok(None)`: it selected no node and `ignore_missing` is set.
pub fn evaluate_from<S: Store + ?Sized>(env: CopyEnv<'_>, store: &S, from: &From, ignore_missing: bool) -> Result<Option<Source>, Fault> {
    let vars = store.variables();
    match from.form() {
        FromForm::Literal => {
            let Some(literal) = &from.literal else { return Ok(None) };
            literal_source(&literal.element, env.scopes).map(Some)
        }
        FromForm::PartnerLink => {
            let name = from.partner_link.as_ref().map(|n| n.value.as_str()).unwrap_or_default();
            let role = from.endpoint_reference.as_ref().map_or(Role::PartnerRole, |r| r.value);
            Ok(Some(Source::Element(store.endpoint_reference(name, role)?.to_service_ref())))
        }
        FromForm::Property => {
            let variable = from.variable.as_ref().map(|n| n.value.as_str()).unwrap_or_default();
            let property = qname_of(from.property.as_ref())?;
            let (node, _) = property_node(vars, env.xpath, variable, &property)?;
            Ok(Some(Source::from_node(node.node)))
        }
        FromForm::VariablePart => {
            let variable = from.variable.as_ref().map(|n| n.value.as_str()).unwrap_or_default();
            let part = from.part.as_ref().map(|n| n.value.as_str());
            match &from.query {
                None => variable_source(vars, variable, part).map(Some),
                Some(query) => {
                    let element = read_element(vars, variable, part)?;
                    let compiled = env.compiled.query(env.file, query, env.scopes);
                    let context = QueryContext { element, variable: Some(variable), part };
                    let value = evaluate(&compiled, vars, env.xpath, Some(context))?;
                    single(value, compiled.text(), ignore_missing)
                }
            }
        }
        FromForm::Expression => {
            let Some(expression) = &from.expression else { return Ok(None) };
            let compiled = env.compiled.expression(env.file, expression, env.scopes);
            let value = evaluate(&compiled, vars, env.xpath, None)?;
            single(value, compiled.text(), ignore_missing)
        }
        FromForm::Empty => Err(fault(StandardFault::SubLanguageExecutionFault, "the from-spec is empty")),
    }
}

fn qname_of(reference: Option<&crate::model::QNameRef>) -> Result<QName, Fault> {
    reference
        .and_then(|r| r.name.clone())
        .ok_or_else(|| fault(StandardFault::SubLanguageExecutionFault, "the property name is missing or its prefix is not declared"))
}

/// The one node (or the value) an expression or query gave.
fn single(value: XPathValue, text: &str, ignore_missing: bool) -> Result<Option<Source>, Fault> {
    match value {
        XPathValue::Nodes(mut nodes) => match nodes.len() {
            1 => Ok(Some(Source::from_node(nodes.remove(0).node))),
            0 if ignore_missing => Ok(None),
            count => Err(fault(StandardFault::SelectionFailure, format!("`{text}` selects {count} nodes; a copy needs exactly one"))),
        },
        other => Ok(Some(Source::Text(other.string()))),
    }
}

/// A `<literal>`: one element (whitespace around it aside), or text.
pub fn literal_source(literal: &crate::syntax::Element, scopes: &NamespaceScopes) -> Result<Source, Fault> {
    let mut elements = literal.child_elements();
    match (elements.next(), elements.next()) {
        (None, _) => Ok(Source::Text(literal.text())),
        (Some(element), None) if literal.text().trim().is_empty() => Ok(Source::Element(XmlElement::from_syntax(element, scopes))),
        _ => Err(fault(StandardFault::SelectionFailure, "a literal holds one element or only text")),
    }
}

fn variable_ref<'v>(vars: &'v dyn Variables, variable: &str) -> Result<VariableRef<'v>, Fault> {
    vars.variable(variable).ok_or_else(|| fault(StandardFault::SubLanguageExecutionFault, format!("no variable `{variable}` is in scope")))
}

fn uninitialized(variable: &str, part: Option<&str>) -> Fault {
    match part {
        Some(part) => fault(StandardFault::UninitializedVariable, format!("the part `{part}` of variable `{variable}` is not initialized")),
        None => fault(StandardFault::UninitializedVariable, format!("the variable `{variable}` is not initialized")),
    }
}

/// The element a variable (or a part of it) holds, for reading.
fn read_element<'v>(vars: &'v dyn Variables, variable: &str, part: Option<&str>) -> Result<&'v XmlElement, Fault> {
    let found = variable_ref(vars, variable)?;
    let value = found.value.ok_or_else(|| uninitialized(variable, None))?;
    match (value, part) {
        (Value::Message(message), Some(part)) => {
            check_part(found.ty, variable, part)?;
            message.part(part).ok_or_else(|| uninitialized(variable, Some(part)))
        }
        (Value::Element(element), None) => Ok(element),
        (Value::Message(_), None) => {
            Err(fault(StandardFault::SelectionFailure, format!("a query on the message variable `{variable}` needs a part")))
        }
        (Value::Element(_), Some(part)) => {
            Err(fault(StandardFault::SubLanguageExecutionFault, format!("`{variable}` is not a message variable and has no part `{part}`")))
        }
    }
}

fn check_part(ty: &VarType, variable: &str, part: &str) -> Result<(), Fault> {
    match ty {
        VarType::Message(message) if message.part(part).is_some() => Ok(()),
        VarType::Message(message) => Err(fault(
            StandardFault::SubLanguageExecutionFault,
            format!("the message type {} of `{variable}` has no part `{part}`", message.name),
        )),
        _ => {
            Err(fault(StandardFault::SubLanguageExecutionFault, format!("`{variable}` is not a message variable and has no part `{part}`")))
        }
    }
}

fn variable_source(vars: &dyn Variables, variable: &str, part: Option<&str>) -> Result<Source, Fault> {
    let found = variable_ref(vars, variable)?;
    match (found.value, part) {
        (None, _) => Err(uninitialized(variable, None)),
        (Some(Value::Message(message)), None) => Ok(Source::Message(message.clone())),
        (Some(_), _) => read_element(vars, variable, part).map(|e| Source::Element(e.clone())),
    }
}

/// Resolves a to-spec. Queries and expressions into uninitialized variables see their skeletons.
pub fn resolve_to(env: CopyEnv<'_>, vars: &dyn Variables, to: &To) -> Result<Target, Fault> {
    if let Some(partner_link) = &to.partner_link {
        return Ok(Target::PartnerLink(partner_link.value.clone()));
    }
    if let Some(variable) = &to.variable {
        let variable = variable.value.as_str();
        let found = variable_ref(vars, variable)?;
        if let Some(property) = &to.property {
            let property = qname_of(Some(property))?;
            let Some(alias) = env.xpath.properties.alias(found.ty, &property) else {
                return Err(fault(
                    StandardFault::SelectionFailure,
                    format!("no property alias of {property} applies to the variable `{variable}` ({})", found.ty),
                ));
            };
            return match &alias.query {
                None => Ok(whole_target(variable, alias.part.as_deref())),
                Some(query) => query_target(env, vars, variable, alias.part.as_deref(), query),
            };
        }
        let part = to.part.as_ref().map(|p| p.value.as_str());
        if let Some(part) = part {
            check_part(found.ty, variable, part)?;
        }
        return match &to.query {
            None => Ok(whole_target(variable, part)),
            Some(query) => {
                let compiled = env.compiled.query(env.file, query, env.scopes);
                query_target(env, vars, variable, part, &compiled)
            }
        };
    }
    if let Some(expression) = &to.expression {
        return expression_target(env, vars, expression);
    }
    Err(fault(StandardFault::SubLanguageExecutionFault, "the to-spec is empty"))
}

fn whole_target(variable: &str, part: Option<&str>) -> Target {
    match part {
        Some(part) => Target::Part { variable: variable.to_string(), part: part.to_string() },
        None => Target::Variable(variable.to_string()),
    }
}

/// The element a to-query runs against: the current value, or the skeleton of an uninitialized
/// variable or part.
fn target_element(vars: &dyn Variables, variable: &str, part: Option<&str>) -> Result<XmlElement, Fault> {
    let found = variable_ref(vars, variable)?;
    match (found.ty, found.value, part) {
        (VarType::Message(message_type), value, Some(part)) => {
            let part_type = message_type.part(part).ok_or_else(|| {
                fault(StandardFault::SubLanguageExecutionFault, format!("the message type {} has no part `{part}`", message_type.name))
            })?;
            Ok(match value {
                Some(Value::Message(message)) => message.part(part).cloned().unwrap_or_else(|| part_type.skeleton()),
                _ => part_type.skeleton(),
            })
        }
        (VarType::Message(_), _, None) => {
            Err(fault(StandardFault::SelectionFailure, format!("a query into the message variable `{variable}` needs a part")))
        }
        (ty, value, None) => Ok(match value {
            Some(Value::Element(element)) => element.clone(),
            _ => match ty.skeleton(variable) {
                Value::Element(element) => element,
                Value::Message(_) => XmlElement::new(None, variable),
            },
        }),
        (_, _, Some(part)) => {
            Err(fault(StandardFault::SubLanguageExecutionFault, format!("`{variable}` is not a message variable and has no part `{part}`")))
        }
    }
}

fn query_target(env: CopyEnv<'_>, vars: &dyn Variables, variable: &str, part: Option<&str>, compiled: &Compiled) -> Result<Target, Fault> {
    let element = target_element(vars, variable, part)?;
    let context = QueryContext { element: &element, variable: Some(variable), part };
    let locations = evaluate_locations(compiled, vars, env.xpath, Some(context))?;
    one_location(locations, compiled.text())
}

fn one_location(mut locations: Vec<Option<Location>>, text: &str) -> Result<Target, Fault> {
    if locations.len() != 1 {
        return Err(fault(
            StandardFault::SelectionFailure,
            format!("`{text}` selects {} nodes; a copy writes to exactly one", locations.len()),
        ));
    }
    match locations.remove(0) {
        Some(location) => Ok(Target::Node(location)),
        None => Err(fault(StandardFault::SelectionFailure, format!("`{text}` selects a node that is in no variable"))),
    }
}

/// Variables as an expression in a to-spec sees them: uninitialized ones (and missing parts) as
/// their skeletons.
struct WithSkeletons<'a> {
    base: &'a dyn Variables,
    skeletons: Vec<(String, Value)>,
}

impl Variables for WithSkeletons<'_> {
    fn variable(&self, name: &str) -> Option<VariableRef<'_>> {
        let found = self.base.variable(name)?;
        match self.skeletons.iter().find(|(n, _)| n == name) {
            Some((_, value)) => Some(VariableRef { ty: found.ty, value: Some(value) }),
            None => Some(found),
        }
    }

    fn link_status(&self, name: &str) -> Option<bool> {
        self.base.link_status(name)
    }
}

fn expression_target(env: CopyEnv<'_>, vars: &dyn Variables, expression: &Expression) -> Result<Target, Fault> {
    let compiled = env.compiled.expression(env.file, expression, env.scopes);
    if let Some(error) = compiled.error() {
        return Err(fault(StandardFault::SubLanguageExecutionFault, format!("cannot evaluate `{}`: {error}", compiled.text())));
    }
    if let Some((variable, part)) = compiled.as_variable() {
        let found = variable_ref(vars, variable)?;
        if let Some(part) = part {
            check_part(found.ty, variable, part)?;
        } else if matches!(found.ty, VarType::Message(_)) {
            return Ok(Target::Variable(variable.to_string()));
        }
        return Ok(whole_target(variable, part));
    }
    let mut skeletons: Vec<(String, Value)> = Vec::new();
    for (name, part) in compiled.variables() {
        let Some(found) = vars.variable(name) else { continue };
        let value = skeletons.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).or_else(|| found.value.cloned());
        let needs = match (&value, part) {
            (None, _) => true,
            (Some(Value::Message(message)), Some(part)) => message.part(part).is_none(),
            _ => false,
        };
        if !needs {
            continue;
        }
        let mut value = value.unwrap_or_else(|| found.ty.skeleton(name));
        if let (Value::Message(message), Some(part), VarType::Message(message_type)) = (&mut value, part, found.ty) {
            if let Some(part_type) = message_type.part(part) {
                if message.part(part).is_none() {
                    message.set_part(part, part_type.skeleton());
                }
            }
        }
        skeletons.retain(|(n, _)| n != name);
        skeletons.push((name.clone(), value));
    }
    let view = WithSkeletons { base: vars, skeletons };
    let locations = evaluate_locations(&compiled, &view, env.xpath, None)?;
    one_location(locations, compiled.text())
}

/// Writes `source` to `target` (§8.4.2).
pub fn apply<S: Store + ?Sized>(store: &mut S, source: Source, target: &Target, keep_name: bool) -> Result<(), Fault> {
    match target {
        Target::PartnerLink(partner_link) => {
            let Source::Element(element) = source else {
                return Err(fault(
                    StandardFault::UnsupportedReference,
                    "only an element (a sref:service-ref) can be assigned to a partner link",
                ));
            };
            let endpoint = EndpointReference::from_service_ref(&element)?;
            store.set_partner_endpoint(partner_link, endpoint)
        }
        Target::Variable(variable) => apply_whole(store, source, variable, None, keep_name),
        Target::Part { variable, part } => apply_whole(store, source, variable, Some(part), keep_name),
        Target::Node(location) => {
            let found = variable_ref(store.variables(), &location.variable)?;
            let ty = found.ty.clone();
            let mut value = found.value.cloned().unwrap_or_else(|| ty.skeleton(&location.variable));
            let (root, declared): (&mut XmlElement, Option<QName>) = match (&mut value, location.part.as_deref(), &ty) {
                (Value::Message(message), Some(part), VarType::Message(message_type)) => {
                    let Some(part_type) = message_type.part(part) else {
                        return Err(fault(StandardFault::SelectionFailure, format!("the message type has no part `{part}`")));
                    };
                    if message.part(part).is_none() {
                        message.set_part(part, part_type.skeleton());
                    }
                    let declared = match &part_type.kind {
                        PartKind::Element(name) => Some(name.clone()),
                        PartKind::Type(_) => None,
                    };
                    match message.part_mut(part) {
                        Some(root) => (root, declared),
                        None => return Err(fault(StandardFault::SelectionFailure, format!("the part `{part}` cannot be written"))),
                    }
                }
                (Value::Element(element), None, ty) => {
                    let declared = match ty {
                        VarType::Element(name) => Some(name.clone()),
                        _ => None,
                    };
                    (element, declared)
                }
                _ => return Err(fault(StandardFault::SelectionFailure, "the selected node is not in the variable any more")),
            };
            write_at(root, &location.path, source, keep_name, declared.as_ref())?;
            store.set_variable(&location.variable, value)
        }
    }
}

/// Writes `source` to a whole variable or to a part of a message variable.
fn apply_whole<S: Store + ?Sized>(store: &mut S, source: Source, variable: &str, part: Option<&str>, keep_name: bool) -> Result<(), Fault> {
    if let Some(part) = part {
        let found = variable_ref(store.variables(), variable)?;
        let VarType::Message(message_type) = found.ty else {
            return Err(fault(StandardFault::SubLanguageExecutionFault, format!("`{variable}` is not a message variable")));
        };
        let Some(part_type) = message_type.part(part) else {
            return Err(fault(
                StandardFault::SubLanguageExecutionFault,
                format!("the message type {} has no part `{part}`", message_type.name),
            ));
        };
        let mut message = match found.value {
            Some(Value::Message(message)) => message.clone(),
            _ => Message::new(message_type.name.clone()),
        };
        let base = match message.part_mut(part) {
            Some(existing) => std::mem::replace(existing, XmlElement::new(None, "")),
            None => part_type.skeleton(),
        };
        let replaced = replace(base, source, keep_name, part)?;
        if let (true, PartKind::Element(declared)) = (keep_name, &part_type.kind) {
            check_declared(&replaced, declared, &format!("{variable}.{part}"))?;
        }
        message.set_part(part, replaced);
        store.set_variable(variable, Value::Message(message))
    } else {
        let found = variable_ref(store.variables(), variable)?;
        let ty = found.ty.clone();
        let new_value = match &ty {
            VarType::Message(message_type) => match source {
                Source::Message(message) if message.message_type == message_type.name => Value::Message(message),
                Source::Message(message) => {
                    return Err(fault(
                        StandardFault::MismatchedAssignmentFailure,
                        format!(
                            "a message of type {} cannot be copied to `{variable}` of type {}",
                            message.message_type, message_type.name
                        ),
                    ))
                }
                _ => {
                    return Err(fault(
                        StandardFault::MismatchedAssignmentFailure,
                        format!("only a message of type {} can be copied to the message variable `{variable}`", message_type.name),
                    ))
                }
            },
            _ => {
                let base = match found.value {
                    Some(Value::Element(element)) => element.clone(),
                    _ => match ty.skeleton(variable) {
                        Value::Element(element) => element,
                        Value::Message(_) => XmlElement::new(None, variable),
                    },
                };
                let replaced = replace(base, source, keep_name, variable)?;
                if let (true, VarType::Element(declared)) = (keep_name, &ty) {
                    check_declared(&replaced, declared, variable)?;
                }
                Value::Element(replaced)
            }
        };
        store.set_variable(variable, new_value)
    }
}

fn check_declared(element: &XmlElement, declared: &QName, target: &str) -> Result<(), Fault> {
    if element.has_name(declared) {
        Ok(())
    } else {
        Err(fault(
            StandardFault::MismatchedAssignmentFailure,
            format!("keepSrcElementName would rename `{target}` to {}, but it is declared as element {declared}", element.name()),
        ))
    }
}

/// Replaces the content of an element target with `source` (§8.4.2).
fn replace(mut target: XmlElement, source: Source, keep_name: bool, what: &str) -> Result<XmlElement, Fault> {
    match source {
        Source::Element(source) => {
            if source.depth() > MAX_DEPTH {
                return Err(fault(
                    StandardFault::MismatchedAssignmentFailure,
                    format!("the value nests elements more than {MAX_DEPTH} deep"),
                ));
            }
            let XmlElement { namespace, local, prefix, namespaces, attributes, children } = source;
            let mut declarations = namespaces;
            for own in std::mem::take(&mut target.namespaces) {
                if !declarations.iter().any(|d| d.prefix == own.prefix) {
                    declarations.push(own);
                }
            }
            target.namespaces = declarations;
            target.attributes = attributes;
            target.children = children;
            if keep_name {
                target.rename(namespace, &local, prefix);
            }
            Ok(target)
        }
        Source::Message(_) => Err(fault(
            StandardFault::MismatchedAssignmentFailure,
            format!("a whole message cannot be copied to `{what}`, which is not a message variable"),
        )),
        other if keep_name => Err(fault(
            StandardFault::MismatchedAssignmentFailure,
            format!("keepSrcElementName needs an element to copy, but the from-spec gives `{}`", other.string_value()),
        )),
        other => {
            target.set_text(&other.string_value());
            Ok(target)
        }
    }
}

/// Writes into the node at `path` of `root`.
fn write_at(root: &mut XmlElement, path: &xdom::NodePath, source: Source, keep_name: bool, declared: Option<&QName>) -> Result<(), Fault> {
    let missing = || fault(StandardFault::SelectionFailure, "the selected node is not in the variable any more");
    if let Some((namespace, local)) = &path.attribute {
        if matches!(source, Source::Message(_)) {
            return Err(fault(StandardFault::MismatchedAssignmentFailure, "a whole message cannot be copied to an attribute"));
        }
        let element = xdom::element_at_mut(root, &path.children).ok_or_else(missing)?;
        let value = source.string_value();
        match element.attributes.iter_mut().find(|a| &a.local == local && a.namespace == *namespace) {
            Some(attribute) => attribute.value = value,
            None => element.attributes.push(XmlAttribute { namespace: namespace.clone(), local: local.clone(), prefix: None, value }),
        }
        return Ok(());
    }
    // A text node: its parent, and its index.
    if let Some((&last, parent_path)) = path.children.split_last() {
        let parent = xdom::element_at_mut(root, parent_path).ok_or_else(missing)?;
        if let Some(XmlNode::Text(text)) = parent.children.get_mut(last) {
            if matches!(source, Source::Message(_)) {
                return Err(fault(StandardFault::MismatchedAssignmentFailure, "a whole message cannot be copied to a text node"));
            }
            let value = source.string_value();
            if value.is_empty() {
                parent.children.remove(last);
            } else {
                *text = value;
            }
            return Ok(());
        }
    }
    let depth = path.children.len();
    if let Source::Element(element) = &source {
        if depth + element.depth() > MAX_DEPTH {
            return Err(fault(
                StandardFault::MismatchedAssignmentFailure,
                format!("the value would nest elements more than {MAX_DEPTH} deep"),
            ));
        }
    }
    let element = xdom::element_at_mut(root, &path.children).ok_or_else(missing)?;
    let replaced = replace(std::mem::replace(element, XmlElement::new(None, "_")), source, keep_name, "the selected element")?;
    if let (true, 0, Some(declared)) = (keep_name, depth, declared) {
        check_declared(&replaced, declared, "the variable")?;
    }
    *element = replaced;
    Ok(())
}

/// A view of a store whose writes are kept aside until [`Staged::into_changes`].
pub struct Staged<'a, S: StoreRead + ?Sized> {
    base: &'a S,
    variables: Vec<(String, Value)>,
    endpoints: Vec<(String, EndpointReference)>,
}

/// The reading half of a [`Store`] (what [`Staged`] needs of the store under it).
/// Every [`Store`] is one; the names differ from the store's so both traits can be in scope.
pub trait StoreRead {
    fn read_variables(&self) -> &dyn Variables;
    fn read_endpoint_reference(&self, partner_link: &str, role: Role) -> Result<EndpointReference, Fault>;
}

impl<S: Store + ?Sized> StoreRead for S {
    fn read_variables(&self) -> &dyn Variables {
        Store::variables(self)
    }

    fn read_endpoint_reference(&self, partner_link: &str, role: Role) -> Result<EndpointReference, Fault> {
        Store::endpoint_reference(self, partner_link, role)
    }
}

/// What a staged assign changed, in the order of the first change of each.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes {
    pub variables: Vec<(String, Value)>,
    pub endpoints: Vec<(String, EndpointReference)>,
}

impl<'a, S: StoreRead + ?Sized> Staged<'a, S> {
    pub fn new(base: &'a S) -> Staged<'a, S> {
        Staged { base, variables: Vec::new(), endpoints: Vec::new() }
    }

    pub fn into_changes(self) -> Changes {
        Changes { variables: self.variables, endpoints: self.endpoints }
    }
}

impl<S: StoreRead + ?Sized> Variables for Staged<'_, S> {
    fn variable(&self, name: &str) -> Option<VariableRef<'_>> {
        let found = self.base.read_variables().variable(name)?;
        match self.variables.iter().find(|(n, _)| n == name) {
            Some((_, value)) => Some(VariableRef { ty: found.ty, value: Some(value) }),
            None => Some(found),
        }
    }

    fn link_status(&self, name: &str) -> Option<bool> {
        self.base.read_variables().link_status(name)
    }
}

impl<S: StoreRead + ?Sized> Store for Staged<'_, S> {
    fn variables(&self) -> &dyn Variables {
        self
    }

    fn set_variable(&mut self, name: &str, value: Value) -> Result<(), Fault> {
        match self.variables.iter_mut().find(|(n, _)| n == name) {
            Some((_, slot)) => *slot = value,
            None => self.variables.push((name.to_string(), value)),
        }
        Ok(())
    }

    fn endpoint_reference(&self, partner_link: &str, role: Role) -> Result<EndpointReference, Fault> {
        if role == Role::PartnerRole {
            if let Some((_, endpoint)) = self.endpoints.iter().find(|(n, _)| n == partner_link) {
                return Ok(endpoint.clone());
            }
        }
        self.base.read_endpoint_reference(partner_link, role)
    }

    fn set_partner_endpoint(&mut self, partner_link: &str, endpoint: EndpointReference) -> Result<(), Fault> {
        match self.endpoints.iter_mut().find(|(n, _)| n == partner_link) {
            Some((_, slot)) => *slot = endpoint,
            None => self.endpoints.push((partner_link.to_string(), endpoint)),
        }
        Ok(())
    }
}

/// Variables held in a list: for tests, the REPL and scenarios (the runtime has its own scopes).
#[derive(Clone, Debug, Default)]
pub struct VariableList {
    pub entries: Vec<(String, VarType, Option<Value>)>,
    pub links: Vec<(String, bool)>,
    /// Partner links: name, my role's endpoint, partner role's endpoint.
    pub partner_links: Vec<(String, Option<EndpointReference>, Option<EndpointReference>)>,
}

impl VariableList {
    pub fn new() -> VariableList {
        VariableList::default()
    }

    pub fn declare(&mut self, name: &str, ty: VarType, value: Option<Value>) -> &mut VariableList {
        self.entries.retain(|(n, _, _)| n != name);
        self.entries.push((name.to_string(), ty, value));
        self
    }

    pub fn value(&self, name: &str) -> Option<&Value> {
        self.entries.iter().find(|(n, _, _)| n == name).and_then(|(_, _, v)| v.as_ref())
    }
}

impl Variables for VariableList {
    fn variable(&self, name: &str) -> Option<VariableRef<'_>> {
        self.entries.iter().find(|(n, _, _)| n == name).map(|(_, ty, value)| VariableRef { ty, value: value.as_ref() })
    }

    fn link_status(&self, name: &str) -> Option<bool> {
        self.links.iter().find(|(n, _)| n == name).map(|(_, status)| *status)
    }
}

/// Partner links for a [`VariableList`] store: name, my role's endpoint, partner role's endpoint.
impl Store for VariableList {
    fn variables(&self) -> &dyn Variables {
        self
    }

    fn set_variable(&mut self, name: &str, value: Value) -> Result<(), Fault> {
        match self.entries.iter_mut().find(|(n, _, _)| n == name) {
            Some((_, _, slot)) => {
                *slot = Some(value);
                Ok(())
            }
            None => Err(fault(StandardFault::SubLanguageExecutionFault, format!("no variable `{name}` is in scope"))),
        }
    }

    fn endpoint_reference(&self, partner_link: &str, role: Role) -> Result<EndpointReference, Fault> {
        let Some((_, my_role, partner_role)) = self.partner_links.iter().find(|(n, _, _)| n == partner_link) else {
            return Err(fault(StandardFault::SubLanguageExecutionFault, format!("no partner link `{partner_link}` is in scope")));
        };
        let endpoint = match role {
            Role::MyRole => my_role,
            Role::PartnerRole => partner_role,
        };
        endpoint.clone().ok_or_else(|| {
            fault(StandardFault::UninitializedPartnerRole, format!("the partner link `{partner_link}` has no endpoint for that role"))
        })
    }

    fn set_partner_endpoint(&mut self, partner_link: &str, endpoint: EndpointReference) -> Result<(), Fault> {
        match self.partner_links.iter_mut().find(|(n, _, _)| n == partner_link) {
            Some((_, _, partner_role)) => {
                *partner_role = Some(endpoint);
                Ok(())
            }
            None => Err(fault(StandardFault::SubLanguageExecutionFault, format!("no partner link `{partner_link}` is in scope"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::dom::NodePath;
    use crate::xml::types::{MessageType, PartType, TypeRef};
    use std::sync::Arc;

    const TI: &str = "urn:ti";

    fn store() -> VariableList {
        let message_type = |name: &str, part: &str, element: &str| {
            VarType::Message(Arc::new(MessageType {
                name: QName::new(Some(TI), name),
                parts: vec![PartType { name: part.into(), kind: PartKind::Element(QName::new(Some(TI), element)) }],
            }))
        };
        let order =
            XmlElement::parse(r#"<ti:order xmlns:ti="urn:ti" id="1"><ti:item>a</ti:item>text<ti:item>b</ti:item></ti:order>"#).unwrap();
        let mut vars = VariableList::new();
        vars.declare("In", message_type("request", "inputPart", "in"), None)
            .declare("Out", message_type("response", "outputPart", "out"), None)
            .declare("Order", VarType::Element(QName::new(Some(TI), "order")), Some(Value::Element(order)))
            .declare("Count", VarType::Type(TypeRef::builtin("int")), None);
        vars.partner_links.push(("Partner".into(), None, None));
        vars
    }

    fn at(variable: &str, children: &[usize], attribute: Option<&str>) -> Target {
        Target::Node(Location {
            variable: variable.into(),
            part: None,
            path: NodePath { children: children.to_vec(), attribute: attribute.map(|a| (None, a.to_string())) },
        })
    }

    fn order(vars: &VariableList) -> &XmlElement {
        vars.value("Order").and_then(Value::as_element).unwrap()
    }

    #[test]
    fn element_to_element_keeps_the_target_name() {
        let mut vars = store();
        let mut source = XmlElement::with_text(Some("urn:x"), "other", "new");
        source.set_attribute(None, "z", "1");
        apply(&mut vars, Source::Element(source.clone()), &at("Order", &[0], None), false).unwrap();
        let item = order(&vars).child_elements().next().unwrap();
        assert!(item.is(Some(TI), "item"));
        assert_eq!((item.text().as_str(), item.attribute(None, "z")), ("new", Some("1")));

        apply(&mut vars, Source::Element(source), &at("Order", &[2], None), true).unwrap();
        assert!(order(&vars).child_elements().nth(1).unwrap().is(Some("urn:x"), "other"), "keepSrcElementName renames");
    }

    #[test]
    fn text_and_attribute_targets_take_the_string_value() {
        let mut vars = store();
        apply(&mut vars, Source::Element(XmlElement::with_text(None, "x", "7")), &at("Order", &[], Some("id")), false).unwrap();
        assert_eq!(order(&vars).attribute(None, "id"), Some("7"));
        apply(&mut vars, Source::Text("T".into()), &at("Order", &[1], None), false).unwrap();
        assert_eq!(order(&vars).text(), "T");
        apply(&mut vars, Source::Text("9".into()), &at("Order", &[], None), false).unwrap();
        let order = order(&vars);
        assert_eq!((order.text().as_str(), order.attribute(None, "id"), order.has_child_elements()), ("9", Some("7"), false));
    }

    #[test]
    fn whole_variables_and_parts() {
        let mut vars = store();
        apply(&mut vars, Source::Text(" 5 ".into()), &Target::Part { variable: "In".into(), part: "inputPart".into() }, false).unwrap();
        let request = vars.value("In").and_then(Value::as_message).unwrap();
        assert_eq!(request.message_type, QName::new(Some(TI), "request"));
        let part = request.part("inputPart").unwrap();
        assert!(part.is(Some(TI), "in"), "an uninitialized part is created with its declared element");

        let source = Source::Message(request.clone());
        let fault = apply(&mut vars, source.clone(), &Target::Variable("Out".into()), false).unwrap_err();
        assert!(fault.is(StandardFault::MismatchedAssignmentFailure));
        assert!(apply(&mut vars, source.clone(), &Target::Variable("Order".into()), false)
            .unwrap_err()
            .is(StandardFault::MismatchedAssignmentFailure));
        apply(&mut vars, source, &Target::Variable("In".into()), false).unwrap();

        let part = Source::Element(XmlElement::with_text(Some(TI), "in", "5"));
        let to_out = Target::Part { variable: "Out".into(), part: "outputPart".into() };
        let fault = apply(&mut vars, part.clone(), &to_out, true).unwrap_err();
        assert!(fault.is(StandardFault::MismatchedAssignmentFailure), "keepSrcElementName against the declared element");
        apply(&mut vars, part.clone(), &to_out, false).unwrap();
        assert!(vars.value("Out").and_then(Value::as_message).and_then(|m| m.part("outputPart")).unwrap().is(Some(TI), "out"));
        assert!(apply(&mut vars, part, &Target::Variable("In".into()), false).unwrap_err().is(StandardFault::MismatchedAssignmentFailure));

        apply(&mut vars, Source::Text("3".into()), &Target::Variable("Count".into()), false).unwrap();
        assert_eq!(
            vars.value("Count").and_then(Value::as_element).map(|e| (e.local.clone(), e.text())),
            Some(("Count".into(), "3".into()))
        );
        assert!(apply(&mut vars, Source::Text("3".into()), &Target::Variable("Count".into()), true)
            .unwrap_err()
            .is(StandardFault::MismatchedAssignmentFailure));
    }

    #[test]
    fn values_cannot_nest_too_deep() {
        let mut vars = store();
        let mut deep = XmlElement::new(None, "d");
        for _ in 0..MAX_DEPTH {
            let mut outer = XmlElement::new(None, "d");
            outer.children.push(XmlNode::Element(deep));
            deep = outer;
        }
        let fault = apply(&mut vars, Source::Element(deep), &at("Order", &[0], None), false).unwrap_err();
        assert!(fault.is(StandardFault::MismatchedAssignmentFailure));
    }

    #[test]
    fn endpoint_references() {
        let endpoint = EndpointReference::new("http://localhost:2000/partner");
        let service_ref = endpoint.to_service_ref();
        let back = EndpointReference::from_service_ref(&XmlElement::parse(&service_ref.to_xml()).unwrap()).unwrap();
        assert_eq!(back.address, endpoint.address);
        let unsupported = XmlElement::parse(
            r#"<sref:service-ref xmlns:sref="http://docs.oasis-open.org/wsbpel/2.0/serviceref"><foo:barEPR xmlns:foo="http://example.org">x</foo:barEPR></sref:service-ref>"#,
        )
        .unwrap();
        assert!(EndpointReference::from_service_ref(&unsupported).unwrap_err().is(StandardFault::UnsupportedReference));
        let wsdl = XmlElement::parse(
            r#"<wsdl:service xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" name="S"><wsdl:port name="P" binding="b"><soap:address location="http://h/p"/></wsdl:port></wsdl:service>"#,
        )
        .unwrap();
        assert_eq!(EndpointReference::from_service_ref(&wsdl).unwrap().address, "http://h/p");

        let mut vars = store();
        assert!(vars.endpoint_reference("Partner", Role::PartnerRole).unwrap_err().is(StandardFault::UninitializedPartnerRole));
        apply(&mut vars, Source::Element(service_ref), &Target::PartnerLink("Partner".into()), false).unwrap();
        assert_eq!(vars.endpoint_reference("Partner", Role::PartnerRole).unwrap().address, "http://localhost:2000/partner");
        assert!(apply(&mut vars, Source::Text("x".into()), &Target::PartnerLink("Partner".into()), false)
            .unwrap_err()
            .is(StandardFault::UnsupportedReference));
    }

    #[test]
    fn staged_writes_stay_aside() {
        let vars = store();
        let mut staged = Staged::new(&vars);
        apply(&mut staged, Source::Text("1".into()), &Target::Variable("Count".into()), false).unwrap();
        apply(&mut staged, Source::Text("2".into()), &Target::Variable("Count".into()), false).unwrap();
        assert_eq!(staged.variable("Count").and_then(|v| v.value).and_then(Value::as_element).map(XmlElement::text), Some("2".into()));
        assert!(vars.value("Count").is_none());
        let changes = staged.into_changes();
        assert_eq!(changes.variables.len(), 1);
    }
}
