//! The editor queries of `bpel_engine::ide`, answered in LSP terms: each turns the params into an
//! analysis and a byte offset, asks the engine, and converts the answer. No process knowledge here:
//! what a name refers to, what may be completed, what a hover says, the engine decides.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use bpel_engine::check::{rules, Analysis};
use bpel_engine::ide::completion::{self, CompletionKind};
use bpel_engine::ide::symbols::{self, FoldingKind, SymbolKind};
use bpel_engine::ide::tokens::{self, TokenClass};
use bpel_engine::ide::{self, actions, editing, hover, navigation, rename};
use bpel_engine::parse::loader::DefinitionKind;
use bpel_engine::resolve::SymbolKind as DeclKind;
use bpel_engine::source::{FileId, SourceFile};
use bpel_engine::{LineIndex, Span};
use tower_lsp_server::ls_types as lsp;

use crate::to_proto;

/// A file of an analysis (the process or a document it imports) with its line index, for
/// converting spans; `None` for a file the analysis does not know.
pub fn source_file(analysis: &Analysis, file: FileId) -> Option<SourceFile> {
    let text = ide::file_text(analysis, file)?;
    let path = if file == analysis.unit.file {
        analysis.unit.path.clone()
    } else {
        analysis.unit.definitions.documents().iter().find(|d| d.file == file)?.path.clone()
    };
    Some(SourceFile { path, line_index: Arc::new(LineIndex::new(&text)), text })
}

/// The process file of the analysis and the byte offset of `position` in it.
fn at(analysis: &Analysis, position: lsp::Position) -> Option<(SourceFile, usize)> {
    let file = source_file(analysis, analysis.unit.file)?;
    let offset = to_proto::offset(&file, position);
    Some((file, offset))
}

/// The files of one analysis, each read into a [`SourceFile`] (with its line index) once per
/// answer, however many locations in it the answer holds.
struct Files<'a> {
    analysis: &'a Analysis,
    read: HashMap<FileId, Option<SourceFile>>,
}

