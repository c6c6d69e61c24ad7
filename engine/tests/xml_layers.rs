//! The files of `engine/src/xml/` form layers: each uses only the files listed before it in the
//! layer list at the top of `xml/mod.rs`, so no two files depend on each other, directly or through
//! a cycle. This test reads that list and every file, and checks each `super::` and `crate::xml`
//! path outside comments, strings and `#[cfg(test)]` items. A path must name the file that defines
//! what it imports: going through a `mod.rs` (which only declares modules and re-exports) would
//! hide which layer is used.

use std::path::{Path, PathBuf};

fn xml_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/xml")
}

/// The layers, bottom first, as listed in `xml/mod.rs`: lines `//! N. `module::path`: ...`.
fn layer_list(mod_rs: &str) -> Vec<String> {
    let mut layers = Vec::new();
    for line in mod_rs.lines() {
        let Some(item) = line.strip_prefix("//! ") else { continue };
        let Some((number, rest)) = item.split_once(". `") else { continue };
        let Ok(number) = number.parse::<usize>() else { continue };
        let Some((name, _)) = rest.split_once('`') else { continue };
        assert_eq!(number, layers.len() + 1, "the layer list in xml/mod.rs is numbered 1, 2, 3...: `{line}`");
        layers.push(name.to_string());
    }
    layers
}

/// Every `.rs` file under `dir`, with its module path below `xml` (`xpath::compile`; a `mod.rs` is
/// its folder's module, `xml/mod.rs` the empty path).
fn files(dir: &Path, module: &[String], out: &mut Vec<(Vec<String>, PathBuf)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let mut inner = module.to_vec();
        if path.is_dir() {
            inner.push(name);
            files(&path, &inner, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            if name != "mod" {
                inner.push(name);
            }
            out.push((inner, path));
        }
    }
}

/// The code without comments and without the contents of string and character literals.
fn strip(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r' && matches!(next, Some('"' | '#')) && !chars[..i].last().is_some_and(|p| p.is_alphanumeric() || *p == '_') {
            let hashes = chars[i + 1..].iter().take_while(|h| **h == '#').count();
            if chars.get(i + 1 + hashes) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            i += 2 + hashes;
            while i < chars.len() && !(chars[i] == '"' && chars[i + 1..].iter().take(hashes).filter(|h| **h == '#').count() == hashes) {
                i += 1;
            }
            i += 1 + hashes;
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && next == Some('\\') {
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            i += 3;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The code without the items marked `#[cfg(test)]` (test modules may use any layer).
fn without_tests(code: &str) -> String {
    const MARK: &str = "#[cfg(test)]";
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        let item = &rest[at + MARK.len()..];
        let mut depth = 0usize;
        let mut end = item.len();
        for (i, c) in item.char_indices() {
            match c {
                ';' if depth == 0 => {
                    end = i + 1;
                    break;
                }
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Star,
    Other,
}

fn tokens(code: &str) -> Vec<Token> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
            continue;
        }
        match c {
            ':' if chars.get(i + 1) == Some(&':') => {
                out.push(Token::PathSep);
                i += 1;
            }
            '{' => out.push(Token::Open),
            '}' => out.push(Token::Close),
            ',' => out.push(Token::Comma),
            '*' => out.push(Token::Star),
            c if c.is_whitespace() => {}
            _ => out.push(Token::Other),
        }
        i += 1;
    }
    out
}

/// Reads the path tree after `prefix::` at `tokens[i]` (an identifier, `{...}` or `*`); adds every
/// full path to `out` and returns the index after the tree.
fn path_tree(tokens: &[Token], mut i: usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix;
    loop {
        match tokens.get(i) {
            Some(Token::Ident(name)) if name == "self" => {
                out.push(path);
                return i + 1;
            }
            Some(Token::Ident(name)) if name == "super" && tokens.get(i + 1) == Some(&Token::PathSep) => {
                path.pop();
                i += 2;
            }
            Some(Token::Ident(name)) => {
                path.push(name.clone());
                if tokens.get(i + 1) == Some(&Token::PathSep) {
                    i += 2;
                } else {
                    out.push(path);
                    return i + 1;
                }
            }
            Some(Token::Open) => {
                i += 1;
                while !matches!(tokens.get(i), Some(Token::Close) | None) {
                    i = path_tree(tokens, i, path.clone(), out);
                    while !matches!(tokens.get(i), Some(Token::Comma | Token::Close) | None) {
                        i += 1; // `as alias`
                    }
                    if tokens.get(i) == Some(&Token::Comma) {
                        i += 1;
                    }
                }
                return i + 1;
            }
            _ => {
                out.push(path); // `*`, or the module itself
                return i + 1;
            }
        }
    }
}

/// The paths below `xml` that the code of the module `module` names through `super::` or
/// `crate::xml`, e.g. `["xpath", "compile", "Compiled"]`.
fn references(module: &[String], code: &str) -> Vec<Vec<String>> {
    let tokens = tokens(code);
    let ident = |i: usize, name: &str| matches!(tokens.get(i), Some(Token::Ident(n)) if n == name);
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let starts_path = i == 0 || tokens[i - 1] != Token::PathSep;
        if starts_path && ident(i, "crate") && tokens.get(i + 1) == Some(&Token::PathSep) && ident(i + 2, "xml") {
            if tokens.get(i + 3) == Some(&Token::PathSep) {
                i = path_tree(&tokens, i + 4, Vec::new(), &mut out);
            } else {
                out.push(Vec::new());
                i += 3;
            }
        } else if starts_path && ident(i, "super") {
            let mut base = module.to_vec();
            while ident(i, "super") && tokens.get(i + 1) == Some(&Token::PathSep) {
                base.pop();
                i += 2;
            }
            i = path_tree(&tokens, i, base, &mut out);
        } else {
            i += 1;
        }
    }
    out
}

