//! Every XPath 1.0 and 2.0 expression and query an analysis looks at, parsed once: those of the process
//! and the queries of the property aliases it imports. The rules read them here, and deployment
//! compiles the process's expressions from here instead of parsing them again.

use std::collections::HashMap;

use super::rules::xpath_rules::sites::{language, sites, xpath_alias_queries, Role};
use crate::model::process::{Expression, Process};
use crate::parse::Definitions;
use crate::source::FileId;
use crate::span::Span;
use crate::xpath::{self, Expr, InScope, Language, XPathError};

/// The parsed expressions of one analysis, by the file and span of the element that holds each
/// (an expression's `<condition>`, `<from>`, `<query>`...; a property alias's `<vprop:query>`).
/// Expressions in a language the engine does not run (SA00004) are not here.
#[derive(Debug, Default)]
pub struct ParsedExpressions {
    by_element: HashMap<(FileId, Span), (Language, Result<Expr, XPathError>)>,
}

/// One XPath expression or query of the process, with its parse.
#[derive(Clone, Copy, Debug)]
pub struct ProcessExpression<'a> {
    pub expression: &'a Expression,
    /// A `<query>` (evaluated relative to a value), not an expression.
    pub is_query: bool,
    pub language: Language,
    pub parsed: &'a Result<Expr, XPathError>,
}

impl ParsedExpressions {
    /// Parses the XPath expressions and queries of `process` (in `file`) and the XPath queries of
    /// the property aliases in `definitions`.
    pub(crate) fn parse(file: FileId, process: &Process, definitions: &Definitions) -> ParsedExpressions {
        let mut by_element = HashMap::new();
        for site in sites(process) {
            let Some(language) = Language::from_uri(language(process, &site)) else { continue };
            let namespaces = InScope { scopes: &process.namespaces, scope: site.expression.namespaces };
            by_element
                .entry((file, site.expression.span))
                .or_insert_with(|| (language, xpath::parse_in(&site.expression.text, &namespaces, language)));
        }
        for (alias, query) in xpath_alias_queries(definitions) {
            let language = Language::from_uri(query.query_language.as_ref().map(|l| l.value.as_str())).unwrap_or_default();
            by_element
                .entry((alias.file(), query.span))
                .or_insert_with(|| (language, xpath::parse_in(&query.text, &query.namespaces, language)));
        }
        ParsedExpressions { by_element }
    }

    /// The expression or query held by the element at `span` in `file`, as parsed; `None` when
    /// that element holds none in XPath 1.0.
    pub fn get(&self, file: FileId, span: Span) -> Option<&Result<Expr, XPathError>> {
        self.by_element.get(&(file, span)).map(|(_, parsed)| parsed)
    }

    /// The language the element at `span` in `file` is written in, when it is one the engine runs.
    pub fn language(&self, file: FileId, span: Span) -> Option<Language> {
        self.by_element.get(&(file, span)).map(|(language, _)| *language)
    }

    /// The XPath expressions and queries of `process` (in `file`, as analysed), in document order.
    pub fn of_process<'a>(&'a self, file: FileId, process: &'a Process) -> impl Iterator<Item = ProcessExpression<'a>> + 'a {
        sites(process).into_iter().filter_map(move |site| {
            let (language, parsed) = self.by_element.get(&(file, site.expression.span))?;
            Some(ProcessExpression { expression: site.expression, is_query: site.role == Role::Query, language: *language, parsed })
        })
    }

    /// How many expressions and queries were parsed.
    pub fn len(&self) -> usize {
        self.by_element.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_element.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::check::analyze;
    use crate::exec::deploy::Deployed;
    use crate::parse::Loader;
    use crate::xpath::parse_count;

    #[test]
    fn each_expression_is_parsed_once_by_the_analysis_and_never_again_by_deployment() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/long-running/long-running.bpel");
        let mut loader = Loader::new();
        let before = parse_count();
        let analysis = analyze(&mut loader, &path).expect("the long-running example");
        let parses = parse_count() - before;
        assert!(!analysis.has_errors(), "{:#?}", analysis.diagnostics());

        let process = analysis.unit.process.as_ref().expect("a process");
        let of_process = analysis.expressions.of_process(analysis.unit.file, process).count();
        let alias_queries = analysis.expressions.len() - of_process;
        assert!(of_process >= 5, "conditions, copies and durations: {of_process}");
        assert_eq!(alias_queries, 2, "the two property alias queries of shop.wsdl");
        assert_eq!(parses, analysis.expressions.len(), "one parse per expression, for all the rules together");

        let deployed = Deployed::from_analysis(analysis).expect("deployable");
        assert_eq!(parse_count() - before, parses, "deployment parses nothing again");
        assert_eq!(deployed.compiled.len(), of_process, "every expression of the process compiled from its parse");
        assert_eq!(deployed.aliases.len(), 2);
    }
}
