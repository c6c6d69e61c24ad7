//! Deployment: a loaded, checked process turned into what the runtime executes ([`Deployed`]): the
//! declarations of every scope with their resolved types, the links each activity's subtree is the
//! source of (for dead-path elimination), the operations of each partner link, the compiled
//! expressions, property aliases and stylesheets.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::PROCESS;
use crate::check::{analyze, Analysis, ParsedExpressions};
use crate::checkpoint::DefinitionHash;
use crate::diagnostic::Diagnostic;
use crate::model::process::{ActivityId, ActivityKind, Process, ScopeDecls};
use crate::model::{QName, QNameRef};
use crate::parse::{Loader, ProcessUnit};
use crate::xml::{AliasTable, CompiledExpressions, MessageType, StylesheetCache, TypeRef, VarType, XPathEnv};

/// Index of a scope declaration in [`Deployed::decls`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DeclId(pub u32);

/// What one scope-like construct declares: the process, a scope (with a forEach counter or an
/// onEvent variable when it is their child), a catch with a fault variable, a flow's links.
#[derive(Clone, Debug, Default)]
pub struct Decl {
    pub variables: Vec<VariableDecl>,
    pub partner_links: Vec<PartnerLinkDecl>,
    pub correlation_sets: Vec<CorrelationSetDecl>,
    pub links: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct VariableDecl {
    pub name: String,
    /// `None` when the type does not resolve (reported at check time).
    pub ty: Option<VarType>,
    /// Where the inline initialization is: the owning scope activity and the variable's index in its
    /// `<variables>`.
    pub init: Option<(ActivityId, usize)>,
}

#[derive(Clone, Debug)]
pub struct PartnerLinkDecl {
    pub name: String,
    pub my_port_type: Option<QName>,
    pub partner_port_type: Option<QName>,
    /// The partner's address from the WSDL's services (a port whose binding implements the partner
    /// role's port type).
    pub default_address: Option<String>,
}

#[derive(Clone, Debug)]
pub struct CorrelationSetDecl {
    pub name: String,
    pub properties: Vec<QName>,
}

/// Why a process cannot be deployed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path} has {} error(s); `bpel check {path}` shows them", .diagnostics.len())]
    Invalid { path: String, diagnostics: Vec<Diagnostic> },
}

/// A deployed process: the program every instance of it runs.
pub struct Deployed {
    pub unit: ProcessUnit,
    pub hash: DefinitionHash,
    pub compiled: CompiledExpressions,
    pub aliases: AliasTable,
    pub stylesheets: StylesheetCache,
    pub decls: Vec<Decl>,
    /// The declaration of each scope-like owner: the process, a scope, a catch (scope, index), a flow.
    pub decl_of: BTreeMap<(ActivityId, DeclOwner), DeclId>,
    /// For each activity, the links whose source lies in its subtree (itself included).
    pub sourced_links: BTreeMap<ActivityId, Vec<String>>,
    /// The address this process is served at (its myRole endpoints' base), if a host said.
    pub base_address: String,
    /// How many completed activities an instance's trace keeps (the last ones; older ones are
    /// dropped, so the trace does not grow with an instance's life). Set before deploying.
    pub trace_limit: usize,
    /// Told what instances do as they run (run-in-place); `None` for every ordinary deployment.
    /// Set before deploying.
    pub observer: Option<std::sync::Arc<dyn super::observer::Observer>>,
    /// What the folder's `deploy.xml` says of this process (ports provided and invoked, whether
    /// active, process properties), read once by the host before deploying; the conventions when
    /// there is none.
    pub deployment: crate::parse::deploy_xml::ProcessDeployment,
    /// Line starts of the process text, for messages that name an activity's line.
    pub lines: crate::span::LineIndex,
    /// For each (partner link, operation) the process receives on: how to route a message.
    pub inbound: BTreeMap<(String, String), Inbound>,
    /// Every WSDL message of the imports, resolved once (messages are built on every request).
    message_types: BTreeMap<QName, std::sync::Arc<MessageType>>,
}

