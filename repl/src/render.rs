//! Diagnostics for people (source snippets, via miette) and for tools (JSON).

use std::io::{self, Write};

use bpel_engine::source::{SourceFile, Sources};
use bpel_engine::{Diagnostic, Severity};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource, Report};
use serde::Serialize;

pub fn human(out: &mut impl Write, sources: &Sources, diagnostics: &[Diagnostic]) -> io::Result<()> {
    let theme = if std::env::var_os("NO_COLOR").is_some() || !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        GraphicalTheme::unicode_nocolor()
    } else {
        GraphicalTheme::unicode()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_context_lines(1);
    for diagnostic in diagnostics {
        let file = sources.get(diagnostic.file);
        let start = file.line_col(diagnostic.span.start as usize);
        // A one-line header that tools and people can grep: path:line:column: severity[code] message
        writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            file.path.display(),
            start.line + 1,
            start.col_utf8 + 1,
            severity_word(diagnostic.severity),
            diagnostic.code,
            diagnostic.message
        )?;
        let report = Report::new(to_miette(diagnostic, sources))
            .with_source_code(NamedSource::new(file.path.display().to_string(), file.text.to_string()));
        let mut rendered = String::new();
        if handler.render_report(&mut rendered, report.as_ref()).is_ok() {
            writeln!(out, "{}\n", frame_only(&rendered))?;
        }
    }
    Ok(())
}

/// The source frame and help of a rendered report, without the message lines before it: the header
/// line says them already, so each diagnostic shows its code and message once.
fn frame_only(rendered: &str) -> String {
    let lines: Vec<&str> = rendered.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim_start().starts_with('╭'))
        .or_else(|| lines.iter().position(|l| l.trim_start().starts_with("help:")))
        .unwrap_or(lines.len());
    lines[start..].join("\n")
}

fn to_miette(diagnostic: &Diagnostic, sources: &Sources) -> MietteDiagnostic {
    let severity = match diagnostic.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    };
    let mut labels = vec![LabeledSpan::new_primary_with_span(Some("here".to_string()), diagnostic.span.range())];
    let mut help = diagnostic.help.clone();
    for related in &diagnostic.related {
        if related.file == diagnostic.file {
            labels.push(LabeledSpan::new_with_span(Some(related.message.clone()), related.span.range()));
        } else {
            let other = sources.get(related.file);
            let at = other.line_col(related.span.start as usize);
            let note = format!("{}: {}:{}:{}", related.message, other.path.display(), at.line + 1, at.col_utf8 + 1);
            help = Some(match help {
                Some(h) => format!("{h}\n{note}"),
                None => note,
            });
        }
    }
    let mut out = MietteDiagnostic::new(diagnostic.message.clone()).with_code(diagnostic.code).with_severity(severity).with_labels(labels);
    if let Some(help) = help {
        out = out.with_help(help);
    }
    out
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// 1-based, as editors show them; columns count characters (the language server, not this report,
/// speaks LSP's UTF-16 columns).
#[derive(Serialize)]
struct Position {
    line: u32,
    column: u32,
}

#[derive(Serialize)]
struct Range {
    start: Position,
    end: Position,
}

#[derive(Serialize)]
struct JsonRelated {
    file: String,
    range: Range,
    message: String,
}

#[derive(Serialize)]
struct JsonFix {
    title: String,
    edits: Vec<JsonEdit>,
}

#[derive(Serialize)]
struct JsonEdit {
    file: String,
    range: Range,
    replacement: String,
}

#[derive(Serialize)]
struct JsonDiagnostic {
    file: String,
    range: Range,
    /// Byte offsets into the file.
    offset: (u32, u32),
    severity: Severity,
    code: &'static str,
    message: String,
    help: Option<String>,
    related: Vec<JsonRelated>,
    fix: Option<JsonFix>,
}

#[derive(Serialize)]
struct JsonReport {
    diagnostics: Vec<JsonDiagnostic>,
    files_checked: usize,
    errors: usize,
    warnings: usize,
    io_errors: Vec<String>,
}

fn position(file: &SourceFile, offset: u32) -> Position {
    let at = file.line_col(offset as usize);
    let line_start = offset as usize - at.col_utf8 as usize;
    let column = file.text.get(line_start..offset as usize).map_or(at.col_utf8, |s| s.chars().count() as u32);
    Position { line: at.line + 1, column: column + 1 }
}

fn range(file: &SourceFile, span: bpel_engine::Span) -> Range {
    Range { start: position(file, span.start), end: position(file, span.end) }
}

pub fn json(
    out: &mut impl Write,
    sources: &Sources,
    diagnostics: &[Diagnostic],
    files_checked: usize,
    io_errors: &[String],
) -> io::Result<()> {
    let report = JsonReport {
        diagnostics: diagnostics
            .iter()
            .map(|d| {
                let file = sources.get(d.file);
                JsonDiagnostic {
                    file: file.path.display().to_string(),
                    range: range(file, d.span),
                    offset: (d.span.start, d.span.end),
                    severity: d.severity,
                    code: d.code,
                    message: d.message.clone(),
                    help: d.help.clone(),
                    related: d
                        .related
                        .iter()
                        .map(|r| {
                            let other = sources.get(r.file);
                            JsonRelated { file: other.path.display().to_string(), range: range(other, r.span), message: r.message.clone() }
                        })
                        .collect(),
                    fix: d.fix.as_ref().map(|fix| JsonFix {
                        title: fix.title.clone(),
                        edits: fix
                            .edits
                            .iter()
                            .map(|e| {
                                let target = sources.get(e.file);
                                JsonEdit {
                                    file: target.path.display().to_string(),
                                    range: range(target, e.span),
                                    replacement: e.replacement.clone(),
                                }
                            })
                            .collect(),
                    }),
                }
            })
            .collect(),
        files_checked,
        errors: diagnostics.iter().filter(|d| d.severity == Severity::Error).count(),
        warnings: diagnostics.iter().filter(|d| d.severity == Severity::Warning).count(),
        io_errors: io_errors.to_vec(),
    };
    serde_json::to_writer_pretty(&mut *out, &report).map_err(io::Error::other)?;
    writeln!(out)
}
