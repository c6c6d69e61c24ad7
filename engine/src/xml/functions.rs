//! The functions WS-BPEL 2.0 adds to XPath (§8.3): `bpel:getVariableProperty` and
//! `bpel:doXslTransform`, as sxd-xpath functions.
//!
//! sxd-xpath functions must be `'static`, so everything they need from the caller is prepared
//! before evaluation: the values of the properties an expression names (their arguments are string
//! literals, so they are known), and the stylesheets it uses (likewise). A function that fails
//! leaves the standard fault in a shared slot, which the evaluator raises instead of the generic
//! `subLanguageExecutionFault`. The evaluator (`xpath::evaluate`) prepares those values
//! and registers these functions.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use sxd_xpath::context::Evaluation;
use sxd_xpath::function::{Error, Function};
use sxd_xpath::nodeset::{Node, Nodeset};
use sxd_xpath::Value as SxdValue;

use super::dom as xdom;
use super::value::{XmlElement, XmlNode};
use super::xpath::interface::{children_text, owned_node, NodeValue, Prim, XPathNode, XPathValue};
use super::xslt::{Stylesheet, StylesheetError};
use crate::fault::{Fault, StandardFault};

/// A property's value as `bpel:getVariableProperty` returns it.
#[derive(Clone, Debug)]
pub(crate) enum PropValue {
    Prim(Prim),
    Element(XmlElement),
}

fn fail(slot: &RefCell<Option<Fault>>, fault: Fault) -> Error {
    let message = fault.to_string();
    *slot.borrow_mut() = Some(fault);
    Error::Other(message)
}

/// The prepared values of `bpel:getVariableProperty` calls: variable, property as written, value.
pub(crate) type PreparedProperties = Vec<(String, String, Result<PropValue, Fault>)>;

/// The prepared stylesheets of `bpel:doXslTransform` calls, by URI.
pub(crate) type PreparedStylesheets = Vec<(String, Result<Arc<Stylesheet>, StylesheetError>)>;

/// `bpel:getVariableProperty('variable', 'prefix:property')`.
pub(crate) struct GetVariableProperty {
    pub values: Rc<PreparedProperties>,
    pub fault: Rc<RefCell<Option<Fault>>>,
}

impl Function for GetVariableProperty {
    fn evaluate<'c, 'd>(&self, context: &Evaluation<'c, 'd>, args: Vec<SxdValue<'d>>) -> Result<SxdValue<'d>, Error> {
        let mut args = sxd_xpath::function::Args(args);
        args.exactly(2)?;
        let property = args.pop_string()?;
        let variable = args.pop_string()?;
        let found = self.values.iter().find(|(v, p, _)| *v == variable && *p == property);
        match found.map(|(_, _, value)| value) {
            Some(Ok(PropValue::Prim(prim))) => Ok(prim.to_sxd()),
            Some(Ok(PropValue::Element(element))) => Ok(materialize(context.node, element)),
            Some(Err(fault)) => Err(fail(&self.fault, fault.clone())),
            None => Err(fail(
                &self.fault,
                Fault::standard(
                    StandardFault::SubLanguageExecutionFault,
                    "the arguments of bpel:getVariableProperty must be string literals",
                ),
            )),
        }
    }
}

/// An element built (detached) into the document of `node`, as a node-set.
fn materialize<'d>(node: Node<'d>, element: &XmlElement) -> SxdValue<'d> {
    let built = xdom::build(node.document(), element);
    let mut nodes = Nodeset::new();
    nodes.add(built);
    SxdValue::Nodeset(nodes)
}

/// `bpel:doXslTransform('stylesheet', node-set, ('name', value)*)` (§8.4.2 and WS-BPEL 2.0
/// §8.3.2). The source must be a node-set of exactly one element (`xsltInvalidSource`); the
/// stylesheet must exist (`xsltStylesheetNotFound`); a stylesheet that does not compile, uses an
/// unsupported feature, or fails while running is `subLanguageExecutionFault`. The result is the
/// transform's single top-level element (a node-set), or its text when it produced no element.
pub(crate) struct DoXslTransform {
    pub stylesheets: Rc<PreparedStylesheets>,
    pub fault: Rc<RefCell<Option<Fault>>>,
}