/// What is wrong with the imports of the file of layer `index` (`layers[index]`).
fn violations(layers: &[String], index: usize, code: &str) -> Vec<String> {
    let module: Vec<String> = layers[index].split("::").map(str::to_string).collect();
    let mut found = Vec::new();
    if let Some(inline) = tokens(code).windows(3).find(|w| w[0] == Token::Ident("mod".into()) && w[2] == Token::Open) {
        found.push(format!("an inline module ({inline:?}): the scan does not follow its `super::`"));
    }
    for path in references(&module, code) {
        let layer = (1..=path.len()).rev().find_map(|n| layers.iter().position(|l| *l == path[..n].join("::")));
        match layer {
            Some(used) if used > index => found.push(format!("uses `{}`, a layer above it ({})", path.join("::"), layers[used])),
            Some(_) => {}
            None => found.push(format!("uses `xml::{}` through a mod.rs: import from the file that defines it", path.join("::"))),
        }
    }
    found
}

/// A `mod.rs` only declares modules and re-exports.
fn facade_problems(code: &str) -> Vec<String> {
    code.split(';')
        .map(str::trim)
        .filter(|statement| !statement.is_empty())
        .filter(|statement| {
            !["mod ", "pub mod ", "pub(crate) mod ", "pub use ", "pub(crate) use "].iter().any(|start| statement.starts_with(start))
        })
        .map(|statement| statement.lines().next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn xml_files_only_use_the_layers_below_them() {
    let mod_rs = std::fs::read_to_string(xml_dir().join("mod.rs")).unwrap();
    let layers = layer_list(&mod_rs);
    assert!(layers.len() >= 10, "the layer list in xml/mod.rs was not found: {layers:?}");
    let mut found = Vec::new();
    files(&xml_dir(), &[], &mut found);
    found.sort();
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for (module, path) in &found {
        let code = without_tests(&strip(&std::fs::read_to_string(path).unwrap()));
        if path.file_name().is_some_and(|name| name == "mod.rs") {
            for statement in facade_problems(&code) {
                problems.push(format!("{}: a mod.rs only declares modules and re-exports, not `{statement}`", path.display()));
            }
            continue;
        }
        let name = module.join("::");
        let Some(index) = layers.iter().position(|l| *l == name) else {
            problems.push(format!("{}: `{name}` is not in the layer list of xml/mod.rs", path.display()));
            continue;
        };
        seen.push(name);
        for problem in violations(&layers, index, &code) {
            problems.push(format!("{} ({}): {problem}", path.display(), layers[index]));
        }
    }
    for layer in &layers {
        if !seen.contains(layer) {
            problems.push(format!("the layer `{layer}` of xml/mod.rs has no file"));
        }
    }
    assert!(problems.is_empty(), "the layers of engine/src/xml/ are broken:\n{}", problems.join("\n"));
}

#[test]
fn the_scan_would_notice() {
    let layers: Vec<String> = ["value", "write", "xpath::compile", "xpath::evaluate", "copy"].iter().map(|s| s.to_string()).collect();
    let scan = |index: usize, text: &str| violations(&layers, index, &without_tests(&strip(text)));

    // downward imports, in every form a `use` takes
    assert_eq!(scan(4, "use super::{value::{Value, XmlElement}, xpath::compile as c};\nuse super::write::*;"), Vec::<String>::new());
    assert_eq!(
        scan(3, "use super::compile::Compiled;\nfn f() -> crate::xml::value::Value { super::super::write::x() }"),
        Vec::<String>::new()
    );
    assert_eq!(
        references(&["xpath".into(), "evaluate".into()], "use super::{compile::{self, Fast}, super::dom as xdom};"),
        [vec!["xpath", "compile"], vec!["xpath", "compile", "Fast"], vec!["dom"]]
    );

    // upward: the value/write cycle as it was, and evaluation reached from compilation
    assert_eq!(scan(0, "pub fn to_xml(&self) -> String { super::write::to_xml(self) }").len(), 1);
    assert_eq!(scan(2, "use super::evaluate::evaluate;").len(), 1);
    assert_eq!(scan(1, "use crate::xml::{value::Value, copy::Store};").len(), 1);

    // through a facade
    assert!(scan(4, "use super::Value;")[0].contains("through a mod.rs"));
    assert!(scan(3, "use crate::xml::xpath::Compiled;")[0].contains("through a mod.rs"));
    assert_eq!(scan(4, "use crate::xml;").len(), 1);

    // comments, strings and tests do not count; inline modules are refused
    let quiet = "// use super::copy::Store;\n/* super::copy */ const S: &str = \"super::copy::x\";\nconst Q: char = '\"';\n\
                 const R: &str = r#\"super::copy\"#;\nfn f<'a>(x: &'a str) {}\n\
                 #[cfg(test)]\nmod tests { use super::copy::Store; }\n#[cfg(test)]\nfn helper() { super::copy::f() }";
    assert_eq!(scan(0, quiet), Vec::<String>::new());
    assert_eq!(scan(0, "mod inner { use super::write::x; }").len(), 2);

    assert_eq!(facade_problems("pub mod a;\npub(crate) mod b;\npub use a::{X, Y};"), Vec::<String>::new());
    assert_eq!(facade_problems("pub mod a;\npub fn f() {}"), ["pub fn f() {}"]);
    assert_eq!(layer_list("//! 1. `value`: data.\n//! 2. `xpath::compile`: text.\n//! - `x`"), ["value", "xpath::compile"]);
}
