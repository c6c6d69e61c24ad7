//! Completion at a byte offset of a process text.
//!
//! Where the cursor stands (a start tag's name, an attribute name, an attribute value, element
//! content, an XPath expression) is found by a tolerant scan of the text from its start up to the
//! offset, so half-typed and broken text works; what may be offered comes from the WS-BPEL 2.0
//! schema ([`ELEMENTS`]) and, for values, from the analysis: declarations in scope by lexical
//! scope (the [`SymbolIndex`](crate::resolve::SymbolIndex)) and the imported WSDL and XSD
//! definitions. The query is pure and never panics, whatever the text and the offset.
//!
//! The offset points into `analysis.unit.text`: analyse the current text before asking.

use crate::check::Analysis;
use crate::fault::StandardFault;
use crate::model::process::{ActivityKind, Process, ScopeDecls};
use crate::model::wsdl::{Message, PartnerLinkType, PortType, Property};
use crate::model::xsd::{BuiltinType, ElementDecl, TypeDef, XSD_NS};
use crate::model::{QName, QNameRef};
use crate::parse::BPEL_NS;
use crate::resolve::{Declaration, Origin, SymbolKind};
use crate::source::FileId;
use crate::span::Span;

/// What may be written at an offset, and which text it replaces.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completions {
    /// The text an item replaces (empty at the offset when nothing is half-typed there).
    pub replace: Span,
    pub items: Vec<CompletionItem>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    /// One line shown beside the label: a type, a signature, a namespace.
    pub detail: Option<String>,
    pub documentation: Option<String>,
    /// The text inserted in place of [`Completions::replace`].
    pub insert_text: String,
    /// The same in LSP snippet syntax (`${1:name}`, `$0`), where tab stops help.
    pub snippet: Option<String>,
    /// What the typed text is matched against, when not the label (`request` for `$request`).
    pub filter_text: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompletionKind {
    /// A WS-BPEL element.
    Element,
    /// The end tag of the element open at the cursor.
    CloseTag,
    Attribute,
    /// A fixed value of an attribute (`yes`, `join`, a language URI).
    Value,
    Variable,
    PartnerLink,
    Link,
    CorrelationSet,
    MessageExchange,
    /// A named activity (`compensateScope target`).
    Activity,
    PortType,
    Operation,
    /// A WSDL message.
    Message,
    /// A part of a WSDL message.
    Part,
    PartnerLinkType,
    Role,
    /// A global XSD element.
    SchemaElement,
    /// An XSD type, built-in or declared.
    Type,
    Fault,
    Property,
    Function,
    Keyword,
}

impl CompletionItem {
    fn plain(label: impl Into<String>, kind: CompletionKind) -> CompletionItem {
        let label = label.into();
        CompletionItem { insert_text: label.clone(), label, kind, detail: None, documentation: None, snippet: None, filter_text: None }
    }

    fn detail(mut self, detail: impl Into<String>) -> CompletionItem {
        self.detail = Some(detail.into());
        self
    }

    fn documentation(mut self, documentation: impl Into<String>) -> CompletionItem {
        self.documentation = Some(documentation.into());
        self
    }
}

/// Completes at `offset` of `file`, which must be the analysed process (`analysis.unit.file`);
/// any other file, or an offset past the text, gets no items.
pub fn complete(analysis: &Analysis, file: FileId, offset: usize) -> Completions {
    let text: &str = &analysis.unit.text;
    if file != analysis.unit.file || offset > text.len() {
        return Completions { replace: Span::empty_at(offset), items: Vec::new() };
    }
    let mut offset = offset;
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let mut scanner = Scanner::new(text);
    scanner.run_until(offset);
    let cx = Context { analysis, process: analysis.unit.process.as_ref(), text, offset };
    match scanner.state {
        State::Content => content(&cx, &scanner),
        State::CData { start } => match scanner.stack.last() {
            Some(open) if scanner.is_bpel(open) && is_expression_element(&open.local) => xpath(&cx, &scanner, start + 9),
            _ => cx.none(),
        },
        State::TagName { name_start } => {
            let replace = cx.name_token(name_start);
            Completions { replace, items: element_items(&scanner, true) }
        }
        State::EndTagName { name_start } => {
            let replace = cx.name_token(name_start);
            let closing = cx.text.get(replace.end as usize..).is_some_and(|rest| rest.trim_start().starts_with('>'));
            let items = scanner.stack.last().map(|open| close_tag_item(open, true, closing)).into_iter().collect();
            Completions { replace, items }
        }
        State::InTag | State::AttrName { .. } | State::AfterAttrName { .. } => {
            // Between attributes nothing is replaced: the name after the cursor is another attribute's.
            let replace = match scanner.state {
                State::AttrName { start } => cx.name_token(start),
                _ => Span::empty_at(offset),
            };
            let mut tag = scanner.clone();
            let attributes = tag.finish_tag();
            Completions { replace, items: attribute_items(&scanner, &attributes, replace) }
        }
        State::AttrValue { value_start, .. } => {
            let mut tag = scanner.clone();
            let attributes = tag.finish_tag();
            attribute_value(&cx, &scanner, &attributes, value_start)
        }
        State::AfterEq | State::Comment | State::ProcessingInstruction | State::Doctype => cx.none(),
    }
}

// ---------------------------------------------------------------------------------------------
// The tolerant scan

#[derive(Clone, Debug)]
struct OpenTag {
    prefix: Option<String>,
    local: String,
    /// The `xmlns` declarations of the tag: (prefix, URI); `None` is the default namespace.
    namespaces: Vec<(Option<String>, String)>,
    /// Attributes read so far: qualified name and value.
    attributes: Vec<(String, String)>,
    /// Offset just after the start tag's `>` (for an open element).
    content_start: usize,
    /// Local names of the child elements seen so far.
    children: Vec<String>,
}

impl OpenTag {
    fn new(qualified: &str) -> OpenTag {
        let (prefix, local) = match qualified.split_once(':') {
            Some((prefix, local)) => (Some(prefix.to_string()), local.to_string()),
            None => (None, qualified.to_string()),
        };
        OpenTag { prefix, local, namespaces: Vec::new(), attributes: Vec::new(), content_start: 0, children: Vec::new() }
    }

    fn qualified(&self) -> String {
        match &self.prefix {
            Some(prefix) => format!("{prefix}:{}", self.local),
            None => self.local.clone(),
        }
    }

    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn add_attribute(&mut self, name: String, value: String) {
        if name == "xmlns" {
            self.namespaces.push((None, value.clone()));
        } else if let Some(prefix) = name.strip_prefix("xmlns:") {
            self.namespaces.push((Some(prefix.to_string()), value.clone()));
        }
        self.attributes.push((name, value));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Character data of the innermost open element (or outside the root).
    Content,
    /// After `<`: the element name from `name_start`.
    TagName {
        name_start: usize,
    },
    /// After `</`.
    EndTagName {
        name_start: usize,
    },
    /// Inside a start tag, between attributes.
    InTag,
    AttrName {
        start: usize,
    },
    AfterAttrName {
        start: usize,
        end: usize,
    },
    AfterEq,
    AttrValue {
        value_start: usize,
        quote: u8,
    },
    Comment,
    CData {
        start: usize,
    },
    ProcessingInstruction,
    Doctype,
}

#[derive(Clone, Debug)]
struct Scanner<'t> {
    text: &'t str,
    position: usize,
    state: State,
    stack: Vec<OpenTag>,
    /// The start tag being read.
    tag: Option<OpenTag>,
    /// The name of the attribute whose value is being read.
    attribute: Option<String>,
    /// Set when a start tag ends: its attributes.
    finished_tag: Option<Vec<(String, String)>>,
}

fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.' | b':') || byte >= 0x80
}

impl<'t> Scanner<'t> {
    fn new(text: &'t str) -> Scanner<'t> {
        Scanner { text, position: 0, state: State::Content, stack: Vec::new(), tag: None, attribute: None, finished_tag: None }
    }

    fn starts_with_at(&self, at: usize, pattern: &str) -> bool {
        self.text.as_bytes().get(at..at + pattern.len()) == Some(pattern.as_bytes())
    }

    fn slice(&self, start: usize, end: usize) -> &'t str {
        self.text.get(start..end).unwrap_or("")
    }

    fn run_until(&mut self, end: usize) {
        let end = end.min(self.text.len());
        while self.position < end {
            self.step();
        }
    }

