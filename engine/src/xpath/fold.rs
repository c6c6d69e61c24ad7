//! Constant folding: the value of an expression that depends on nothing but itself (literals,
//! numbers, operators and the pure core functions over them), by the rules of XPath 1.0.

use super::ast::{BinaryOp, Expr, ExprKind};

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Number(f64),
    String(String),
    Boolean(bool),
}

impl Value {
    /// XPath 1.0 `number()`.
    pub fn to_number(&self) -> f64 {
        match self {
            Value::Number(n) => *n,
            Value::Boolean(b) => f64::from(u8::from(*b)),
            Value::String(s) => string_to_number(s),
        }
    }

    /// XPath 1.0 `string()`.
    pub fn to_xpath_string(&self) -> String {
        match self {
            Value::Number(n) => number_to_string(*n),
            Value::Boolean(b) => b.to_string(),
            Value::String(s) => s.clone(),
        }
    }

    /// XPath 1.0 `boolean()`.
    pub fn to_boolean(&self) -> bool {
        match self {
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::Boolean(b) => *b,
            Value::String(s) => !s.is_empty(),
        }
    }

    /// The value as the text an `xsd:unsignedInt` is read from, if it is one.
    pub fn as_unsigned_int(&self) -> Option<u32> {
        let text = self.to_xpath_string();
        let text = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
        let (negative, digits) = match text.as_bytes().first() {
            Some(b'+') => (false, &text[1..]),
            Some(b'-') => (true, &text[1..]),
            _ => (false, text),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let significant = digits.trim_start_matches('0');
        if negative {
            return significant.is_empty().then_some(0);
        }
        if significant.len() > 10 {
            return None;
        }
        significant.parse::<u64>().map_or(Some(0), |n| u32::try_from(n).ok())
    }
}

/// The value of `expr` if it is a constant.
pub fn constant(expr: &Expr) -> Option<Value> {
    match &expr.kind {
        ExprKind::Literal(value) => Some(Value::String(value.clone())),
        ExprKind::Number(value) => Some(Value::Number(*value)),
        ExprKind::Negate(inner) => Some(Value::Number(-constant(inner)?.to_number())),
        ExprKind::Binary { op, left, right } => binary(*op, &constant(left)?, &constant(right)?),
        ExprKind::FunctionCall(call) if call.name.prefix.is_none() => {
            let args = call.args.iter().map(constant).collect::<Option<Vec<Value>>>()?;
            function(&call.name.local, &args)
        }
        _ => None,
    }
}

fn binary(op: BinaryOp, left: &Value, right: &Value) -> Option<Value> {
    let (l, r) = (left.to_number(), right.to_number());
    Some(match op {
        BinaryOp::Or => Value::Boolean(left.to_boolean() || right.to_boolean()),
        BinaryOp::And => Value::Boolean(left.to_boolean() && right.to_boolean()),
        BinaryOp::Eq => Value::Boolean(equal(left, right)),
        BinaryOp::NotEq => Value::Boolean(!equal(left, right)),
        BinaryOp::Lt => Value::Boolean(l < r),
        BinaryOp::LtEq => Value::Boolean(l <= r),
        BinaryOp::Gt => Value::Boolean(l > r),
        BinaryOp::GtEq => Value::Boolean(l >= r),
        BinaryOp::Add => Value::Number(l + r),
        BinaryOp::Sub => Value::Number(l - r),
        BinaryOp::Mul => Value::Number(l * r),
        BinaryOp::Div => Value::Number(l / r),
        BinaryOp::Mod => Value::Number(l % r),
        // XPath 2.0's operators are not folded (their typing differs from XPath 1.0's).
        _ => return None,
    })
}

/// `=` between values that are not node-sets (XPath 1.0 §3.4).
fn equal(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Boolean(_), _) | (_, Value::Boolean(_)) => left.to_boolean() == right.to_boolean(),
        (Value::Number(_), _) | (_, Value::Number(_)) => left.to_number() == right.to_number(),
        _ => left.to_xpath_string() == right.to_xpath_string(),
    }
}

/// The pure core functions whose value needs no context node.
fn function(name: &str, args: &[Value]) -> Option<Value> {
    let number = |f: fn(f64) -> f64| Some(Value::Number(f(args.first()?.to_number())));
    match (name, args.len()) {
        ("true", 0) => Some(Value::Boolean(true)),
        ("false", 0) => Some(Value::Boolean(false)),
        ("not", 1) => Some(Value::Boolean(!args[0].to_boolean())),
        ("boolean", 1) => Some(Value::Boolean(args[0].to_boolean())),
        ("number", 1) => Some(Value::Number(args[0].to_number())),
        ("string", 1) => Some(Value::String(args[0].to_xpath_string())),
        ("concat", n) if n >= 2 => Some(Value::String(args.iter().map(Value::to_xpath_string).collect())),
        ("string-length", 1) => Some(Value::Number(args[0].to_xpath_string().chars().count() as f64)),
        ("normalize-space", 1) => Some(Value::String(args[0].to_xpath_string().split_ascii_whitespace().collect::<Vec<_>>().join(" "))),
        ("floor", 1) => number(f64::floor),
        ("ceiling", 1) => number(f64::ceil),
        ("round", 1) => number(round),
        _ => None,
    }
}

/// XPath 1.0 `round()`: halves round towards positive infinity.
fn round(n: f64) -> f64 {
    if n.is_nan() || n.is_infinite() || n == 0.0 {
        return n;
    }
    if (-0.5..0.0).contains(&n) {
        return -0.0;
    }
    (n + 0.5).floor()
}

fn string_to_number(s: &str) -> f64 {
    let s = s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
    let digits = s.strip_prefix('-').unwrap_or(s);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let fraction = parts.next();
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let valid = all_digits(whole) && fraction.is_none_or(all_digits) && (!whole.is_empty() || fraction.is_some_and(|f| !f.is_empty()));
    if valid {
        s.parse().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    }
}

fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        "NaN".to_string()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else if n == 0.0 {
        "0".to_string()
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xpath::{parse, NoNamespaces};

    fn fold(text: &str) -> Option<Value> {
        constant(&parse(text, &NoNamespaces).expect("parses"))
    }

    #[test]
    fn folds_arithmetic_and_core_functions() {
        assert_eq!(fold("1 + 2 * 3"), Some(Value::Number(7.0)));
        assert_eq!(fold("-1"), Some(Value::Number(-1.0)));
        assert_eq!(fold("concat('a', 1, true())"), Some(Value::String("a1true".into())));
        assert_eq!(fold("round(2.5) - floor(-0.5)"), Some(Value::Number(4.0)));
        assert_eq!(fold("'3' = 3"), Some(Value::Boolean(true)));
        assert_eq!(fold("$n + 1"), None);
        assert_eq!(fold("count(a)"), None);
    }

    #[test]
    fn unsigned_ints() {
        let int = |text: &str| fold(text).and_then(|v| v.as_unsigned_int());
        assert_eq!(int("3"), Some(3));
        assert_eq!(int("' +007 '"), Some(7));
        assert_eq!(int("4294967295"), Some(u32::MAX));
        assert_eq!(int("4294967296"), None);
        assert_eq!(int("-1"), None);
        assert_eq!(int("1.5"), None);
        assert_eq!(int("''"), None);
        assert_eq!(int("1 div 0"), None);
        assert_eq!(int("2 div 2"), Some(1));
    }
}
