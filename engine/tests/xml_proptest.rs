//! Property tests of the xml layer: evaluation never panics on arbitrary expressions and values,
//! writes to whatever an expression selects never panic, and values survive writing and reading
//! back.

use std::sync::Arc;

use bpel_engine::fault::StandardFault;
use bpel_engine::model::QName;
use bpel_engine::xml::copy::{apply, Source, Target};
use bpel_engine::xml::xpath::{evaluate_boolean, evaluate_unsigned, BPEL_NS};
use bpel_engine::xml::{
    evaluate, Alias, Compiled, Message, MessageType, PartKind, PartType, QueryContext, SimpleKind, Stylesheet, StylesheetCache, TypeRef,
    Value, VarType, VariableList, XPathEnv, XPathRole, XPathValue, XmlAttribute, XmlElement, XmlNode,
};
use proptest::prelude::*;

const TI: &str = "urn:ti";

const ECHO: &str = r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:template match="@*|node()"><xsl:copy><xsl:apply-templates select="@*|node()"/></xsl:copy></xsl:template>
</xsl:stylesheet>"#;

fn name() -> impl Strategy<Value = (Option<&'static str>, &'static str)> {
    prop_oneof![Just((None, "a")), Just((None, "b")), Just((Some(TI), "item")), Just((Some(TI), "list")), Just((Some("urn:x"), "a"))]
}

fn element() -> impl Strategy<Value = XmlElement> {
    let leaf = (name(), "[a-z0-9 <&\"]{0,6}", proptest::option::of("[0-9]{1,3}")).prop_map(|((ns, local), text, attribute)| {
        let mut element = XmlElement::with_text(ns, local, &text);
        if let Some(value) = attribute {
            element.set_attribute(None, "x", &value);
        }
        element
    });
    leaf.prop_recursive(5, 40, 4, |inner| {
        (
            name(),
            prop::collection::vec(prop_oneof![inner.prop_map(XmlNode::Element), "[a-z ]{0,4}".prop_map(XmlNode::Text)], 0..4),
            any::<bool>(),
        )
            .prop_map(|((ns, local), children, attribute)| {
                let mut element = XmlElement::new(ns, local);
                if attribute {
                    element.attributes.push(XmlAttribute {
                        namespace: Some(Arc::from("urn:x")),
                        local: "y".into(),
                        prefix: None,
                        value: "1".into(),
                    });
                }
                for child in children {
                    match (child, element.children.last_mut()) {
                        (XmlNode::Text(text), Some(XmlNode::Text(previous))) => previous.push_str(&text),
                        (XmlNode::Text(text), _) if text.is_empty() => {}
                        (child, _) => element.children.push(child),
                    }
                }
                element
            })
    })
}

fn expression() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("$InitData.inputPart"),
        Just("$InitData.count"),
        Just("$InitData"),
        Just("$List"),
        Just("$Counter"),
        Just("$Flag"),
        Just("$Missing"),
        Just("$link"),
        Just("/"),
        Just("//"),
        Just("["),
        Just("]"),
        Just("("),
        Just(")"),
        Just("'a'"),
        Just("\""),
        Just("1"),
        Just("-2.5"),
        Just(" + "),
        Just(" div "),
        Just(" mod "),
        Just(" | "),
        Just(" = "),
        Just(" and "),
        Just(" or "),
        Just("@x"),
        Just("@*"),
        Just("ti:item"),
        Just("ti:*"),
        Just("nope:item"),
        Just("*"),
        Just("."),
        Just(".."),
        Just("text()"),
        Just("node()"),
        Just("ancestor::*"),
        Just("following-sibling::node()"),
        Just("count("),
        Just("concat("),
        Just("string("),
        Just("substring("),
        Just("sum("),
        Just("position()"),
        Just("last()"),
        Just(","),
        Just("bpel:getVariableProperty('InitData', 'ti:id')"),
        Just("bpel:getVariableProperty("),
        Just("bpel:doXslTransform('echo.xslt', "),
        Just("bpel:doXslTransform('none.xslt', "),
        Just("'ti:id'"),
        Just("'p'"),
    ];
    prop_oneof![prop::collection::vec(token, 0..14).prop_map(|tokens| tokens.concat()), "\\PC{0,30}", "[$a-z.:/@()\\[\\]'0-9 +*|-]{0,30}",]
}

fn variables(list: XmlElement) -> VariableList {
    let message_type = MessageType {
        name: QName::new(Some(TI), "request"),
        parts: vec![
            PartType { name: "inputPart".into(), kind: PartKind::Element(QName::new(Some(TI), "in")) },
            PartType { name: "count".into(), kind: PartKind::Type(TypeRef::builtin("int")) },
        ],
    };
    let message = Message::new(QName::new(Some(TI), "request")).with_part("inputPart", XmlElement::with_text(Some(TI), "in", "5"));
    let mut vars = VariableList::new();
    vars.declare("InitData", VarType::Message(Arc::new(message_type)), Some(Value::Message(message)))
        .declare("List", VarType::Element(QName::new(Some(TI), "list")), Some(Value::Element(list)))
        .declare("Counter", VarType::Type(TypeRef::builtin("int")), Some(Value::Element(XmlElement::with_text(None, "Counter", "3"))))
        .declare("Flag", VarType::Type(TypeRef::builtin("boolean")), None);
    vars.links.push(("link".into(), true));
    vars
}

