//! The editor queries: each turns LSP params into engine terms (an analysis, byte offsets), asks
//! the engine, and turns the answer back into LSP. They run off the message loop, on tokio's
//! blocking pool, each behind a panic guard (see `server.rs`).

use std::sync::Arc;

use bpel_engine::check::Analysis;
use bpel_engine::model::process::{ActivityId, Process};
use bpel_engine::source::SourceFile;
use bpel_engine::LineIndex;
use tower_lsp_server::ls_types::{DocumentSymbol, DocumentSymbolResponse, SymbolKind};

use crate::to_proto;

/// `textDocument/documentSymbol`: the activity tree, each activity named by its element and its
/// `name` (`sequence Main`), handlers' activities under the activity whose handler holds them.
pub fn document_symbol(analysis: &Analysis) -> Option<DocumentSymbolResponse> {
    let process = analysis.unit.process.as_ref()?;
    // The analysis's own text: the spans point into it even when the editor is a version ahead.
    let file = SourceFile {
        path: analysis.unit.path.clone(),
        text: analysis.unit.text.clone(),
        line_index: Arc::new(LineIndex::new(&analysis.unit.text)),
    };
    let mut children: Vec<Vec<ActivityId>> = vec![Vec::new(); process.activities.len()];
    let mut roots = Vec::new();
    for activity in &process.activities {
        match activity.parent.and_then(|parent| children.get_mut(parent.0 as usize)) {
            Some(siblings) => siblings.push(activity.id),
            None => roots.push(activity.id),
        }
    }
    let symbols = roots.into_iter().map(|id| activity_symbol(process, &file, &children, id)).collect();
    let name = process.name.as_ref().map_or_else(|| "process".to_string(), |name| format!("process {}", name.value));
    let span = process.span;
    #[allow(deprecated)] // `deprecated` is a required field of the struct, deprecated in favour of `tags`.
    let root = DocumentSymbol {
        name,
        detail: None,
        kind: SymbolKind::MODULE,
        tags: None,
        deprecated: None,
        range: to_proto::range(&file, span),
        selection_range: to_proto::range(&file, process.name.as_ref().map_or(span, |name| name.span)),
        children: Some(symbols),
    };
    Some(DocumentSymbolResponse::Nested(vec![root]))
}

fn activity_symbol(process: &Process, file: &SourceFile, children: &[Vec<ActivityId>], id: ActivityId) -> DocumentSymbol {
    let activity = process.activity(id);
    let tag = activity.kind.tag();
    let name = match &activity.name {
        Some(name) => format!("{tag} {}", name.value),
        None => tag.to_string(),
    };
    let nested: Vec<DocumentSymbol> =
        children[id.0 as usize].iter().map(|&child| activity_symbol(process, file, children, child)).collect();
    // The selection (what the editor reveals) must lie inside the range.
    let selection = activity.name.as_ref().map_or(activity.tag_span, |name| name.span);
    let selection = if activity.span.start <= selection.start && selection.end <= activity.span.end { selection } else { activity.span };
    #[allow(deprecated)]
    DocumentSymbol {
        name,
        detail: None,
        kind: SymbolKind::FUNCTION,
        tags: None,
        deprecated: None,
        range: to_proto::range(file, activity.span),
        selection_range: to_proto::range(file, selection),
        children: (!nested.is_empty()).then_some(nested),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bpel_engine::check::analyze;
    use bpel_engine::parse::Loader;
    use std::path::Path;

    #[test]
    fn lists_the_activity_tree_of_an_example() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/echo/echo.bpel");
        let analysis = analyze(&mut Loader::new(), &path).unwrap();
        let Some(DocumentSymbolResponse::Nested(roots)) = document_symbol(&analysis) else { panic!("no symbols") };
        assert_eq!(roots.len(), 1);
        assert_eq!(roots[0].name, "process Echo");
        let main = &roots[0].children.as_ref().unwrap()[0];
        assert_eq!(main.name, "sequence Main");
        let names: Vec<&str> = main.children.as_ref().unwrap().iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["receive ReceiveEcho", "assign CopyText", "reply ReplyEcho"]);
        let text = std::fs::read_to_string(&path).unwrap();
        let receive_line = text.lines().position(|line| line.contains("<receive name=\"ReceiveEcho\"")).unwrap() as u32;
        assert_eq!(main.children.as_ref().unwrap()[0].selection_range.start.line, receive_line);
    }
}
