//! What must happen before what: every activity is two events, its start and its end, and an edge
//! `a -> b` says that `a` happens before `b` in every run. Edges come from nesting (a parent starts
//! before its children, which end before it does), from `<sequence>` order and from links (a link's
//! target starts after its source ended). Loops are not unrolled; handlers hang under their scope.
//!
//! The graph is built once per rule that needs it, in time linear in the activities and links.

use super::compensation_handler_activity;
use super::links::LinkTable;
use crate::model::process::{ActivityId, ActivityKind, Process};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Event {
    Start,
    End,
}

/// The node of an event in the graph of [`Graph::events`].
pub(super) fn event(id: ActivityId, event: Event) -> usize {
    id.0 as usize * 2 + usize::from(event == Event::End)
}

/// A link as an edge: from its source's end to its target's start.
pub(super) struct LinkEdge {
    pub link: usize,
    pub from: usize,
    pub to: usize,
}

/// A directed graph in compressed adjacency form.
pub(super) struct Graph {
    offsets: Vec<u32>,
    heads: Vec<u32>,
    pub link_edges: Vec<LinkEdge>,
}

impl Graph {
    /// One node per event of every activity: see [`event`].
    pub fn events(process: &Process, links: &LinkTable<'_>) -> Graph {
        Graph::build(process, links, process.activities.len() * 2, |id, e| Some(event(id, e)))
    }

    /// The graph of `process` with each event mapped to a node by `node` (`None` leaves it out;
    /// edges that a mapping folds onto one node are dropped).
    pub fn build(process: &Process, links: &LinkTable<'_>, nodes: usize, node: impl Fn(ActivityId, Event) -> Option<usize>) -> Graph {
        let mut edges: Vec<(usize, usize)> = Vec::with_capacity(process.activities.len() * 4);
        let add = |from: Option<usize>, to: Option<usize>, edges: &mut Vec<(usize, usize)>| match (from, to) {
            (Some(from), Some(to)) if from != to && from < nodes && to < nodes => {
                edges.push((from, to));
                true
            }
            _ => false,
        };
        for activity in &process.activities {
            let id = activity.id;
            add(node(id, Event::Start), node(id, Event::End), &mut edges);
            let compensation = compensation_handler_activity(&activity.kind);
            for child in activity.kind.children() {
                add(node(id, Event::Start), node(child, Event::Start), &mut edges);
                if Some(child) != compensation {
                    add(node(child, Event::End), node(id, Event::End), &mut edges);
                }
            }
            if let ActivityKind::Sequence(items) = &activity.kind {
                for pair in items.windows(2) {
                    add(node(pair[0], Event::End), node(pair[1], Event::Start), &mut edges);
                }
            }
        }
        let mut link_edges = Vec::new();
        for (index, link) in links.links.iter().enumerate() {
            for &source in &link.sources {
                for &target in &link.targets {
                    let from = node(links.ends[source].activity, Event::End);
                    let to = node(links.ends[target].activity, Event::Start);
                    if add(from, to, &mut edges) {
                        if let (Some(from), Some(to)) = (from, to) {
                            link_edges.push(LinkEdge { link: index, from, to });
                        }
                    }
                }
            }
        }
        let mut offsets = vec![0u32; nodes + 1];
        for &(from, _) in &edges {
            offsets[from + 1] += 1;
        }
        for i in 0..nodes {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut heads = vec![0u32; edges.len()];
        for &(from, to) in &edges {
            heads[fill[from] as usize] = to as u32;
            fill[from] += 1;
        }
        Graph { offsets, heads, link_edges }
    }

    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    fn successors(&self, node: usize) -> &[u32] {
        &self.heads[self.offsets[node] as usize..self.offsets[node + 1] as usize]
    }

    /// The nodes reachable from any of `seeds` (the seeds included).
    pub fn reachable(&self, seeds: impl IntoIterator<Item = usize>) -> Vec<bool> {
        let mut seen = vec![false; self.len()];
        let mut stack: Vec<usize> = Vec::new();
        for seed in seeds {
            if seed < seen.len() && !seen[seed] {
                seen[seed] = true;
                stack.push(seed);
            }
        }
        while let Some(node) = stack.pop() {
            for &next in self.successors(node) {
                let next = next as usize;
                if !seen[next] {
                    seen[next] = true;
                    stack.push(next);
                }
            }
        }
        seen
    }

    /// For every node, the label of a nearest seed it is reachable from (a seed labels itself),
    /// by a breadth-first search from all seeds at once; `None` where no seed reaches.
    pub fn nearest_before<T: Copy>(&self, seeds: impl IntoIterator<Item = (usize, T)>) -> Vec<Option<T>> {
        let mut label: Vec<Option<T>> = vec![None; self.len()];
        let mut queue: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
        for (seed, value) in seeds {
            if seed < label.len() && label[seed].is_none() {
                label[seed] = Some(value);
                queue.push_back(seed);
            }
        }
        while let Some(node) = queue.pop_front() {
            let value = label[node];
            for &next in self.successors(node) {
                let next = next as usize;
                if label[next].is_none() {
                    label[next] = value;
                    queue.push_back(next);
                }
            }
        }
        label
    }

    /// The strongly connected component of every node (Tarjan's algorithm, without recursion).
    pub fn components(&self) -> Vec<u32> {
        let mut tarjan = Tarjan::new(self.len());
        // (node, position of its next edge)
        let mut calls: Vec<(usize, usize)> = Vec::new();
        for root in 0..self.len() {
            if tarjan.index[root] != UNSEEN {
                continue;
            }
            tarjan.enter(root);
            calls.push((root, self.offsets[root] as usize));
            while let Some(&(node, position)) = calls.last() {
                if position < self.offsets[node + 1] as usize {
                    if let Some(top) = calls.last_mut() {
                        top.1 += 1;
                    }
                    let next = self.heads[position] as usize;
                    if tarjan.index[next] == UNSEEN {
                        tarjan.enter(next);
                        calls.push((next, self.offsets[next] as usize));
                    } else if tarjan.on_stack[next] {
                        tarjan.low[node] = tarjan.low[node].min(tarjan.index[next]);
                    }
                    continue;
                }
                calls.pop();
                if let Some(&(caller, _)) = calls.last() {
                    tarjan.low[caller] = tarjan.low[caller].min(tarjan.low[node]);
                }
                tarjan.leave(node);
            }
        }
        tarjan.component
    }
}

const UNSEEN: u32 = u32::MAX;

struct Tarjan {
    index: Vec<u32>,
    low: Vec<u32>,
    on_stack: Vec<bool>,
    component: Vec<u32>,
    stack: Vec<usize>,
    next_index: u32,
    next_component: u32,
}

impl Tarjan {
    fn new(n: usize) -> Tarjan {
        Tarjan {
            index: vec![UNSEEN; n],
            low: vec![0; n],
            on_stack: vec![false; n],
            component: vec![UNSEEN; n],
            stack: Vec::new(),
            next_index: 0,
            next_component: 0,
        }
    }

    fn enter(&mut self, node: usize) {
        self.index[node] = self.next_index;
        self.low[node] = self.next_index;
        self.next_index += 1;
        self.stack.push(node);
        self.on_stack[node] = true;
    }

    /// Closes the component rooted at `node`, if it is one.
    fn leave(&mut self, node: usize) {
        if self.low[node] != self.index[node] {
            return;
        }
        while let Some(member) = self.stack.pop() {
            self.on_stack[member] = false;
            self.component[member] = self.next_component;
            if member == node {
                break;
            }
        }
        self.next_component += 1;
    }
}
