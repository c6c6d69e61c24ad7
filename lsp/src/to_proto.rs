//! Engine types to LSP's wire shapes. LSP positions are zero-based lines and UTF-16 columns.

use std::path::{Path, PathBuf};

use bpel_engine::source::{SourceFile, Sources};
use bpel_engine::{Diagnostic, Severity, Span};
use tower_lsp_server::ls_types::{
    self as lsp, CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, Location, NumberOrString, Position,
    Range, Uri,
};

pub fn position(file: &SourceFile, offset: u32) -> Position {
    let at = file.line_col(offset as usize);
    Position { line: at.line, character: at.col_utf16 }
}

pub fn range(file: &SourceFile, span: Span) -> Range {
    Range { start: position(file, span.start), end: position(file, span.end) }
}

/// The byte offset an LSP position points at (clamped to the text, on a character boundary).
pub fn offset(file: &SourceFile, position: Position) -> usize {
    file.line_index.offset_utf16(&file.text, position.line, position.character)
}

pub fn uri(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

/// Where the explanations of the diagnostic codes live, as file URIs: `docs/sa-rules.md` (the
/// table of the static-analysis rules, which `bpel check --explain CODE` expands) for the SA
/// codes, and ARCHITECTURE.md's "Diagnostic codes" table for the others. Found beside the sources
/// the binary was built from; without them diagnostics carry no `codeDescription`.
#[derive(Clone, Debug, Default)]
pub struct RuleDocs {
    rules: Option<Uri>,
    codes: Option<Uri>,
}

impl RuleDocs {
    pub fn from_repository(root: &Path) -> RuleDocs {
        let existing = |path: PathBuf| path.canonicalize().ok().and_then(|path| uri(&path));
        RuleDocs { rules: existing(root.join("docs/sa-rules.md")), codes: existing(root.join("ARCHITECTURE.md")) }
    }

    /// The repository this binary was built from.
    pub fn of_build() -> RuleDocs {
        RuleDocs::from_repository(&Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
    }

    /// `…/docs/sa-rules.md#sa00056` for a rule, `…/ARCHITECTURE.md#diagnostic-codes` otherwise.
    pub fn link(&self, code: &str) -> Option<Uri> {
        let (base, anchor) = if code.starts_with("SA") {
            (self.rules.as_ref()?, code.to_ascii_lowercase())
        } else {
            (self.codes.as_ref()?, "diagnostic-codes".to_string())
        };
        format!("{}#{anchor}", base.as_str()).parse().ok()
    }
}

/// An engine diagnostic as LSP shows it. `sources` holds the texts its spans (and its related
/// locations') point into. The message is `bpel check`'s, its help on a line of its own.
pub fn diagnostic(sources: &Sources, docs: &RuleDocs, diagnostic: &Diagnostic) -> lsp::Diagnostic {
    let file = sources.get(diagnostic.file);
    let related = diagnostic
        .related
        .iter()
        .filter_map(|related| {
            let other = sources.get(related.file);
            Some(DiagnosticRelatedInformation {
                location: Location { uri: uri(&other.path)?, range: range(other, related.span) },
                message: related.message.clone(),
            })
        })
        .collect::<Vec<_>>();
    let message = match &diagnostic.help {
        Some(help) => format!("{}\nhelp: {help}", diagnostic.message),
        None => diagnostic.message.clone(),
    };
    lsp::Diagnostic {
        range: range(file, diagnostic.span),
        severity: Some(severity(diagnostic.severity)),
        code: Some(NumberOrString::String(diagnostic.code.to_string())),
        code_description: docs.link(diagnostic.code).map(|href| CodeDescription { href }),
        source: Some("bpel".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: tags(diagnostic),
        data: None,
    }
}

fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
    }
}

/// `Unnecessary` (editors fade the text) only for a declaration nothing uses: a link that is no
/// activity's source or target (SA00066, the case its fix removes). No diagnostic is about
/// something deprecated: WS-BPEL 2.0 deprecates nothing the checker reports.
fn tags(diagnostic: &Diagnostic) -> Option<Vec<DiagnosticTag>> {
    let unused_declaration = diagnostic.code == "SA00066" && diagnostic.message.contains("is never used");
    unused_declaration.then(|| vec![DiagnosticTag::UNNECESSARY])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_positions_past_non_ascii_text() {
        let mut sources = Sources::new();
        let text = "<a>\n  <!-- \u{1F600} --><b/>\n</a>";
        let id = sources.add("x.bpel", text);
        let file = sources.get(id);
        let b = text.find("<b/>").unwrap();
        let p = position(file, b as u32);
        assert_eq!(p, Position { line: 1, character: 13 });
        assert_eq!(offset(file, p), b);
    }

    #[test]
    fn links_rules_to_their_table_row_and_other_codes_to_the_code_table() {
        let docs = RuleDocs::of_build();
        let rule = docs.link("SA00056").expect("docs/sa-rules.md is in the repository").as_str().to_string();
        assert!(rule.starts_with("file://") && rule.ends_with("/docs/sa-rules.md#sa00056"), "{rule}");
        let code = docs.link("BPEL0100").expect("ARCHITECTURE.md is in the repository").as_str().to_string();
        assert!(code.ends_with("/ARCHITECTURE.md#diagnostic-codes"), "{code}");
        assert_eq!(RuleDocs::default().link("SA00056"), None);
    }

    #[test]
    fn only_a_link_nothing_uses_is_tagged_unnecessary() {
        let shared =
            std::env::var_os("BPEL_SHARED").map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"), PathBuf::from);
        let path = shared.join("conformance/betsy/sa-rules/SA00066/SA00066-2/SA00066-LinkNoTarget.bpel");
        let text = std::fs::read_to_string(&path).unwrap();
        let unused = text.replace(r#"<source linkName="FromFirstToSecond"/>"#, "");
        let tagged = |text: &str| {
            let mut loader = bpel_engine::parse::Loader::new();
            let analysis = bpel_engine::check::analyze_text(&mut loader, &path, text.to_string());
            let link = analysis.diagnostics().iter().find(|d| d.code == "SA00066").expect("SA00066").clone();
            diagnostic(&loader.sources, &RuleDocs::default(), &link).tags
        };
        assert_eq!(tagged(&text), None, "a link without a target is used, wrongly");
        assert_eq!(tagged(&unused), Some(vec![DiagnosticTag::UNNECESSARY]));
    }
}
