//! `check::Workspace`: a change to a file re-analyses exactly the processes that read it (the
//! process itself, or a WSDL or schema in its import closure) and reuses every other analysis.
//! Real files in a temporary folder; unsaved texts through the workspace's overlay.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bpel_engine::check::{Analysis, Workspace};
use bpel_engine::diagnostic::codes;
use bpel_engine::model::QName;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("bpel-workspace-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temp dir");
        // Canonical, so that the paths the test compares are the ones the loader knows files by.
        TempDir(std::fs::canonicalize(&path).expect("canonical temp dir"))
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn schema(namespace: &str, element: &str) -> String {
    format!(
        r#"<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="{namespace}" elementFormDefault="qualified"><xsd:element name="{element}" type="xsd:string"/></xsd:schema>"#
    )
}

/// A WSDL whose inline schema imports `schema_location` (namespace `imported`), with a message
/// whose part is that schema's element `element`.
fn wsdl_importing(namespace: &str, imported: &str, schema_location: &str, element: &str) -> String {
    format!(
        r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:i="{imported}" targetNamespace="{namespace}">
  <types><xsd:schema targetNamespace="{namespace}"><xsd:import namespace="{imported}" schemaLocation="{schema_location}"/></xsd:schema></types>
  <message name="request"><part name="body" element="i:{element}"/></message>
</definitions>"#
    )
}

fn plain_wsdl(namespace: &str) -> String {
    format!(
        r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="{namespace}"><message name="note"><part name="text" type="xsd:string"/></message></definitions>"#
    )
}

const WSDL: &str = "http://schemas.xmlsoap.org/wsdl/";
const XSD: &str = "http://www.w3.org/2001/XMLSchema";

