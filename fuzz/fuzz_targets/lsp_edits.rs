//! The language server's document handling: a starting text (an example or a betsy process),
//! rounds of incremental `didChange` edits at random UTF-16 positions applied by
//! `bpel_lsp::Document::apply` (as the server does), an analysis of the result over an in-memory
//! loader, then the editor queries of `bpel_engine::ide` at random byte offsets of it.
#![no_main]

use std::path::PathBuf;

use arbitrary::Arbitrary;
use bpel_engine::check::analyze_text;
use bpel_engine::ide::{completion, editing, hover, navigation, rename, symbols, tokens};
use bpel_fuzz::{memory_loader, process_path, BETSY_PROCESSES, EXAMPLES};
use bpel_lsp::Document;
use libfuzzer_sys::fuzz_target;
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent};

#[derive(Arbitrary, Debug)]
struct Change {
    start: (u16, u16),
    end: (u16, u16),
    text: String,
}

#[derive(Arbitrary, Debug)]
enum Query {
    Definition,
    References,
    Highlights,
    Hover,
    Completion,
    SelectionRanges,
    Rename(String),
    LinkedEditing,
    AutoClose,
    Format { tab_size: u8, insert_spaces: bool },
}

#[derive(Arbitrary, Debug)]
struct Input {
    start: u8,
    /// Each round is one `didChange` notification.
    rounds: Vec<Vec<Change>>,
    queries: Vec<(u32, Query)>,
}

fn starting_text(index: u8) -> &'static str {
    let count = EXAMPLES.len() + BETSY_PROCESSES.len();
    match usize::from(index) % count {
        i if i < EXAMPLES.len() => EXAMPLES[i].bpel.1,
        i => BETSY_PROCESSES[i - EXAMPLES.len()].1,
    }
}

fn position((line, character): (u16, u16)) -> Position {
    // small lines most of the time: the texts are a few hundred lines long
    Position { line: u32::from(line % 512), character: u32::from(character % 256) }
}

fuzz_target!(init: bpel_fuzz::init(), |input: Input| {
    let path: PathBuf = process_path("edited");
    let mut document = Document::new(path.clone(), 1, starting_text(input.start).to_string());
    for (version, round) in input.rounds.into_iter().take(16).enumerate() {
        let changes = round
            .into_iter()
            .take(16)
            .map(|c| TextDocumentContentChangeEvent {
                range: Some(Range { start: position(c.start), end: position(c.end) }),
                range_length: None,
                text: c.text,
            })
            .collect();
        document.apply(version as i32 + 2, changes);
    }
    let mut loader = memory_loader();
    let analysis = analyze_text(&mut loader, &path, document.text.clone());
    let file = analysis.unit.file;
    let text = document.text.as_str();
    let _ = symbols::document_symbols(&analysis, file);
    let _ = symbols::folding_ranges(&analysis, file);
    let _ = tokens::semantic_tokens(&analysis, file);
    for (offset, query) in input.queries.into_iter().take(32) {
        let offset = offset as usize % (text.len() + 2);
        match query {
            Query::Definition => drop(navigation::definition(&analysis, file, offset)),
            Query::References => drop(navigation::references(&analysis, file, offset, true)),
            Query::Highlights => drop(navigation::highlights(&analysis, file, offset)),
            Query::Hover => drop(hover::hover(&analysis, file, offset)),
            Query::Completion => drop(completion::complete(&analysis, file, offset)),
            Query::SelectionRanges => drop(symbols::selection_ranges(&analysis, file, offset)),
            Query::Rename(name) => {
                let _ = rename::prepare_rename(&analysis, file, offset);
                let _ = rename::rename(&analysis, file, offset, &name);
            }
            Query::LinkedEditing => drop(editing::linked_editing_ranges(text, offset)),
            Query::AutoClose => drop(editing::auto_close_tag(text, offset)),
            Query::Format { tab_size, insert_spaces } => {
                let options = editing::FormatOptions { tab_size: u32::from(tab_size), insert_spaces };
                let _ = editing::format(text, options, None);
                let _ = editing::format(text, options, Some(bpel_engine::Span::new(offset.min(text.len()), text.len())));
            }
        }
    }
});