impl<'a> Files<'a> {
    fn new(analysis: &'a Analysis) -> Files<'a> {
        Files { analysis, read: HashMap::new() }
    }

    fn get(&mut self, file: FileId) -> Option<&SourceFile> {
        let analysis = self.analysis;
        self.read.entry(file).or_insert_with(|| source_file(analysis, file)).as_ref()
    }

    fn location(&mut self, file: FileId, span: Span) -> Option<lsp::Location> {
        let source = self.get(file)?;
        Some(lsp::Location { uri: to_proto::uri(&source.path)?, range: to_proto::range(source, span) })
    }

    /// Edits `(file, span, new text)` as one workspace edit.
    fn workspace_edit(&mut self, edits: impl IntoIterator<Item = (FileId, Span, String)>) -> lsp::WorkspaceEdit {
        let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
        for (file, span, new_text) in edits {
            let Some(source) = self.get(file) else { continue };
            let Some(uri) = to_proto::uri(&source.path) else { continue };
            let range = to_proto::range(source, span);
            changes.entry(uri).or_default().push(lsp::TextEdit { range, new_text });
        }
        lsp::WorkspaceEdit { changes: Some(changes), ..lsp::WorkspaceEdit::default() }
    }
}

pub fn definition(analysis: &Analysis, position: lsp::Position) -> Option<lsp::GotoDefinitionResponse> {
    let (_, offset) = at(analysis, position)?;
    let target = navigation::definition(analysis, analysis.unit.file, offset)?;
    Some(lsp::GotoDefinitionResponse::Scalar(Files::new(analysis).location(target.file, target.span)?))
}

pub fn references(analysis: &Analysis, position: lsp::Position, include_declaration: bool) -> Option<Vec<lsp::Location>> {
    let (_, offset) = at(analysis, position)?;
    let found = navigation::references(analysis, analysis.unit.file, offset, include_declaration);
    let mut files = Files::new(analysis);
    Some(found.into_iter().filter_map(|l| files.location(l.file, l.span)).collect())
}

pub fn highlights(analysis: &Analysis, position: lsp::Position) -> Option<Vec<lsp::DocumentHighlight>> {
    let (file, offset) = at(analysis, position)?;
    let found = navigation::highlights(analysis, analysis.unit.file, offset);
    Some(
        found
            .into_iter()
            .map(|h| lsp::DocumentHighlight {
                range: to_proto::range(&file, h.span),
                kind: Some(match h.kind {
                    navigation::HighlightKind::Text => lsp::DocumentHighlightKind::TEXT,
                    navigation::HighlightKind::Read => lsp::DocumentHighlightKind::READ,
                    navigation::HighlightKind::Write => lsp::DocumentHighlightKind::WRITE,
                }),
            })
            .collect(),
    )
}

/// The edits of a rename, or the engine's reason for refusing it.
pub fn rename(analysis: &Analysis, position: lsp::Position, new_name: &str) -> Result<Option<lsp::WorkspaceEdit>, String> {
    let Some((_, offset)) = at(analysis, position) else { return Ok(None) };
    let edits = rename::rename(analysis, analysis.unit.file, offset, new_name).map_err(|error| error.to_string())?;
    Ok(Some(Files::new(analysis).workspace_edit(edits)))
}

/// The engine's hover at `position`, with the rules behind the diagnostics there below it (or
/// alone), those the settings disable (`disabled`) left out.
pub fn hover(analysis: &Analysis, position: lsp::Position, disabled: &BTreeSet<String>) -> Option<lsp::Hover> {
    let (file, offset) = at(analysis, position)?;
    let found = hover::hover(analysis, analysis.unit.file, offset);
    let rules: Vec<_> =
        actions::rules_in(analysis, Span::empty_at(offset)).into_iter().filter(|rule| !disabled.contains(rule.code)).collect();
    let rules = actions::rules_markdown(&rules);
    let (value, range) = match (found, rules) {
        (Some(found), Some(rules)) => (format!("{}\n\n---\n\n{rules}", found.markdown), Some(to_proto::range(&file, found.span))),
        (Some(found), None) => (found.markdown, Some(to_proto::range(&file, found.span))),
        (None, Some(rules)) => (rules, None),
        (None, None) => return None,
    };
    Some(lsp::Hover { contents: lsp::HoverContents::Markup(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value }), range })
}

pub fn completion(analysis: &Analysis, position: lsp::Position, snippets: bool) -> Option<lsp::CompletionResponse> {
    let (file, offset) = at(analysis, position)?;
    let found = completion::complete(analysis, analysis.unit.file, offset);
    let range = to_proto::range(&file, found.replace);
    let items = found
        .items
        .into_iter()
        .map(|item| {
            let (text, format) = match (&item.snippet, snippets) {
                (Some(snippet), true) => (snippet.clone(), lsp::InsertTextFormat::SNIPPET),
                _ => (item.insert_text.clone(), lsp::InsertTextFormat::PLAIN_TEXT),
            };
            lsp::CompletionItem {
                label: item.label,
                kind: Some(completion_kind(item.kind)),
                detail: item.detail,
                documentation: item
                    .documentation
                    .map(|value| lsp::Documentation::MarkupContent(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value })),
                filter_text: item.filter_text,
                insert_text_format: Some(format),
                text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit { range, new_text: text })),
                ..lsp::CompletionItem::default()
            }
        })
        .collect();
    Some(lsp::CompletionResponse::Array(items))
}