/// How many completed activities an instance's trace keeps unless the host says otherwise.
pub const DEFAULT_TRACE_LIMIT: usize = 128;

/// What the activities receiving on one operation say about routing its messages.
#[derive(Clone, Debug, Default)]
pub struct Inbound {
    /// The correlation sets they correlate on (not those they initiate), with their properties.
    pub correlations: Vec<(String, Vec<QName>)>,
    /// One of them creates an instance.
    pub creates: bool,
}

/// Where a message goes: the correlation values it carries for the sets its receivers correlate
/// on, and whether it may create an instance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Routing {
    pub keys: Vec<(String, Vec<String>)>,
    pub correlated: bool,
    pub creates: bool,
}

/// What of an activity owns a declaration, as the second half of a [`Deployed::decl_of`] key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeclOwner {
    /// The scope itself (or the process): its variables, partner links, correlation sets.
    Scope,
    /// A flow: its links.
    Flow,
    /// A catch of a scope or an invoke (by index): its fault variable.
    Catch(u32),
}

impl Deployed {
    /// Loads, checks and compiles the process at `path`. A process with errors is refused with them.
    /// An Apache ODE `deploy.xml` beside it that lists it gives its settings (process properties,
    /// ports); `bpel serve` also acts on what it says of activation and refuses a broken one.
    pub fn load(path: &Path) -> Result<Deployed, DeployError> {
        Deployed::load_in(path, None)
    }

    /// [`Deployed::load`] in `dialect` (`None`: Apache ODE's dialect when the folder holds a
    /// `deploy.xml`, else the standard).
    pub fn load_in(path: &Path, dialect: Option<crate::parse::Dialect>) -> Result<Deployed, DeployError> {
        let mut loader = Loader::new();
        let folder = path.parent().unwrap_or(Path::new("."));
        loader.dialect = dialect.unwrap_or_else(|| crate::parse::Dialect::of_folder(&mut loader, folder));
        let analysis = analyze(&mut loader, path).map_err(|source| DeployError::Io { path: path.display().to_string(), source })?;
        let errors: Vec<Diagnostic> = analysis.diagnostics().iter().filter(|d| d.severity == crate::Severity::Error).cloned().collect();
        if !errors.is_empty() || analysis.unit.process.is_none() {
            return Err(DeployError::Invalid { path: path.display().to_string(), diagnostics: errors });
        }
        let described = match crate::check::deployment::deployment(&mut loader, folder, &[&analysis.unit]) {
            Ok(Some(deployment)) if !deployment.has_errors() => analysis.unit.process.as_ref().and_then(|p| deployment.of(p)).cloned(),
            _ => None,
        };
        let mut deployed = Deployed::from_analysis(analysis)?;
        if let Some(described) = described {
            deployed.deployment = described;
        }
        Ok(deployed)
    }

    /// Compiles a checked process with the XPath expressions its analysis parsed (none is parsed again).
    pub fn from_analysis(analysis: Analysis) -> Result<Deployed, DeployError> {
        let Analysis { unit, expressions, .. } = analysis;
        Deployed::build(unit, Some(&expressions))
    }

    /// Compiles a process that has been checked (one without a model is refused).
    pub fn new(unit: ProcessUnit) -> Result<Deployed, DeployError> {
        Deployed::build(unit, None)
    }

