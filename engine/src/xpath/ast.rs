//! The XPath 1.0 and 2.0 syntax tree. Spans are byte offsets into the expression text. Parentheses
//! are not kept (they only group); abbreviations are expanded (`.` is `self::node()`, `..` is
//! `parent::node()`, `@a` is `attribute::a`, `//` is `/descendant-or-self::node()/`). The XPath 2.0
//! forms (sequences, `if`, `for`/`some`/`every`, type operators, non-axis steps) only come from
//! parsing in [`super::Language::XPath2`].

use crate::span::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Negate(Box<Expr>),
    Literal(String),
    Number(f64),
    Variable(VariableRef),
    FunctionCall(FunctionCall),
    /// A primary expression with predicates: `$items[2]`.
    Filter {
        primary: Box<Expr>,
        predicates: Vec<Expr>,
    },
    Path(Path),
    /// XPath 2.0 `a, b` and `()`.
    Sequence(Vec<Expr>),
    /// XPath 2.0 `if (condition) then a else b`.
    If {
        condition: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// XPath 2.0 `for $x in a return b`, `some`/`every $x in a satisfies b`.
    Bind {
        kind: BindKind,
        bindings: Vec<Binding>,
        body: Box<Expr>,
    },
    /// A variable bound inside the expression (by `for`, `some` or `every`), not a BPEL variable.
    RangeVariable(Name),
    /// XPath 2.0 `instance of`, `treat as`, `castable as`, `cast as`.
    TypeOp {
        op: TypeOp,
        operand: Box<Expr>,
        ty: SequenceType,
    },
    /// XPath 2.0 `base/step` where `step` is not an axis step (`$order/string()`, `$a/(b | c)`):
    /// `step` is evaluated with each node of `base` as context item.
    PathStep {
        base: Box<Expr>,
        step: Box<Expr>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindKind {
    For,
    Some,
    Every,
}

impl BindKind {
    pub fn keyword(self) -> &'static str {
        match self {
            BindKind::For => "for",
            BindKind::Some => "some",
            BindKind::Every => "every",
        }
    }

    /// The keyword between the bindings and the body.
    pub fn body_keyword(self) -> &'static str {
        match self {
            BindKind::For => "return",
            BindKind::Some | BindKind::Every => "satisfies",
        }
    }
}

/// `$name in domain`.
#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    pub name: Name,
    pub domain: Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeOp {
    InstanceOf,
    TreatAs,
    CastableAs,
    CastAs,
}

impl TypeOp {
    pub fn keywords(self) -> &'static str {
        match self {
            TypeOp::InstanceOf => "instance of",
            TypeOp::TreatAs => "treat as",
            TypeOp::CastableAs => "castable as",
            TypeOp::CastAs => "cast as",
        }
    }
}

/// A sequence type as written (`xs:integer?`, `element(po:order)*`, `empty-sequence()`), with the
/// atomic type's name when it names one.
#[derive(Clone, Debug, PartialEq)]
pub struct SequenceType {
    pub text: String,
    pub span: Span,
    pub atomic: Option<Name>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Union,
    /// XPath 2.0 from here.
    Range,
    ValueEq,
    ValueNe,
    ValueLt,
    ValueLe,
    ValueGt,
    ValueGe,
    Is,
    Precedes,
    Follows,
    IDiv,
    Intersect,
    Except,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "div",
            BinaryOp::Mod => "mod",
            BinaryOp::Union => "|",
            BinaryOp::Range => "to",
            BinaryOp::ValueEq => "eq",
            BinaryOp::ValueNe => "ne",
            BinaryOp::ValueLt => "lt",
            BinaryOp::ValueLe => "le",
            BinaryOp::ValueGt => "gt",
            BinaryOp::ValueGe => "ge",
            BinaryOp::Is => "is",
            BinaryOp::Precedes => "<<",
            BinaryOp::Follows => ">>",
            BinaryOp::IDiv => "idiv",
            BinaryOp::Intersect => "intersect",
            BinaryOp::Except => "except",
        }
    }

    /// Binding strength, loosest first (XPath 1.0 §3.4–§3.5; XPath 2.0 §A.4, where every
    /// comparison has the equality operators' strength).
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq | BinaryOp::NotEq => 3,
            BinaryOp::ValueEq | BinaryOp::ValueNe | BinaryOp::ValueLt | BinaryOp::ValueLe | BinaryOp::ValueGt | BinaryOp::ValueGe => 3,
            BinaryOp::Is | BinaryOp::Precedes | BinaryOp::Follows => 3,
            BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => 4,
            BinaryOp::Range => 5,
            BinaryOp::Add | BinaryOp::Sub => 6,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod | BinaryOp::IDiv => 7,
            BinaryOp::Union => 9,
            BinaryOp::Intersect | BinaryOp::Except => 10,
        }
    }

    /// The XPath 1.0 comparisons (general comparisons in XPath 2.0).
    pub fn is_comparison(self) -> bool {
        matches!(self, BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq)
    }

    pub fn is_arithmetic(self) -> bool {
        matches!(self, BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod | BinaryOp::IDiv)
    }
}