fn completion_kind(kind: CompletionKind) -> lsp::CompletionItemKind {
    match kind {
        CompletionKind::Element | CompletionKind::CloseTag => lsp::CompletionItemKind::PROPERTY,
        CompletionKind::Attribute => lsp::CompletionItemKind::FIELD,
        CompletionKind::Value | CompletionKind::Keyword => lsp::CompletionItemKind::VALUE,
        CompletionKind::Variable => lsp::CompletionItemKind::VARIABLE,
        CompletionKind::PartnerLink | CompletionKind::PartnerLinkType | CompletionKind::Role => lsp::CompletionItemKind::INTERFACE,
        CompletionKind::Link | CompletionKind::CorrelationSet | CompletionKind::MessageExchange => lsp::CompletionItemKind::REFERENCE,
        CompletionKind::Activity => lsp::CompletionItemKind::EVENT,
        CompletionKind::PortType => lsp::CompletionItemKind::INTERFACE,
        CompletionKind::Operation | CompletionKind::Function => lsp::CompletionItemKind::FUNCTION,
        CompletionKind::Message | CompletionKind::SchemaElement | CompletionKind::Type => lsp::CompletionItemKind::STRUCT,
        CompletionKind::Part | CompletionKind::Property => lsp::CompletionItemKind::FIELD,
        CompletionKind::Fault => lsp::CompletionItemKind::CONSTANT,
    }
}

/// The outline of the process or of an imported WSDL/XSD document (`file`).
pub fn document_symbols(analysis: &Analysis, file: FileId) -> Option<lsp::DocumentSymbolResponse> {
    let source = source_file(analysis, file)?;
    let found = symbols::document_symbols(analysis, file);
    Some(lsp::DocumentSymbolResponse::Nested(found.into_iter().map(|s| document_symbol(&source, s)).collect()))
}

fn document_symbol(file: &SourceFile, symbol: symbols::DocumentSymbol) -> lsp::DocumentSymbol {
    let range = to_proto::range(file, symbol.span);
    // the selection must lie inside the range
    let inside = symbol.span.start <= symbol.name_span.start && symbol.name_span.end <= symbol.span.end;
    let selection = if inside { to_proto::range(file, symbol.name_span) } else { range };
    #[allow(deprecated)] // `deprecated` is a required field, deprecated in favour of `tags`
    lsp::DocumentSymbol {
        name: symbol.name,
        detail: detail(symbol.kind),
        kind: symbol_kind(symbol.kind),
        tags: None,
        deprecated: None,
        range,
        selection_range: selection,
        children: Some(symbol.children.into_iter().map(|child| document_symbol(file, child)).collect()),
    }
}

fn detail(kind: SymbolKind) -> Option<String> {
    match kind {
        SymbolKind::Activity(tag) => Some(tag.to_string()),
        SymbolKind::Declaration(kind) => Some(kind.describe().to_string()),
        _ => None,
    }
}

fn symbol_kind(kind: SymbolKind) -> lsp::SymbolKind {
    match kind {
        SymbolKind::Process => lsp::SymbolKind::MODULE,
        SymbolKind::Activity(_) => lsp::SymbolKind::EVENT,
        SymbolKind::Declaration(DeclKind::Variable) => lsp::SymbolKind::VARIABLE,
        SymbolKind::Declaration(DeclKind::PartnerLink) => lsp::SymbolKind::INTERFACE,
        SymbolKind::Declaration(_) => lsp::SymbolKind::KEY,
        SymbolKind::Definition(DefinitionKind::Message | DefinitionKind::Element | DefinitionKind::Type) => lsp::SymbolKind::STRUCT,
        SymbolKind::Definition(DefinitionKind::PortType | DefinitionKind::PartnerLinkType) => lsp::SymbolKind::INTERFACE,
        SymbolKind::Definition(DefinitionKind::Property) => lsp::SymbolKind::PROPERTY,
        SymbolKind::Definition(_) => lsp::SymbolKind::OBJECT,
        SymbolKind::Part | SymbolKind::Role => lsp::SymbolKind::FIELD,
        SymbolKind::Operation => lsp::SymbolKind::METHOD,
    }
}

