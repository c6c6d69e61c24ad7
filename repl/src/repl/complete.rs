//! Completion candidates for a command line: commands, process names, `LINK.OP` pairs, variable
//! and activity names, instance ids, file paths. The terminal's line editor asks
//! [`Session::complete`]; what it offers comes from the loaded processes, through the engine.

use std::collections::BTreeSet;
use std::path::Path;

use super::help::COMMANDS;
use super::session::Session;

/// Which operations of a partner link to offer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Roles {
    /// What the process offers (send, template).
    Mine,
    /// What the process calls (mock, reply, fault).
    Partners,
    Both,
}

impl Session {
    /// Where the word being completed starts in `line`, and the candidates that replace it (the
    /// cursor at byte `pos`).
    pub fn complete(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let pos = (0..=pos.min(line.len())).rev().find(|&p| line.is_char_boundary(p)).unwrap_or(0);
        let before = &line[..pos];
        let start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let word = &before[start..];
        let words: Vec<&str> = before[..start].split_whitespace().collect();
        let mut candidates: Vec<String> = match words.as_slice() {
            [] => COMMANDS.iter().map(|c| c.name.to_string()).chain(["exit".to_string()]).collect(),
            [command, rest @ ..] => self.arguments(command, rest, word),
        };
        if let Some(path) = word.strip_prefix('@') {
            candidates = paths(path).into_iter().map(|p| format!("@{p}")).collect();
        }
        candidates.retain(|c| c.starts_with(word));
        candidates.sort();
        candidates.dedup();
        (start, candidates)
    }

    fn arguments(&self, command: &str, before: &[&str], word: &str) -> Vec<String> {
        let is_process = |w: &str| self.process_names().any(|n| n == w);
        match (command, before) {
            ("help", []) => COMMANDS.iter().map(|c| c.name.to_string()).collect(),
            ("load", _) | ("restore", []) => paths(word),
            ("save", []) => self.instance_ids().into_iter().chain(paths(word)).collect(),
            ("save", [_]) => paths(word),
            ("template", []) => self.process_names().map(str::to_string).chain(self.targets(None, Roles::Both)).collect(),
            ("template", [process]) if is_process(process) => self.targets(Some(process), Roles::Both),
            ("send", []) => self.process_names().map(str::to_string).chain(self.targets(None, Roles::Mine)).collect(),
            ("send", [process]) if is_process(process) => self.targets(Some(process), Roles::Mine),
            ("mock", []) => self.targets(None, Roles::Partners),
            ("mock", [_]) => ["reply", "fault", "delay", "forward", "off"].map(str::to_string).to_vec(),
            ("reply" | "fault", []) => self.instance_ids().into_iter().chain(self.targets(None, Roles::Partners)).collect(),
            ("reply" | "fault", [id]) if id.starts_with('#') || id.parse::<u64>().is_ok() => self.targets(None, Roles::Partners),
            ("vars", []) => self.instance_ids().into_iter().chain(self.variable_names()).collect(),
            ("vars", [_]) => self.variable_names(),
            ("eval", _) if word.starts_with('$') => self.variable_names().into_iter().map(|v| format!("${v}")).collect(),
            ("eval", []) => self.instance_ids(),
            ("break", []) => self.activity_names(),
            ("use" | "tasklets" | "trace" | "receives" | "step" | "terminate", []) => self.instance_ids(),
            _ => Vec::new(),
        }
    }

    fn instance_ids(&self) -> Vec<String> {
        self.engine().instances().map(|(id, _)| id.to_string()).collect()
    }

    /// `LINK.OP` of the loaded processes (or of one).
    fn targets(&self, process: Option<&str>, roles: Roles) -> Vec<String> {
        let mut out = BTreeSet::new();
        for (name, deployed) in self.deployed() {
            if process.is_some_and(|p| p != name) {
                continue;
            }
            for link in deployed.decls.iter().flat_map(|d| d.partner_links.iter()) {
                let port_types = [(&link.my_port_type, Roles::Mine), (&link.partner_port_type, Roles::Partners)];
                for (port_type, role) in port_types {
                    if roles != Roles::Both && roles != role {
                        continue;
                    }
                    let Some(def) = port_type.as_ref().and_then(|p| deployed.unit.definitions.port_type(p)) else { continue };
                    for op in &def.item.operations {
                        out.insert(format!("{}.{}", link.name, op.name.value));
                    }
                }
            }
        }
        out.into_iter().collect()
    }

    /// Variables of the current instance's process, or of every loaded process.
    fn variable_names(&self) -> Vec<String> {
        let current = self.current().and_then(|id| self.engine().instance(id)).and_then(|l| self.engine().process(l.process));
        let mut out = BTreeSet::new();
        for (_, deployed) in self.deployed() {
            if current.is_some_and(|c| c.name() != deployed.name()) {
                continue;
            }
            out.extend(deployed.decls.iter().flat_map(|d| d.variables.iter()).map(|v| v.name.clone()));
        }
        out.into_iter().collect()
    }

    fn activity_names(&self) -> Vec<String> {
        self.deployed().flat_map(|(_, d)| d.process().activities.iter().filter_map(|a| a.name.as_ref().map(|n| n.value.clone()))).collect()
    }
}

/// Files and folders whose path starts with `typed` (folders end with `/`).
fn paths(typed: &str) -> Vec<String> {
    let (folder, prefix) = match typed.rfind('/') {
        Some(i) => (&typed[..=i], &typed[i + 1..]),
        None => ("", typed),
    };
    let dir = if folder.is_empty() { Path::new(".") } else { Path::new(folder) };
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let slash = if e.file_type().ok()?.is_dir() { "/" } else { "" };
            Some(format!("{folder}{name}{slash}"))
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use bpel_engine::runtime::Timestamp;

    use super::*;

    fn session() -> Session {
        let mut session = Session::new(Timestamp(1_767_225_600_000));
        let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/long-running");
        session.load(&[example]).unwrap();
        session
    }

    #[test]
    fn completes_commands_targets_names_and_paths() {
        let session = session();
        assert_eq!(session.complete("adv", 3), (0, vec!["advance".to_string()]));
        assert_eq!(session.complete("send cus", 8), (5, vec!["customer.confirmPayment".to_string(), "customer.placeOrder".to_string()]));
        assert_eq!(session.complete("send LongRunningOrder customer.pl", 33).1, vec!["customer.placeOrder".to_string()]);
        assert_eq!(session.complete("send Lo", 7).1, vec!["LongRunningOrder".to_string()]);
        assert_eq!(session.complete("mock n", 6).1, vec!["notifier.orderClosed".to_string()]);
        assert_eq!(session.complete("mock notifier.orderClosed d", 27).1, vec!["delay".to_string()]);
        assert_eq!(session.complete("vars pl", 7).1, vec!["placeOrder".to_string()]);
        assert_eq!(session.complete("eval $pa", 8).1, vec!["$payment".to_string()]);
        assert_eq!(session.complete("break Notify", 12).1, vec!["NotifyOrderClosed".to_string()]);
        let manifest = env!("CARGO_MANIFEST_DIR");
        let (start, files) = session.complete(&format!("load {manifest}/Carg"), manifest.len() + 10);
        assert_eq!(start, 5);
        assert_eq!(files, vec![format!("{manifest}/Cargo.toml")]);
        let (_, files) = session.complete(&format!("send customer.placeOrder @{manifest}/sr"), 200);
        assert_eq!(files, vec![format!("@{manifest}/src/")]);
        assert!(session.complete("frobnicate x", 12).1.is_empty());
        // any cursor, even inside a character, is answered
        assert_eq!(session.complete("é", 1).0, 0);
    }
}
