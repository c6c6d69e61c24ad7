//! Every name an analysis can navigate: each occurrence in the process and in the WSDL and XSD
//! documents it imports, with what it names and whether it declares, reads or writes it. The
//! queries of this module are lookups in this list, built per query (it costs one walk of the
//! model, which is small next to the analysis that made it).

use std::collections::{HashMap, HashSet};

use crate::check::Analysis;
use crate::model::process::*;
use crate::model::wsdl::WsdlDocument;
use crate::model::xsd::{ElementType, Schema};
use crate::model::{QName, QNameRef};
use crate::parse::loader::DefinitionKind;
use crate::parse::BPEL_NS;
use crate::resolve::{variable_references, DeclId, DeclaredType, MessageActivity, ProcessDefinitions};
use crate::source::FileId;
use crate::span::Span;
use crate::xpath::{ExprKind, InScope, Namespaces, SourceMap};

/// What a name names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// A variable, partner link, link, correlation set or message exchange of the process.
    Symbol(DeclId),
    /// A top-level WSDL or XSD definition.
    Definition(DefinitionKind, QName),
    /// An operation of a port type.
    Operation { port_type: QName, name: String },
    /// A part of a message.
    Part { message: QName, name: String },
    /// A role of a partner link type.
    Role { partner_link_type: QName, name: String },
}

/// How an occurrence uses what it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// It declares it.
    Declaration,
    /// It reads it (or refers to it without changing it).
    Read,
    /// It writes it: a variable a message or a copy lands in.
    Write,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub file: FileId,
    /// The name itself (without `$`, quotes or prefix-less parts around it).
    pub span: Span,
    pub target: Target,
    pub access: Access,
    /// The span covers exactly the name. A `$var` inside an expression written with entity
    /// references or CDATA is known only to lie somewhere in the expression's text: such a use
    /// is listed among the references but is not found at an offset, nor edited by a rename.
    pub exact: bool,
}

pub(crate) struct Index {
    pub occurrences: Vec<Occurrence>,
}

impl Index {
    pub fn build(analysis: &Analysis) -> Index {
        let mut builder = Builder { analysis, out: Vec::new(), message_types: HashMap::new() };
        builder.process();
        let mut seen = HashSet::new();
        for document in analysis.unit.definitions.documents() {
            if !seen.insert(document.file) {
                continue;
            }
            if let Some(wsdl) = &document.wsdl {
                builder.wsdl(document.file, wsdl);
            }
            if let Some(schema) = &document.schema {
                builder.schema(document.file, schema);
            }
        }
        Index { occurrences: builder.out }
    }

    /// The innermost occurrence in `file` whose name holds `offset` (its end included, where an
    /// editor's cursor stands after typing a name).
    pub fn at(&self, file: FileId, offset: usize) -> Option<&Occurrence> {
        self.occurrences.iter().filter(|o| o.exact && o.file == file && o.span.contains(offset)).min_by_key(|o| o.span.len())
    }

    /// Every occurrence of `target`, in the order they were found (process first, then documents).
    pub fn of<'a>(&'a self, target: &'a Target) -> impl Iterator<Item = &'a Occurrence> + 'a {
        self.occurrences.iter().filter(move |o| &o.target == target)
    }

    /// Where `target` is declared.
    pub fn declaration(&self, target: &Target) -> Option<&Occurrence> {
        self.occurrences.iter().filter(|o| &o.target == target).find(|o| o.access == Access::Declaration)
    }
}

struct Builder<'a> {
    analysis: &'a Analysis,
    out: Vec<Occurrence>,
    message_types: HashMap<DeclId, Option<QName>>,
}

impl<'a> Builder<'a> {
    fn push(&mut self, file: FileId, span: Span, target: Target, access: Access) {
        self.out.push(Occurrence { file, span, target, access, exact: true });
    }