    /// Reads on to the end of the start tag the cursor is in; returns its attributes (all of
    /// them, also those after the cursor).
    fn finish_tag(&mut self) -> Vec<(String, String)> {
        let before = self.tag.as_ref().map(|tag| tag.attributes.clone()).unwrap_or_default();
        self.finished_tag = None;
        while self.position < self.text.len() && self.finished_tag.is_none() && self.tag.is_some() {
            self.step();
        }
        match self.finished_tag.take() {
            Some(attributes) => attributes,
            None => self.tag.as_ref().map(|tag| tag.attributes.clone()).unwrap_or(before),
        }
    }

    fn end_tag(&mut self, self_closing: bool, after: usize) {
        let Some(mut tag) = self.tag.take() else { return };
        self.finished_tag = Some(tag.attributes.clone());
        if let Some(parent) = self.stack.last_mut() {
            parent.children.push(tag.local.clone());
        }
        if !self_closing {
            tag.content_start = after;
            self.stack.push(tag);
        }
        self.state = State::Content;
    }

    fn step(&mut self) {
        let bytes = self.text.as_bytes();
        let i = self.position;
        let Some(&byte) = bytes.get(i) else {
            self.position += 1;
            return;
        };
        match self.state {
            State::Content => {
                if byte == b'<' {
                    if self.starts_with_at(i, "<!--") {
                        self.state = State::Comment;
                        self.position = i + 4;
                    } else if self.starts_with_at(i, "<![CDATA[") {
                        self.state = State::CData { start: i };
                        self.position = i + 9;
                    } else if self.starts_with_at(i, "<?") {
                        self.state = State::ProcessingInstruction;
                        self.position = i + 2;
                    } else if self.starts_with_at(i, "<!") {
                        self.state = State::Doctype;
                        self.position = i + 2;
                    } else if self.starts_with_at(i, "</") {
                        self.state = State::EndTagName { name_start: i + 2 };
                        self.position = i + 2;
                    } else {
                        self.state = State::TagName { name_start: i + 1 };
                        self.position = i + 1;
                    }
                    return;
                }
                self.position += 1;
            }
            State::Comment => {
                if self.starts_with_at(i, "-->") {
                    self.state = State::Content;
                    self.position = i + 3;
                } else {
                    self.position += 1;
                }
            }
            State::CData { .. } => {
                if self.starts_with_at(i, "]]>") {
                    self.state = State::Content;
                    self.position = i + 3;
                } else {
                    self.position += 1;
                }
            }
            State::ProcessingInstruction => {
                if self.starts_with_at(i, "?>") {
                    self.state = State::Content;
                    self.position = i + 2;
                } else {
                    self.position += 1;
                }
            }
            State::Doctype => {
                if byte == b'>' {
                    self.state = State::Content;
                }
                self.position += 1;
            }
            State::TagName { name_start } => {
                if is_name_byte(byte) {
                    self.position += 1;
                    return;
                }
                if i == name_start {
                    // `<` followed by no name: not a tag.
                    self.state = State::Content;
                    return;
                }
                self.tag = Some(OpenTag::new(self.slice(name_start, i)));
                self.state = State::InTag;
            }
            State::EndTagName { name_start } => {
                if is_name_byte(byte) || byte.is_ascii_whitespace() {
                    self.position += 1;
                    return;
                }
                let name = self.slice(name_start, i).trim().to_string();
                if let Some(depth) = self.stack.iter().rposition(|open| open.qualified() == name) {
                    self.stack.truncate(depth);
                }
                self.state = State::Content;
                if byte == b'>' {
                    self.position += 1;
                }
            }
            State::InTag => match byte {
                b'>' => {
                    self.end_tag(false, i + 1);
                    self.position += 1;
                }
                b'/' if bytes.get(i + 1) == Some(&b'>') => {
                    self.end_tag(true, i + 2);
                    self.position += 2;
                }
                // A new tag before this one ended: take this one as open.
                b'<' => self.end_tag(false, i),
                _ if is_name_byte(byte) => self.state = State::AttrName { start: i },
                _ => self.position += 1,
            },
            State::AttrName { start } => {
                if is_name_byte(byte) {
                    self.position += 1;
                } else {
                    self.state = State::AfterAttrName { start, end: i };
                }
            }
            State::AfterAttrName { start, end } => {
                if byte.is_ascii_whitespace() {
                    self.position += 1;
                } else if byte == b'=' {
                    self.attribute = Some(self.slice(start, end).to_string());
                    self.state = State::AfterEq;
                    self.position += 1;
                } else {
                    self.state = State::InTag;
                }
            }
            State::AfterEq => {
                if byte.is_ascii_whitespace() {
                    self.position += 1;
                } else if byte == b'"' || byte == b'\'' {
                    self.state = State::AttrValue { value_start: i + 1, quote: byte };
                    self.position += 1;
                } else {
                    self.attribute = None;
                    self.state = State::InTag;
                }
            }
            State::AttrValue { value_start, quote } => {
                if byte == quote || byte == b'<' {
                    let name = self.attribute.take().unwrap_or_default();
                    let value = self.slice(value_start, i).to_string();
                    if let Some(tag) = self.tag.as_mut() {
                        tag.add_attribute(name, value);
                    }
                    self.state = State::InTag;
                    // An unclosed quote ends at the next tag: the `<` is read again.
                    if byte == quote {
                        self.position += 1;
                    }
                } else {
                    self.position += 1;
                }
            }
        }
    }

    /// Every open element with the tag being read, innermost last.
    fn open_tags(&self) -> impl DoubleEndedIterator<Item = &OpenTag> {
        self.stack.iter().chain(self.tag.as_ref())
    }

    /// The namespace `prefix` is bound to at the cursor.
    fn namespace_of(&self, prefix: Option<&str>) -> Option<&str> {
        self.open_tags()
            .rev()
            .flat_map(|tag| tag.namespaces.iter().rev())
            .find(|(p, _)| p.as_deref() == prefix)
            .map(|(_, uri)| uri.as_str())
            .filter(|uri| !uri.is_empty())
    }

    /// How to write the name `{namespace}local` at the cursor, if a prefix is bound to its namespace.
    fn qname_text(&self, namespace: Option<&str>, local: &str) -> Option<String> {
        if self.namespace_of(None) == namespace {
            return Some(local.to_string());
        }
        let namespace = namespace?;
        for tag in self.open_tags().rev() {
            for (prefix, uri) in tag.namespaces.iter().rev() {
                if let Some(prefix) = prefix {
                    if uri == namespace && self.namespace_of(Some(prefix)) == Some(namespace) {
                        return Some(format!("{prefix}:{local}"));
                    }
                }
            }
        }
        None
    }

