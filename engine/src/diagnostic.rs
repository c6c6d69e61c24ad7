//! Diagnostics: what every layer (XML, model and references, imports, static analysis) reports.

use serde::Serialize;

use crate::source::FileId;
use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// A finding about a source file. `code` is stable: tools and docs refer to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub file: FileId,
    pub span: Span,
    pub message: String,
    /// Other places that explain this one (the first declaration of a duplicate, the import that failed).
    pub related: Vec<Related>,
    /// How to fix it, in words.
    pub help: Option<String>,
    /// A machine-applicable fix, when one exists.
    pub fix: Option<Fix>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Related {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

/// Text edits that resolve a diagnostic, offered by the language server as a code action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<TextEdit>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TextEdit {
    pub file: FileId,
    pub span: Span,
    pub replacement: String,
}

impl Diagnostic {
    pub fn error(code: &'static str, file: FileId, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { code, severity: Severity::Error, file, span, message: message.into(), related: Vec::new(), help: None, fix: None }
    }

    pub fn warning(code: &'static str, file: FileId, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, file, span, message) }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, file: FileId, span: Span, message: impl Into<String>) -> Diagnostic {
        self.related.push(Related { file, span, message: message.into() });
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Diagnostic {
        self.fix = Some(fix);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The codes of the diagnostics this crate reports outside the standard's SA rules.
pub mod codes {
    /// The text is not well-formed XML.
    pub const XML_SYNTAX: &str = "XML0001";
    /// An element that does not belong where it stands (per the WS-BPEL 2.0 / WSDL 1.1 / XSD schemas).
    pub const UNEXPECTED_ELEMENT: &str = "BPEL0001";
    /// A required attribute or child element is missing.
    pub const MISSING_REQUIRED: &str = "BPEL0002";
    /// An attribute value is not of its type (a yes/no flag, a number, a duration...).
    pub const INVALID_VALUE: &str = "BPEL0003";
    /// The document's root is not what was expected (e.g. not a WS-BPEL 2.0 process).
    pub const WRONG_ROOT: &str = "BPEL0004";
    /// (warning) A process in the WS-BPEL 2.0 draft namespace (`.../ws/2004/03/business-process/`),
    /// read as WS-BPEL 2.0 (`parse::process_draft` says how).
    pub const DRAFT_NAMESPACE: &str = "BPEL0005";
    /// A construct of the WS-BPEL 2.0 drafts that has no WS-BPEL 2.0 meaning.
    pub const DRAFT_UNSUPPORTED: &str = "BPEL0006";
    /// A QName whose prefix is not declared.
    pub const UNBOUND_PREFIX: &str = "BPEL0010";
    /// An XPath expression or query that does not parse.
    pub const XPATH_SYNTAX: &str = "XPATH001";
    /// `$variable.part` naming a part the variable's message type does not have.
    pub const UNKNOWN_PART: &str = "XPATH002";
    /// A function of another expression language (Apache ODE's XPath 2.0 functions in XPath 1.0).
    pub const FUNCTION_NOT_IN_LANGUAGE: &str = "XPATH003";
    /// A variable name that no enclosing scope declares.
    pub const UNDECLARED_VARIABLE: &str = "BPEL0100";
    /// A partner link name that no enclosing scope declares.
    pub const UNDECLARED_PARTNER_LINK: &str = "BPEL0101";
    /// A link name that no enclosing flow declares.
    pub const UNDECLARED_LINK: &str = "BPEL0102";
    /// A correlation set name that no enclosing scope declares.
    pub const UNDECLARED_CORRELATION_SET: &str = "BPEL0103";
    /// A message exchange name that no enclosing scope declares.
    pub const UNDECLARED_MESSAGE_EXCHANGE: &str = "BPEL0104";
    /// An imported file that cannot be found or read.
    pub const IMPORT_NOT_FOUND: &str = "IMP0001";
    /// An imported file that has errors of its own.
    pub const IMPORT_BROKEN: &str = "IMP0002";
    /// A construct of an imported document that is read only in part (a chameleon include). An
    /// unknown importType is SA00013.
    pub const IMPORT_UNSUPPORTED: &str = "IMP0003";

    /// An Apache ODE deployment descriptor (`deploy.xml`) that is not well-formed or not of ODE's
    /// schema (an element out of place, a missing attribute, a value of the wrong form).
    pub const DEPLOY_MALFORMED: &str = "DEPLOY0001";
    /// A `deploy.xml` that contradicts the processes or their WSDL: a process, partner link,
    /// service or port it names that does not exist, a provide for a partner link without myRole.
    pub const DEPLOY_CONTRADICTION: &str = "DEPLOY0002";
    /// (warning) A `deploy.xml` setting of Apache ODE this engine does not act on.
    pub const DEPLOY_IGNORED: &str = "DEPLOY0003";

    /// Every code above (the static-analysis rules' codes are `check::rules::all`).
    pub const ALL: &[&str] = &[
        XML_SYNTAX,
        UNEXPECTED_ELEMENT,
        MISSING_REQUIRED,
        INVALID_VALUE,
        WRONG_ROOT,
        DRAFT_NAMESPACE,
        DRAFT_UNSUPPORTED,
        UNBOUND_PREFIX,
        XPATH_SYNTAX,
        UNKNOWN_PART,
        FUNCTION_NOT_IN_LANGUAGE,
        UNDECLARED_VARIABLE,
        UNDECLARED_PARTNER_LINK,
        UNDECLARED_LINK,
        UNDECLARED_CORRELATION_SET,
        UNDECLARED_MESSAGE_EXCHANGE,
        IMPORT_NOT_FOUND,
        IMPORT_BROKEN,
        IMPORT_UNSUPPORTED,
        DEPLOY_MALFORMED,
        DEPLOY_CONTRADICTION,
        DEPLOY_IGNORED,
    ];
}

#[cfg(test)]
mod tests {
    #[test]
    fn all_lists_every_code_of_the_codes_module() {
        let source = include_str!("diagnostic.rs");
        let module = &source[source.find("pub mod codes").unwrap()..source.find("pub const ALL").unwrap()];
        let declared: Vec<&str> = module.lines().filter_map(|line| line.trim().strip_prefix("pub const ")?.split('"').nth(1)).collect();
        assert_eq!(declared.len(), super::codes::ALL.len());
        for code in declared {
            assert!(super::codes::ALL.contains(&code), "{code} is missing from codes::ALL");
        }
    }
}