    fn build(unit: ProcessUnit, parsed: Option<&ParsedExpressions>) -> Result<Deployed, DeployError> {
        let Some(process) = &unit.process else {
            return Err(DeployError::Invalid { path: unit.path.display().to_string(), diagnostics: unit.diagnostics });
        };
        let hash = DefinitionHash::of_texts(&unit.text, unit.definitions.documents().iter().map(|d| &*d.text));
        let (aliases, compiled) = match parsed {
            Some(parsed) => {
                (AliasTable::from_parsed(&unit.definitions, parsed), CompiledExpressions::from_parsed(unit.file, process, parsed))
            }
            None => (AliasTable::new(&unit.definitions), CompiledExpressions::new()),
        };
        let stylesheets = StylesheetCache::relative_to(&unit.path);
        let mut deployed = Deployed {
            hash,
            compiled,
            aliases,
            stylesheets,
            decls: Vec::new(),
            decl_of: BTreeMap::new(),
            sourced_links: BTreeMap::new(),
            base_address: "http://localhost:8080".to_string(),
            trace_limit: DEFAULT_TRACE_LIMIT,
            observer: None,
            deployment: crate::parse::deploy_xml::ProcessDeployment::default(),
            lines: crate::span::LineIndex::new(&unit.text),
            inbound: BTreeMap::new(),
            message_types: BTreeMap::new(),
            unit,
        };
        deployed.build_tables();
        deployed.build_inbound();
        deployed.message_types = deployed
            .unit
            .definitions
            .iter::<crate::model::wsdl::Message>()
            .filter_map(|m| {
                let name = m.qname();
                MessageType::resolve(&name, &deployed.unit.definitions).ok().map(|t| (name, std::sync::Arc::new(t)))
            })
            .collect();
        Ok(deployed)
    }

    /// A WSDL message type of the process's imports, by name.
    pub fn message_type(&self, name: &QName) -> Option<std::sync::Arc<MessageType>> {
        if let Some(found) = self.message_types.get(name) {
            return Some(found.clone());
        }
        MessageType::resolve(name, &self.unit.definitions).ok().map(std::sync::Arc::new)
    }

    fn build_inbound(&mut self) {
        let process = self.process();
        let mut inbound: BTreeMap<(String, String), Inbound> = BTreeMap::new();
        for receiver in crate::resolve::message_activities(process) {
            if receiver.direction() != crate::resolve::Direction::Inbound {
                continue;
            }
            let spec = receiver.message();
            let (Some(pl), Some(op)) = (&spec.partner_link, &spec.operation) else { continue };
            let entry = inbound.entry((pl.value.clone(), op.value.clone())).or_default();
            for correlation in receiver.correlations() {
                let initiate = correlation.initiate.as_ref().map_or(crate::model::process::Initiate::No, |i| i.value);
                let Some(set) = &correlation.set else { continue };
                if initiate == crate::model::process::Initiate::Yes || entry.correlations.iter().any(|(s, _)| *s == set.value) {
                    continue;
                }
                let properties =
                    self.decls.iter().flat_map(|d| &d.correlation_sets).find(|c| c.name == set.value).map(|c| c.properties.clone());
                entry.correlations.push((set.value.clone(), properties.unwrap_or_default()));
            }
            entry.creates |= match receiver {
                crate::resolve::MessageActivity::Receive(_, receive) => receive.create_instance.as_ref().is_some_and(|c| c.value),
                crate::resolve::MessageActivity::OnMessage(pick, _) => {
                    matches!(&pick.kind, ActivityKind::Pick(p) if p.create_instance.as_ref().is_some_and(|c| c.value))
                }
                _ => false,
            };
        }
        self.inbound = inbound;
    }

    /// Whether the process receives, on an instance it did not create, a message without
    /// correlation (so only the engine holding all its instances can route it).
    pub fn needs_affinity(&self) -> bool {
        self.inbound.values().any(|i| !i.creates && i.correlations.is_empty())
    }

    /// The process model. A `Deployed` is only made from a unit that has one ([`Deployed::new`]).
    pub fn process(&self) -> &Process {
        self.unit.process.as_ref().expect("Deployed::new refuses a unit without a process model")
    }

    /// The declarations of a scope instance (`None`: one that declares nothing, e.g. an invoke's
    /// implicit scope or a catch without a fault variable).
    pub fn decl(&self, id: Option<DeclId>) -> &Decl {
        static EMPTY: Decl = Decl { variables: Vec::new(), partner_links: Vec::new(), correlation_sets: Vec::new(), links: Vec::new() };
        id.and_then(|id| self.decls.get(id.0 as usize)).unwrap_or(&EMPTY)
    }