    /// Whether an element is one of WS-BPEL's: its prefix is bound to the BPEL namespace, or bound
    /// to nothing known and its name is a WS-BPEL name.
    fn is_bpel(&self, tag: &OpenTag) -> bool {
        match self.namespace_of(tag.prefix.as_deref()) {
            Some(namespace) => namespace == BPEL_NS,
            None => element_spec(&tag.local).is_some(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The WS-BPEL 2.0 executable schema, as far as completion needs it

/// One element of the WS-BPEL 2.0 executable schema: its attributes (required ones first) and
/// the elements it may hold. [`ACTIVITY`] in `children` stands for every activity.
#[derive(Debug)]
pub struct ElementSpec {
    pub name: &'static str,
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
    pub children: &'static [&'static str],
    /// Children that may appear at most once.
    pub single: &'static [&'static str],
    pub summary: &'static str,
}

/// Stands for "any activity" in [`ElementSpec::children`].
pub const ACTIVITY: &str = "#activity";

/// Every activity takes these besides its own.
const ACTIVITY_ATTRIBUTES: &[&str] = &["name", "suppressJoinFailure"];
const ACTIVITY_CHILDREN: &[&str] = &["documentation", "targets", "sources"];

macro_rules! spec {
    ($name:literal, [$($r:literal),*], [$($o:literal),*], [$($c:expr),*], [$($s:literal),*], $summary:literal) => {
        ElementSpec { name: $name, required: &[$($r),*], optional: &[$($o),*], children: &[$($c),*], single: &[$($s),*], summary: $summary }
    };
}

/// The elements of the WS-BPEL 2.0 executable schema (`ws-bpel_executable.xsd`).
pub const ELEMENTS: &[ElementSpec] = &[
    spec!(
        "process",
        ["name", "targetNamespace"],
        ["queryLanguage", "expressionLanguage", "suppressJoinFailure", "exitOnStandardFault"],
        [
            "documentation",
            "extensions",
            "import",
            "partnerLinks",
            "messageExchanges",
            "variables",
            "correlationSets",
            "faultHandlers",
            "eventHandlers",
            ACTIVITY
        ],
        ["extensions", "partnerLinks", "messageExchanges", "variables", "correlationSets", "faultHandlers", "eventHandlers"],
        "The process: its imports, declarations, handlers and one main activity."
    ),
    spec!("extensions", [], [], ["extension"], [], "The extensions the process uses."),
    spec!("extension", ["namespace", "mustUnderstand"], [], [], [], "An extension namespace, and whether an engine must understand it."),
    spec!("import", ["importType"], ["namespace", "location"], [], [], "Imports a WSDL or XML Schema document."),
    spec!("partnerLinks", [], [], ["partnerLink"], [], "The partner links of the process or scope."),
    spec!(
        "partnerLink",
        ["name", "partnerLinkType"],
        ["myRole", "partnerRole", "initializePartnerRole"],
        [],
        [],
        "A conversation with a partner, typed by a partner link type."
    ),
    spec!("messageExchanges", [], [], ["messageExchange"], [], "Message exchanges pairing receives with replies."),
    spec!("messageExchange", ["name"], [], [], [], "Pairs a receive with its reply when several are open."),
    spec!("variables", [], [], ["variable"], [], "The variables of the process or scope."),
    spec!(
        "variable",
        ["name"],
        ["messageType", "type", "element"],
        ["from"],
        ["from"],
        "A variable: of a WSDL message type, an XSD type or an XSD element."
    ),
    spec!("correlationSets", [], [], ["correlationSet"], [], "The correlation sets of the process or scope."),
    spec!("correlationSet", ["name", "properties"], [], [], [], "Properties whose values route messages to an instance."),
    spec!("faultHandlers", [], [], ["catch", "catchAll"], ["catchAll"], "Handlers for faults thrown inside the scope."),
    spec!(
        "catch",
        [],
        ["faultName", "faultVariable", "faultMessageType", "faultElement"],
        [ACTIVITY],
        [],
        "Handles a fault by name and/or by its data's type."
    ),
    spec!("catchAll", [], [], [ACTIVITY], [], "Handles any fault no catch handles."),
    spec!("compensationHandler", [], [], [ACTIVITY], [], "Undoes the scope's work after it completed."),
    spec!("terminationHandler", [], [], [ACTIVITY], [], "Runs when the scope is terminated."),
    spec!("eventHandlers", [], [], ["onEvent", "onAlarm"], [], "Messages and alarms handled while the scope runs."),
    spec!(
        "onEvent",
        ["partnerLink", "operation"],
        ["portType", "messageType", "element", "variable", "messageExchange"],
        ["correlations", "fromParts", "scope"],
        ["correlations", "fromParts", "scope"],
        "Handles each message of an operation while the scope runs."
    ),
    spec!(
        "onAlarm",
        [],
        [],
        ["for", "until", "repeatEvery", ACTIVITY],
        ["for", "until", "repeatEvery"],
        "Fires after a duration or at a deadline."
    ),
    spec!(
        "receive",
        ["partnerLink", "operation"],
        ["portType", "variable", "createInstance", "messageExchange"],
        ["correlations", "fromParts"],
        ["correlations", "fromParts"],
        "Waits for a message of an operation."
    ),
    spec!(
        "reply",
        ["partnerLink", "operation"],
        ["portType", "variable", "faultName", "messageExchange"],
        ["correlations", "toParts"],
        ["correlations", "toParts"],
        "Answers a request received earlier."
    ),
    spec!(
        "invoke",
        ["partnerLink", "operation"],
        ["portType", "inputVariable", "outputVariable"],
        ["correlations", "catch", "catchAll", "compensationHandler", "toParts", "fromParts"],
        ["correlations", "catchAll", "compensationHandler", "toParts", "fromParts"],
        "Calls an operation of a partner."
    ),
    spec!("assign", [], ["validate"], ["copy", "extensionAssignOperation"], [], "Copies data between variables, expressions and literals."),
    spec!("copy", [], ["keepSrcElementName", "ignoreMissingFromData"], ["from", "to"], ["from", "to"], "Copies one value."),
    spec!(
        "from",
        [],
        ["variable", "part", "partnerLink", "endpointReference", "property", "expressionLanguage"],
        ["literal", "query"],
        ["literal", "query"],
        "The source of a copy: a variable (part, query), a property, an endpoint, a literal or an expression."
    ),
    spec!(
        "to",
        [],
        ["variable", "part", "partnerLink", "property", "expressionLanguage"],
        ["query"],
        ["query"],
        "The target of a copy: a variable (part, query), a property, a partner link or an expression."
    ),
    spec!("literal", [], [], [], [], "A literal value, written as XML."),
    spec!("query", [], ["queryLanguage"], [], [], "A path into the variable or part."),
    spec!("throw", ["faultName"], ["faultVariable"], [], [], "Throws a fault."),
    spec!("rethrow", [], [], [], [], "Throws again the fault being handled."),
    spec!("wait", [], [], ["for", "until"], ["for", "until"], "Waits for a duration or until a deadline."),
    spec!("empty", [], [], [], [], "Does nothing."),
    spec!("exit", [], [], [], [], "Ends the instance at once."),
    spec!("validate", ["variables"], [], [], [], "Checks variables against their types."),
    spec!("compensate", [], [], [], [], "Compensates every completed inner scope."),
    spec!("compensateScope", ["target"], [], [], [], "Compensates one completed inner scope."),
    spec!("sequence", [], [], [ACTIVITY], [], "Runs activities one after the other."),
    spec!("if", [], [], ["condition", ACTIVITY, "elseif", "else"], ["condition", "else"], "Runs the first branch whose condition holds."),
    spec!("elseif", [], [], ["condition", ACTIVITY], ["condition"], "Another condition and its activity."),
    spec!("else", [], [], [ACTIVITY], [], "The activity when no condition holds."),
    spec!("while", [], [], ["condition", ACTIVITY], ["condition"], "Repeats its activity while the condition holds."),
    spec!("repeatUntil", [], [], [ACTIVITY, "condition"], ["condition"], "Runs its activity, then again until the condition holds."),
    spec!(
        "forEach",
        ["counterName", "parallel"],
        [],
        ["startCounterValue", "finalCounterValue", "completionCondition", "scope"],
        ["startCounterValue", "finalCounterValue", "completionCondition", "scope"],
        "Runs its scope once per counter value, in turn or in parallel."
    ),
    spec!("startCounterValue", [], ["expressionLanguage"], [], [], "The first counter value."),
    spec!("finalCounterValue", [], ["expressionLanguage"], [], [], "The last counter value."),
    spec!("completionCondition", [], [], ["branches"], ["branches"], "Ends the forEach early."),
    spec!("branches", [], ["expressionLanguage", "successfulBranchesOnly"], [], [], "How many branches must complete."),
    spec!("pick", [], ["createInstance"], ["onMessage", "onAlarm"], [], "Waits for the first of several messages or alarms."),
    spec!(
        "onMessage",
        ["partnerLink", "operation"],
        ["portType", "variable", "messageExchange"],
        ["correlations", "fromParts", ACTIVITY],
        ["correlations", "fromParts"],
        "A message a pick waits for, and what to do then."
    ),
    spec!("flow", [], [], ["links", ACTIVITY], ["links"], "Runs activities in parallel, ordered by links."),
    spec!("links", [], [], ["link"], [], "The links between activities of the flow."),
    spec!("link", ["name"], [], [], [], "Orders two activities of a flow."),
    spec!(
        "scope",
        [],
        ["isolated", "exitOnStandardFault"],
        [
            "partnerLinks",
            "messageExchanges",
            "variables",
            "correlationSets",
            "faultHandlers",
            "compensationHandler",
            "terminationHandler",
            "eventHandlers",
            ACTIVITY
        ],
        [
            "partnerLinks",
            "messageExchanges",
            "variables",
            "correlationSets",
            "faultHandlers",
            "compensationHandler",
            "terminationHandler",
            "eventHandlers"
        ],
        "Declarations and handlers around one activity."
    ),
    spec!("extensionActivity", [], [], [], [], "Wraps an activity of an extension."),
    spec!("extensionAssignOperation", [], [], [], [], "An assign operation of an extension."),
    spec!("correlations", [], [], ["correlation"], [], "The correlation sets a message uses."),
    spec!("correlation", ["set"], ["initiate", "pattern"], [], [], "A correlation set the message initiates or must match."),
    spec!("fromParts", [], [], ["fromPart"], [], "Copies parts of the message received into variables."),
    spec!("fromPart", ["part", "toVariable"], [], [], [], "A part of the message received, and its variable."),
    spec!("toParts", [], [], ["toPart"], [], "Builds the message sent from variables."),
    spec!("toPart", ["part", "fromVariable"], [], [], [], "A part of the message sent, and its variable."),
    spec!("targets", [], [], ["joinCondition", "target"], ["joinCondition"], "The links that must be done before the activity starts."),
    spec!("target", ["linkName"], [], [], [], "An incoming link."),
    spec!("joinCondition", [], ["expressionLanguage"], [], [], "Whether the activity runs, from its incoming links' status."),
    spec!("sources", [], [], ["source"], [], "The links the activity starts."),
    spec!("source", ["linkName"], [], ["transitionCondition"], ["transitionCondition"], "An outgoing link."),
    spec!("transitionCondition", [], ["expressionLanguage"], [], [], "Whether the outgoing link is taken."),
    spec!("condition", [], ["expressionLanguage"], [], [], "A boolean XPath expression."),
    spec!("for", [], ["expressionLanguage"], [], [], "A duration (XPath expression)."),
    spec!("until", [], ["expressionLanguage"], [], [], "A deadline (XPath expression)."),
    spec!("repeatEvery", [], ["expressionLanguage"], [], [], "The period of a repeating alarm."),
    spec!("documentation", [], ["source", "xml:lang"], [], [], "Text for people."),
];

/// The schema entry of an element, by local name.
pub fn element_spec(local: &str) -> Option<&'static ElementSpec> {
    ELEMENTS.iter().find(|spec| spec.name == local)
}

fn is_activity(local: &str) -> bool {
    crate::parse::process::ACTIVITY_TAGS.contains(&local)
}

/// Every attribute `local` takes (activities: the standard ones too).
pub fn element_attributes(local: &str) -> Vec<&'static str> {
    let Some(spec) = element_spec(local) else { return Vec::new() };
    let mut out: Vec<&'static str> = spec.required.iter().chain(spec.optional).copied().collect();
    if is_activity(local) {
        out.extend(ACTIVITY_ATTRIBUTES);
    }
    out
}