/// Workspace symbols over the analyses of the open processes.
#[allow(deprecated)] // `deprecated` is a required field of SymbolInformation
pub fn workspace_symbols<'a>(analyses: impl IntoIterator<Item = &'a Analysis> + Clone, query: &str) -> Vec<lsp::SymbolInformation> {
    let all: Vec<&Analysis> = analyses.into_iter().collect();
    let mut files: Vec<Files<'_>> = all.iter().map(|analysis| Files::new(analysis)).collect();
    symbols::workspace_symbols(all.iter().copied(), query)
        .into_iter()
        .filter_map(|symbol| {
            let owner = all.iter().position(|a| ide::file_text(a, symbol.file).is_some())?;
            let location = files[owner].location(symbol.file, symbol.name_span)?;
            Some(lsp::SymbolInformation {
                name: symbol.name,
                kind: symbol_kind(symbol.kind),
                tags: None,
                deprecated: None,
                location,
                container_name: symbol.container,
            })
        })
        .collect()
}

pub fn folding_ranges(analysis: &Analysis) -> Option<Vec<lsp::FoldingRange>> {
    let file = source_file(analysis, analysis.unit.file)?;
    let ranges = symbols::folding_ranges(analysis, analysis.unit.file);
    Some(
        ranges
            .into_iter()
            .map(|range| {
                let r = to_proto::range(&file, range.span);
                lsp::FoldingRange {
                    start_line: r.start.line,
                    start_character: None,
                    end_line: r.end.line,
                    end_character: None,
                    kind: Some(match range.kind {
                        FoldingKind::Element => lsp::FoldingRangeKind::Region,
                        FoldingKind::Comment => lsp::FoldingRangeKind::Comment,
                    }),
                    collapsed_text: None,
                }
            })
            .collect(),
    )
}

pub fn selection_ranges(analysis: &Analysis, positions: &[lsp::Position]) -> Option<Vec<lsp::SelectionRange>> {
    let file = source_file(analysis, analysis.unit.file)?;
    Some(
        positions
            .iter()
            .map(|position| {
                let offset = to_proto::offset(&file, *position);
                // innermost first from the engine; LSP nests each range in its parent
                let spans = symbols::selection_ranges(analysis, analysis.unit.file, offset);
                let mut range: Option<lsp::SelectionRange> = None;
                for span in spans.into_iter().rev() {
                    range = Some(lsp::SelectionRange { range: to_proto::range(&file, span), parent: range.map(Box::new) });
                }
                range.unwrap_or(lsp::SelectionRange { range: lsp::Range { start: *position, end: *position }, parent: None })
            })
            .collect(),
    )
}

/// The command that explains a static-analysis rule: arguments `[{"code": "SA00056"}]`.
pub const EXPLAIN_RULE: &str = "bpel.explainRule";