    pub fn decl_for(&self, activity: ActivityId, owner: DeclOwner) -> Option<DeclId> {
        self.decl_of.get(&(activity, owner)).copied()
    }

    /// The process's default expression language (`expressionLanguage`; XPath 1.0 when absent or
    /// not one the engine runs, which the checker reports).
    pub fn expression_language(&self) -> crate::xpath::Language {
        let uri = self.process().expression_language.as_ref().map(|name| name.value.as_str());
        crate::xpath::Language::from_uri(uri).unwrap_or_default()
    }

    pub fn xpath_env(&self) -> XPathEnv<'_> {
        XPathEnv { properties: &self.aliases, stylesheets: &self.stylesheets, process_properties: &self.deployment.properties }
    }

    /// The address of this process's myRole endpoint for a partner link.
    pub fn my_address(&self, partner_link: &str) -> String {
        format!("{}/{}", self.base_address.trim_end_matches('/'), partner_link)
    }

    pub fn name(&self) -> &str {
        self.process().name.as_ref().map_or("process", |n| n.value.as_str())
    }

    fn build_tables(&mut self) {
        let Some(process) = self.unit.process.take() else { return };
        let root = self.scope_decl(PROCESS, &process.scope, Vec::new());
        self.add_decl((PROCESS, DeclOwner::Scope), root);
        self.catch_decls(PROCESS, &process.scope);
        for id in process.activity_ids() {
            let activity = process.activity(id);
            match &activity.kind {
                ActivityKind::Scope(scope) => {
                    let mut extra = Vec::new();
                    if let Some(ActivityKind::ForEach(for_each)) = activity.parent.map(|p| &process.activity(p).kind) {
                        if let (Some(counter), true) = (&for_each.counter_name, for_each.scope == Some(id)) {
                            extra.push(VariableDecl {
                                name: counter.value.clone(),
                                ty: Some(VarType::Type(TypeRef::builtin("unsignedInt"))),
                                init: None,
                            });
                        }
                    }
                    if let Some(event) = on_event_of(&process, id) {
                        extra.extend(self.event_variable(event));
                    }
                    let decl = self.scope_decl(id, &scope.decls, extra);
                    self.add_decl((id, DeclOwner::Scope), decl);
                    self.catch_decls(id, &scope.decls);
                }
                ActivityKind::Flow(flow) => {
                    let decl = Decl {
                        links: flow.links.iter().filter_map(|l| l.name.as_ref().map(|n| n.value.clone())).collect(),
                        ..Decl::default()
                    };
                    self.add_decl((id, DeclOwner::Flow), decl);
                }
                ActivityKind::Invoke(invoke) => self.catch_decls(id, &invoke.handlers),
                _ => {}
            }
            let mut links = Vec::new();
            for inner in std::iter::once(id).chain(process.descendants(id)) {
                if let Some(sources) = &process.activity(inner).sources {
                    links.extend(sources.sources.iter().filter_map(|s| s.link_name.as_ref().map(|n| n.value.clone())));
                }
            }
            if !links.is_empty() {
                self.sourced_links.insert(id, links);
            }
        }
        self.unit.process = Some(process);
    }

    fn add_decl(&mut self, key: (ActivityId, DeclOwner), decl: Decl) {
        self.decls.push(decl);
        self.decl_of.insert(key, DeclId(self.decls.len() as u32 - 1));
    }

    fn event_variable(&self, event: &crate::model::process::OnEvent) -> Option<VariableDecl> {
        let name = event.variable.as_ref()?.value.clone();
        let ty = if let Some(message) = event.message_type.as_ref().and_then(|m| m.name.as_ref()) {
            MessageType::resolve(message, &self.unit.definitions).ok().map(|m| VarType::Message(std::sync::Arc::new(m)))
        } else {
            event.element.as_ref().and_then(|e| e.name.clone()).map(VarType::Element)
        };
        Some(VariableDecl { name, ty, init: None })
    }

    fn catch_decls(&mut self, owner: ActivityId, decls: &ScopeDecls) {
        let Some(handlers) = &decls.fault_handlers else { return };
        for (index, catch) in handlers.catches.iter().enumerate() {
            let Some(variable) = &catch.fault_variable else { continue };
            let ty = if let Some(message) = catch.fault_message_type.as_ref().and_then(|m| m.name.as_ref()) {
                MessageType::resolve(message, &self.unit.definitions).ok().map(|m| VarType::Message(std::sync::Arc::new(m)))
            } else {
                catch.fault_element.as_ref().and_then(|e| e.name.clone()).map(VarType::Element)
            };
            let decl = Decl { variables: vec![VariableDecl { name: variable.value.clone(), ty, init: None }], ..Decl::default() };
            self.add_decl((owner, DeclOwner::Catch(index as u32)), decl);
        }
    }

    fn scope_decl(&self, owner: ActivityId, decls: &ScopeDecls, mut variables: Vec<VariableDecl>) -> Decl {
        for (index, variable) in decls.variables.iter().enumerate() {
            let Some(name) = &variable.name else { continue };
            let ty = VarType::resolve(&variable.ty, &self.unit.definitions).ok();
            variables.push(VariableDecl { name: name.value.clone(), ty, init: variable.from.as_ref().map(|_| (owner, index)) });
        }
        let partner_links = decls
            .partner_links
            .iter()
            .filter_map(|p| {
                let name = p.name.as_ref()?.value.clone();
                let plt =
                    p.partner_link_type.as_ref().and_then(|t| t.name.as_ref()).and_then(|n| self.unit.definitions.partner_link_type(n));
                let port_type = |role: Option<&crate::model::process::Name>| -> Option<QName> {
                    let role = role?;
                    plt.as_ref()?.item.role(&role.value)?.port_type.as_ref()?.name.clone()
                };
                let partner_port_type = port_type(p.partner_role.as_ref());
                let default_address = partner_port_type.as_ref().and_then(|pt| self.service_address(pt));
                Some(PartnerLinkDecl { name, my_port_type: port_type(p.my_role.as_ref()), partner_port_type, default_address })
            })
            .collect();
        let correlation_sets = decls
            .correlation_sets
            .iter()
            .filter_map(|c| {
                Some(CorrelationSetDecl {
                    name: c.name.as_ref()?.value.clone(),
                    properties: c.properties.iter().filter_map(|p: &QNameRef| p.name.clone()).collect(),
                })
            })
            .collect();
        Decl { variables, partner_links, correlation_sets, links: Vec::new() }
    }

    /// The address of the first service port whose binding implements `port_type`.
    fn service_address(&self, port_type: &QName) -> Option<String> {
        let definitions = &self.unit.definitions;
        definitions.iter::<crate::model::wsdl::Service>().find_map(|service| {
            service.item.ports.iter().find_map(|port| {
                let binding = definitions.binding(port.binding.as_ref()?.name.as_ref()?)?;
                let implemented = binding.item.port_type.as_ref()?.name.as_ref()?;
                (implemented == port_type).then(|| port.address.as_ref().map(|a| a.value.clone()))?
            })
        })
    }

    /// The partner link declaration visible from a scope owner chain, by name (deploy-time lookup
    /// for the engine's routing: the innermost declaration wins).
    pub fn partner_link_decl(&self, name: &str) -> Option<&PartnerLinkDecl> {
        self.decls.iter().flat_map(|d| d.partner_links.iter()).find(|p| p.name == name)
    }
}

/// The onEvent whose scope is `scope`, if any.
fn on_event_of(process: &Process, scope: ActivityId) -> Option<&crate::model::process::OnEvent> {
    let handlers = std::iter::once(&process.scope).chain(process.activity_ids().filter_map(|id| match &process.activity(id).kind {
        ActivityKind::Scope(s) => Some(&s.decls),
        _ => None,
    }));
    handlers.filter_map(|d| d.event_handlers.as_ref()).flat_map(|h| h.on_events.iter()).find(|e| e.scope == Some(scope))
}