/// The elements `local` may hold, [`ACTIVITY`] expanded.
pub fn element_children(local: &str) -> Vec<&'static str> {
    let Some(spec) = element_spec(local) else { return Vec::new() };
    let mut out: Vec<&'static str> = Vec::new();
    if is_activity(local) {
        out.extend(ACTIVITY_CHILDREN);
    }
    for &child in spec.children {
        if child == ACTIVITY {
            out.extend(crate::parse::process::ACTIVITY_TAGS);
        } else if !out.contains(&child) {
            out.push(child);
        }
    }
    out
}

fn is_expression_element(local: &str) -> bool {
    matches!(
        local,
        "condition"
            | "for"
            | "until"
            | "repeatEvery"
            | "joinCondition"
            | "transitionCondition"
            | "startCounterValue"
            | "finalCounterValue"
            | "branches"
            | "from"
            | "to"
            | "query"
    )
}

/// A snippet (without the leading `<`) for the elements where one helps.
fn element_snippet(local: &str, prefix: &str) -> Option<String> {
    let p = prefix;
    let snippet = match local {
        "receive" => format!(
            "{p}receive name=\"${{1:Receive}}\" partnerLink=\"${{2:partnerLink}}\" operation=\"${{3:operation}}\" variable=\"${{4:variable}}\" createInstance=\"${{5|yes,no|}}\"/>$0"
        ),
        "reply" => format!("{p}reply name=\"${{1:Reply}}\" partnerLink=\"${{2:partnerLink}}\" operation=\"${{3:operation}}\" variable=\"${{4:variable}}\"/>$0"),
        "invoke" => format!(
            "{p}invoke name=\"${{1:Invoke}}\" partnerLink=\"${{2:partnerLink}}\" operation=\"${{3:operation}}\" inputVariable=\"${{4:input}}\" outputVariable=\"${{5:output}}\"/>$0"
        ),
        "scope" => format!(
            "{p}scope name=\"${{1:Scope}}\">\n\t<{p}faultHandlers>\n\t\t<{p}catchAll>\n\t\t\t${{2:<{p}empty/>}}\n\t\t</{p}catchAll>\n\t</{p}faultHandlers>\n\t$0\n</{p}scope>"
        ),
        "flow" => format!("{p}flow name=\"${{1:Flow}}\">\n\t<{p}links>\n\t\t<{p}link name=\"${{2:link}}\"/>\n\t</{p}links>\n\t$0\n</{p}flow>"),
        "forEach" => format!(
            "{p}forEach name=\"${{1:ForEach}}\" counterName=\"${{2:i}}\" parallel=\"${{3|no,yes|}}\">\n\t<{p}startCounterValue>${{4:1}}</{p}startCounterValue>\n\t<{p}finalCounterValue>${{5:10}}</{p}finalCounterValue>\n\t<{p}scope>\n\t\t$0\n\t</{p}scope>\n</{p}forEach>"
        ),
        "pick" => format!(
            "{p}pick name=\"${{1:Pick}}\">\n\t<{p}onMessage partnerLink=\"${{2:partnerLink}}\" operation=\"${{3:operation}}\" variable=\"${{4:variable}}\">\n\t\t$0\n\t</{p}onMessage>\n\t<{p}onAlarm>\n\t\t<{p}for>${{5:'PT1H'}}</{p}for>\n\t\t<{p}empty/>\n\t</{p}onAlarm>\n</{p}pick>"
        ),
        "sequence" => format!("{p}sequence name=\"${{1:Sequence}}\">\n\t$0\n</{p}sequence>"),
        "if" => format!("{p}if name=\"${{1:If}}\">\n\t<{p}condition>${{2:true()}}</{p}condition>\n\t$0\n</{p}if>"),
        "while" => format!("{p}while name=\"${{1:While}}\">\n\t<{p}condition>${{2:true()}}</{p}condition>\n\t$0\n</{p}while>"),
        "repeatUntil" => format!("{p}repeatUntil name=\"${{1:RepeatUntil}}\">\n\t$0\n\t<{p}condition>${{2:true()}}</{p}condition>\n</{p}repeatUntil>"),
        "assign" => format!(
            "{p}assign name=\"${{1:Assign}}\">\n\t<{p}copy>\n\t\t<{p}from>${{2:expression}}</{p}from>\n\t\t<{p}to variable=\"${{3:variable}}\"/>\n\t</{p}copy>\n</{p}assign>$0"
        ),
        "copy" => format!("{p}copy>\n\t<{p}from>${{1:expression}}</{p}from>\n\t<{p}to variable=\"${{2:variable}}\"/>\n</{p}copy>$0"),
        "wait" => format!("{p}wait name=\"${{1:Wait}}\">\n\t<{p}for>${{2:'PT1M'}}</{p}for>\n</{p}wait>$0"),
        "onAlarm" => format!("{p}onAlarm>\n\t<{p}for>${{1:'PT1H'}}</{p}for>\n\t$0\n</{p}onAlarm>"),
        "catch" => format!("{p}catch faultName=\"${{1:faultName}}\">\n\t$0\n</{p}catch>"),
        "process" => format!(
            "{p}process name=\"${{1:Process}}\" targetNamespace=\"${{2:http://example.com/process}}\"\n\txmlns=\"{BPEL_NS}\">\n\t$0\n</{p}process>"
        ),
        _ => return None,
    };
    Some(snippet)
}

/// A generic snippet: the required attributes as tab stops, an end tag when the element holds
/// other elements or text.
fn generic_snippet(spec: &ElementSpec, prefix: &str) -> String {
    let mut out = format!("{prefix}{}", spec.name);
    for (i, attribute) in spec.required.iter().enumerate() {
        out.push_str(&format!(" {attribute}=\"${{{}}}\"", i + 1));
    }
    let holds_content = !spec.children.is_empty() || is_expression_element(spec.name) || matches!(spec.name, "literal" | "documentation");
    if holds_content {
        out.push_str(&format!(">$0</{prefix}{}>", spec.name));
    } else {
        out.push_str("/>$0");
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Elements

struct Context<'a> {
    analysis: &'a Analysis,
    process: Option<&'a Process>,
    text: &'a str,
    offset: usize,
}

impl Context<'_> {
    fn none(&self) -> Completions {
        Completions { replace: Span::empty_at(self.offset), items: Vec::new() }
    }

    /// From `start` (at most the offset) to the end of the name the offset stands in.
    fn name_token(&self, start: usize) -> Span {
        let bytes = self.text.as_bytes();
        let mut end = self.offset;
        while end < bytes.len() && is_name_byte(bytes[end]) {
            end += 1;
        }
        Span::new(start.min(self.offset), end)
    }

    /// The name chars just before the offset, with those just after it.
    fn word_around(&self) -> Span {
        let bytes = self.text.as_bytes();
        let mut start = self.offset;
        while start > 0 && is_name_byte(bytes[start - 1]) {
            start -= 1;
        }
        self.name_token(start)
    }
}