impl Function for DoXslTransform {
    fn evaluate<'c, 'd>(&self, context: &Evaluation<'c, 'd>, args: Vec<SxdValue<'d>>) -> Result<SxdValue<'d>, Error> {
        let count = args.len();
        let mut args = args.into_iter();
        let uri = args.next().map(SxdValue::into_string).unwrap_or_default();
        let source = match args.next() {
            Some(SxdValue::Nodeset(nodes)) if nodes.size() == 1 => match nodes.iter().next() {
                Some(Node::Element(element)) => Some(xdom::to_value(element)),
                Some(Node::Root(root)) => root.children().into_iter().find_map(|c| c.element()).map(xdom::to_value),
                _ => None,
            },
            _ => None,
        };
        let mut params = Vec::new();
        while let (Some(name), Some(value)) = (args.next(), args.next()) {
            params.push((name.into_string(), param_value(value)));
        }
        match do_xsl_transform(&self.stylesheets, count, &uri, source, &params) {
            Ok(XslResult::Element(element)) => Ok(materialize(context.node, &element)),
            Ok(XslResult::Text(text)) => Ok(SxdValue::String(text)),
            Err(fault) => Err(fail(&self.fault, fault)),
        }
    }
}

/// What `bpel:doXslTransform` gives: one element, or text when the stylesheet makes no element.
pub(crate) enum XslResult {
    Element(XmlElement),
    Text(String),
}

/// `bpel:doXslTransform` (WS-BPEL 2.0 §8.4) called with `count` arguments: the stylesheet `uri`
/// (prepared in `stylesheets`), the `source` element (`None`: the argument was not a node-set of
/// one element) and the parameters; for both expression languages.
pub(crate) fn do_xsl_transform(
    stylesheets: &PreparedStylesheets,
    count: usize,
    uri: &str,
    source: Option<XmlElement>,
    params: &[(String, XPathValue)],
) -> Result<XslResult, Fault> {
    let sub_language = |message: String| Fault::standard(StandardFault::SubLanguageExecutionFault, message);
    if count < 2 || !count.is_multiple_of(2) {
        return Err(sub_language("bpel:doXslTransform takes a stylesheet URI, a node-set, then pairs of parameter name and value".into()));
    }
    let Some((_, stylesheet)) = stylesheets.iter().find(|(u, _)| *u == uri) else {
        return Err(sub_language("the stylesheet URI of bpel:doXslTransform must be a string literal".into()));
    };
    if let Err(StylesheetError::NotFound(message)) = stylesheet {
        return Err(Fault::standard(StandardFault::XsltStylesheetNotFound, message.clone()));
    }
    let Some(source) = source else {
        return Err(Fault::standard(
            StandardFault::XsltInvalidSource,
            "the source of bpel:doXslTransform must be a node-set of one element",
        ));
    };
    let stylesheet = match stylesheet {
        Ok(stylesheet) => stylesheet,
        Err(StylesheetError::Invalid(message) | StylesheetError::NotFound(message)) => {
            return Err(sub_language(format!("the stylesheet `{uri}`: {message}")))
        }
    };
    let result =
        stylesheet.transform(&source, params).map_err(|message| sub_language(format!("the stylesheet `{uri}` failed: {message}")))?;
    let elements: Vec<&XmlElement> = result
        .iter()
        .filter_map(|n| match n {
            XmlNode::Element(e) => Some(e),
            XmlNode::Text(_) => None,
        })
        .collect();
    let stray_text = result.iter().any(|n| matches!(n, XmlNode::Text(t) if !t.trim().is_empty()));
    match (elements.as_slice(), stray_text) {
        ([element], false) => Ok(XslResult::Element((*element).clone())),
        ([], _) => Ok(XslResult::Text(children_text(&result))),
        _ => Err(sub_language(format!(
            "the stylesheet `{uri}` produced {} top-level elements and text; one element was expected",
            elements.len()
        ))),
    }
}

fn param_value(value: SxdValue<'_>) -> XPathValue {
    match value {
        SxdValue::Boolean(b) => XPathValue::Boolean(b),
        SxdValue::Number(n) => XPathValue::Number(n),
        SxdValue::String(s) => XPathValue::String(s),
        SxdValue::Nodeset(nodes) => {
            let mut nodes: Vec<NodeValue> = nodes.document_order().into_iter().map(owned_node).collect();
            nodes.dedup();
            XPathValue::Nodes(nodes.into_iter().map(|node| XPathNode { location: None, node }).collect())
        }
    }
}
