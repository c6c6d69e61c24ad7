//! Evaluating a compiled expression against variables: the trivial forms directly, everything
//! else with sxd-xpath over one document per bound value; and the property values of
//! `bpel:getVariableProperty`, whose alias queries are evaluated the same way.

use std::borrow::Cow;
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use sxd_document::dom;
use sxd_document::Package;
use sxd_xpath::nodeset::{Node, Nodeset};
use sxd_xpath::Value as SxdValue;
use xee_xpath::context::Variables as XeeVariables;
use xee_xpath::{Documents, Item, Query, Sequence};
use xot::xmlname::OwnedName;

use super::compile::{sxd_compiled, Analysis, Compiled, Fast};
use super::compile::{HostCall, HostFunction, Plan, COMPUTED_NS, COMPUTED_PREFIX};
use super::interface::{
    format_number, node_in_value, owned_node, xpath_number, Location, NodeValue, Prim, QueryContext, Variables, XPathNode, XPathValue,
    BPEL_NS,
};
use super::xee::{self, atomic, build_document, xee_compiled, Source, XeeDocs};
use crate::fault::{Fault, StandardFault};
use crate::model::QName;
use crate::xml::aliases::{NoAliases, PropertyAliases};
use crate::xml::dom::{self as xdom, NodePath};
use crate::xml::functions::{do_xsl_transform, DoXslTransform, GetVariableProperty, PreparedProperties, PropValue, XslResult};
use crate::xml::ode::{self, Computed};
use crate::xml::types::{SimpleKind, VarType};
use crate::xml::value::{Value, XmlElement};
use crate::xml::xslt::{NoStylesheets, Stylesheets};
use crate::xpath::functions::OdeFunction;

/// What expressions need besides variables: property aliases (for `bpel:getVariableProperty`)
/// and stylesheets (for `bpel:doXslTransform`).
#[derive(Clone, Copy)]
pub struct XPathEnv<'a> {
    pub properties: &'a dyn PropertyAliases,
    pub stylesheets: &'a dyn Stylesheets,
    /// The process properties of the deployment (Apache ODE's deploy.xml), for `ode:process-property`.
    pub process_properties: &'a [(QName, String)],
}

impl XPathEnv<'static> {
    /// No property aliases and no stylesheets.
    pub fn none() -> XPathEnv<'static> {
        XPathEnv { properties: &NoAliases, stylesheets: &NoStylesheets, process_properties: &[] }
    }
}

/// The XPath value of a simple-typed value's text (§8.2.2).
fn primitive(kind: SimpleKind, text: &str) -> Prim {
    match kind {
        SimpleKind::Number => Prim::Number(xpath_number(text)),
        SimpleKind::Boolean => Prim::Boolean(matches!(text.trim(), "true" | "1")),
        SimpleKind::String => Prim::String(text.to_string()),
    }
}

/// What a `$name` or `$name.part` is bound to.
pub(crate) enum Bound<'v> {
    Prim(Prim),
    Node { element: &'v XmlElement, variable: Option<&'v str>, part: Option<&'v str> },
}

fn sub_language(message: impl Into<String>) -> Fault {
    Fault::standard(StandardFault::SubLanguageExecutionFault, message)
}

/// Resolves a variable reference (§8.2.2).
pub(crate) fn bind<'v>(vars: &'v dyn Variables, name: &'v str, part: Option<&'v str>) -> Result<Bound<'v>, Fault> {
    let Some(variable) = vars.variable(name) else {
        if part.is_none() {
            if let Some(status) = vars.link_status(name) {
                return Ok(Bound::Prim(Prim::Boolean(status)));
            }
        }
        return Err(sub_language(format!("no variable `{name}` is in scope")));
    };
    let Some(value) = variable.value else {
        return Err(Fault::standard(StandardFault::UninitializedVariable, format!("the variable `{name}` is not initialized")));
    };
    match (variable.ty, value, part) {
        (VarType::Message(message_type), Value::Message(message), Some(part)) => {
            let Some(part_type) = message_type.part(part) else {
                return Err(sub_language(format!("the message type {} of `{name}` has no part `{part}`", message_type.name)));
            };
            let Some(element) = message.part(part) else {
                return Err(Fault::standard(
                    StandardFault::UninitializedVariable,
                    format!("the part `{part}` of variable `{name}` is not initialized"),
                ));
            };
            Ok(match part_type.simple_kind() {
                Some(kind) => Bound::Prim(primitive(kind, &element.string_value())),
                None => Bound::Node { element, variable: Some(name), part: Some(part) },
            })
        }
        (VarType::Message(_), _, None) => {
            Err(sub_language(format!("`${name}` is a message variable: XPath reaches it through its parts (`${name}.part`)")))
        }
        (_, _, Some(part)) => Err(sub_language(format!("`{name}` is not a message variable, so `${name}.{part}` names no part"))),
        (ty, Value::Element(element), None) => Ok(match ty.simple_kind() {
            Some(kind) => Bound::Prim(primitive(kind, &element.string_value())),
            None => Bound::Node { element, variable: Some(name), part: None },
        }),
        (ty, Value::Message(_), None) => Err(sub_language(format!("the variable `{name}` holds a message, but is declared as {ty}"))),
    }
}

/// Evaluates `compiled` and returns its value (node-sets with locations and owned copies).
pub fn evaluate(
    compiled: &Compiled,
    vars: &dyn Variables,
    env: XPathEnv<'_>,
    context: Option<QueryContext<'_>>,
) -> Result<XPathValue, Fault> {
    if let Some(quick) = quick(compiled, vars, context)? {
        return Ok(match quick {
            Bound::Prim(prim) => prim.into_value(),
            Bound::Node { element, variable, part } => XPathValue::Nodes(vec![XPathNode {
                location: variable.map(|variable| Location {
                    variable: variable.to_string(),
                    part: part.map(str::to_string),
                    path: NodePath::default(),
                }),
                node: NodeValue::Element(element.clone()),
            }]),
        });
    }
    if let Some((analysis, plan)) = xpath2_plan(compiled)? {
        return with_xee(compiled, analysis, plan, vars, env, context, |sequence, docs| xee::sequence_value(compiled, sequence, docs));
    }
    with_sxd(compiled, vars, env, context, |value, docs| {
        Ok(match value {
            SxdValue::Boolean(b) => XPathValue::Boolean(*b),
            SxdValue::Number(n) => XPathValue::Number(*n),
            SxdValue::String(s) => XPathValue::String(s.clone()),
            SxdValue::Nodeset(nodes) => XPathValue::Nodes(docs.ordered(nodes).into_iter().map(|node| docs.xpath_node(node)).collect()),
        })
    })
}