/// A process with `imports` (namespace, location, importType) and `variables` (name, attribute
/// and value, e.g. `element="t:order"`), doing nothing.
fn process(name: &str, imports: &[(&str, &str, &str)], variables: &[(&str, &str)]) -> String {
    let imports: String = imports
        .iter()
        .map(|(namespace, location, kind)| format!(r#"<import namespace="{namespace}" location="{location}" importType="{kind}"/>"#))
        .collect();
    let variables: String = variables.iter().map(|(name, typing)| format!(r#"<variable name="{name}" {typing}/>"#)).collect();
    format!(
        r#"<process name="{name}" targetNamespace="urn:{name}" xmlns="http://docs.oasis-open.org/wsbpel/2.0/process/executable" xmlns:s="urn:service" xmlns:t="urn:types" xmlns:o="urn:other" xmlns:x="urn:extra" xmlns:l="urn:later">
  {imports}
  <variables>{variables}</variables>
  <empty/>
</process>"#
    )
}

/// Four processes: `direct` imports types.xsd, `through_wsdl` imports it through service.wsdl
/// (and imports extra.wsdl besides), `unrelated` imports other.wsdl (which imports shared.xsd),
/// `waiting` imports later.xsd, which does not exist yet.
struct Fixture {
    dir: TempDir,
    types: PathBuf,
    shared: PathBuf,
    later: PathBuf,
    direct: PathBuf,
    through_wsdl: PathBuf,
    unrelated: PathBuf,
    waiting: PathBuf,
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        let dir = TempDir::new(name);
        let types = dir.write("types.xsd", &schema("urn:types", "order"));
        let shared = dir.write("shared.xsd", &schema("urn:shared", "note"));
        dir.write("service.wsdl", &wsdl_importing("urn:service", "urn:types", "types.xsd", "order"));
        dir.write("other.wsdl", &wsdl_importing("urn:other", "urn:shared", "shared.xsd", "note"));
        dir.write("extra.wsdl", &plain_wsdl("urn:extra"));
        let direct = dir.write("direct.bpel", &process("direct", &[("urn:types", "types.xsd", XSD)], &[("order", r#"element="t:order""#)]));
        let through_wsdl = dir.write(
            "through-wsdl.bpel",
            &process(
                "through",
                &[("urn:service", "service.wsdl", WSDL), ("urn:extra", "extra.wsdl", WSDL)],
                &[("request", r#"messageType="s:request""#), ("note", r#"messageType="x:note""#)],
            ),
        );
        let unrelated = dir.write(
            "unrelated.bpel",
            &process("unrelated", &[("urn:other", "other.wsdl", WSDL)], &[("request", r#"messageType="o:request""#)]),
        );
        let waiting =
            dir.write("waiting.bpel", &process("waiting", &[("urn:later", "later.xsd", XSD)], &[("value", r#"element="l:value""#)]));
        let later = dir.0.join("later.xsd");
        Fixture { dir, types, shared, later, direct, through_wsdl, unrelated, waiting }
    }

    fn processes(&self) -> [&PathBuf; 4] {
        [&self.direct, &self.through_wsdl, &self.unrelated, &self.waiting]
    }

    /// A workspace keeping the four processes, each analysed once.
    fn workspace(&self) -> Workspace {
        let mut workspace = Workspace::new();
        for path in self.processes() {
            workspace.add_process(path.clone());
        }
        let analysed = workspace.refresh();
        assert_eq!(analysed.len(), 4);
        assert!(analysed.iter().all(|(_, analysis)| analysis.is_ok()));
        assert_eq!(workspace.analyses_run(), 4);
        workspace
    }
}

/// The current analyses, by process, without making any.
fn current(workspace: &mut Workspace, fixture: &Fixture) -> Vec<(PathBuf, u64, Arc<Analysis>)> {
    let before = workspace.analyses_run();
    let out = fixture
        .processes()
        .into_iter()
        .map(|path| {
            let generation = workspace.generation(path).expect("analysed");
            (path.clone(), generation, workspace.analysis(path).expect("readable"))
        })
        .collect();
    assert_eq!(workspace.analyses_run(), before, "asking for a current analysis makes none");
    out
}

/// The processes whose analysis was made again between two snapshots; the others must be the
/// very same analyses.
fn reanalysed(before: &[(PathBuf, u64, Arc<Analysis>)], after: &[(PathBuf, u64, Arc<Analysis>)]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for ((path, generation_before, analysis_before), (_, generation_after, analysis_after)) in before.iter().zip(after) {
        if generation_before == generation_after {
            assert!(Arc::ptr_eq(analysis_before, analysis_after), "{} kept its generation but not its analysis", path.display());
        } else {
            assert!(generation_after > generation_before);
            out.push(path.clone());
        }
    }
    out
}

fn document<'a>(analysis: &'a Analysis, path: &Path) -> &'a Arc<bpel_engine::parse::LoadedDocument> {
    let documents = analysis.unit.definitions.documents();
    documents.iter().find(|d| d.path == path).unwrap_or_else(|| panic!("{} is not among the documents", path.display()))
}

fn has_code(analysis: &Analysis, code: &str) -> bool {
    analysis.diagnostics().iter().any(|d| d.code == code)
}

#[test]
fn editing_a_schema_imported_through_a_wsdl_re_analyses_exactly_its_importers() {
    let fixture = Fixture::new("schema-edit");
    let mut workspace = fixture.workspace();
    let before = current(&mut workspace, &fixture);
    let service = fixture.dir.0.join("service.wsdl");
    let extra = fixture.dir.0.join("extra.wsdl");
    let old_through = &before[1].2;
    assert!(!old_through.unit.definitions.documents().iter().any(|d| d.has_errors()));

    let edited = schema("urn:types", "purchase");
    let invalidated = workspace.set_text(&fixture.types, edited.as_str());
    assert_eq!(invalidated, vec![fixture.direct.clone(), fixture.through_wsdl.clone()]);
    let analysed: Vec<PathBuf> = workspace.refresh().into_iter().map(|(path, _)| path).collect();
    assert_eq!(analysed, vec![fixture.direct.clone(), fixture.through_wsdl.clone()]);
    assert_eq!(workspace.analyses_run(), 6, "two analyses more, one per importer");

    let after = current(&mut workspace, &fixture);
    assert_eq!(reanalysed(&before, &after), vec![fixture.direct.clone(), fixture.through_wsdl.clone()]);

    // The new analyses read the unsaved text, under the file's old id.
    let through = &after[1].2;
    let types = document(through, &fixture.types);
    assert_eq!(&*types.text, edited);
    assert_eq!(types.file, document(old_through, &fixture.types).file);
    assert_eq!(&*workspace.sources().get(types.file).text, edited);
    // service.wsdl imports the schema, so it was read again; extra.wsdl was reused as it was.
    assert!(!Arc::ptr_eq(document(through, &service), document(old_through, &service)));
    assert!(Arc::ptr_eq(document(through, &extra), document(old_through, &extra)));
    // The definitions seen through the WSDL are the edited schema's.
    let order = QName::new(Some("urn:types"), "order");
    assert!(old_through.unit.definitions.element(&order).is_some());
    assert!(through.unit.definitions.element(&order).is_none());
    assert!(through.unit.definitions.element(&QName::new(Some("urn:types"), "purchase")).is_some());
    // `direct` declares a variable of the element the schema no longer has.
    let direct_before = &before[0].2;
    let direct_after = &after[0].2;
    assert!(!has_code(direct_before, "SA00010"));
    assert!(has_code(direct_after, "SA00010"), "{:#?}", direct_after.diagnostics());

    // Back to the file on disk: the same two again.
    assert_eq!(workspace.clear_text(&fixture.types), vec![fixture.direct.clone(), fixture.through_wsdl.clone()]);
    workspace.refresh();
    assert_eq!(workspace.analyses_run(), 8);
    let restored = current(&mut workspace, &fixture);
    assert_eq!(restored[0].2.diagnostics(), direct_before.diagnostics());
}

#[test]
fn a_change_on_disk_an_edited_process_and_a_new_file_each_re_analyse_their_readers_only() {
    let fixture = Fixture::new("other-changes");
    let mut workspace = fixture.workspace();

    // shared.xsd, changed on disk, is read by `unrelated` alone (through other.wsdl).
    let before = current(&mut workspace, &fixture);
    std::fs::write(&fixture.shared, schema("urn:shared", "memo")).expect("write");
    assert_eq!(workspace.file_changed(&fixture.shared), vec![fixture.unrelated.clone()]);
    workspace.refresh();
    let after = current(&mut workspace, &fixture);
    assert_eq!(reanalysed(&before, &after), vec![fixture.unrelated.clone()]);

    // An unsaved edit of one process re-analyses that process.
    let text = std::fs::read_to_string(&fixture.direct).expect("read").replace("<empty/>", "<empty name=\"edited\"/>");
    assert_eq!(workspace.set_text(&fixture.direct, text.as_str()), vec![fixture.direct.clone()]);
    workspace.refresh();
    let edited = current(&mut workspace, &fixture);
    assert_eq!(reanalysed(&after, &edited), vec![fixture.direct.clone()]);
    assert_eq!(&*edited[0].2.unit.text, text);

    // A schema that did not exist yet, typed into a new buffer: the process that imports it.
    assert!(has_code(&edited[3].2, codes::IMPORT_NOT_FOUND));
    let invalidated = workspace.set_text(&fixture.later, schema("urn:later", "value").as_str());
    assert_eq!(invalidated, vec![fixture.waiting.clone()]);
    workspace.refresh();
    let created = current(&mut workspace, &fixture);
    assert_eq!(reanalysed(&edited, &created), vec![fixture.waiting.clone()]);
    assert!(!has_code(&created[3].2, codes::IMPORT_NOT_FOUND), "{:#?}", created[3].2.diagnostics());

    // A file nothing reads.
    assert!(workspace.file_changed(&fixture.dir.0.join("unused.xsd")).is_empty());
    assert!(workspace.refresh().is_empty());
}

/// Files that exist only in memory.
#[derive(Debug, Default)]
struct MemoryFs(std::collections::HashMap<PathBuf, Arc<str>>);

impl bpel_engine::parse::FileSystem for MemoryFs {
    fn read(&self, path: &Path) -> Result<Arc<str>, bpel_engine::parse::ReadError> {
        let not_found = || std::io::Error::new(std::io::ErrorKind::NotFound, "not in memory");
        self.0.get(path).cloned().ok_or_else(|| not_found().into())
    }

    fn canonicalize(&self, path: &Path) -> std::io::Result<PathBuf> {
        let normalized: PathBuf = path.components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect();
        match self.0.contains_key(&normalized) {
            true => Ok(normalized),
            false => Err(std::io::Error::new(std::io::ErrorKind::NotFound, "not in memory")),
        }
    }
}

#[test]
fn a_loader_over_its_own_file_system_reads_nothing_from_disk() {
    let folder = Path::new("/nowhere-on-disk/bpel-workspace");
    let mut files = MemoryFs::default();
    let process_path = folder.join("direct.bpel");
    let schema_path = folder.join("types.xsd");
    files
        .0
        .insert(process_path.clone(), process("direct", &[("urn:types", "./types.xsd", XSD)], &[("order", r#"element="t:order""#)]).into());
    files.0.insert(schema_path.clone(), schema("urn:types", "order").into());
    let mut workspace = Workspace::with_loader(bpel_engine::parse::Loader::with_file_system(files));

    let analysis = workspace.analysis(&process_path).expect("in memory");
    assert!(!has_code(&analysis, codes::IMPORT_NOT_FOUND), "{:#?}", analysis.diagnostics());
    assert!(!has_code(&analysis, "SA00010"), "{:#?}", analysis.diagnostics());
    assert_eq!(document(&analysis, &schema_path).text.len(), schema("urn:types", "order").len());

    // An unsaved text over the in-memory file.
    assert_eq!(workspace.set_text(&schema_path, schema("urn:types", "purchase").as_str()), vec![process_path.clone()]);
    let edited = workspace.analysis(&process_path).expect("in memory");
    assert!(has_code(&edited, "SA00010"), "{:#?}", edited.diagnostics());
    assert!(workspace.analysis(Path::new("/nowhere-on-disk/missing.bpel")).is_err());
}
