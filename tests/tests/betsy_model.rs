//! The foundation on the betsy suite: every process parses without a panic, the executable ones
//! give a complete model with no error, spans cover exactly their elements, and truncated files
//! still give positioned diagnostics.

use std::panic::{catch_unwind, AssertUnwindSafe};

use bpel_engine::check::{analyze, analyze_text};
use bpel_engine::model::process::Process;
use bpel_engine::parse::process::ACTIVITY_TAGS;
use bpel_engine::parse::{Loader, BPEL_NS};
use bpel_engine::syntax::{parse_xml, Element};
use bpel_engine::Severity;
use bpel_tests::{all_betsy_processes, executable_betsy_processes};

#[test]
fn every_betsy_process_parses_without_panic() {
    let files = all_betsy_processes();
    assert_eq!(files.len(), 977, "the suite has 215 executable and 762 must-reject processes");
    let mut loader = Loader::new();
    let mut panics = Vec::new();
    for path in &files {
        let result = catch_unwind(AssertUnwindSafe(|| analyze(&mut loader, path)));
        match result {
            Ok(Ok(analysis)) => assert!(analysis.unit.process.is_some(), "{}: no process read", path.display()),
            Ok(Err(error)) => panic!("{}: {error}", path.display()),
            Err(_) => panics.push(path.display().to_string()),
        }
    }
    assert!(panics.is_empty(), "panicked on: {panics:#?}");
}

#[test]
fn executable_processes_give_a_complete_model_and_no_error() {
    let files = executable_betsy_processes();
    assert_eq!(files.len(), 215);
    let mut loader = Loader::new();
    let mut failures = Vec::new();
    for path in &files {
        let analysis = analyze(&mut loader, path).expect("readable");
        let process = analysis.unit.process.as_ref().expect("a process");
        if process.activity.is_none() || process.name.is_none() {
            failures.push(format!("{}: incomplete model", path.display()));
        }
        if analysis.unit.imports.iter().any(Option::is_none) {
            failures.push(format!("{}: an import did not load", path.display()));
        }
        for d in analysis.diagnostics().iter().filter(|d| d.severity == Severity::Error) {
            let file = loader.sources.get(d.file);
            let at = file.line_col(d.span.start as usize);
            failures.push(format!("{}:{}:{}: {} {}", file.path.display(), at.line + 1, at.col_utf8 + 1, d.code, d.message));
        }
        // Every reference of an executable test resolves.
        for reference in analysis.symbols.unresolved() {
            failures.push(format!("{}: unresolved {:?} `{}`", path.display(), reference.kind, reference.name));
        }
    }
    assert!(failures.is_empty(), "{} problem(s):\n{}", failures.len(), failures.join("\n"));
}

/// The elements of `root`'s subtree that are activities, in document order.
fn activity_elements<'e>(element: &'e Element, out: &mut Vec<&'e Element>) {
    if element.namespace.as_deref() == Some(BPEL_NS) && ACTIVITY_TAGS.contains(&element.local.as_str()) {
        out.push(element);
    }
    // Literal values are data, not activities.
    if element.local == "literal" {
        return;
    }
    for child in element.child_elements() {
        activity_elements(child, out);
    }
}

fn check_spans(text: &str, process: &Process) -> Result<(), String> {
    let doc = parse_xml(text);
    let root = doc.root.as_ref().ok_or("no root")?;
    let mut elements = Vec::new();
    activity_elements(root, &mut elements);
    if elements.len() != process.activities.len() {
        return Err(format!("{} activity elements but {} activities", elements.len(), process.activities.len()));
    }
    for (element, activity) in elements.iter().zip(&process.activities) {
        let covered = activity.span.slice(text);
        let tag = element.qualified_name();
        // The span starts at the start tag and ends right after the element's end.
        if !covered.starts_with(&format!("<{tag}")) {
            return Err(format!("activity {:?} starts with {:?}", activity.id, &covered[..covered.len().min(40)]));
        }
        let self_closing = covered.ends_with("/>") && element.children.is_empty();
        if !self_closing && !covered.ends_with(&format!("</{tag}>")) {
            return Err(format!("activity {:?} ({tag}) ends with {:?}", activity.id, &covered[covered.len().saturating_sub(40)..]));
        }
        if activity.span != element.span || activity.kind.tag() != element.local {
            return Err(format!(
                "activity {:?} is <{}> at {:?}, the element <{tag}> at {:?}",
                activity.id,
                activity.kind.tag(),
                activity.span,
                element.span
            ));
        }
        // Re-reading exactly the covered text gives one balanced element of the same name.
        let alone = parse_xml(covered);
        let structural: Vec<_> = alone.errors.iter().filter(|e| !e.message.contains("namespace prefix")).collect();
        if !structural.is_empty() || alone.root.as_ref().map(|r| r.local.as_str()) != Some(element.local.as_str()) {
            return Err(format!("activity {:?} ({tag}): its text alone does not read as one element: {structural:?}", activity.id));
        }
        if let Some(name) = &activity.name {
            if name.span.slice(text) != name.value {
                return Err(format!("name span of {:?} covers {:?}", activity.id, name.span.slice(text)));
            }
        }
    }
    Ok(())
}

#[test]
fn activity_spans_cover_exactly_their_elements() {
    let mut loader = Loader::new();
    let mut failures = Vec::new();
    for path in executable_betsy_processes() {
        let text = std::fs::read_to_string(&path).expect("readable");
        let analysis = analyze_text(&mut loader, &path, text.as_str());
        let process = analysis.unit.process.as_ref().expect("a process");
        if let Err(message) = check_spans(&text, process) {
            failures.push(format!("{}: {message}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A small deterministic generator, so that a failure names offsets that reproduce.
fn offsets(seed: u64, len: usize, count: usize) -> Vec<usize> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % len as u64) as usize
        })
        .collect()
}

#[test]
fn truncated_processes_never_panic_and_always_report_a_position() {
    let files = all_betsy_processes();
    let mut loader = Loader::new();
    let mut failures = Vec::new();
    let mut checked = 0;
    // Every 4th file of the suite (executable and must-reject alike), 40 cut points each.
    for (index, path) in files.iter().enumerate().filter(|(i, _)| i % 4 == 0) {
        let text = std::fs::read_to_string(path).expect("readable");
        let root_end = parse_xml(&text).root.map_or(text.len(), |r| r.span.end as usize);
        for offset in offsets(index as u64, root_end, 40) {
            let mut cut = offset;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let truncated = &text[..cut];
            let outcome = catch_unwind(AssertUnwindSafe(|| analyze_text(&mut loader, path, truncated)));
            checked += 1;
            match outcome {
                Err(_) => failures.push(format!("{} cut at {cut}: panic", path.display())),
                Ok(analysis) => {
                    let own: Vec<_> = analysis.diagnostics().iter().filter(|d| d.file == analysis.unit.file).collect();
                    if own.is_empty() {
                        failures.push(format!("{} cut at {cut}: no diagnostic", path.display()));
                    }
                    if let Some(d) = own.iter().find(|d| d.span.end as usize > cut) {
                        failures.push(format!("{} cut at {cut}: span {:?} outside the text ({})", path.display(), d.span, d.message));
                    }
                }
            }
        }
    }
    assert!(checked > 9_000, "only {checked} cuts checked");
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}
