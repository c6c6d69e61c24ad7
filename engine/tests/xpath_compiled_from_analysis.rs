//! Deployment compiles expressions from the analysis's parses (`Compiled::from_parsed`) instead of
//! parsing them again: over every betsy process and every example, that gives exactly what
//! compiling the text does.

use std::path::PathBuf;

use bpel_engine::check::{analyze, process_files};
use bpel_engine::parse::Loader;
use bpel_engine::xml::{Compiled, XPathRole};

fn betsy() -> PathBuf {
    let shared = std::env::var_os("BPEL_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    shared.join("conformance/betsy")
}

#[test]
fn compiling_from_the_analysis_equals_compiling_the_text_on_every_betsy_expression() {
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let (files, unreadable) = process_files(&[betsy(), examples]);
    assert!(unreadable.is_empty(), "{unreadable:?}");
    assert!(files.len() > 900, "betsy's processes: {}", files.len());
    let mut loader = Loader::new();
    let (mut expressions, mut queries, mut alias_queries, mut failing) = (0, 0, 0, 0);
    for path in &files {
        let analysis = analyze(&mut loader, path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let Some(process) = &analysis.unit.process else { continue };
        for site in analysis.expressions.of_process(analysis.unit.file, process) {
            let role = if site.is_query { XPathRole::Query } else { XPathRole::Expression };
            let bindings = process.namespaces.in_scope(site.expression.namespaces);
            let shared = Compiled::from_parsed(&site.expression.text, site.parsed, &bindings, role, site.language);
            let default = if site.is_query { &process.query_language } else { &process.expression_language };
            let compiled = Compiled::expression(site.expression, &process.namespaces, role, default.as_ref().map(|l| l.value.as_str()));
            assert_eq!(format!("{shared:?}"), format!("{compiled:?}"), "{}: `{}`", path.display(), site.expression.text);
            if site.is_query {
                queries += 1;
            } else {
                expressions += 1;
            }
            failing += usize::from(compiled.error().is_some());
        }
        for alias in analysis.unit.definitions.all_property_aliases() {
            let Some(query) = &alias.query else { continue };
            let Some(parsed) = analysis.expressions.get(alias.file(), query.span) else { continue };
            let language = analysis.expressions.language(alias.file(), query.span).unwrap_or_default();
            let shared = Compiled::from_parsed(&query.text, parsed, &query.namespaces, XPathRole::Query, language);
            let compiled = Compiled::new(&query.text, &query.namespaces, XPathRole::Query);
            assert_eq!(format!("{shared:?}"), format!("{compiled:?}"), "{}: alias query `{}`", path.display(), query.text);
            alias_queries += 1;
        }
    }
    assert!(expressions > 1000 && queries > 20, "{expressions} expressions, {queries} queries");
    assert!(alias_queries > 0, "the examples' property alias queries");
    assert!(failing > 0, "some expressions cannot be evaluated (syntax errors, no context node), and say the same why");
}