fn bindings() -> Vec<(Option<String>, String)> {
    vec![(Some("ti".into()), TI.into()), (Some("bpel".into()), BPEL_NS.into())]
}

fn aliases(ty: &VarType, property: &QName) -> Option<Alias> {
    (property.local == "id" && matches!(ty, VarType::Message(_))).then(|| Alias {
        part: Some("inputPart".into()),
        query: Some(Arc::new(Compiled::new(".", &[], XPathRole::Query))),
        kind: Some(SimpleKind::Number),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn evaluation_never_panics(text in expression(), list in element()) {
        let stylesheets = StylesheetCache::from_texts([("echo.xslt".to_string(), ECHO.to_string())]);
        let env = XPathEnv { properties: &aliases, stylesheets: &stylesheets, process_properties: &[] };
        let mut vars = variables(list.clone());
        for role in [XPathRole::Expression, XPathRole::Query] {
            let compiled = Compiled::new(&text, &bindings(), role);
            let context = QueryContext { element: &list, variable: Some("List"), part: None };
            let result = evaluate(&compiled, &vars, env, Some(context));
            if let Err(fault) = &result {
                prop_assert!(fault.standard_kind().is_some(), "{fault}");
            }
            let _ = evaluate_boolean(&compiled, &vars, env);
            if let Err(fault) = evaluate_unsigned(&compiled, &vars, env) {
                prop_assert!(fault.standard_kind().is_some());
            }
            // Whatever was selected can be written to.
            if let Ok(XPathValue::Nodes(nodes)) = result {
                for node in nodes.into_iter().filter_map(|n| n.location) {
                    let sources = [
                        Source::Text("t".into()),
                        Source::Element(XmlElement::with_text(None, "new", "1")),
                        Source::Message(Message::new(QName::new(None, "m"))),
                    ];
                    for source in sources {
                        for keep in [false, true] {
                            match apply(&mut vars, source.clone(), &Target::Node(node.clone()), keep) {
                                Ok(()) => {}
                                Err(fault) => prop_assert!(fault.standard_kind().is_some()),
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn values_survive_writing_and_reading_back(value in element()) {
        let text = value.to_xml();
        let back = XmlElement::parse(&text);
        prop_assert!(back.is_ok(), "{text}: {back:?}");
        let back = back.unwrap();
        prop_assert_eq!(back.canonical(), value.canonical(), "{}", text);
        let bytes = postcard::to_allocvec(&Value::Element(value.clone())).unwrap();
        let restored: Value = postcard::from_bytes(&bytes).unwrap();
        prop_assert_eq!(restored, Value::Element(value));
    }

    #[test]
    fn the_identity_stylesheet_copies_any_value(value in element()) {
        let sheet = Stylesheet::compile(ECHO).unwrap();
        let result = sheet.transform(&value, &[]).unwrap();
        prop_assert_eq!(result.len(), 1);
        let XmlNode::Element(copy) = &result[0] else { panic!("an element") };
        prop_assert_eq!(copy.canonical(), value.canonical());
    }

    #[test]
    fn stylesheet_soup_never_panics(tokens in prop::collection::vec(prop_oneof![
        Just("<xsl:template match=\"*\">"), Just("<xsl:template match=\"/\">"), Just("<xsl:template name=\"t\">"), Just("</xsl:template>"),
        Just("<xsl:apply-templates/>"), Just("<xsl:apply-templates select=\"@*|node()\"/>"), Just("<xsl:call-template name=\"t\"/>"),
        Just("<xsl:copy>"), Just("</xsl:copy>"), Just("<xsl:value-of select=\".\"/>"), Just("<xsl:copy-of select=\"..\"/>"),
        Just("<xsl:if test=\"@x\">"), Just("</xsl:if>"), Just("<out a=\"{.}\">"), Just("</out>"), Just("<xsl:attribute name=\"z\">v</xsl:attribute>"),
        Just("<xsl:variable name=\"v\"><x/></xsl:variable>"), Just("<xsl:value-of select=\"$v\"/>"), Just("<xsl:element name=\"{name()}\">"),
        Just("</xsl:element>"), Just("text"), Just("<xsl:for-each select=\"*\">"), Just("</xsl:for-each>"),
    ], 0..12), value in element()) {
        let text = format!(r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">{}</xsl:stylesheet>"#, tokens.concat());
        if let Ok(sheet) = Stylesheet::compile(&text) {
            let _ = sheet.transform(&value, &[]);
        }
    }
}

#[test]
fn faults_are_standard_even_for_odd_inputs() {
    let vars = variables(XmlElement::new(Some(TI), "list"));
    for text in ["$Flag", "bpel:doXslTransform('none.xslt', $List)", "$InitData.count", "1 div"] {
        let compiled = Compiled::new(text, &bindings(), XPathRole::Expression);
        let fault = evaluate(&compiled, &vars, XPathEnv::none(), None).unwrap_err();
        assert!(matches!(
            fault.standard_kind(),
            Some(StandardFault::UninitializedVariable | StandardFault::XsltStylesheetNotFound | StandardFault::SubLanguageExecutionFault)
        ));
    }
}