    fn qname(&mut self, file: FileId, reference: &Option<QNameRef>, kind: DefinitionKind) {
        if let Some(QNameRef { span, name: Some(name), .. }) = reference {
            self.push(file, *span, Target::Definition(kind, name.clone()), Access::Read);
        }
    }

    fn process(&mut self) {
        let analysis = self.analysis;
        let Some(process) = &analysis.unit.process else { return };
        let file = analysis.unit.file;
        let symbols = &analysis.symbols;
        let writes = written_variables(process);
        for (i, declaration) in symbols.declarations.iter().enumerate() {
            self.push(file, declaration.span, Target::Symbol(DeclId(i as u32)), Access::Declaration);
        }
        for reference in &symbols.references {
            if let Some(target) = reference.target {
                let access = if writes.contains(&reference.span) { Access::Write } else { Access::Read };
                let exact = reference.span.slice(&analysis.unit.text) == reference.name;
                self.out.push(Occurrence { file, span: reference.span, target: Target::Symbol(target), access, exact });
            }
        }
        let lookup = ProcessDefinitions::new(process, &analysis.unit.definitions, symbols);
        self.scope_decls(file, &process.scope);
        for activity in &process.activities {
            self.activity(file, activity, &lookup);
        }
        for message_activity in crate::resolve::message_activities(process) {
            self.message_activity(file, &message_activity, &lookup);
        }
        self.expressions(file, process);
    }

    fn scope_decls(&mut self, file: FileId, decls: &ScopeDecls) {
        for partner_link in &decls.partner_links {
            self.qname(file, &partner_link.partner_link_type, DefinitionKind::PartnerLinkType);
            let link_type = partner_link.partner_link_type.as_ref().and_then(|r| r.name.clone());
            if let Some(link_type) = link_type {
                for role in [&partner_link.my_role, &partner_link.partner_role].into_iter().flatten() {
                    let target = Target::Role { partner_link_type: link_type.clone(), name: role.value.clone() };
                    self.push(file, role.span, target, Access::Read);
                }
            }
        }
        for variable in &decls.variables {
            self.qname(file, &variable.ty.message_type, DefinitionKind::Message);
            self.qname(file, &variable.ty.element, DefinitionKind::Element);
            self.qname(file, &variable.ty.type_, DefinitionKind::Type);
        }
        for set in &decls.correlation_sets {
            for property in &set.properties {
                self.qname(file, &Some(property.clone()), DefinitionKind::Property);
            }
        }
        if let Some(handlers) = &decls.fault_handlers {
            for catch in &handlers.catches {
                self.qname(file, &catch.fault_message_type, DefinitionKind::Message);
                self.qname(file, &catch.fault_element, DefinitionKind::Element);
            }
        }
        if let Some(handlers) = &decls.event_handlers {
            for on_event in &handlers.on_events {
                self.qname(file, &on_event.message_type, DefinitionKind::Message);
                self.qname(file, &on_event.element, DefinitionKind::Element);
            }
        }
    }

    fn activity(&mut self, file: FileId, activity: &Activity, lookup: &ProcessDefinitions<'_>) {
        match &activity.kind {
            ActivityKind::Scope(scope) => self.scope_decls(file, &scope.decls),
            ActivityKind::Invoke(invoke) => self.scope_decls(file, &invoke.handlers),
            ActivityKind::Assign(assign) => {
                for operation in &assign.operations {
                    let AssignOperation::Copy(copy) = operation else { continue };
                    if let Some(from) = &copy.from {
                        self.qname(file, &from.property, DefinitionKind::Property);
                        self.variable_part(file, &from.variable, &from.part, lookup);
                    }
                    if let Some(to) = &copy.to {
                        self.qname(file, &to.property, DefinitionKind::Property);
                        self.variable_part(file, &to.variable, &to.part, lookup);
                    }
                }
            }
            _ => {}
        }
    }

