//! The XML readers on arbitrary text: the positioned syntax tree every document goes through
//! (`syntax::parse_xml`, which never fails) and the value reader of messages and literals
//! (`xml::XmlElement::parse`); a value read is written back and must read again, the same.
#![no_main]

use bpel_engine::syntax::parse_xml;
use bpel_engine::xml::XmlElement;
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: bpel_fuzz::init(), |data: &[u8]| {
    let text = bpel_fuzz::text(data);
    let document = parse_xml(&text);
    for error in &document.errors {
        assert!(error.span.end as usize <= text.len(), "a syntax error's span lies inside the text");
    }
    if let Ok(element) = XmlElement::parse(&text) {
        let written = element.to_xml();
        let again = XmlElement::parse(&written).unwrap_or_else(|e| panic!("the written value reads again: {e}\n{written}"));
        assert!(again.canonical_eq(&element), "written and read again, the value is the same:\n{written}");
    }
});