/// Evaluates a condition: the result converted with XPath `boolean()`.
pub fn evaluate_boolean(compiled: &Compiled, vars: &dyn Variables, env: XPathEnv<'_>) -> Result<bool, Fault> {
    if let Some(quick) = quick(compiled, vars, None)? {
        return Ok(match quick {
            Bound::Prim(prim) => prim.into_value().boolean(),
            Bound::Node { .. } => true,
        });
    }
    if let Some((analysis, plan)) = xpath2_plan(compiled)? {
        return with_xee(compiled, analysis, plan, vars, env, None, |sequence, _| xee::sequence_boolean(compiled, sequence));
    }
    with_sxd(compiled, vars, env, None, |value, _| Ok(value.boolean()))
}

/// Evaluates an expression as a string (XPath `string()`).
pub fn evaluate_string(compiled: &Compiled, vars: &dyn Variables, env: XPathEnv<'_>) -> Result<String, Fault> {
    if let Some(quick) = quick(compiled, vars, None)? {
        return Ok(match quick {
            Bound::Prim(prim) => prim.into_value().string(),
            Bound::Node { element, .. } => element.string_value(),
        });
    }
    if let Some((analysis, plan)) = xpath2_plan(compiled)? {
        return with_xee(compiled, analysis, plan, vars, env, None, |sequence, docs| xee::sequence_string(compiled, sequence, docs));
    }
    with_sxd(compiled, vars, env, None, |value, docs| Ok(docs.string(value)))
}

/// Evaluates an expression as a number (XPath `number()`).
pub fn evaluate_number(compiled: &Compiled, vars: &dyn Variables, env: XPathEnv<'_>) -> Result<f64, Fault> {
    if let Some(quick) = quick(compiled, vars, None)? {
        return Ok(match quick {
            Bound::Prim(prim) => prim.into_value().number(),
            Bound::Node { element, .. } => xpath_number(&element.string_value()),
        });
    }
    if let Some((analysis, plan)) = xpath2_plan(compiled)? {
        return with_xee(compiled, analysis, plan, vars, env, None, |sequence, docs| xee::sequence_number(compiled, sequence, docs));
    }
    with_sxd(compiled, vars, env, None, |value, docs| {
        Ok(match value {
            SxdValue::Boolean(b) => f64::from(u8::from(*b)),
            SxdValue::Number(n) => *n,
            other => xpath_number(&docs.string(other)),
        })
    })
}

/// Evaluates an expression that must give an `xsd:unsignedInt` (forEach counters, completion
/// branches): anything else — NaN, a fraction, a negative or too large number — is
/// `invalidExpressionValue`.
pub fn evaluate_unsigned(compiled: &Compiled, vars: &dyn Variables, env: XPathEnv<'_>) -> Result<u32, Fault> {
    let n = evaluate_number(compiled, vars, env)?;
    if n.is_finite() && n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) {
        Ok(n as u32)
    } else {
        Err(Fault::standard(
            StandardFault::InvalidExpressionValue,
            format!("`{}` gives {}, not an xsd:unsignedInt", compiled.text(), format_number(n)),
        ))
    }
}

/// The nodes an expression or query selects, as locations only (for `<to>`): `Err` on a result
/// that is not a node-set.
pub(crate) fn evaluate_locations(
    compiled: &Compiled,
    vars: &dyn Variables,
    env: XPathEnv<'_>,
    context: Option<QueryContext<'_>>,
) -> Result<Vec<Option<Location>>, Fault> {
    let not_nodes = || {
        Fault::standard(
            StandardFault::SelectionFailure,
            format!("`{}` does not select a node, so nothing can be assigned to it", compiled.text()),
        )
    };
    if let Some(quick) = quick(compiled, vars, context)? {
        return match quick {
            Bound::Node { variable, part, .. } => Ok(vec![variable.map(|variable| Location {
                variable: variable.to_string(),
                part: part.map(str::to_string),
                path: NodePath::default(),
            })]),
            Bound::Prim(_) => Err(not_nodes()),
        };
    }
    if let Some((analysis, plan)) = xpath2_plan(compiled)? {
        return with_xee(compiled, analysis, plan, vars, env, context, |sequence, docs| {
            xee::sequence_locations(sequence, docs).ok_or_else(not_nodes)
        });
    }
    with_sxd(compiled, vars, env, context, |value, docs| match value {
        SxdValue::Nodeset(nodes) => Ok(docs.ordered(nodes).into_iter().map(|node| docs.location(node)).collect()),
        _ => Err(not_nodes()),
    })
}

/// The analysis and plan of an XPath 2.0 expression (`None` for XPath 1.0).
fn xpath2_plan(compiled: &Compiled) -> Result<Option<(&Analysis, &Plan)>, Fault> {
    let analysis = compiled.analysis()?;
    Ok(analysis.xpath2.as_deref().map(|plan| (analysis, plan)))
}

/// The result without sxd-xpath, when the expression is trivial.
fn quick<'v>(compiled: &'v Compiled, vars: &'v dyn Variables, context: Option<QueryContext<'v>>) -> Result<Option<Bound<'v>>, Fault> {
    let analysis = compiled.analysis()?;
    Ok(match &analysis.fast {
        Fast::Full => None,
        Fast::String(s) => Some(Bound::Prim(Prim::String(s.clone()))),
        Fast::Number(n) => Some(Bound::Prim(Prim::Number(*n))),
        Fast::Boolean(b) => Some(Bound::Prim(Prim::Boolean(*b))),
        Fast::Variable(name, part) => Some(bind(vars, name, part.as_deref())?),
        Fast::ContextNode => match context {
            Some(context) => Some(Bound::Node { element: context.element, variable: context.variable, part: context.part }),
            None => return Err(sub_language("the query `.` has no context node")),
        },
    })
}