    /// The `part` of a `<from>` or `<to>` with a `variable`: a part of the variable's message type.
    fn variable_part(&mut self, file: FileId, variable: &Option<Name>, part: &Option<Name>, lookup: &ProcessDefinitions<'_>) {
        let (Some(variable), Some(part)) = (variable, part) else { return };
        if let Some(message) = lookup.variable_type(variable).and_then(|t| t.message_type().cloned()) {
            self.push(file, part.span, Target::Part { message, name: part.value.clone() }, Access::Read);
        }
    }

    fn message_activity(&mut self, file: FileId, activity: &MessageActivity<'_>, lookup: &ProcessDefinitions<'_>) {
        let message = activity.message();
        self.qname(file, &message.port_type, DefinitionKind::PortType);
        let Some(port_type) = lookup.port_type(activity).cloned() else { return };
        let Some(operation_name) = &message.operation else { return };
        let target = Target::Operation { port_type: port_type.clone(), name: operation_name.value.clone() };
        self.push(file, operation_name.span, target, Access::Read);
        let Some(operation) = lookup.definitions.operation(&port_type, &operation_name.value) else { return };
        // The message a fromPart takes apart and the one a toPart assembles.
        let (from_message, to_message) = match activity {
            MessageActivity::Invoke(..) => (operation.output.as_ref(), operation.input.as_ref()),
            MessageActivity::Reply(..) => (None, operation.output.as_ref()),
            _ => (operation.input.as_ref(), None),
        };
        let message_name = |m: Option<&crate::model::wsdl::OperationMessage>| m.and_then(|m| m.message.as_ref()?.name.clone());
        if let Some(message) = message_name(from_message) {
            for part in activity.from_parts().unwrap_or_default().iter().filter_map(|p| p.part.as_ref()) {
                self.push(file, part.span, Target::Part { message: message.clone(), name: part.value.clone() }, Access::Read);
            }
        }
        if let Some(message) = message_name(to_message) {
            for part in activity.to_parts().unwrap_or_default().iter().filter_map(|p| p.part.as_ref()) {
                self.push(file, part.span, Target::Part { message: message.clone(), name: part.value.clone() }, Access::Read);
            }
        }
    }

