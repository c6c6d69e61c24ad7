//! Every editor query of `bpel_engine::ide` (code actions included) at every 7th byte offset of every example process and
//! of the documents it imports, of 20 betsy processes, and of truncated texts of them: no panic,
//! and every location returned lies inside the text of its file.

mod ide_support;

use ide_support::{betsy, examples};
use std::path::{Path, PathBuf};

use bpel_engine::check::{analyze, analyze_text, Analysis};
use bpel_engine::ide::actions::{self, ImportCandidate, ImportKind};
use bpel_engine::ide::{self, hover, navigation, rename, symbols};
use bpel_engine::parse::Loader;
use bpel_engine::{FileId, Span};

fn inside(analysis: &Analysis, file: FileId, span: Span) {
    let text = ide::file_text(analysis, file).unwrap_or_else(|| panic!("a location in a file the analysis knows: {file:?}"));
    assert!(span.start <= span.end && span.end as usize <= text.len(), "{span:?} in a text of {} bytes", text.len());
}

/// Runs every query at every 7th offset of `file` (and just past its end).
fn sweep(analysis: &Analysis, file: FileId) -> usize {
    let text = ide::file_text(analysis, file).expect("the file's text");
    let mut answers = 0;
    for range in symbols::folding_ranges(analysis, file) {
        inside(analysis, file, range.span);
    }
    for offset in (0..text.len() + 2).step_by(7) {
        if let Some(location) = navigation::definition(analysis, file, offset) {
            inside(analysis, location.file, location.span);
            answers += 1;
        }
        for location in navigation::references(analysis, file, offset, true) {
            inside(analysis, location.file, location.span);
        }
        for highlight in navigation::highlights(analysis, file, offset) {
            inside(analysis, file, highlight.span);
        }
        if let Some(hover) = hover::hover(analysis, file, offset) {
            inside(analysis, file, hover.span);
            assert!(!hover.markdown.is_empty());
            answers += 1;
        }
        for span in symbols::selection_ranges(analysis, file, offset) {
            inside(analysis, file, span);
        }
        if let Ok(edits) = rename::rename(analysis, file, offset, "renamed_name") {
            for (edit_file, span, _) in edits {
                inside(analysis, edit_file, span);
            }
        }
        let _ = rename::rename(analysis, file, offset, "not a name");
        if file == analysis.unit.file {
            let candidate = ImportCandidate { location: "beside.wsdl".into(), namespace: "urn:beside".into(), kind: ImportKind::Wsdl };
            for action in actions::code_actions(analysis, Span::new(offset, offset + 40), &[candidate]) {
                for edit in action.edits {
                    inside(analysis, edit.file, edit.span);
                }
            }
            let _ = actions::diagnostic_rules_markdown(analysis, offset);
        }
    }
    answers
}

fn sweep_analysis(analysis: &Analysis) -> usize {
    let mut answers = sweep(analysis, analysis.unit.file);
    let documents: Vec<FileId> = analysis.unit.definitions.documents().iter().map(|d| d.file).collect();
    for document in documents {
        answers += sweep(analysis, document);
        symbols::document_symbols(analysis, document);
    }
    let outline = symbols::document_symbols(analysis, analysis.unit.file);
    if analysis.unit.process.is_some() {
        assert_eq!(outline.len(), 1);
    }
    answers
}

fn analyze_file(path: &Path) -> Analysis {
    let mut loader = Loader::new();
    analyze(&mut loader, path).expect("readable")
}

#[test]
fn every_query_at_every_seventh_offset_of_the_examples() {
    let analyses: Vec<Analysis> = examples().iter().map(|p| analyze_file(p)).collect();
    for analysis in &analyses {
        let answers = sweep_analysis(analysis);
        assert!(answers > 20, "{}: the sweep found names to answer for ({answers})", analysis.unit.path.display());
    }
    assert!(!symbols::workspace_symbols(&analyses, "").is_empty());
    assert!(symbols::workspace_symbols(&analyses, "\u{10FFFF}zz").is_empty());
}

#[test]
fn every_query_at_every_seventh_offset_of_twenty_betsy_processes() {
    let analyses: Vec<Analysis> = betsy().iter().map(|p| analyze_file(p)).collect();
    assert_eq!(analyses.len(), 20);
    for analysis in &analyses {
        sweep(analysis, analysis.unit.file);
    }
    // Their shared WSDLs once.
    sweep_analysis(&analyses[0]);
    symbols::workspace_symbols(&analyses, "test");
}

#[test]
fn every_query_on_truncated_and_spliced_texts() {
    let paths: Vec<PathBuf> = betsy().into_iter().take(5).chain(examples()).collect();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut loader = Loader::new();
        // Cut at a few places (char boundaries) and with a chunk taken out of the middle.
        let cuts: Vec<usize> = (1..6).map(|i| text.len() * i / 6).filter(|&i| text.is_char_boundary(i)).collect();
        for &cut in &cuts {
            let truncated = analyze_text(&mut loader, &path, text[..cut].to_string());
            sweep(&truncated, truncated.unit.file);
            let spliced_end = (cut + 40).min(text.len());
            if text.is_char_boundary(spliced_end) {
                let spliced = format!("{}{}", &text[..cut], &text[spliced_end..]);
                let analysis = analyze_text(&mut loader, &path, spliced);
                sweep(&analysis, analysis.unit.file);
            }
        }
    }
}

/// On twenty betsy processes: every resolved name leads to its declaration, and renaming each
/// declaration to a fresh name edits exactly its declaration and uses, and re-analyses with the
/// same diagnostics count.
#[test]
fn definition_and_rename_agree_with_the_resolver_on_betsy() {
    let mut renamed = 0;
    for path in betsy() {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut loader = Loader::new();
        let analysis = analyze_text(&mut loader, &path, text.clone());
        let file = analysis.unit.file;
        let errors = analysis.diagnostics().iter().filter(|d| d.is_error()).count();
        for reference in &analysis.symbols.references {
            let Some(target) = reference.target else { continue };
            if reference.span.slice(&text) != reference.name {
                continue;
            }
            let declaration = analysis.symbols.declaration(target);
            let found = navigation::definition(&analysis, file, reference.span.start as usize);
            assert_eq!(found.map(|l| l.span), Some(declaration.span), "{}: {}", path.display(), reference.name);
        }
        for (i, declaration) in analysis.symbols.declarations.iter().enumerate() {
            let new_name = format!("renamed{i}");
            let Ok(edits) = rename::rename(&analysis, file, declaration.span.start as usize, &new_name) else { continue };
            let uses = analysis.symbols.references.iter().filter(|r| r.target.map(|t| t.0 as usize) == Some(i)).count();
            assert!(edits.len() > uses, "{}: `{}` declaration and {uses} uses", path.display(), declaration.name);
            let mut edited = text.clone();
            for (_, span, replacement) in edits.iter().rev() {
                assert_eq!(span.slice(&text), declaration.name);
                edited.replace_range(span.range(), replacement);
            }
            let again = analyze_text(&mut loader, &path, edited);
            let errors_after = again.diagnostics().iter().filter(|d| d.is_error()).count();
            assert_eq!(errors_after, errors, "{}: renaming `{}`: {:#?}", path.display(), declaration.name, again.diagnostics());
            assert_eq!(again.symbols.declarations.iter().filter(|d| d.name == new_name).count(), 1);
            renamed += 1;
        }
    }
    assert!(renamed >= 40, "renamed {renamed} declarations");
}