fn content(cx: &Context<'_>, scanner: &Scanner<'_>) -> Completions {
    let Some(open) = scanner.stack.last() else {
        let replace = cx.word_around();
        return Completions { replace, items: element_items(scanner, false) };
    };
    if scanner.is_bpel(open) && is_expression_element(&open.local) {
        let written = cx.text.get(open.content_start..cx.offset).unwrap_or("");
        let holds_elements = matches!(open.local.as_str(), "from" | "to");
        if !(holds_elements && written.trim().is_empty()) {
            return xpath(cx, scanner, open.content_start);
        }
        // An empty <from>/<to>: an expression, or a <literal>/<query>.
        let mut completions = xpath(cx, scanner, open.content_start);
        completions.items.extend(element_items(scanner, false));
        return completions;
    }
    let replace = cx.word_around();
    Completions { replace, items: element_items(scanner, false) }
}

fn close_tag_item(open: &OpenTag, after_slash: bool, closing_present: bool) -> CompletionItem {
    let name = open.qualified();
    let insert = match (after_slash, closing_present) {
        (true, true) => name.clone(),
        (true, false) => format!("{name}>"),
        (false, _) => format!("</{name}>"),
    };
    let mut item = CompletionItem::plain(format!("/{name}"), CompletionKind::CloseTag).detail(format!("closes <{name}>"));
    item.insert_text = insert;
    item.filter_text = Some(name);
    item
}

/// The elements allowed where the cursor is, and the end tag of the open element. `after_lt`:
/// the `<` is written already.
fn element_items(scanner: &Scanner<'_>, after_lt: bool) -> Vec<CompletionItem> {
    let mut items = Vec::new();
    let parent = scanner.stack.last();
    let inside_data = scanner.stack.iter().any(|open| matches!(open.local.as_str(), "literal" | "documentation") || !scanner.is_bpel(open));
    let children: Vec<&'static str> = match parent {
        None => vec!["process"],
        Some(_) if inside_data => Vec::new(),
        Some(parent) => {
            let single = element_spec(&parent.local).map_or(&[][..], |spec| spec.single);
            let mut children = element_children(&parent.local);
            children.retain(|child| {
                !(single.contains(child) || ACTIVITY_CHILDREN.contains(child)) || !parent.children.iter().any(|c| c == child)
            });
            children
        }
    };
    let prefix = match parent {
        Some(parent) if !inside_data => parent.prefix.as_ref().map(|p| format!("{p}:")).unwrap_or_default(),
        _ => String::new(),
    };
    let lt = if after_lt { "" } else { "<" };
    for child in children {
        let Some(spec) = element_spec(child) else { continue };
        let snippet = element_snippet(child, &prefix).unwrap_or_else(|| generic_snippet(spec, &prefix));
        let label = format!("{prefix}{child}");
        let mut item = CompletionItem::plain(label.clone(), CompletionKind::Element)
            .detail(if is_activity(child) { "activity" } else { "element" })
            .documentation(spec.summary);
        item.insert_text = format!("{lt}{label}");
        item.snippet = Some(format!("{lt}{snippet}"));
        if !after_lt {
            item.filter_text = Some(label);
        }
        items.push(item);
    }
    if let Some(parent) = parent {
        let mut item = close_tag_item(parent, false, false);
        if after_lt {
            item.insert_text = format!("/{}>", parent.qualified());
        }
        items.push(item);
    }
    items
}

// ---------------------------------------------------------------------------------------------
// Attributes