    /// Inside XPath: the part of `$var.part`, and the variable and property of
    /// `bpel:getVariableProperty('var', 'prefix:property')`. In an expression written with entity
    /// references or CDATA, the resolver only knows that `$var` stands somewhere in the text: the
    /// parse places each use exactly, and replaces those uses when it finds as many as the
    /// resolver did.
    fn expressions(&mut self, file: FileId, process: &Process) {
        let analysis = self.analysis;
        let text = &analysis.unit.text;
        let mut superseded: HashSet<(Span, String)> = HashSet::new();
        for site in analysis.expressions.of_process(file, process) {
            let Ok(parsed) = site.parsed else { continue };
            let expression = site.expression;
            let map = SourceMap::new(text, &expression.text, expression.text_span);
            if !map.is_exact() {
                continue;
            }
            let escaped = expression.text_span.len() != expression.text.len();
            let namespaces = InScope { scopes: &process.namespaces, scope: expression.namespaces };
            // For an escaped expression: each `$name` the parse found, placed in the source.
            let mut placed: Vec<(String, Span, DeclId)> = Vec::new();
            parsed.visit(&mut |expr, _| {
                match &expr.kind {
                    ExprKind::Variable(variable) if variable.name.prefix.is_none() => {
                        let name_span = map.span(variable.name.span);
                        let declared = if escaped {
                            let scanned = analysis
                                .symbols
                                .references
                                .iter()
                                .find(|r| r.span == expression.text_span && r.name == variable.name.local);
                            scanned.and_then(|r| r.target)
                        } else {
                            analysis.symbols.reference_at(name_span).and_then(|r| r.target)
                        };
                        if let (true, Some(id)) = (escaped, declared) {
                            placed.push((variable.name.local.clone(), name_span, id));
                        }
                        if let (Some(part), Some(part_span)) = (&variable.part, variable.part_span) {
                            if let Some(message) = declared.and_then(|id| self.declared_message(id)) {
                                let target = Target::Part { message, name: part.clone() };
                                self.push(file, map.span(part_span), target, Access::Read);
                            }
                        }
                    }
                    ExprKind::FunctionCall(call) if call.name.is(BPEL_NS, "getVariableProperty") => {
                        if let Some((name, span)) = call.args.first().and_then(literal) {
                            let span = map.span(span);
                            if let Some(id) =
                                visible_declaration(analysis, crate::resolve::SymbolKind::Variable, &name, span.start as usize)
                            {
                                self.push(file, span, Target::Symbol(id), Access::Read);
                            }
                        }
                        if let Some((name, span)) = call.args.get(1).and_then(literal) {
                            if let Some(property) = resolve_qname(&namespaces, &name) {
                                self.push(file, map.span(span), Target::Definition(DefinitionKind::Property, property), Access::Read);
                            }
                        }
                    }
                    _ => {}
                }
                true
            });
            let names: HashSet<&str> = placed.iter().map(|(name, _, _)| name.as_str()).collect();
            for name in names {
                let scanned = analysis.symbols.references.iter().filter(|r| r.span == expression.text_span && r.name == name).count();
                let uses: Vec<&(String, Span, DeclId)> = placed.iter().filter(|(n, _, _)| n == name).collect();
                if uses.len() == scanned && uses.iter().all(|(_, span, _)| span.slice(text) == name) {
                    for (_, span, id) in uses {
                        self.push(file, *span, Target::Symbol(*id), Access::Read);
                    }
                    superseded.insert((expression.text_span, name.to_string()));
                }
            }
        }
        let symbols = &analysis.symbols;
        self.out.retain(|o| match (&o.target, o.exact) {
            (Target::Symbol(id), false) => !superseded.contains(&(o.span, symbols.declaration(*id).name.clone())),
            _ => true,
        });
    }

    /// The message type of the variable `id` declares (cached: asked once per `$var.part`).
    fn declared_message(&mut self, id: DeclId) -> Option<QName> {
        if let Some(known) = self.message_types.get(&id) {
            return known.clone();
        }
        let analysis = self.analysis;
        let found = analysis.symbols.declarations.get(id.0 as usize).and_then(|d| variable_type_of(analysis, d)?.message_type().cloned());
        self.message_types.insert(id, found.clone());
        found
    }