/// Code actions for the diagnostics of the process that touch `range`: the engine's fix of each
/// diagnostic and its other quick fixes (declare a variable, import a document beside the process,
/// from `candidates`), then "Explain rule" for each static-analysis rule among them. Diagnostics
/// whose code the settings disable (`disabled`) get none; `only` (the client's wanted kinds)
/// filters as LSP says.
pub fn code_actions(
    analysis: &Analysis,
    range: lsp::Range,
    candidates: &[actions::ImportCandidate],
    disabled: &BTreeSet<String>,
    only: Option<&[lsp::CodeActionKind]>,
) -> Option<lsp::CodeActionResponse> {
    let file = source_file(analysis, analysis.unit.file)?;
    let span = process_span(&file, range);
    let shown = |code: &str| !disabled.contains(code);
    let mut files = Files::new(analysis);
    let mut found = Vec::new();
    for diagnostic in analysis.diagnostics() {
        let Some(fix) = &diagnostic.fix else { continue };
        if diagnostic.file != analysis.unit.file
            || !shown(diagnostic.code)
            || diagnostic.span.end < span.start
            || diagnostic.span.start > span.end
        {
            continue;
        }
        let edit = files.workspace_edit(fix.edits.iter().map(|edit| (edit.file, edit.span, edit.replacement.clone())));
        found.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
            title: fix.title.clone(),
            kind: Some(lsp::CodeActionKind::QUICKFIX),
            edit: Some(edit),
            is_preferred: Some(true),
            ..lsp::CodeAction::default()
        }));
    }
    for action in actions::code_actions(analysis, span, candidates) {
        let diagnostic = analysis.diagnostics().get(action.diagnostic);
        if !diagnostic.is_some_and(|d| shown(d.code)) {
            continue;
        }
        let edit = files.workspace_edit(action.edits.into_iter().map(|edit| (edit.file, edit.span, edit.replacement)));
        found.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
            title: action.title,
            kind: Some(lsp::CodeActionKind::QUICKFIX),
            edit: Some(edit),
            ..lsp::CodeAction::default()
        }));
    }
    // No kind: it fixes nothing (not `quickfix`, which editors may apply as a fix), changes no
    // code (not `refactor`) and is about one diagnostic, not the file (not `source`, which editors
    // list only in a separate menu). Kind-less actions are listed with the others by VS Code,
    // Neovim, eglot and Helix.
    for rule in actions::rules_in(analysis, span).into_iter().filter(|rule| shown(rule.code)) {
        found.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
            title: format!("Explain rule {}", rule.code),
            kind: None,
            command: Some(lsp::Command {
                title: format!("Explain rule {}", rule.code),
                command: EXPLAIN_RULE.to_string(),
                arguments: Some(vec![serde_json::json!({ "code": rule.code })]),
            }),
            ..lsp::CodeAction::default()
        }));
    }
    if let Some(only) = only {
        // a kind-less action is of no kind the client asked for
        found.retain(|action| match action {
            lsp::CodeActionOrCommand::CodeAction(action) => action.kind.as_ref().is_some_and(|kind| {
                only.iter().any(|wanted| kind.as_str() == wanted.as_str() || kind.as_str().starts_with(&format!("{}.", wanted.as_str())))
            }),
            lsp::CodeActionOrCommand::Command(_) => false,
        });
    }
    Some(found)
}

/// The byte span of an LSP range in the process.
fn process_span(file: &SourceFile, range: lsp::Range) -> Span {
    let (start, end) = (to_proto::offset(file, range.start), to_proto::offset(file, range.end));
    Span::new(start.min(end), start.max(end))
}

/// Whether the code actions for `range` need [`import_candidates`].
pub fn wants_import_candidates(analysis: &Analysis, range: lsp::Range) -> bool {
    source_file(analysis, analysis.unit.file).is_some_and(|file| actions::wants_import_candidates(analysis, process_span(&file, range)))
}

/// Documents larger than this are not read for an import candidate.
const MAX_CANDIDATE_BYTES: u64 = 8 * 1024 * 1024;

/// The WSDL and XSD documents in the folder of `process` (not below it) that it could import:
/// each one's text as the editor has it (`open_text`), else as on disk.
pub fn import_candidates(
    process: &std::path::Path,
    open_text: impl Fn(&std::path::Path) -> Option<String>,
) -> Vec<actions::ImportCandidate> {
    let Some(folder) = process.parent() else { return Vec::new() };
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(error) => {
            tracing::debug!("no import candidates in {}: {error}", folder.display());
            return Vec::new();
        }
    };
    let mut paths: Vec<std::path::PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("wsdl") || ext.eq_ignore_ascii_case("xsd")))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|path| {
            let location = path.file_name()?.to_str()?.to_string();
            let text = match open_text(&path) {
                Some(text) => text,
                None => {
                    let size = std::fs::metadata(&path).ok()?.len();
                    if size > MAX_CANDIDATE_BYTES || !path.is_file() {
                        return None;
                    }
                    std::fs::read_to_string(&path).ok()?
                }
            };
            actions::ImportCandidate::from_text(&location, &text)
        })
        .collect()
}