/// The precedence of unary minus: between the multiplicative operators and union.
pub const NEGATE_PRECEDENCE: u8 = 8;

/// A qualified name as written, with the namespace its prefix is bound to in the expression's
/// in-scope namespaces (`None` without a prefix, or when the prefix is not bound).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    pub prefix: Option<String>,
    pub local: String,
    pub namespace: Option<String>,
    pub span: Span,
}

impl Name {
    /// A prefix that no in-scope namespace declaration binds.
    pub fn is_unbound(&self) -> bool {
        self.prefix.is_some() && self.namespace.is_none()
    }

    pub fn is(&self, namespace: &str, local: &str) -> bool {
        self.namespace.as_deref() == Some(namespace) && self.local == local
    }

    /// `prefix:local` or `local`.
    pub fn qualified(&self) -> String {
        match &self.prefix {
            Some(prefix) => format!("{prefix}:{}", self.local),
            None => self.local.clone(),
        }
    }
}

/// `$name` or BPEL's `$variable.part`. A prefixed name is an XPath variable of another namespace,
/// never a BPEL variable, and is not split at `.`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariableRef {
    pub name: Name,
    pub part: Option<String>,
    /// The span of the part name after the `.`.
    pub part_span: Option<Span>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FunctionCall {
    pub name: Name,
    pub args: Vec<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    pub start: PathStart,
    /// `//` appears as a `descendant-or-self::node()` step.
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PathStart {
    /// A relative location path: steps from the context node.
    ContextNode,
    /// An absolute location path: steps from the root of the context node's document.
    Root,
    /// A filter expression followed by `/` or `//`: `$order/item`.
    Expr(Box<Expr>),
}

impl Path {
    /// A location path (absolute or relative), as opposed to a path from a filter expression.
    pub fn is_location_path(&self) -> bool {
        !matches!(self.start, PathStart::Expr(_))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub axis: Axis,
    pub test: NodeTest,
    pub predicates: Vec<Expr>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    Ancestor,
    AncestorOrSelf,
    Attribute,
    Child,
    Descendant,
    DescendantOrSelf,
    Following,
    FollowingSibling,
    Namespace,
    Parent,
    Preceding,
    PrecedingSibling,
    SelfAxis,
}

const AXES: &[(Axis, &str)] = &[
    (Axis::Ancestor, "ancestor"),
    (Axis::AncestorOrSelf, "ancestor-or-self"),
    (Axis::Attribute, "attribute"),
    (Axis::Child, "child"),
    (Axis::Descendant, "descendant"),
    (Axis::DescendantOrSelf, "descendant-or-self"),
    (Axis::Following, "following"),
    (Axis::FollowingSibling, "following-sibling"),
    (Axis::Namespace, "namespace"),
    (Axis::Parent, "parent"),
    (Axis::Preceding, "preceding"),
    (Axis::PrecedingSibling, "preceding-sibling"),
    (Axis::SelfAxis, "self"),
];

impl Axis {
    pub fn from_name(name: &str) -> Option<Axis> {
        AXES.iter().find(|(_, n)| *n == name).map(|(a, _)| *a)
    }

    pub fn name(self) -> &'static str {
        AXES.iter().find(|(a, _)| *a == self).map_or("child", |(_, n)| n)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeTest {
    /// `*`
    Any,
    /// `prefix:*`; `name.local` is `*`.
    AnyInNamespace(Name),
    Name(Name),
    NodeType(NodeType),
    /// `processing-instruction('target')`.
    ProcessingInstruction(Option<String>),
    /// An XPath 2.0 kind test other than the XPath 1.0 node types: `element(po:order)`,
    /// `attribute()`, `document-node()`, `schema-element(x)`... as written, with the name it tests.
    Kind {
        text: String,
        name: Option<Name>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeType {
    Node,
    Text,
    Comment,
    ProcessingInstruction,
}

impl NodeType {
    pub fn from_name(name: &str) -> Option<NodeType> {
        match name {
            "node" => Some(NodeType::Node),
            "text" => Some(NodeType::Text),
            "comment" => Some(NodeType::Comment),
            "processing-instruction" => Some(NodeType::ProcessingInstruction),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            NodeType::Node => "node",
            NodeType::Text => "text",
            NodeType::Comment => "comment",
            NodeType::ProcessingInstruction => "processing-instruction",
        }
    }
}

/// Where a sub-expression stands: predicates (and, in XPath 2.0, the step expressions of
/// [`ExprKind::PathStep`]) have a context node, the rest of a BPEL expression does not (WS-BPEL 2.0
/// §8.2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Visit {
    pub in_predicate: bool,
}

impl Expr {
    /// Calls `f` on this expression and every expression nested in it (arguments, operands,
    /// predicates, path starts), parents before children. `f` returns whether to descend.
    pub fn visit<'a>(&'a self, f: &mut impl FnMut(&'a Expr, Visit) -> bool) {
        self.visit_in(Visit { in_predicate: false }, f);
    }

    fn visit_in<'a>(&'a self, at: Visit, f: &mut impl FnMut(&'a Expr, Visit) -> bool) {
        if !f(self, at) {
            return;
        }
        let inside = Visit { in_predicate: true };
        match &self.kind {
            ExprKind::Binary { left, right, .. } => {
                left.visit_in(at, f);
                right.visit_in(at, f);
            }
            ExprKind::Negate(operand) => operand.visit_in(at, f),
            ExprKind::FunctionCall(call) => call.args.iter().for_each(|arg| arg.visit_in(at, f)),
            ExprKind::Filter { primary, predicates } => {
                primary.visit_in(at, f);
                predicates.iter().for_each(|p| p.visit_in(inside, f));
            }
            ExprKind::Path(path) => {
                if let PathStart::Expr(start) = &path.start {
                    start.visit_in(at, f);
                }
                for step in &path.steps {
                    step.predicates.iter().for_each(|p| p.visit_in(inside, f));
                }
            }
            ExprKind::Sequence(items) => items.iter().for_each(|item| item.visit_in(at, f)),
            ExprKind::If { condition, then, otherwise } => {
                condition.visit_in(at, f);
                then.visit_in(at, f);
                otherwise.visit_in(at, f);
            }
            ExprKind::Bind { bindings, body, .. } => {
                bindings.iter().for_each(|binding| binding.domain.visit_in(at, f));
                body.visit_in(at, f);
            }
            ExprKind::TypeOp { operand, .. } => operand.visit_in(at, f),
            ExprKind::PathStep { base, step } => {
                base.visit_in(at, f);
                step.visit_in(inside, f);
            }
            ExprKind::Literal(_) | ExprKind::Number(_) | ExprKind::Variable(_) | ExprKind::RangeVariable(_) => {}
        }
    }

    /// Every function call in the expression, predicates included.
    pub fn function_calls(&self) -> Vec<(&FunctionCall, &Expr)> {
        let mut out = Vec::new();
        self.visit(&mut |expr, _| {
            if let ExprKind::FunctionCall(call) = &expr.kind {
                out.push((call, expr));
            }
            true
        });
        out
    }

    /// Every variable reference in the expression, predicates included.
    pub fn variables(&self) -> Vec<&VariableRef> {
        let mut out = Vec::new();
        self.visit(&mut |expr, _| {
            if let ExprKind::Variable(variable) = &expr.kind {
                out.push(variable);
            }
            true
        });
        out
    }

    /// Every qualified name written in the expression: function names, variable names and name
    /// tests.
    pub fn names(&self) -> Vec<&Name> {
        let mut out = Vec::new();
        self.visit(&mut |expr, _| {
            match &expr.kind {
                ExprKind::FunctionCall(call) => out.push(&call.name),
                ExprKind::Variable(variable) => out.push(&variable.name),
                ExprKind::Path(path) => out.extend(path.steps.iter().filter_map(|step| match &step.test {
                    NodeTest::Name(name) | NodeTest::AnyInNamespace(name) => Some(name),
                    NodeTest::Kind { name, .. } => name.as_ref(),
                    _ => None,
                })),
                ExprKind::TypeOp { ty, .. } => out.extend(ty.atomic.as_ref()),
                _ => {}
            }
            true
        });
        out
    }

    pub fn as_literal(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Literal(value) => Some(value),
            _ => None,
        }
    }
}
