//! Semantic tokens: what each lexical token of the XPath inside a process's expression elements
//! (`<condition>`, `<from>`, `<to>`, `<query>`, `<for>`, `<until>`, `<joinCondition>`...) and inside
//! the property aliases' `<vprop:query>` of its WSDL documents is, placed in the file. The XML around them is left to the editor's own highlighting.

use crate::check::rules::xpath_rules::sites::xpath_alias_queries;
use crate::check::Analysis;
use crate::source::FileId;
use crate::span::Span;
use crate::xpath::{self, Language, SourceMap};

pub use crate::xpath::TokenClass;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemanticToken {
    /// Where the token stands in the file (an entity reference it was written with included).
    pub span: Span,
    pub class: TokenClass,
}

/// The tokens of the XPath expressions and queries of `file`, in file order, none overlapping:
/// the process's own when `file` is the analysis's process, else the property alias queries of
/// that imported WSDL document. An expression whose text cannot be placed exactly in the file (an
/// element inside it, say) has none.
pub fn semantic_tokens(analysis: &Analysis, file: FileId) -> Vec<SemanticToken> {
    let Some(text) = super::file_text(analysis, file) else { return Vec::new() };
    let mut expressions: Vec<(&str, Span, Language)> = Vec::new();
    match analysis.unit.process.as_ref() {
        Some(process) if file == analysis.unit.file => expressions.extend(
            analysis
                .expressions
                .of_process(file, process)
                .map(|site| (site.expression.text.as_str(), site.expression.text_span, site.language)),
        ),
        _ => expressions.extend(xpath_alias_queries(&analysis.unit.definitions).filter(|(alias, _)| alias.file() == file).map(
            |(alias, query)| {
                let language = analysis.expressions.language(alias.file(), query.span).unwrap_or_default();
                (query.text.as_str(), query.text_span, language)
            },
        )),
    }
    let mut tokens = Vec::new();
    for (expression, text_span, language) in expressions {
        let map = SourceMap::new(&text, expression, text_span);
        if !map.is_exact() {
            continue;
        }
        for (class, inner) in xpath::classify_tokens(expression, language) {
            let span = map.span(inner);
            if !span.is_empty() && span.end <= text_span.end {
                tokens.push(SemanticToken { span, class });
            }
        }
    }
    tokens.sort_by_key(|token| (token.span.start, token.span.end));
    let mut end = 0;
    tokens.retain(|token| {
        let keep = token.span.start >= end;
        if keep {
            end = token.span.end;
        }
        keep
    });
    tokens
}