/// `bpel.explainRule`: the rule named by `[{"code": CODE}]` as `{"code", "summary", "markdown"}`
/// (the markdown `bpel check --explain CODE` prints), and the line to show the user.
pub fn explain_rule(arguments: &[serde_json::Value]) -> Result<(serde_json::Value, String), String> {
    let given = arguments.first().and_then(|argument| argument.get("code")).and_then(|code| code.as_str());
    let Some(given) = given else {
        return Err(format!(r#"{EXPLAIN_RULE} takes [{{"code": "SA00056"}}]"#));
    };
    let Some(rule) = rules::find(given) else {
        return Err(format!("`{given}` is not a static-analysis rule (SA00001 to SA00095; SA00049 does not exist)"));
    };
    let message = format!("{}: {} (see `bpel check --explain {}`)", rule.code, rule.summary, rule.code);
    Ok((serde_json::json!({ "code": rule.code, "summary": rule.summary, "markdown": rule.explain_markdown() }), message))
}

/// A document's text as the editor has it, for the queries that need no analysis (they work on
/// WSDL and XSD documents too).
fn text_file(path: &std::path::Path, text: &str) -> SourceFile {
    SourceFile { path: path.to_path_buf(), line_index: Arc::new(LineIndex::new(text)), text: Arc::from(text) }
}

/// Links from the imports of a process, WSDL or XSD to the local files they load.
pub fn document_links(path: &std::path::Path, text: &str) -> Vec<lsp::DocumentLink> {
    let file = text_file(path, text);
    editing::document_links(path, text, |target| target.is_file())
        .into_iter()
        .filter_map(|link| {
            Some(lsp::DocumentLink {
                range: to_proto::range(&file, link.span),
                target: Some(to_proto::uri(&link.target)?),
                tooltip: Some(link.target.display().to_string()),
                data: None,
            })
        })
        .collect()
}

/// The start and end tag names of the element at `position`, to edit together.
pub fn linked_editing_ranges(path: &std::path::Path, text: &str, position: lsp::Position) -> Option<lsp::LinkedEditingRanges> {
    let file = text_file(path, text);
    let spans = editing::linked_editing_ranges(text, to_proto::offset(&file, position))?;
    Some(lsp::LinkedEditingRanges {
        ranges: spans.iter().map(|span| to_proto::range(&file, *span)).collect(),
        // an XML name: no spaces, `>`, `/` or quotes
        word_pattern: Some(r"[^\s<>/=\x22']+".to_string()),
    })
}

/// After `>`: the end tag of the start tag it closed, inserted at the cursor.
pub fn on_type_formatting(path: &std::path::Path, text: &str, position: lsp::Position, typed: &str) -> Option<Vec<lsp::TextEdit>> {
    if typed != ">" {
        return None;
    }
    let file = text_file(path, text);
    let end_tag = editing::auto_close_tag(text, to_proto::offset(&file, position))?;
    Some(vec![lsp::TextEdit { range: lsp::Range { start: position, end: position }, new_text: end_tag }])
}

/// Re-indentation of the document, or of the lines of `range`; `None` (no edits) for a document
/// that is not well-formed.
pub fn formatting(
    path: &std::path::Path,
    text: &str,
    options: &lsp::FormattingOptions,
    range: Option<lsp::Range>,
) -> Option<Vec<lsp::TextEdit>> {
    let file = text_file(path, text);
    let options = editing::FormatOptions { tab_size: options.tab_size, insert_spaces: options.insert_spaces };
    let range = range.map(|range| Span::new(to_proto::offset(&file, range.start), to_proto::offset(&file, range.end)));
    match editing::format(text, options, range) {
        Ok(edits) => Some(
            edits.into_iter().map(|edit| lsp::TextEdit { range: to_proto::range(&file, edit.span), new_text: edit.new_text }).collect(),
        ),
        Err(error) => {
            tracing::debug!("not formatting {}: {error}", path.display());
            None
        }
    }
}

/// The token types of [`semantic_tokens`], in the order of their indices.
pub const SEMANTIC_TOKEN_TYPES: [lsp::SemanticTokenType; 7] = [
    lsp::SemanticTokenType::VARIABLE,
    lsp::SemanticTokenType::PROPERTY,
    lsp::SemanticTokenType::FUNCTION,
    lsp::SemanticTokenType::STRING,
    lsp::SemanticTokenType::NUMBER,
    lsp::SemanticTokenType::OPERATOR,
    lsp::SemanticTokenType::KEYWORD,
];

fn token_type(class: TokenClass) -> u32 {
    match class {
        TokenClass::Variable => 0,
        TokenClass::Part => 1,
        TokenClass::Function => 2,
        TokenClass::String => 3,
        TokenClass::Number => 4,
        TokenClass::Operator => 5,
        TokenClass::Keyword => 6,
    }
}

/// The XPath tokens of the process, relative-encoded; a token over several lines (a string
/// literal) becomes one per line.
/// The semantic tokens of `file` (the process, or a WSDL document it imports) in `analysis`.
pub fn semantic_tokens(analysis: &Analysis, file_id: FileId) -> Option<lsp::SemanticTokens> {
    let file = source_file(analysis, file_id)?;
    let mut data = Vec::new();
    let (mut line, mut character) = (0, 0);
    for token in tokens::semantic_tokens(analysis, file_id) {
        let mut start = token.span.start as usize;
        for piece in token.span.slice(&file.text).split_inclusive('\n') {
            let end = start + piece.trim_end_matches(['\n', '\r']).len();
            let (from, to) = (to_proto::position(&file, start as u32), to_proto::position(&file, end as u32));
            start += piece.len();
            if to.character <= from.character {
                continue;
            }
            let delta_line = from.line - line;
            let delta_start = if delta_line == 0 { from.character - character } else { from.character };
            data.push(lsp::SemanticToken {
                delta_line,
                delta_start,
                length: to.character - from.character,
                token_type: token_type(token.class),
                token_modifiers_bitset: 0,
            });
            (line, character) = (from.line, from.character);
        }
    }
    Some(lsp::SemanticTokens { result_id: None, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_candidates_are_the_wsdl_and_xsd_beside_the_process_with_the_editor_text_first() {
        let folder = std::env::temp_dir().join(format!("bpel-lsp-candidates-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::create_dir_all(folder.join("below")).unwrap();
        let wsdl = |namespace: &str| format!(r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" targetNamespace="{namespace}"/>"#);
        std::fs::write(folder.join("a.wsdl"), wsdl("urn:a")).unwrap();
        std::fs::write(folder.join("b.xsd"), r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:b"/>"#)
            .unwrap();
        std::fs::write(folder.join("c.wsdl"), "not XML").unwrap();
        std::fs::write(folder.join("notes.txt"), wsdl("urn:txt")).unwrap();
        std::fs::write(folder.join("below/d.wsdl"), wsdl("urn:d")).unwrap();
        let process = folder.join("p.bpel");
        // c.wsdl is open in the editor with a text that is a WSDL
        let open = |path: &std::path::Path| path.ends_with("c.wsdl").then(|| wsdl("urn:c"));
        let found: Vec<(String, String, actions::ImportKind)> =
            import_candidates(&process, open).into_iter().map(|c| (c.location, c.namespace, c.kind)).collect();
        assert_eq!(
            found,
            [
                ("a.wsdl".to_string(), "urn:a".to_string(), actions::ImportKind::Wsdl),
                ("b.xsd".to_string(), "urn:b".to_string(), actions::ImportKind::Xsd),
                ("c.wsdl".to_string(), "urn:c".to_string(), actions::ImportKind::Wsdl),
            ]
        );
        std::fs::remove_dir_all(&folder).unwrap();
    }

    #[test]
    fn explain_rule_takes_a_code_object_and_refuses_anything_else() {
        let (value, message) = explain_rule(&[serde_json::json!({ "code": "56" })]).unwrap();
        assert_eq!(value["code"], "SA00056");
        assert_eq!(value["markdown"], rules::find("SA00056").unwrap().explain_markdown());
        assert!(message.starts_with("SA00056: "), "{message}");
        assert!(explain_rule(&[]).is_err());
        assert!(explain_rule(&[serde_json::json!("SA00056")]).is_err());
        assert!(explain_rule(&[serde_json::json!({ "code": "SA00049" })]).is_err());
    }
}