    fn wsdl(&mut self, file: FileId, wsdl: &WsdlDocument) {
        let declare = |kind: DefinitionKind, local: &str| Target::Definition(kind, wsdl.qname(local));
        for message in &wsdl.messages {
            self.push(file, message.name.span, declare(DefinitionKind::Message, &message.name.value), Access::Declaration);
            for part in &message.parts {
                let target = Target::Part { message: wsdl.qname(&message.name.value), name: part.name.value.clone() };
                self.push(file, part.name.span, target, Access::Declaration);
                self.qname(file, &part.element, DefinitionKind::Element);
                self.qname(file, &part.type_, DefinitionKind::Type);
            }
        }
        for port_type in &wsdl.port_types {
            self.push(file, port_type.name.span, declare(DefinitionKind::PortType, &port_type.name.value), Access::Declaration);
            for operation in &port_type.operations {
                let target = Target::Operation { port_type: wsdl.qname(&port_type.name.value), name: operation.name.value.clone() };
                self.push(file, operation.name.span, target, Access::Declaration);
                for message in [&operation.input, &operation.output].into_iter().flatten() {
                    self.qname(file, &message.message, DefinitionKind::Message);
                }
                for fault in &operation.faults {
                    self.qname(file, &fault.message, DefinitionKind::Message);
                }
            }
        }
        for binding in &wsdl.bindings {
            self.push(file, binding.name.span, declare(DefinitionKind::Binding, &binding.name.value), Access::Declaration);
            self.qname(file, &binding.port_type, DefinitionKind::PortType);
            if let Some(port_type) = binding.port_type.as_ref().and_then(|r| r.name.clone()) {
                for operation in &binding.operations {
                    let target = Target::Operation { port_type: port_type.clone(), name: operation.name.value.clone() };
                    self.push(file, operation.name.span, target, Access::Read);
                }
            }
        }
        for service in &wsdl.services {
            self.push(file, service.name.span, declare(DefinitionKind::Service, &service.name.value), Access::Declaration);
            for port in &service.ports {
                self.qname(file, &port.binding, DefinitionKind::Binding);
            }
        }
        for link_type in &wsdl.partner_link_types {
            let name = wsdl.qname(&link_type.name.value);
            self.push(file, link_type.name.span, Target::Definition(DefinitionKind::PartnerLinkType, name.clone()), Access::Declaration);
            for role in &link_type.roles {
                let target = Target::Role { partner_link_type: name.clone(), name: role.name.value.clone() };
                self.push(file, role.name.span, target, Access::Declaration);
                self.qname(file, &role.port_type, DefinitionKind::PortType);
            }
        }
        for property in &wsdl.properties {
            self.push(file, property.name.span, declare(DefinitionKind::Property, &property.name.value), Access::Declaration);
            self.qname(file, &property.type_, DefinitionKind::Type);
            self.qname(file, &property.element, DefinitionKind::Element);
        }
        for alias in &wsdl.property_aliases {
            self.qname(file, &alias.property_name, DefinitionKind::Property);
            self.qname(file, &alias.message_type, DefinitionKind::Message);
            self.qname(file, &alias.type_, DefinitionKind::Type);
            self.qname(file, &alias.element, DefinitionKind::Element);
            if let (Some(message), Some(part)) = (alias.message_type.as_ref().and_then(|r| r.name.clone()), &alias.part) {
                self.push(file, part.span, Target::Part { message, name: part.value.clone() }, Access::Read);
            }
        }
        for schema in &wsdl.schemas {
            self.schema(file, schema);
        }
    }

    fn schema(&mut self, file: FileId, schema: &Schema) {
        for element in &schema.elements {
            let name = QName::new(schema.target_namespace(), &element.name.value);
            self.push(file, element.name.span, Target::Definition(DefinitionKind::Element, name), Access::Declaration);
            if let ElementType::Named(reference) = &element.type_ {
                self.qname(file, &Some(reference.clone()), DefinitionKind::Type);
            }
            self.qname(file, &element.substitution_group, DefinitionKind::Element);
        }
        for type_def in &schema.types {
            if let Some(name) = type_def.name() {
                let qname = QName::new(schema.target_namespace(), &name.value);
                self.push(file, name.span, Target::Definition(DefinitionKind::Type, qname), Access::Declaration);
            }
        }
    }
}

/// The spans of the variable references that a message or a copy writes to.
fn written_variables(process: &Process) -> HashSet<Span> {
    let mut out = HashSet::new();
    let mut expression_writes = Vec::new();
    let mut name = |name: &Option<Name>| {
        if let Some(name) = name {
            out.insert(name.span);
        }
    };
    for activity in &process.activities {
        match &activity.kind {
            ActivityKind::Receive(receive) => {
                name(&receive.variable);
                receive.from_parts.iter().flatten().for_each(|p| name(&p.to_variable));
            }
            ActivityKind::Invoke(invoke) => {
                name(&invoke.output_variable);
                invoke.from_parts.iter().flatten().for_each(|p| name(&p.to_variable));
            }
            ActivityKind::Pick(pick) => {
                for on_message in &pick.on_messages {
                    name(&on_message.variable);
                    on_message.from_parts.iter().flatten().for_each(|p| name(&p.to_variable));
                }
            }
            ActivityKind::Assign(assign) => {
                for operation in &assign.operations {
                    if let AssignOperation::Copy(Copy { to: Some(to), .. }) = operation {
                        name(&to.variable);
                        // `<to>$var.part/x</to>`: the variable the expression selects is written.
                        let first = to.expression.as_ref().and_then(|e| variable_references(e).into_iter().next());
                        expression_writes.extend(first.map(|(_, span)| span));
                    }
                }
            }
            _ => {}
        }
    }
    out.extend(expression_writes);
    out
}

