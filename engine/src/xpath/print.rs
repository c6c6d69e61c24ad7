//! Prints a tree back as XPath text that parses to the same tree: steps in full (`child::a`),
//! parentheses only where precedence needs them.

use std::fmt::{self, Display, Formatter, Write};

use super::ast::*;

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Binary { op, left, right } => {
                // A lone `/` followed by `*`, `div`, `and`... would read as `/*`, `/div`: keep it
                // apart, on either side (a right operand may be followed by an enclosing operator).
                operand(f, left, precedence(left) < op.precedence() || is_lone_root(left))?;
                write!(f, " {} ", op.symbol())?;
                operand(f, right, precedence(right) <= op.precedence() || is_lone_root(right))
            }
            ExprKind::Negate(inner) => {
                f.write_char('-')?;
                // `-/ or $a` would read the `or` as a step name: a lone root keeps its parentheses
                operand(f, inner, precedence(inner) < NEGATE_PRECEDENCE || is_lone_root(inner))
            }
            ExprKind::Literal(value) => write_literal(f, value),
            ExprKind::Number(value) => write_number(f, *value),
            ExprKind::Variable(variable) => {
                write!(f, "${}", variable.name.qualified())?;
                match &variable.part {
                    Some(part) => write!(f, ".{part}"),
                    None => Ok(()),
                }
            }
            ExprKind::FunctionCall(call) => {
                write!(f, "{}(", call.name.qualified())?;
                for (i, arg) in call.args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{arg}")?;
                }
                f.write_char(')')
            }
            ExprKind::Filter { primary, predicates } => {
                operand(f, primary, !is_primary(primary))?;
                write_predicates(f, predicates)
            }
            ExprKind::Path(path) => write_path(f, path),
            ExprKind::Sequence(items) => {
                f.write_char('(')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(')')
            }
            ExprKind::If { condition, then, otherwise } => write!(f, "(if ({condition}) then {then} else {otherwise})"),
            ExprKind::Bind { kind, bindings, body } => {
                write!(f, "({} ", kind.keyword())?;
                for (i, binding) in bindings.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "${} in {}", binding.name.qualified(), binding.domain)?;
                }
                write!(f, " {} {body})", kind.body_keyword())
            }
            ExprKind::RangeVariable(name) => write!(f, "${}", name.qualified()),
            ExprKind::TypeOp { op, operand, ty } => write!(f, "(({operand}) {} {})", op.keywords(), ty.text),
            ExprKind::PathStep { base, step } => write!(f, "({base})/({step})"),
        }
    }
}

fn operand(f: &mut Formatter<'_>, expr: &Expr, parenthesize: bool) -> fmt::Result {
    if parenthesize {
        write!(f, "({expr})")
    } else {
        write!(f, "{expr}")
    }
}

/// How tightly an expression holds together when it stands as an operand.
fn precedence(expr: &Expr) -> u8 {
    match &expr.kind {
        ExprKind::Binary { op, .. } => op.precedence(),
        ExprKind::Negate(_) => NEGATE_PRECEDENCE,
        _ => u8::MAX,
    }
}

fn is_primary(expr: &Expr) -> bool {
    matches!(expr.kind, ExprKind::Literal(_) | ExprKind::Number(_) | ExprKind::Variable(_) | ExprKind::FunctionCall(_))
}

fn is_lone_root(expr: &Expr) -> bool {
    matches!(&expr.kind, ExprKind::Path(Path { start: PathStart::Root, steps }) if steps.is_empty())
}

fn write_number(f: &mut Formatter<'_>, value: f64) -> fmt::Result {
    if value.is_infinite() {
        // A number token too long for f64 reads as infinity; print one that reads back the same.
        return write!(f, "1{}", "0".repeat(f64::MAX_10_EXP as usize + 1));
    }
    write!(f, "{value}")
}

fn write_literal(f: &mut Formatter<'_>, value: &str) -> fmt::Result {
    // XPath 1.0 literals have no escapes; a parsed literal never holds both quotes (an XPath 2.0
    // one may: its double quotes are doubled, which is what XPath 2.0 reads back).
    let quote = if value.contains('"') { '\'' } else { '"' };
    write!(f, "{quote}{}{quote}", value.replace(quote, &format!("{quote}{quote}")))
}

fn write_predicates(f: &mut Formatter<'_>, predicates: &[Expr]) -> fmt::Result {
    for predicate in predicates {
        write!(f, "[{predicate}]")?;
    }
    Ok(())
}

fn write_path(f: &mut Formatter<'_>, path: &Path) -> fmt::Result {
    match &path.start {
        PathStart::ContextNode => {}
        PathStart::Root => f.write_char('/')?,
        PathStart::Expr(start) => {
            let plain = is_primary(start) || matches!(start.kind, ExprKind::Filter { .. });
            operand(f, start, !plain)?;
            f.write_char('/')?;
        }
    }
    for (i, step) in path.steps.iter().enumerate() {
        if i > 0 {
            f.write_char('/')?;
        }
        write!(f, "{step}")?;
    }
    Ok(())
}

impl Display for Step {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}", self.axis.name(), self.test)?;
        write_predicates(f, &self.predicates)
    }
}

impl Display for NodeTest {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            NodeTest::Any => f.write_char('*'),
            NodeTest::AnyInNamespace(name) => write!(f, "{}:*", name.prefix.as_deref().unwrap_or_default()),
            NodeTest::Name(name) => f.write_str(&name.qualified()),
            NodeTest::NodeType(node_type) => write!(f, "{}()", node_type.name()),
            NodeTest::Kind { text, .. } => f.write_str(text),
            NodeTest::ProcessingInstruction(None) => f.write_str("processing-instruction()"),
            NodeTest::ProcessingInstruction(Some(target)) => {
                f.write_str("processing-instruction(")?;
                write_literal(f, target)?;
                f.write_char(')')
            }
        }
    }
}
