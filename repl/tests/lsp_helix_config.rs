//! The Helix set-up, `editors/helix/languages.toml`, as it is: read with the keys Helix accepts,
//! the `.bpel` file type mapped to a language whose language server is defined, and that server
//! started exactly as configured (command and arguments; `bpel` found on PATH, as Helix finds it)
//! answering an LSP session over stdio with the diagnostic of a broken example. Helix itself is not
//! run: Debian 12 does not package it (see editors/helix/README.md).

#[path = "support/lsp_client.rs"]
mod lsp_client;
mod support;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use lsp_client::{file_uri, open, LspClient};
use serde::Deserialize;
use serde_json::{json, Value};

/// The part of Helix's `languages.toml` schema this set-up uses. Unknown keys are refused, so that
/// a misspelt key fails here rather than being ignored; a key Helix accepts that the set-up
/// starts to use is added here.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Languages {
    #[serde(default)]
    language: Vec<Language>,
    #[serde(default)]
    language_server: HashMap<String, LanguageServer>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Language {
    name: String,
    language_id: Option<String>,
    scope: String,
    file_types: Vec<String>,
    #[serde(default)]
    roots: Vec<String>,
    block_comment_tokens: Option<BlockComment>,
    indent: Option<Indent>,
    grammar: Option<String>,
    #[serde(default)]
    language_servers: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockComment {
    start: String,
    end: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Indent {
    tab_width: usize,
    unit: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LanguageServer {
    command: String,
    #[serde(default)]
    args: Vec<String>,
}

fn helix_folder() -> std::path::PathBuf {
    support::workspace().join("editors/helix")
}

fn languages() -> Languages {
    let path = helix_folder().join("languages.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{} is not a Helix languages.toml: {e}", path.display()))
}

/// The one language Helix picks for a file of this type.
fn language_for<'a>(languages: &'a Languages, file_type: &str) -> &'a Language {
    let matching: Vec<&Language> = languages.language.iter().filter(|l| l.file_types.iter().any(|t| t == file_type)).collect();
    assert_eq!(matching.len(), 1, "exactly one language should claim .{file_type}: {matching:?}");
    matching[0]
}

#[test]
fn a_bpel_file_is_its_own_xml_language_with_a_defined_server() {
    let languages = languages();
    let bpel = language_for(&languages, "bpel");
    assert!(bpel.scope.starts_with("text.xml"), "a markup scope: {}", bpel.scope);
    assert!(bpel.roots.iter().all(|root| !root.is_empty()), "{:?}", bpel.roots);
    let comment = bpel.block_comment_tokens.as_ref().expect("XML comments as block comment tokens");
    assert_eq!((comment.start.as_str(), comment.end.as_str()), ("<!--", "-->"));
    if let Some(indent) = &bpel.indent {
        assert!(indent.unit == "\t" || indent.unit == " ".repeat(indent.tab_width), "{indent:?}");
    }
    assert!(!bpel.language_servers.is_empty(), "no language server for {}", bpel.name);
    for server in &bpel.language_servers {
        assert!(languages.language_server.contains_key(server), "language server `{server}` is not defined");
    }
    // Helix looks a language's queries up by its name: the set-up's lend it those of its grammar
    if let Some(grammar) = &bpel.grammar {
        let highlights = helix_folder().join("runtime/queries").join(&bpel.name).join("highlights.scm");
        let text = std::fs::read_to_string(&highlights).unwrap_or_else(|e| panic!("{}: {e}", highlights.display()));
        assert!(text.lines().any(|l| l.trim() == format!("; inherits: {grammar}")), "{} should inherit {grammar}", highlights.display());
    }
}

/// `bpel check --format json PATH`: its first diagnostic.
fn check_first_diagnostic(path: &Path) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_bpel")).args(["check", "--format", "json"]).arg(path).output().unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    report["diagnostics"][0].clone()
}

#[test]
fn the_configured_server_command_reports_the_diagnostic_of_a_broken_process() {
    let languages = languages();
    let bpel = language_for(&languages, "bpel");
    let name = bpel.language_servers.first().expect("a language server");
    let server = &languages.language_server[name];

    // as configured: the command looked up on PATH, where the built `bpel` comes first
    let binary_folder = Path::new(env!("CARGO_BIN_EXE_bpel")).parent().unwrap().to_path_buf();
    let path = std::env::join_paths(std::iter::once(binary_folder).chain(std::env::var_os("PATH").iter().flat_map(std::env::split_paths)))
        .unwrap();
    let mut command = Command::new(&server.command);
    command.args(&server.args).env("PATH", path);
    let mut client = LspClient::spawn(command);
    let capabilities = json!({ "textDocument": { "publishDiagnostics": { "versionSupport": true, "relatedInformation": true } } });
    let initialized = client.initialize(capabilities);
    assert!(initialized["capabilities"]["textDocumentSync"].is_object(), "{initialized}");

    let (process, text) = lsp_client::echo_copy("helix", |text| {
        text.replace(r#"operation="echo" variable="response"/>"#, r#"operation="echo" variable="respons"/>"#)
    });
    let expected = check_first_diagnostic(&process);
    let uri = file_uri(&process);
    let language_id = bpel.language_id.as_deref().unwrap_or(&bpel.name);
    client.notify("textDocument/didOpen", open(&uri, language_id, &text));
    let diagnostics = client.diagnostics_at(&uri, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic["code"], expected["code"]);
    assert_eq!(diagnostic["code"], "BPEL0100");
    let start = &expected["range"]["start"];
    assert_eq!(
        diagnostic["range"]["start"],
        json!({ "line": start["line"].as_u64().unwrap() - 1, "character": start["column"].as_u64().unwrap() - 1 })
    );
    let message = diagnostic["message"].as_str().unwrap();
    assert!(message.starts_with(expected["message"].as_str().unwrap()), "{message}");

    assert!(client.shutdown().success());
    let _ = std::fs::remove_dir_all(process.parent().unwrap());
}