/// A string literal argument: its value and the span of the value inside the quotes.
fn literal(expr: &crate::xpath::Expr) -> Option<(String, Span)> {
    match &expr.kind {
        ExprKind::Literal(value) if expr.span.len() == value.len() + 2 => {
            Some((value.clone(), Span::new(expr.span.start as usize + 1, expr.span.end as usize - 1)))
        }
        _ => None,
    }
}

fn resolve_qname(namespaces: &dyn Namespaces, text: &str) -> Option<QName> {
    match text.split_once(':') {
        Some((prefix, local)) => Some(QName::new(Some(namespaces.namespace(prefix)?), local)),
        None => Some(QName::new(None, text)),
    }
}

/// The declared type of a variable declared in a `<variables>` block (or by a catch or onEvent).
pub(crate) fn variable_type_of<'a>(analysis: &'a Analysis, declaration: &crate::resolve::Declaration) -> Option<DeclaredType<'a>> {
    let process = analysis.unit.process.as_ref()?;
    let decls = decls_of(process, declaration.owner);
    if let Some(variable) = decls.and_then(|d| d.variables.iter().find(|v| v.span == declaration.element_span)) {
        return Some(match (&variable.ty.message_type, &variable.ty.element, &variable.ty.type_) {
            (Some(m), _, _) => DeclaredType::Message(m),
            (None, Some(e), _) => DeclaredType::Element(e),
            (None, None, Some(t)) => DeclaredType::Type(t),
            _ => DeclaredType::Unknown,
        });
    }
    // An implicit declaration: find a reference to it and ask the resolver.
    let reference =
        analysis.symbols.references.iter().find(|r| r.target.map(|id| analysis.symbols.declaration(id).span) == Some(declaration.span))?;
    let lookup = ProcessDefinitions::new(process, &analysis.unit.definitions, &analysis.symbols);
    lookup.variable_type(&Name::new(reference.name.clone(), reference.span))
}

/// What the process (`None`) or a scope-like activity declares.
pub(crate) fn decls_of(process: &Process, owner: Option<ActivityId>) -> Option<&ScopeDecls> {
    match owner {
        None => Some(&process.scope),
        Some(id) => match &process.activities.get(id.0 as usize)?.kind {
            ActivityKind::Scope(scope) => Some(&scope.decls),
            ActivityKind::Invoke(invoke) => Some(&invoke.handlers),
            _ => None,
        },
    }
}

/// Where a declaration is visible: its owner's element, or the whole process.
pub(crate) fn visibility(analysis: &Analysis, declaration: &crate::resolve::Declaration) -> Span {
    let Some(process) = &analysis.unit.process else { return Span::default() };
    match declaration.owner.and_then(|id| process.activities.get(id.0 as usize)) {
        Some(owner) => owner.span,
        None => process.span,
    }
}

/// The innermost declaration of `kind` named `name` visible at `offset`.
pub(crate) fn visible_declaration(analysis: &Analysis, kind: crate::resolve::SymbolKind, name: &str, offset: usize) -> Option<DeclId> {
    analysis
        .symbols
        .declarations
        .iter()
        .enumerate()
        .filter(|(_, d)| d.kind == kind && d.name == name)
        .map(|(i, d)| (i, visibility(analysis, d)))
        .filter(|(_, region)| region.contains(offset))
        .min_by_key(|(_, region)| region.len())
        .map(|(i, _)| DeclId(i as u32))
}