fn attribute_items(scanner: &Scanner<'_>, present: &[(String, String)], replace: Span) -> Vec<CompletionItem> {
    let Some(tag) = scanner.tag.as_ref() else { return Vec::new() };
    if !scanner.is_bpel(tag) {
        return Vec::new();
    }
    let typed = scanner.slice(replace.start as usize, replace.end as usize);
    let required = element_spec(&tag.local).map_or(&[][..], |spec| spec.required);
    element_attributes(&tag.local)
        .into_iter()
        .filter(|name| *name == typed || !present.iter().any(|(n, _)| n == name))
        .map(|name| {
            let mut item = CompletionItem::plain(name, CompletionKind::Attribute).detail(if required.contains(&name) {
                "required"
            } else {
                "optional"
            });
            item.insert_text = format!("{name}=\"\"");
            item.snippet = Some(format!("{name}=\"$1\"$0"));
            item
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Attribute values

fn attribute_value(cx: &Context<'_>, scanner: &Scanner<'_>, attributes: &[(String, String)], value_start: usize) -> Completions {
    let bytes = cx.text.as_bytes();
    let Some(tag) = scanner.tag.as_ref() else { return cx.none() };
    let attribute = scanner.attribute.clone().unwrap_or_default();
    // The whitespace-separated token the cursor is in.
    let mut start = cx.offset;
    while start > value_start && !bytes[start - 1].is_ascii_whitespace() {
        start -= 1;
    }
    let mut end = cx.offset;
    while end < bytes.len() && !matches!(bytes[end], b'"' | b'\'' | b'<' | b'>') && !bytes[end].is_ascii_whitespace() {
        end += 1;
    }
    let replace = Span::new(start, end);
    if !scanner.is_bpel(tag) {
        return Completions { replace, items: Vec::new() };
    }
    let attr = |name: &str| {
        attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim().to_string()).or_else(|| tag.attribute(name).map(str::to_string))
    };
    let model = Model { cx, scanner };
    let element = tag.local.as_str();
    let items = match (element, attribute.as_str()) {
        (_, "variable" | "inputVariable" | "outputVariable" | "fromVariable" | "toVariable" | "variables")
            if !matches!(element, "variable" | "onEvent") =>
        {
            model.symbols(SymbolKind::Variable, CompletionKind::Variable)
        }
        ("throw", "faultVariable") => model.symbols(SymbolKind::Variable, CompletionKind::Variable),
        (_, "partnerLink") if element != "partnerLink" => model.symbols(SymbolKind::PartnerLink, CompletionKind::PartnerLink),
        (_, "linkName") => model.symbols(SymbolKind::Link, CompletionKind::Link),
        ("correlation", "set") => model.symbols(SymbolKind::CorrelationSet, CompletionKind::CorrelationSet),
        (_, "messageExchange") if element != "messageExchange" => {
            model.symbols(SymbolKind::MessageExchange, CompletionKind::MessageExchange)
        }
        (_, "portType") => model.port_types(element, attr("partnerLink").as_deref()),
        (_, "operation") => model.operations(element, attr("partnerLink").as_deref(), attr("portType").as_deref()),
        (_, "messageType" | "faultMessageType") => model.messages(),
        (_, "element" | "faultElement") => model.schema_elements(),
        (_, "type") => model.types(),
        (_, "faultName") => model.faults(),
        (_, "partnerLinkType") => model.partner_link_types(),
        ("partnerLink", "myRole" | "partnerRole") => model.roles(attr("partnerLinkType").as_deref()),
        (_, "property" | "properties") => model.properties(),
        ("from" | "to", "part") => model.parts_of_variable(attr("variable").as_deref().unwrap_or("")),
        ("fromPart" | "toPart", "part") => model.parts_of_operation(element),
        ("compensateScope", "target") => model.compensable_activities(),
        (_, "initiate") => values(&[
            ("yes", "this message initiates the set"),
            ("join", "initiates the set unless it is already"),
            ("no", "the set must be initiated already"),
        ]),
        (_, "pattern") => {
            values(&[("request", "the outgoing request"), ("response", "the incoming response"), ("request-response", "both")])
        }
        (_, "endpointReference") => values(&[("myRole", "the process's own endpoint"), ("partnerRole", "the partner's endpoint")]),
        (_, "expressionLanguage" | "queryLanguage") => values(&[
            ("urn:oasis:names:tc:wsbpel:2.0:sublang:xpath1.0", "XPath 1.0 (the default)"),
            ("urn:oasis:names:tc:wsbpel:2.0:sublang:xpath2.0", "XPath 2.0 (Apache ODE's default)"),
        ]),
        ("import", "importType") => {
            values(&[("http://schemas.xmlsoap.org/wsdl/", "WSDL 1.1"), ("http://www.w3.org/2001/XMLSchema", "XML Schema")])
        }
        (
            _,
            "createInstance"
            | "suppressJoinFailure"
            | "exitOnStandardFault"
            | "initializePartnerRole"
            | "isolated"
            | "parallel"
            | "validate"
            | "keepSrcElementName"
            | "ignoreMissingFromData"
            | "successfulBranchesOnly"
            | "mustUnderstand",
        ) => values(&[("yes", ""), ("no", "")]),
        _ => Vec::new(),
    };
    Completions { replace, items }
}

fn values(choices: &[(&str, &str)]) -> Vec<CompletionItem> {
    choices
        .iter()
        .map(|(value, meaning)| {
            let item = CompletionItem::plain(*value, CompletionKind::Value);
            if meaning.is_empty() {
                item
            } else {
                item.detail(*meaning)
            }
        })
        .collect()
}

fn part_item(part: &crate::model::wsdl::Part) -> CompletionItem {
    let detail = match (&part.element, &part.type_) {
        (Some(element), _) => format!("part, element {}", element.text),
        (None, Some(type_)) => format!("part, type {}", type_.text),
        (None, None) => "part".to_string(),
    };
    CompletionItem::plain(part.name.value.clone(), CompletionKind::Part).detail(detail)
}

/// The type attributes of a variable's declaration.
struct VariableTyping<'a> {
    message_type: Option<&'a QNameRef>,
    element: Option<&'a QNameRef>,
    type_: Option<&'a QNameRef>,
}

/// Value lookups in the analysis at the cursor.
struct Model<'a, 's> {
    cx: &'a Context<'a>,
    scanner: &'a Scanner<'s>,
}

impl<'a> Model<'a, '_> {
    /// The declarations of `kind` visible at the cursor, the innermost of each name.
    fn visible(&self, kind: SymbolKind) -> Vec<&'a Declaration> {
        let Some(process) = self.cx.process else { return Vec::new() };
        let offset = self.cx.offset;
        let span_of = |id: crate::model::process::ActivityId| process.activities.get(id.0 as usize).map(|a| a.span);
        let mut visible: Vec<(usize, &'a Declaration)> = self
            .cx
            .analysis
            .symbols
            .declarations
            .iter()
            .filter(|d| d.kind == kind)
            .filter_map(|d| {
                let owner_span = d.owner.and_then(span_of);
                let inside = |span: Span| span.start as usize <= offset && offset < span.end as usize;
                let depth = match (d.origin, owner_span) {
                    (Origin::Block, None) if d.owner.is_none() => Some(usize::MAX),
                    (Origin::Block, Some(span)) => inside(span).then_some(span.len()),
                    (_, owner) => [Some(d.element_span), owner].into_iter().flatten().filter(|s| inside(*s)).map(Span::len).min(),
                };
                depth.map(|depth| (depth, d))
            })
            .collect();
        visible.sort_by_key(|(depth, d)| (*depth, d.span.start));
        let mut seen: Vec<&str> = Vec::new();
        visible.retain(|(_, d)| {
            if seen.contains(&d.name.as_str()) {
                false
            } else {
                seen.push(&d.name);
                true
            }
        });
        visible.into_iter().map(|(_, d)| d).collect()
    }

    fn symbols(&self, kind: SymbolKind, item_kind: CompletionKind) -> Vec<CompletionItem> {
        self.visible(kind)
            .into_iter()
            .map(|d| {
                let detail = match kind {
                    SymbolKind::Variable => self.variable_type_text(d).unwrap_or_else(|| kind.describe().to_string()),
                    _ => kind.describe().to_string(),
                };
                CompletionItem::plain(d.name.clone(), item_kind).detail(detail)
            })
            .collect()
    }

    fn all_decls(&self) -> Vec<&'a ScopeDecls> {
        let Some(process) = self.cx.process else { return Vec::new() };
        let mut out = vec![&process.scope];
        for activity in &process.activities {
            match &activity.kind {
                ActivityKind::Scope(scope) => out.push(&scope.decls),
                ActivityKind::Invoke(invoke) => out.push(&invoke.handlers),
                _ => {}
            }
        }
        out
    }

    /// The message type, element or type a variable declaration states, as written.
    fn variable_type_text(&self, declaration: &Declaration) -> Option<String> {
        let declared = self.variable_type(declaration)?;
        let text = |q: Option<&QNameRef>| q.map(|q| q.text.clone());
        text(declared.message_type)
            .map(|m| format!("messageType {m}"))
            .or(text(declared.element).map(|e| format!("element {e}")))
            .or(text(declared.type_).map(|t| format!("type {t}")))
    }

    /// What a variable declaration (a `<variable>`, a catch's fault variable, an onEvent's
    /// variable) says of the variable's type.
    fn variable_type(&self, declaration: &Declaration) -> Option<VariableTyping<'a>> {
        for decls in self.all_decls() {
            if let Some(v) = decls.variables.iter().find(|v| v.span == declaration.element_span) {
                return Some(VariableTyping {
                    message_type: v.ty.message_type.as_ref(),
                    element: v.ty.element.as_ref(),
                    type_: v.ty.type_.as_ref(),
                });
            }
            for catch in decls.fault_handlers.iter().flat_map(|h| &h.catches) {
                if catch.span == declaration.element_span {
                    return Some(VariableTyping {
                        message_type: catch.fault_message_type.as_ref(),
                        element: catch.fault_element.as_ref(),
                        type_: None,
                    });
                }
            }
            for on_event in decls.event_handlers.iter().flat_map(|h| &h.on_events) {
                if on_event.span == declaration.element_span {
                    return Some(VariableTyping {
                        message_type: on_event.message_type.as_ref(),
                        element: on_event.element.as_ref(),
                        type_: None,
                    });
                }
            }
        }
        None
    }

    fn definitions(&self) -> &'a crate::parse::Definitions {
        &self.cx.analysis.unit.definitions
    }

    /// A QName written at the cursor, resolved with the namespaces in scope there; an undeclared
    /// prefix gives a namespace nothing is defined in.
    fn resolve_written(&self, text: &str) -> QName {
        let (prefix, local) = text.split_once(':').map_or((None, text), |(prefix, local)| (Some(prefix), local));
        match (prefix, self.scanner.namespace_of(prefix)) {
            (Some(prefix), None) => QName::new(Some(&format!("urn:undeclared-prefix:{prefix}")), local),
            (_, namespace) => QName::new(namespace, local),
        }
    }

    /// A QName as it can be written at the cursor; `None` when no prefix is bound to its namespace.
    fn written(&self, name: &QName) -> Option<String> {
        self.scanner.qname_text(name.namespace.as_deref(), &name.local)
    }

    fn qname_item(&self, name: &QName, kind: CompletionKind, detail: String) -> Option<CompletionItem> {
        let written = self.written(name)?;
        let mut item = CompletionItem::plain(written, kind).detail(detail);
        item.filter_text = (name.local != item.label).then(|| item.label.clone());
        Some(item)
    }

    /// The port type a partner link gives an element: its partnerLinkType's `myRole` for what
    /// receives, `partnerRole` for invoke (the other role when that one is absent).
    fn role_port_type(&self, element: &str, partner_link: &str) -> Option<&'a QName> {
        let declaration = self.visible(SymbolKind::PartnerLink).into_iter().find(|d| d.name == partner_link)?;
        let link = self.all_decls().into_iter().flat_map(|d| &d.partner_links).find(|p| p.span == declaration.element_span)?;
        let link_type = self.definitions().partner_link_type(link.partner_link_type.as_ref()?.name.as_ref()?)?;
        let (first, second) = if element == "invoke" { (&link.partner_role, &link.my_role) } else { (&link.my_role, &link.partner_role) };
        let role = [first, second].into_iter().flatten().find_map(|name| link_type.item.role(&name.value))?;
        role.port_type.as_ref()?.name.as_ref()
    }

    fn port_types(&self, element: &str, partner_link: Option<&str>) -> Vec<CompletionItem> {
        let only = partner_link.and_then(|p| self.role_port_type(element, p));
        self.definitions()
            .iter::<PortType>()
            .filter(|def| only.is_none_or(|only| *only == def.qname()))
            .filter_map(|def| {
                self.qname_item(&def.qname(), CompletionKind::PortType, format!("port type, {} operations", def.operations.len()))
            })
            .collect()
    }

    fn operations(&self, element: &str, partner_link: Option<&str>, port_type: Option<&str>) -> Vec<CompletionItem> {
        let from_link = partner_link.and_then(|p| self.role_port_type(element, p)).cloned();
        let from_attribute = port_type.map(|text| self.resolve_written(text));
        let only = from_link.or(from_attribute);
        let mut items: Vec<CompletionItem> = Vec::new();
        for def in self.definitions().iter::<PortType>() {
            if only.as_ref().is_some_and(|only| *only != def.qname()) {
                continue;
            }
            for operation in &def.operations {
                if items.iter().any(|i| i.label == operation.name.value) {
                    continue;
                }
                let message = |m: &Option<crate::model::wsdl::OperationMessage>| {
                    m.as_ref().and_then(|m| m.message.as_ref()).map_or("-".to_string(), |q| q.text.clone())
                };
                let shape = if operation.output.is_some() { "request-response" } else { "one-way" };
                let mut documentation = format!("input: {}", message(&operation.input));
                if operation.output.is_some() {
                    documentation.push_str(&format!("\noutput: {}", message(&operation.output)));
                }
                for fault in &operation.faults {
                    documentation.push_str(&format!("\nfault {}", fault.name.value));
                }
                items.push(
                    CompletionItem::plain(operation.name.value.clone(), CompletionKind::Operation)
                        .detail(format!("{shape} operation of {}", def.name.value))
                        .documentation(documentation),
                );
            }
        }
        items
    }

    fn messages(&self) -> Vec<CompletionItem> {
        self.definitions()
            .iter::<Message>()
            .filter_map(|def| {
                let parts: Vec<&str> = def.parts.iter().map(|p| p.name.value.as_str()).collect();
                self.qname_item(&def.qname(), CompletionKind::Message, format!("message ({})", parts.join(", ")))
            })
            .collect()
    }

    fn schema_elements(&self) -> Vec<CompletionItem> {
        self.definitions()
            .iter::<ElementDecl>()
            .filter_map(|def| self.qname_item(&def.qname(), CompletionKind::SchemaElement, "XSD element".to_string()))
            .collect()
    }

    fn types(&self) -> Vec<CompletionItem> {
        let mut items: Vec<CompletionItem> = self
            .definitions()
            .iter::<TypeDef>()
            .filter(|def| def.item.name().is_some())
            .filter_map(|def| {
                let kind = if def.item.is_simple() { "simple type" } else { "complex type" };
                self.qname_item(&def.qname(), CompletionKind::Type, format!("XSD {kind}"))
            })
            .collect();
        items.extend(BuiltinType::all().filter_map(|builtin| {
            self.qname_item(&QName::new(Some(XSD_NS), builtin.local_name()), CompletionKind::Type, "XSD built-in type".to_string())
        }));
        items
    }

    /// Faults the operations of the imported port types declare, then WS-BPEL's standard faults.
    fn faults(&self) -> Vec<CompletionItem> {
        let mut items: Vec<CompletionItem> = Vec::new();
        for def in self.definitions().iter::<PortType>() {
            for operation in &def.operations {
                for fault in &operation.faults {
                    let name = QName::new(def.namespace, &fault.name.value);
                    let detail = format!("fault of {}.{}", def.name.value, operation.name.value);
                    if let Some(item) = self.qname_item(&name, CompletionKind::Fault, detail) {
                        if !items.iter().any(|i| i.label == item.label) {
                            items.push(item);
                        }
                    }
                }
            }
        }
        for fault in StandardFault::ALL {
            let written = self.written(&fault.qname()).unwrap_or_else(|| format!("bpel:{}", fault.local_name()));
            let mut item = CompletionItem::plain(written, CompletionKind::Fault).detail("WS-BPEL standard fault");
            item.filter_text = (item.label != fault.local_name()).then(|| item.label.clone());
            items.push(item);
        }
        items
    }

    fn partner_link_types(&self) -> Vec<CompletionItem> {
        self.definitions()
            .iter::<PartnerLinkType>()
            .filter_map(|def| {
                let roles: Vec<&str> = def.roles.iter().map(|r| r.name.value.as_str()).collect();
                self.qname_item(&def.qname(), CompletionKind::PartnerLinkType, format!("roles: {}", roles.join(", ")))
            })
            .collect()
    }

    fn roles(&self, partner_link_type: Option<&str>) -> Vec<CompletionItem> {
        let wanted = partner_link_type.map(|text| self.resolve_written(text));
        let mut items = Vec::new();
        for def in self.definitions().iter::<PartnerLinkType>() {
            if wanted.as_ref().is_some_and(|wanted| *wanted != def.qname()) {
                continue;
            }
            for role in &def.roles {
                let port_type = role.port_type.as_ref().map_or(String::new(), |p| format!(", port type {}", p.text));
                items.push(
                    CompletionItem::plain(role.name.value.clone(), CompletionKind::Role)
                        .detail(format!("role of {}{port_type}", def.name.value)),
                );
            }
        }
        items
    }

    fn properties(&self) -> Vec<CompletionItem> {
        self.definitions()
            .iter::<Property>()
            .filter_map(|def| self.qname_item(&def.qname(), CompletionKind::Property, "property".to_string()))
            .collect()
    }

    /// The parts of the message type of the variable `name` visible at the cursor.
    fn parts_of_variable(&self, name: &str) -> Vec<CompletionItem> {
        let Some(declaration) = self.visible(SymbolKind::Variable).into_iter().find(|d| d.name == name) else { return Vec::new() };
        let message_type = self.variable_type(declaration).and_then(|typing| typing.message_type?.name.as_ref());
        let Some(message) = message_type.and_then(|name| self.definitions().message(name)) else { return Vec::new() };
        message.parts.iter().map(part_item).collect()
    }

    /// The parts of the message a `<fromPart>` or `<toPart>` takes apart or builds: of the
    /// operation of the message activity holding it, input or output by direction.
    fn parts_of_operation(&self, element: &str) -> Vec<CompletionItem> {
        let holders = ["receive", "reply", "invoke", "onMessage", "onEvent"];
        let Some(activity) = self.scanner.stack.iter().rev().find(|open| holders.contains(&open.local.as_str())) else { return Vec::new() };
        let Some(operation_name) = activity.attribute("operation").map(str::trim) else { return Vec::new() };
        let port_type = match activity.attribute("partnerLink").and_then(|p| self.role_port_type(&activity.local, p.trim())) {
            Some(port_type) => Some(port_type.clone()),
            None => activity.attribute("portType").map(|text| self.resolve_written(text.trim())),
        };
        let Some(operation) = port_type.and_then(|port_type| self.definitions().operation(&port_type, operation_name)) else {
            return Vec::new();
        };
        let output = matches!((element, activity.local.as_str()), ("fromPart", "invoke") | ("toPart", "reply"));
        let message = if output { &operation.output } else { &operation.input };
        let Some(message) =
            message.as_ref().and_then(|m| m.message.as_ref()?.name.as_ref()).and_then(|name| self.definitions().message(name))
        else {
            return Vec::new();
        };
        message.parts.iter().map(part_item).collect()
    }

    fn compensable_activities(&self) -> Vec<CompletionItem> {
        let Some(process) = self.cx.process else { return Vec::new() };
        process
            .activities
            .iter()
            .filter(|a| matches!(a.kind, ActivityKind::Scope(_) | ActivityKind::Invoke(_)))
            .filter_map(|a| Some(CompletionItem::plain(a.name.as_ref()?.value.clone(), CompletionKind::Activity).detail(a.kind.tag())))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// XPath

/// An XPath 1.0 core function or a WS-BPEL one: name, parameters, result, meaning.
pub struct XPathFunction {
    pub name: &'static str,
    pub parameters: &'static [&'static str],
    pub result: &'static str,
    pub summary: &'static str,
}

