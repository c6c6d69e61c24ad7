//! Semantic tokens: what each lexical token of the XPath inside a process's expression elements
//! (`<condition>`, `<from>`, `<to>`, `<query>`, `<for>`, `<until>`, `<joinCondition>`...) is, placed
//! in the file. The XML around them is left to the editor's own highlighting.

use crate::check::Analysis;
use crate::source::FileId;
use crate::span::Span;
use crate::xpath::{self, SourceMap};

pub use crate::xpath::TokenClass;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemanticToken {
    /// Where the token stands in the file (an entity reference it was written with included).
    pub span: Span,
    pub class: TokenClass,
}

/// The tokens of the XPath expressions and queries of `file`, in file order, none overlapping.
/// Empty for a file that is not the analysis's process. An expression whose text cannot be placed
/// exactly in the file (an element inside it, say) has none.
pub fn semantic_tokens(analysis: &Analysis, file: FileId) -> Vec<SemanticToken> {
    let Some(process) = analysis.unit.process.as_ref().filter(|_| file == analysis.unit.file) else {
        return Vec::new();
    };
    let text = &analysis.unit.text;
    let mut tokens = Vec::new();
    for site in analysis.expressions.of_process(file, process) {
        let expression = site.expression;
        let map = SourceMap::new(text, &expression.text, expression.text_span);
        if !map.is_exact() {
            continue;
        }
        for (class, inner) in xpath::classify_tokens(&expression.text) {
            let span = map.span(inner);
            if !span.is_empty() && span.end <= expression.text_span.end {
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