thread_local! {
    static SXD_EVALUATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many evaluations this thread has run through sxd-xpath (trivial expressions and copies
/// between variables never do): for tests that keep the fast paths fast.
pub fn sxd_evaluations() -> u64 {
    SXD_EVALUATIONS.with(|count| count.get())
}

/// The documents of one evaluation: per document, the value it was built from and where that
/// value is.
pub(crate) struct Docs<'d, 'v> {
    documents: Vec<dom::Document<'d>>,
    sources: Vec<Option<DocSource<'v>>>,
}

/// The value a document was built from: the element, its variable and part.
type DocSource<'v> = (&'v XmlElement, Option<&'v str>, Option<&'v str>);

/// Sorts nodes: document index, position in it, string value (for nodes in no document).
type OrderKey = (usize, Vec<usize>, String);

impl<'d, 'v> Docs<'d, 'v> {
    fn index_of(&self, node: Node<'d>) -> Option<usize> {
        let document = node.document();
        self.documents.iter().position(|d| *d == document)
    }

    /// Nodes in a deterministic document order: by document (in binding order), then by position;
    /// nodes outside every value last, by string value.
    pub(crate) fn ordered(&self, nodes: &Nodeset<'d>) -> Vec<Node<'d>> {
        let mut keyed: Vec<(OrderKey, Node<'d>)> = nodes
            .iter()
            .map(|node| {
                let placed = self.index_of(node).zip(xdom::path_of(node));
                let key = match placed {
                    Some((index, path)) => (index, xdom::order_key(&path), String::new()),
                    None => (usize::MAX, Vec::new(), node.string_value()),
                };
                (key, node)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        keyed.into_iter().map(|(_, node)| node).collect()
    }

    fn string(&self, value: &SxdValue<'d>) -> String {
        match value {
            SxdValue::Boolean(b) => b.to_string(),
            SxdValue::Number(n) => format_number(*n),
            SxdValue::String(s) => s.clone(),
            SxdValue::Nodeset(nodes) => self.ordered(nodes).first().map(|n| n.string_value()).unwrap_or_default(),
        }
    }

    fn place(&self, node: Node<'d>) -> Option<(&'v XmlElement, Option<&'v str>, Option<&'v str>, NodePath)> {
        let (element, variable, part) = (*self.sources.get(self.index_of(node)?)?)?;
        Some((element, variable, part, xdom::path_of(node)?))
    }

    pub(crate) fn location(&self, node: Node<'d>) -> Option<Location> {
        let (_, variable, part, path) = self.place(node)?;
        Some(Location { variable: variable?.to_string(), part: part.map(str::to_string), path })
    }

    fn xpath_node(&self, node: Node<'d>) -> XPathNode {
        self.place(node)
            .and_then(|(element, variable, part, path)| node_in_value(element, variable, part, path))
            .unwrap_or_else(|| XPathNode { location: None, node: owned_node(node) })
    }
}

/// Evaluates with sxd-xpath: builds a document per node-bound variable (and one for the context),
/// binds everything, runs, and hands the raw result to `finish` while the documents live.
fn with_sxd<T>(
    compiled: &Compiled,
    vars: &dyn Variables,
    env: XPathEnv<'_>,
    context: Option<QueryContext<'_>>,
    finish: impl FnOnce(&SxdValue<'_>, &Docs<'_, '_>) -> Result<T, Fault>,
) -> Result<T, Fault> {
    let analysis = compiled.analysis()?;
    SXD_EVALUATIONS.with(|count| count.set(count.get() + 1));
    let mut bound: Vec<(String, Bound<'_>)> = Vec::with_capacity(analysis.variables.len());
    for (name, part) in &analysis.variables {
        let sxd_name = match part {
            Some(part) => format!("{name}.{part}"),
            None => name.clone(),
        };
        bound.push((sxd_name, bind(vars, name, part.as_deref())?));
    }
    let fault: Rc<RefCell<Option<Fault>>> = Rc::new(RefCell::new(None));
    let properties: PreparedProperties = analysis
        .properties
        .iter()
        .map(|(variable, written, name)| (variable.clone(), written.clone(), property_value(vars, env, variable, name)))
        .collect();
    let stylesheets: Vec<_> = analysis.stylesheets.iter().map(|uri| (uri.clone(), env.stylesheets.stylesheet(uri))).collect();
    let xpath = sxd_compiled(compiled.text()).map_err(sub_language)?;

    // One document per node binding, one for the context value, one empty (the context node of
    // an expression).
    let node_count = bound.iter().filter(|(_, b)| matches!(b, Bound::Node { .. })).count();
    let packages: Vec<Package> = (0..node_count + 2).map(|_| Package::new()).collect();
    let mut docs = Docs { documents: packages.iter().map(Package::as_document).collect(), sources: Vec::with_capacity(node_count + 2) };

    let mut sxd_context = sxd_xpath::Context::new();
    for (prefix, uri) in &analysis.prefixes {
        sxd_context.set_namespace(prefix, uri);
    }
    let mut next = 0;
    for (name, binding) in &bound {
        match binding {
            Bound::Prim(prim) => sxd_context.set_variable(name.as_str(), prim.to_sxd()),
            Bound::Node { element, variable, part } => {
                let document = docs.documents[next];
                let built = xdom::build(document, element);
                document.root().append_child(built);
                docs.sources.push(Some((element, *variable, *part)));
                let mut nodes = Nodeset::new();
                nodes.add(built);
                sxd_context.set_variable(name.as_str(), SxdValue::Nodeset(nodes));
                next += 1;
            }
        }
    }
    let context_node: Node<'_> = match context {
        Some(context) => {
            let document = docs.documents[next];
            let built = xdom::build(document, context.element);
            document.root().append_child(built);
            docs.sources.push(Some((context.element, context.variable, context.part)));
            Node::Element(built)
        }
        None => {
            docs.sources.push(None);
            Node::Root(docs.documents[next + 1].root())
        }
    };
    docs.sources.push(None);
    if !analysis.properties.is_empty() {
        sxd_context
            .set_function((BPEL_NS, "getVariableProperty"), GetVariableProperty { values: Rc::new(properties), fault: fault.clone() });
    }
    if !analysis.stylesheets.is_empty() {
        sxd_context.set_function((BPEL_NS, "doXslTransform"), DoXslTransform { stylesheets: Rc::new(stylesheets), fault: fault.clone() });
    }

    let result = catch_unwind(AssertUnwindSafe(|| xpath.evaluate(&sxd_context, context_node)));
    match result {
        Ok(Ok(value)) => finish(&value, &docs),
        Ok(Err(error)) => {
            Err(fault.borrow_mut().take().unwrap_or_else(|| sub_language(format!("evaluating `{}`: {error}", compiled.text()))))
        }
        Err(_) => Err(sub_language(format!("sxd-xpath failed while evaluating `{}`", compiled.text()))),
    }
}

fn compute(call: &HostCall, vars: &dyn Variables, env: XPathEnv<'_>) -> Result<Computed, Fault> {
    match &call.function {
        HostFunction::GetVariableProperty { variable, property } => Ok(match property_value(vars, env, variable, property)? {
            PropValue::Prim(prim) => Computed::Prim(prim),
            PropValue::Element(element) => Computed::Elements(vec![element]),
        }),
        HostFunction::DoXslTransform { uri } => {
            let mut values = evaluated_args(call, vars, env)?.into_iter();
            let source = match values.next() {
                Some(XPathValue::Nodes(nodes)) if nodes.len() == 1 => match nodes.into_iter().next().map(|n| n.node) {
                    Some(NodeValue::Element(element)) => Some(element),
                    _ => None,
                },
                _ => None,
            };
            let mut params = Vec::new();
            while let (Some(name), Some(value)) = (values.next(), values.next()) {
                params.push((name.string(), value));
            }
            let prepared = vec![(uri.clone(), env.stylesheets.stylesheet(uri))];
            Ok(match do_xsl_transform(&prepared, call.args.len() + 1, uri, source, &params)? {
                XslResult::Element(element) => Computed::Elements(vec![element]),
                XslResult::Text(text) => Computed::Prim(Prim::String(text)),
            })
        }
        HostFunction::Ode { function: OdeFunction::ProcessProperty, property } => {
            let value = match property {
                Some(name) => env.process_properties.iter().find(|(n, _)| n == name),
                // a computed name: its local part (the prefixes of the deployment are not the expression's)
                None => {
                    let written = evaluate(&call.args[0], vars, env, None)?.string();
                    let local = written.rsplit(':').next().unwrap_or_default().to_string();
                    env.process_properties.iter().find(|(n, _)| n.local == local)
                }
            };
            Ok(match value {
                Some((_, value)) => Computed::Prim(Prim::String(value.clone())),
                None => Computed::Elements(Vec::new()),
            })
        }
        HostFunction::Ode { function: function @ (OdeFunction::InsertBefore | OdeFunction::InsertAfter | OdeFunction::Delete), .. } => {
            // As in ODE, an optional first argument (a context) is not used: the parent of the
            // target nodes is what is copied.
            let mut values = evaluated_args(call, vars, env)?;
            let targets_at = if *function == OdeFunction::Delete { values.len() - 1 } else { values.len() - 2 };
            let targets = values.split_off(targets_at);
            let mut args = vec![parent_of(*function, &targets[0], vars)?];
            args.extend(targets);
            ode::call(*function, args)
        }
        HostFunction::Ode { function, .. } => ode::call(*function, evaluated_args(call, vars, env)?),
    }
}

/// The element that holds the first of `nodes` (for ODE's node functions), located in its variable.
fn parent_of(function: OdeFunction, nodes: &XPathValue, vars: &dyn Variables) -> Result<XPathValue, Fault> {
    let unplaced = || {
        sub_language(format!(
            "ode:{}: the nodes must be selected from a variable (this engine finds their parent by where they are)",
            function.name()
        ))
    };
    let XPathValue::Nodes(nodes) = nodes else { return Err(unplaced()) };
    let location = nodes.first().and_then(|node| node.location.as_ref()).ok_or_else(unplaced)?;
    let mut path = NodePath { children: location.path.children.clone(), attribute: None };
    if location.path.attribute.is_none() && path.children.pop().is_none() {
        return Err(sub_language(format!("ode:{}: `{}` is a whole value, which has no parent", function.name(), location.variable)));
    }
    let Bound::Node { element, .. } = bind(vars, &location.variable, location.part.as_deref())? else { return Err(unplaced()) };
    match xdom::node_at(element, &path) {
        Some(xdom::Target::Element(parent)) => Ok(XPathValue::Nodes(vec![XPathNode {
            location: Some(Location { variable: location.variable.clone(), part: location.part.clone(), path }),
            node: NodeValue::Element(parent.clone()),
        }])),
        _ => Err(unplaced()),
    }
}

/// The values of a computed call's arguments, in order.
fn evaluated_args(call: &HostCall, vars: &dyn Variables, env: XPathEnv<'_>) -> Result<Vec<XPathValue>, Fault> {
    call.args.iter().map(|arg| evaluate(arg, vars, env, None)).collect()
}

/// Evaluates `compiled` (XPath 2.0, planned as `plan`) and hands the result to `finish` while
/// the documents live.
fn with_xee<T>(
    compiled: &Compiled,
    analysis: &Analysis,
    plan: &Plan,
    vars: &dyn Variables,
    env: XPathEnv<'_>,
    context: Option<QueryContext<'_>>,
    finish: impl FnOnce(&Sequence, &XeeDocs<'_>) -> Result<T, Fault>,
) -> Result<T, Fault> {
    let mut docs = XeeDocs { documents: Documents::new(), sources: Vec::new() };
    let mut names: Vec<OwnedName> = Vec::with_capacity(analysis.variables.len() + plan.calls.len());
    let mut values = XeeVariables::default();
    for (name, part) in &analysis.variables {
        let local = match part {
            Some(part) => format!("{name}.{part}"),
            None => name.clone(),
        };
        let sequence = match bind(vars, name, part.as_deref())? {
            Bound::Prim(prim) => Sequence::from(atomic(&prim)),
            Bound::Node { element, variable, part } => {
                let (document, root) = build_document(docs.documents.xot_mut(), element)?;
                docs.sources.push(Source { document, element: Cow::Borrowed(element), variable, part });
                Sequence::from(root)
            }
        };
        let name = OwnedName::new(local, String::new(), String::new());
        names.push(name.clone());
        values.insert(name, sequence);
    }
    for call in &plan.calls {
        let sequence = match compute(call, vars, env)? {
            Computed::Prim(prim) => Sequence::from(atomic(&prim)),
            Computed::Elements(elements) => {
                let mut roots = Vec::with_capacity(elements.len());
                for element in elements {
                    let (document, root) = build_document(docs.documents.xot_mut(), &element)?;
                    docs.sources.push(Source { document, element: Cow::Owned(element), variable: None, part: None });
                    roots.push(root);
                }
                roots.into_iter().collect()
            }
        };
        let name = OwnedName::new(call.name.clone(), COMPUTED_NS.to_string(), COMPUTED_PREFIX.to_string());
        names.push(name.clone());
        values.insert(name, sequence);
    }
    let context_item = match context {
        Some(context) => {
            let (document, root) = build_document(docs.documents.xot_mut(), context.element)?;
            docs.sources.push(Source { document, element: Cow::Borrowed(context.element), variable: context.variable, part: context.part });
            Some(Item::Node(root))
        }
        None => None,
    };
    let query = xee_compiled(&plan.text, &names, &analysis.prefixes).map_err(sub_language)?;
    let result = catch_unwind(AssertUnwindSafe(|| {
        query.execute_build_context(&mut docs.documents, |builder| {
            builder.variables(values);
            if let Some(item) = context_item {
                builder.context_item(item);
            }
        })
    }));
    match result {
        Ok(Ok(sequence)) => finish(&sequence, &docs),
        Ok(Err(error)) => Err(sub_language(format!("evaluating `{}`: {error}", compiled.text()))),
        Err(_) => Err(sub_language(format!("xee-xpath failed while evaluating `{}`", compiled.text()))),
    }
}

/// The node the alias of `property` selects in the variable `variable`, with how XPath sees the
/// property's type. Faults: `uninitializedVariable` (the variable or the aliased part is not
/// initialized), `selectionFailure` (no alias applies, or its query does not select exactly one
/// node), `subLanguageExecutionFault` (no such variable).
pub fn property_node(
    vars: &dyn Variables,
    env: XPathEnv<'_>,
    variable: &str,
    property: &QName,
) -> Result<(XPathNode, Option<SimpleKind>), Fault> {
    let Some(found) = vars.variable(variable) else {
        return Err(Fault::standard(StandardFault::SubLanguageExecutionFault, format!("no variable `{variable}` is in scope")));
    };
    let Some(alias) = env.properties.alias(found.ty, property) else {
        return Err(Fault::standard(
            StandardFault::SelectionFailure,
            format!("no property alias of {property} applies to the variable `{variable}` ({})", found.ty),
        ));
    };
    let Some(value) = found.value else {
        return Err(Fault::standard(StandardFault::UninitializedVariable, format!("the variable `{variable}` is not initialized")));
    };
    let element = match (value, alias.part.as_deref()) {
        (Value::Message(message), Some(part)) => message.part(part).ok_or_else(|| {
            Fault::standard(StandardFault::UninitializedVariable, format!("the part `{part}` of variable `{variable}` is not initialized"))
        })?,
        (Value::Element(element), None) => element,
        _ => {
            return Err(Fault::standard(
                StandardFault::SelectionFailure,
                format!("the property alias of {property} does not fit the value of `{variable}`"),
            ))
        }
    };
    let node = match &alias.query {
        None => XPathNode {
            location: Some(Location { variable: variable.to_string(), part: alias.part.clone(), path: Default::default() }),
            node: NodeValue::Element(element.clone()),
        },
        Some(query) => {
            let context = QueryContext { element, variable: Some(variable), part: alias.part.as_deref() };
            match evaluate(query, vars, env, Some(context))? {
                XPathValue::Nodes(mut nodes) if nodes.len() == 1 => nodes.remove(0),
                XPathValue::Nodes(nodes) => {
                    return Err(Fault::standard(
                        StandardFault::SelectionFailure,
                        format!("the query `{}` of the alias of {property} selects {} nodes in `{variable}`", query.text(), nodes.len()),
                    ))
                }
                other => XPathNode { location: None, node: NodeValue::Text(other.string()) },
            }
        }
    };
    Ok((node, alias.kind))
}

pub(crate) fn property_value(vars: &dyn Variables, env: XPathEnv<'_>, variable: &str, property: &QName) -> Result<PropValue, Fault> {
    let (node, kind) = property_node(vars, env, variable, property)?;
    Ok(match (kind, node.node) {
        (Some(SimpleKind::Number), node) => PropValue::Prim(Prim::Number(xpath_number(&node.string_value()))),
        (Some(SimpleKind::Boolean), node) => PropValue::Prim(Prim::Boolean(matches!(node.string_value().trim(), "true" | "1"))),
        (Some(SimpleKind::String), node) => PropValue::Prim(Prim::String(node.string_value())),
        (None, NodeValue::Element(element)) => PropValue::Element(element),
        (None, other) => PropValue::Prim(Prim::String(other.string_value())),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::xml::aliases::Alias;
    use crate::xml::copy::VariableList;
    use crate::xml::types::{MessageType, PartKind, PartType, TypeRef};
    use crate::xml::value::Message;
    use crate::xml::xpath::interface::XPathRole;
    use crate::xml::xslt::StylesheetCache;

    const TI: &str = "urn:ti";

    fn ns() -> Vec<(Option<String>, String)> {
        vec![(Some("ti".into()), TI.into()), (Some("bpel".into()), BPEL_NS.into())]
    }

    fn message_type() -> VarType {
        VarType::Message(Arc::new(MessageType {
            name: QName::new(Some(TI), "request"),
            parts: vec![
                PartType { name: "inputPart".into(), kind: PartKind::Element(QName::new(Some(TI), "in")) },
                PartType { name: "count".into(), kind: PartKind::Type(TypeRef::builtin("int")) },
            ],
        }))
    }

    fn variables() -> VariableList {
        let mut vars = VariableList::new();
        let message = Message::new(QName::new(Some(TI), "request")).with_part("inputPart", XmlElement::with_text(Some(TI), "in", "5"));
        let items = XmlElement::parse(r#"<ti:list xmlns:ti="urn:ti" n="2"><ti:item>a</ti:item><ti:item>b</ti:item></ti:list>"#).unwrap();
        vars.declare("InitData", message_type(), Some(Value::Message(message)))
            .declare("Counter", VarType::Type(TypeRef::builtin("int")), Some(Value::Element(XmlElement::with_text(None, "Counter", "3"))))
            .declare("Flag", VarType::Type(TypeRef::builtin("boolean")), Some(Value::Element(XmlElement::with_text(None, "Flag", "false"))))
            .declare("Text", VarType::Type(TypeRef::builtin("string")), Some(Value::Element(XmlElement::with_text(None, "Text", "abc"))))
            .declare("List", VarType::Element(QName::new(Some(TI), "list")), Some(Value::Element(items)))
            .declare("Empty", VarType::Type(TypeRef::builtin("int")), None);
        vars.links.push(("l1".into(), true));
        vars.links.push(("l2".into(), false));
        vars
    }

    fn eval(text: &str) -> Result<XPathValue, Fault> {
        let compiled = Compiled::new(text, &ns(), XPathRole::Expression);
        evaluate(&compiled, &variables(), XPathEnv::none(), None)
    }

    fn fault_of(text: &str) -> StandardFault {
        match eval(text) {
            Err(fault) => fault.standard_kind().unwrap(),
            Ok(value) => panic!("`{text}` gave {value:?}"),
        }
    }

    #[test]
    fn bpel_variables_bind_by_their_types() {
        assert_eq!(eval("$InitData.inputPart + 1"), Ok(XPathValue::Number(6.0)));
        assert_eq!(eval("$Counter + 1"), Ok(XPathValue::Number(4.0)));
        assert_eq!(eval("$Counter"), Ok(XPathValue::Number(3.0)));
        assert_eq!(eval("$Flag"), Ok(XPathValue::Boolean(false)), "a boolean variable is an XPath boolean, not a node");
        assert_eq!(eval("not($Flag)"), Ok(XPathValue::Boolean(true)));
        assert_eq!(eval("concat($Text, 'd', $Counter)"), Ok(XPathValue::String("abcd3".into())));
        assert_eq!(eval("count($List/ti:item)"), Ok(XPathValue::Number(2.0)));
        assert_eq!(eval("$List/@n * 2"), Ok(XPathValue::Number(4.0)));
        assert_eq!(eval("$l1 and not($l2)"), Ok(XPathValue::Boolean(true)));
        assert_eq!(eval("'P0Y0M0DT0H0M5.0S'"), Ok(XPathValue::String("P0Y0M0DT0H0M5.0S".into())));
        assert_eq!(eval("-1"), Ok(XPathValue::Number(-1.0)));
        assert_eq!(eval("concat('', 1 div 3 > 0)"), Ok(XPathValue::String("true".into())));
    }

    #[test]
    fn node_results_come_back_with_locations() {
        for eval in [eval, eval2] {
            let XPathValue::Nodes(nodes) = eval("$InitData.inputPart").unwrap() else { panic!() };
            assert_eq!(nodes.len(), 1);
            assert_eq!(
                nodes[0].location,
                Some(Location { variable: "InitData".into(), part: Some("inputPart".into()), path: NodePath::default() })
            );
            nodes_in_document_order_with_paths(eval);
        }
    }

    /// In both languages: a union's nodes in document order, each with its path in the value.
    fn nodes_in_document_order_with_paths(eval: fn(&str) -> Result<XPathValue, Fault>) {
        let XPathValue::Nodes(nodes) = eval("$List/ti:item[2] | $List/@n | $List/ti:item[1]/text()").unwrap() else { panic!() };
        let paths: Vec<NodePath> = nodes.iter().map(|n| n.location.clone().unwrap().path).collect();
        assert_eq!(
            paths,
            vec![
                NodePath { children: vec![], attribute: Some((None, "n".into())) },
                NodePath { children: vec![0, 0], attribute: None },
                NodePath { children: vec![1], attribute: None },
            ]
        );
        assert!(matches!(&nodes[2].node, NodeValue::Element(e) if e.text() == "b"));
        assert!(matches!(&nodes[0].node, NodeValue::Attribute(a) if a.value == "2"));
    }

    #[test]
    fn runtime_errors_are_standard_faults() {
        assert_eq!(fault_of("$Empty + 1"), StandardFault::UninitializedVariable);
        assert_eq!(fault_of("$Empty"), StandardFault::UninitializedVariable);
        assert_eq!(fault_of("$InitData.count"), StandardFault::UninitializedVariable);
        assert_eq!(fault_of("NoConditionHere"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("/a"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("string()"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of(""), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("   "), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("$nope"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("foo()"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("'a'/b"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("$InitData"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("$Counter.part"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("$InitData.nopart"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("count($List/x:item)"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault_of("1 +"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(eval("count($List/ti:item[position() = last()])"), Ok(XPathValue::Number(1.0)), "predicates have a context");
    }

    #[test]
    fn unsigned_values_are_checked() {
        let vars = variables();
        let unsigned = |text: &str| evaluate_unsigned(&Compiled::new(text, &ns(), XPathRole::Expression), &vars, XPathEnv::none());
        assert_eq!(unsigned("$Counter + 1"), Ok(4));
        assert_eq!(unsigned("4294967295"), Ok(u32::MAX));
        for bad in ["4294967296", "-1", "2.5", "'x'", "1 div 0"] {
            assert!(unsigned(bad).unwrap_err().is(StandardFault::InvalidExpressionValue), "{bad}");
        }
    }

    #[test]
    fn queries_have_the_value_as_context() {
        let vars = variables();
        let list = vars.value("List").and_then(Value::as_element).unwrap().clone();
        let context = QueryContext { element: &list, variable: Some("List"), part: None };
        let query = |text: &str| evaluate(&Compiled::new(text, &ns(), XPathRole::Query), &vars, XPathEnv::none(), Some(context));
        let XPathValue::Nodes(nodes) = query(".").unwrap() else { panic!() };
        assert_eq!(nodes[0].location.as_ref().map(|l| l.variable.as_str()), Some("List"));
        assert_eq!(query("count(ti:item)"), Ok(XPathValue::Number(2.0)));
        assert_eq!(query("string(ti:item[2])"), Ok(XPathValue::String("b".into())));
        assert_eq!(query("count(/ti:list)"), Ok(XPathValue::Number(1.0)));
    }

    /// One alias: the property `correlationId` of any message variable is its `inputPart`, a number.
    fn correlation_alias(ty: &VarType, property: &QName) -> Option<Alias> {
        (property.local == "correlationId" && matches!(ty, VarType::Message(_))).then(|| Alias {
            part: Some("inputPart".into()),
            query: None,
            kind: Some(SimpleKind::Number),
        })
    }

    #[test]
    fn get_variable_property_uses_the_aliases() {
        let vars = variables();
        let env = XPathEnv { properties: &correlation_alias, stylesheets: &NoStylesheets, process_properties: &[] };
        let run = |text: &str| evaluate(&Compiled::new(text, &ns(), XPathRole::Expression), &vars, env, None);
        assert_eq!(run("bpel:getVariableProperty('InitData', 'ti:correlationId') * 2"), Ok(XPathValue::Number(10.0)));
        assert!(run("bpel:getVariableProperty('List', 'ti:correlationId')").unwrap_err().is(StandardFault::SelectionFailure));
        assert!(run("bpel:getVariableProperty('Empty', 'ti:correlationId')").unwrap_err().is(StandardFault::SelectionFailure));
        assert!(run("bpel:getVariableProperty($Text, 'ti:correlationId')").unwrap_err().is(StandardFault::SubLanguageExecutionFault));
    }

    #[test]
    fn do_xsl_transform_runs_the_subset_and_raises_its_faults() {
        let echo = r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:param name="p" select="'none'"/>
            <xsl:template match="@*|node()"><xsl:copy><xsl:apply-templates select="@*|node()"/></xsl:copy></xsl:template>
            <xsl:template match="ti:in" xmlns:ti="urn:ti"><out><xsl:value-of select="concat(., $p)"/></out></xsl:template></xsl:stylesheet>"#;
        let broken = r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
            <xsl:template match="/"><xsl:call-template name="doesNotExist"/></xsl:template></xsl:stylesheet>"#;
        let stylesheets =
            StylesheetCache::from_texts([("echo.xslt".to_string(), echo.to_string()), ("broken.xslt".to_string(), broken.to_string())]);
        let vars = variables();
        let env = XPathEnv { properties: &NoAliases, stylesheets: &stylesheets, process_properties: &[] };
        // the same in both languages (in XPath 2.0 the call is computed before the evaluation)
        for language in [crate::xpath::Language::XPath1, crate::xpath::Language::XPath2] {
            let run = |text: &str| evaluate(&Compiled::new_in(text, &ns(), XPathRole::Expression, language), &vars, env, None);
            let XPathValue::Nodes(nodes) = run("bpel:doXslTransform('echo.xslt', $InitData.inputPart)").unwrap() else { panic!() };
            assert!(matches!(&nodes[0].node, NodeValue::Element(e) if e.is(None, "out") && e.text() == "5none"));
            assert_eq!(nodes[0].location, None);
            assert_eq!(run("string(bpel:doXslTransform('echo.xslt', $InitData.inputPart, 'p', '!'))"), Ok(XPathValue::String("5!".into())));
            assert_eq!(run("bpel:doXslTransform('echo.xslt', $List)/ti:item[2]/text() = 'b'"), Ok(XPathValue::Boolean(true)));
            let kind = |text: &str| run(text).unwrap_err().standard_kind().unwrap();
            assert_eq!(kind("bpel:doXslTransform('missing.xslt', $InitData.inputPart)"), StandardFault::XsltStylesheetNotFound);
            assert_eq!(kind("bpel:doXslTransform('broken.xslt', 'foobar')"), StandardFault::XsltInvalidSource);
            assert_eq!(kind("bpel:doXslTransform('echo.xslt', $List/ti:item)"), StandardFault::XsltInvalidSource);
            assert_eq!(kind("bpel:doXslTransform('broken.xslt', $InitData.inputPart)"), StandardFault::SubLanguageExecutionFault);
            assert_eq!(kind("bpel:doXslTransform($Text, $InitData.inputPart)"), StandardFault::SubLanguageExecutionFault);
        }
    }

    fn eval2(text: &str) -> Result<XPathValue, Fault> {
        let compiled = Compiled::new_in(text, &ns(), XPathRole::Expression, crate::xpath::Language::XPath2);
        evaluate(&compiled, &variables(), XPathEnv::none(), None)
    }

    #[test]
    fn xpath2_expressions_see_the_same_bindings() {
        assert_eq!(eval2("$InitData.inputPart + 1"), Ok(XPathValue::Number(6.0)), "an untyped value in arithmetic is a double");
        assert_eq!(eval2("$Counter idiv 2"), Ok(XPathValue::Number(1.0)));
        assert_eq!(eval2("if ($Flag) then 'yes' else 'no'"), Ok(XPathValue::String("no".into())));
        assert_eq!(eval2("string-join(for $i in $List/ti:item return upper-case($i), '-')"), Ok(XPathValue::String("A-B".into())));
        assert_eq!(eval2("some $i in $List/ti:item satisfies $i eq 'b'"), Ok(XPathValue::Boolean(true)));
        assert_eq!(eval2("sum(1 to 4)"), Ok(XPathValue::Number(10.0)));
        assert_eq!(eval2("0.1 + 0.2"), Ok(XPathValue::Number(0.3)), "decimals, not doubles");
        assert_eq!(eval2("xs:date('2026-12-07') + xs:dayTimeDuration('P1D')"), Ok(XPathValue::String("2026-12-08".into())));
        assert_eq!(eval2("matches($Text, '^a.c$')"), Ok(XPathValue::Boolean(true)));
        assert_eq!(eval2("$l1 and not($l2)"), Ok(XPathValue::Boolean(true)), "links in join conditions");
        let vars = variables();
        let string = |text: &str| {
            let compiled = Compiled::new_in(text, &ns(), XPathRole::Expression, crate::xpath::Language::XPath2);
            evaluate_string(&compiled, &vars, XPathEnv::none())
        };
        assert_eq!(string("$List/@n * 2").as_deref(), Ok("4"));
        assert_eq!(string("$List/ti:item[2]").as_deref(), Ok("b"));
        let condition = |text: &str| {
            let compiled = Compiled::new_in(text, &ns(), XPathRole::Expression, crate::xpath::Language::XPath2);
            evaluate_boolean(&compiled, &vars, XPathEnv::none())
        };
        assert_eq!(condition("$List/ti:item"), Ok(true), "effective boolean value of nodes");
        assert_eq!(condition("0.0"), Ok(false));
    }

    #[test]
    fn xpath2_errors_are_standard_faults() {
        let fault = |text: &str| eval2(text).unwrap_err().standard_kind().unwrap();
        assert_eq!(fault("$Empty + 1"), StandardFault::UninitializedVariable);
        assert_eq!(fault("1 = 'a'"), StandardFault::SubLanguageExecutionFault, "XPath 2.0 does not compare numbers with strings");
        assert_eq!(fault("xs:integer('x')"), StandardFault::SubLanguageExecutionFault);
        assert_eq!(fault("('a', 'b')"), StandardFault::SubLanguageExecutionFault, "two values where one is needed");
        assert_eq!(fault("ti:item"), StandardFault::SubLanguageExecutionFault, "no context node");
        assert_eq!(fault("if ($Flag) then 1"), StandardFault::SubLanguageExecutionFault);
    }

    #[test]
    fn xpath2_computes_bpel_functions_before_evaluating() {
        let vars = variables();
        let env = XPathEnv { properties: &correlation_alias, stylesheets: &NoStylesheets, process_properties: &[] };
        let run =
            |text: &str| evaluate(&Compiled::new_in(text, &ns(), XPathRole::Expression, crate::xpath::Language::XPath2), &vars, env, None);
        assert_eq!(run("bpel:getVariableProperty('InitData', 'ti:correlationId') * 2"), Ok(XPathValue::Number(10.0)));
        assert_eq!(
            run("for $i in 1 to 2 return $i + bpel:getVariableProperty('InitData', 'ti:correlationId')").unwrap_err().standard_kind(),
            Some(StandardFault::SubLanguageExecutionFault),
            "a sequence of two values where one is needed"
        );
        let compiled = Compiled::new_in(
            "for $i in $List/ti:item return bpel:doXslTransform('x.xslt', $i)",
            &ns(),
            XPathRole::Expression,
            crate::xpath::Language::XPath2,
        );
        assert!(
            compiled.error().is_some_and(|e| e.contains("uses `$i`, a variable bound inside the expression")),
            "{:?}",
            compiled.error()
        );
    }

    #[test]
    fn odes_node_functions_copy_the_parent_of_their_targets() {
        let mut bindings = ns();
        bindings.push((Some("ode".into()), crate::xpath::functions::ODE_EXTENSION_NS.into()));
        let vars = variables();
        let items = |text: &str| -> Vec<String> {
            let compiled = Compiled::new_in(text, &bindings, XPathRole::Expression, crate::xpath::Language::XPath2);
            match evaluate(&compiled, &vars, XPathEnv::none(), None) {
                Ok(XPathValue::Nodes(nodes)) => match &nodes[0].node {
                    NodeValue::Element(list) => list
                        .children
                        .iter()
                        .filter_map(|child| match child {
                            crate::xml::value::XmlNode::Element(item) => Some(item.text()),
                            crate::xml::value::XmlNode::Text(_) => None,
                        })
                        .collect(),
                    other => panic!("`{text}`: {other:?}"),
                },
                other => panic!("`{text}`: {other:?}"),
            }
        };
        assert_eq!(items("ode:insert-before($List, $List/ti:item[2], $List/ti:item[1])"), ["a", "a", "b"]);
        assert_eq!(items("ode:insert-after($List/ti:item[1], $List/ti:item[2])"), ["a", "b", "b"], "the two-argument form");
        assert_eq!(items("ode:delete($List/ti:item[1])"), ["b"]);
        assert_eq!(items("ode:delete($List, $List/ti:item[2])"), ["a"]);
        assert_eq!(items("ode:insert-as-last-into($List, ode:split-to-elements('x y', ' ', 'item', 'urn:ti'))"), ["a", "b", "x", "y"]);
        let compiled = Compiled::new_in(
            "ode:delete(ode:split-to-elements('x', ' ', 'i'))",
            &bindings,
            XPathRole::Expression,
            crate::xpath::Language::XPath2,
        );
        let fault = evaluate(&compiled, &vars, XPathEnv::none(), None).unwrap_err();
        assert!(fault.to_string().contains("must be selected from a variable"), "{fault}");
    }
}