macro_rules! function {
    ($name:literal, [$($p:literal),*], $result:literal, $summary:literal) => {
        XPathFunction { name: $name, parameters: &[$($p),*], result: $result, summary: $summary }
    };
}

/// The XPath 1.0 core library (XPath 1.0 §4).
pub const XPATH_FUNCTIONS: &[XPathFunction] = &[
    function!("last", [], "number", "The size of the context."),
    function!("position", [], "number", "The position of the context node."),
    function!("count", ["node-set"], "number", "The number of nodes."),
    function!("id", ["object"], "node-set", "The elements with these IDs."),
    function!("local-name", ["node-set?"], "string", "The local part of the first node's name."),
    function!("namespace-uri", ["node-set?"], "string", "The namespace URI of the first node's name."),
    function!("name", ["node-set?"], "string", "The qualified name of the first node."),
    function!("string", ["object?"], "string", "The value as a string."),
    function!("concat", ["string", "string", "string*"], "string", "The strings joined."),
    function!("starts-with", ["string", "string"], "boolean", "Whether the first string starts with the second."),
    function!("contains", ["string", "string"], "boolean", "Whether the first string contains the second."),
    function!("substring-before", ["string", "string"], "string", "The part before the first occurrence."),
    function!("substring-after", ["string", "string"], "string", "The part after the first occurrence."),
    function!("substring", ["string", "number", "number?"], "string", "The characters from a position (1-based), of a length."),
    function!("string-length", ["string?"], "number", "The number of characters."),
    function!("normalize-space", ["string?"], "string", "The string with whitespace collapsed and trimmed."),
    function!("translate", ["string", "string", "string"], "string", "Replaces characters of the second string by those of the third."),
    function!("boolean", ["object"], "boolean", "The value as a boolean."),
    function!("not", ["boolean"], "boolean", "The negation."),
    function!("true", [], "boolean", "True."),
    function!("false", [], "boolean", "False."),
    function!("lang", ["string"], "boolean", "Whether the context node's xml:lang is this language."),
    function!("number", ["object?"], "number", "The value as a number."),
    function!("sum", ["node-set"], "number", "The sum of the nodes' values."),
    function!("floor", ["number"], "number", "The largest integer not greater."),
    function!("ceiling", ["number"], "number", "The smallest integer not less."),
    function!("round", ["number"], "number", "The closest integer."),
];

/// The functions WS-BPEL 2.0 adds (§8.3), in its namespace.
pub const BPEL_FUNCTIONS: &[XPathFunction] = &[
    function!(
        "getVariableProperty",
        ["string variableName", "string propertyName"],
        "object",
        "The value of a property of a variable (WS-BPEL §8.3.1)."
    ),
    function!(
        "doXslTransform",
        ["string styleSheet", "node-set source", "string paramName?", "object paramValue?"],
        "object",
        "Applies an XSLT 1.0 style sheet to a node (WS-BPEL §8.3.2); parameters come in name/value pairs."
    ),
];

/// Apache ODE's XPath extension functions (XPath 2.0; see `docs/xpath2-and-ode.md`), offered after
/// a prefix bound to their namespace.
pub const ODE_FUNCTIONS: &[XPathFunction] = &[
    function!(
        "split-to-elements",
        ["string text", "string separators", "string elementName", "string namespace?"],
        "element()*",
        "One element per piece of the text split at any of the separator characters."
    ),
    function!("combine-url", ["string base", "string relative"], "string", "The relative URL resolved against the base."),
    function!(
        "compose-url",
        ["string template", "string name", "string value"],
        "string",
        "The template's {name} replaced by the value, percent-encoded; names without a value removed."
    ),
    function!(
        "expand-template",
        ["string template", "string name", "string value"],
        "string",
        "As compose-url, but names without a value stay as written."
    ),
    function!("dom-to-string", ["node node"], "string", "The node as XML text."),
    function!(
        "insert-before",
        ["node* target", "node* nodes"],
        "element()",
        "A copy of the target's parent with the nodes inserted before the target (an optional first argument, a context, is not used)."
    ),
    function!(
        "insert-after",
        ["node* target", "node* nodes"],
        "element()",
        "A copy of the target's parent with the nodes inserted after the target (an optional first argument, a context, is not used)."
    ),
    function!(
        "insert-as-first-into",
        ["element context", "node* nodes"],
        "element()",
        "A copy of the context with the nodes as its first children."
    ),
    function!(
        "insert-as-last-into",
        ["element context", "node* nodes"],
        "element()",
        "A copy of the context with the nodes as its last children."
    ),
    function!(
        "delete",
        ["node* nodes"],
        "element()",
        "A copy of the nodes' parent without them (an optional first argument, a context, is not used)."
    ),
    function!("rename", ["element context", "string name"], "element()", "A copy of the context under another name."),
    function!("process-property", ["QName name"], "string?", "A process property of the deploy.xml."),
];

impl XPathFunction {
    /// `name(string, number?) -> string`, with `prefix` before the name.
    pub fn signature(&self, prefix: &str) -> String {
        format!("{prefix}{}({}) -> {}", self.name, self.parameters.join(", "), self.result)
    }

    fn item(&self, prefix: &str) -> CompletionItem {
        let label = format!("{prefix}{}", self.name);
        let stops: Vec<String> = self
            .parameters
            .iter()
            .filter(|p| !p.ends_with('?') && !p.ends_with('*'))
            .enumerate()
            .map(|(i, p)| format!("${{{}:{}}}", i + 1, p.rsplit(' ').next().unwrap_or(p).replace(['{', '}', '$'], "")))
            .collect();
        let mut item =
            CompletionItem::plain(label.clone(), CompletionKind::Function).detail(self.signature(prefix)).documentation(self.summary);
        item.insert_text = format!("{label}()");
        item.snippet = Some(format!("{label}({})$0", stops.join(", ")));
        item
    }
}

/// Whether `before` (an expression up to the cursor) ends inside a string literal.
fn in_string_literal(before: &str) -> bool {
    let mut quote = None;
    for byte in before.bytes() {
        match quote {
            Some(q) if byte == q => quote = None,
            None if byte == b'"' || byte == b'\'' => quote = Some(byte),
            _ => {}
        }
    }
    quote.is_some()
}

fn is_xpath_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-') || byte >= 0x80
}

/// Completion inside an XPath expression whose text starts at `start`.
fn xpath(cx: &Context<'_>, scanner: &Scanner<'_>, start: usize) -> Completions {
    let bytes = cx.text.as_bytes();
    let offset = cx.offset;
    let before = cx.text.get(start.min(offset)..offset).unwrap_or("");
    if in_string_literal(before) {
        return cx.none();
    }
    let mut word_start = offset;
    while word_start > start && is_xpath_name_byte(bytes[word_start - 1]) {
        word_start -= 1;
    }
    let mut word_end = offset;
    while word_end < bytes.len() && is_xpath_name_byte(bytes[word_end]) {
        word_end += 1;
    }
    let model = Model { cx, scanner };
    let in_join_condition = scanner.stack.last().is_some_and(|open| open.local == "joinCondition");
    let previous = word_start.checked_sub(1).filter(|&p| p >= start).map(|p| bytes[p]);
    match previous {
        Some(b'.') => {
            // `$variable.part`
            let dot = word_start - 1;
            let mut name_start = dot;
            while name_start > start && is_xpath_name_byte(bytes[name_start - 1]) {
                name_start -= 1;
            }
            let is_variable = name_start > start && bytes[name_start - 1] == b'$';
            let items = if is_variable && !in_join_condition {
                model.parts_of_variable(cx.text.get(name_start..dot).unwrap_or(""))
            } else {
                Vec::new()
            };
            Completions { replace: Span::new(word_start, word_end), items }
        }
        Some(b'$') => Completions { replace: Span::new(word_start - 1, word_end), items: dollar_items(&model, in_join_condition) },
        Some(b':') => {
            let mut prefix_start = word_start - 1;
            while prefix_start > start && is_xpath_name_byte(bytes[prefix_start - 1]) {
                prefix_start -= 1;
            }
            let prefix = cx.text.get(prefix_start..word_start - 1).unwrap_or("");
            let items = if scanner.namespace_of(Some(prefix)) == Some(BPEL_NS) || prefix == "bpel" {
                BPEL_FUNCTIONS.iter().map(|f| f.item(&format!("{prefix}:"))).collect()
            } else if scanner.namespace_of(Some(prefix)) == Some(crate::xpath::functions::ODE_EXTENSION_NS) {
                ODE_FUNCTIONS.iter().map(|f| f.item(&format!("{prefix}:"))).collect()
            } else {
                Vec::new()
            };
            Completions { replace: Span::new(prefix_start, word_end), items }
        }
        _ => {
            let mut items = dollar_items(&model, in_join_condition);
            for item in &mut items {
                item.filter_text = Some(item.label.trim_start_matches('$').to_string());
            }
            items.extend(XPATH_FUNCTIONS.iter().map(|f| f.item("")));
            let prefix = bpel_function_prefix(scanner);
            items.extend(BPEL_FUNCTIONS.iter().map(|f| f.item(&prefix)));
            Completions { replace: Span::new(word_start, word_end), items }
        }
    }
}

/// `prefix:` for the WS-BPEL functions: a prefix bound to the WS-BPEL namespace, else `bpel:`.
fn bpel_function_prefix(scanner: &Scanner<'_>) -> String {
    for tag in scanner.open_tags().rev() {
        for (prefix, uri) in tag.namespaces.iter().rev() {
            if let Some(prefix) = prefix {
                if uri == BPEL_NS && scanner.namespace_of(Some(prefix)) == Some(BPEL_NS) {
                    return format!("{prefix}:");
                }
            }
        }
    }
    "bpel:".to_string()
}

/// `$name` items: variables in scope, or in a join condition the incoming links.
fn dollar_items(model: &Model<'_, '_>, in_join_condition: bool) -> Vec<CompletionItem> {
    let (kind, item_kind) =
        if in_join_condition { (SymbolKind::Link, CompletionKind::Link) } else { (SymbolKind::Variable, CompletionKind::Variable) };
    model
        .symbols(kind, item_kind)
        .into_iter()
        .map(|mut item| {
            let name = std::mem::take(&mut item.label);
            item.label = format!("${name}");
            item.insert_text = item.label.clone();
            item
        })
        .collect()
}
