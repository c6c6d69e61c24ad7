//! Recursive descent over the tokens, one token of lookahead, no backtracking. Nesting is bounded so
//! that no input can exhaust the stack: here, in the printer, or in whoever walks the tree.

use super::ast::*;
use super::lexer::{tokenize, Token, TokenKind};
use super::{Namespaces, XPathError};
use crate::span::Span;

/// How deep parentheses, predicates and arguments may nest.
const MAX_NESTING: u32 = 64;
/// How tall the tree may grow (long operator chains nest to the left).
const MAX_HEIGHT: u32 = 400;

pub(super) fn parse(text: &str, namespaces: &dyn Namespaces) -> Result<Expr, XPathError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser { text, tokens, pos: 0, nesting: 0, namespaces };
    let node = parser.expr()?;
    match parser.peek().kind {
        TokenKind::Eof => Ok(node.expr),
        _ => Err(parser.unexpected("an operator or the end of the expression")),
    }
}

/// An expression with the height of its tree.
struct Node {
    expr: Expr,
    height: u32,
}

struct Parser<'t> {
    text: &'t str,
    tokens: Vec<Token>,
    pos: usize,
    nesting: u32,
    namespaces: &'t dyn Namespaces,
}

impl Parser<'_> {
    fn peek(&self) -> Token {
        self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn peek_kind(&self) -> TokenKind {
        self.peek().kind
    }

    fn advance(&mut self) -> Token {
        let token = self.peek();
        if token.kind != TokenKind::Eof {
            self.pos += 1;
        }
        token
    }

    fn eat(&mut self, kind: TokenKind) -> Option<Token> {
        (self.peek_kind() == kind).then(|| self.advance())
    }

    fn expect(&mut self, kind: TokenKind, what: &str) -> Result<Token, XPathError> {
        match self.eat(kind) {
            Some(token) => Ok(token),
            None => Err(self.unexpected(what)),
        }
    }

    fn slice(&self, span: Span) -> &str {
        span.slice(self.text)
    }

    /// "expected {what}, found {the current token}".
    fn unexpected(&self, what: &str) -> XPathError {
        let token = self.peek();
        let found = match token.kind {
            TokenKind::Eof => "the end of the expression".to_string(),
            _ => format!("`{}`", self.slice(token.span)),
        };
        XPathError::new(token.span, format!("expected {what}, found {found}"))
    }

    fn node(&self, kind: ExprKind, span: Span, child_height: u32) -> Result<Node, XPathError> {
        let height = child_height + 1;
        if height > MAX_HEIGHT {
            return Err(XPathError::new(span, format!("the expression is nested too deeply (more than {MAX_HEIGHT} levels)")));
        }
        Ok(Node { expr: Expr { kind, span }, height })
    }

    fn enter(&mut self, span: Span) -> Result<(), XPathError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(XPathError::new(
                span,
                format!("the expression nests more than {MAX_NESTING} levels of parentheses, predicates or arguments"),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.nesting -= 1;
    }

    fn expr(&mut self) -> Result<Node, XPathError> {
        self.binary(1)
    }

    /// Operators of precedence `level` and tighter, left-associative.
    fn binary(&mut self, level: u8) -> Result<Node, XPathError> {
        if level > 6 {
            return self.unary();
        }
        let mut left = self.binary(level + 1)?;
        while let Some(op) = binary_op(self.peek_kind()).filter(|op| op.precedence() == level) {
            self.advance();
            let right = self.binary(level + 1)?;
            let span = Span { start: left.expr.span.start, end: right.expr.span.end };
            let height = left.height.max(right.height);
            left = self.node(ExprKind::Binary { op, left: Box::new(left.expr), right: Box::new(right.expr) }, span, height)?;
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Node, XPathError> {
        let mut minuses = Vec::new();
        while let Some(token) = self.eat(TokenKind::Minus) {
            minuses.push(token.span.start);
        }
        let mut node = self.union()?;
        for start in minuses.into_iter().rev() {
            let span = Span { start, end: node.expr.span.end };
            node = self.node(ExprKind::Negate(Box::new(node.expr)), span, node.height)?;
        }
        Ok(node)
    }

    fn union(&mut self) -> Result<Node, XPathError> {
        let mut left = self.path_expr()?;
        while self.eat(TokenKind::Pipe).is_some() {
            let right = self.path_expr()?;
            let span = Span { start: left.expr.span.start, end: right.expr.span.end };
            let height = left.height.max(right.height);
            let kind = ExprKind::Binary { op: BinaryOp::Union, left: Box::new(left.expr), right: Box::new(right.expr) };
            left = self.node(kind, span, height)?;
        }
        Ok(left)
    }

    fn path_expr(&mut self) -> Result<Node, XPathError> {
        match self.peek_kind() {
            TokenKind::Variable { .. } | TokenKind::LParen | TokenKind::Literal | TokenKind::Number(_) | TokenKind::FunctionName { .. } => {
                self.filter_path()
            }
            TokenKind::Slash | TokenKind::DoubleSlash => self.absolute_path(),
            kind if starts_step(kind) => {
                let start = self.peek().span.start as usize;
                self.steps(PathStart::ContextNode, Vec::new(), start, 0)
            }
            _ => Err(self.unexpected("an expression")),
        }
    }

    /// A filter expression, and the relative path after it if a `/` or `//` follows.
    fn filter_path(&mut self) -> Result<Node, XPathError> {
        let filter = self.filter_expr()?;
        let mut steps = Vec::new();
        match self.peek_kind() {
            TokenKind::Slash => {
                self.advance();
            }
            TokenKind::DoubleSlash => {
                let token = self.advance();
                steps.push(descendant_or_self(token.span));
            }
            _ => return Ok(filter),
        }
        let start = filter.expr.span.start as usize;
        let height = filter.height;
        self.steps(PathStart::Expr(Box::new(filter.expr)), steps, start, height)
    }

    fn absolute_path(&mut self) -> Result<Node, XPathError> {
        let token = self.advance();
        let start = token.span.start as usize;
        if token.kind == TokenKind::DoubleSlash {
            return self.steps(PathStart::Root, vec![descendant_or_self(token.span)], start, 0);
        }
        if starts_step(self.peek_kind()) {
            self.steps(PathStart::Root, Vec::new(), start, 0)
        } else {
            self.node(ExprKind::Path(Path { start: PathStart::Root, steps: Vec::new() }), token.span, 0)
        }
    }

    /// `Step (('/' | '//') Step)*`, appended to `steps`.
    fn steps(&mut self, start: PathStart, mut steps: Vec<Step>, from: usize, mut height: u32) -> Result<Node, XPathError> {
        loop {
            let (step, step_height) = self.step()?;
            height = height.max(step_height);
            steps.push(step);
            match self.peek_kind() {
                TokenKind::Slash => {
                    self.advance();
                }
                TokenKind::DoubleSlash => {
                    let token = self.advance();
                    steps.push(descendant_or_self(token.span));
                }
                _ => break,
            }
        }
        let end = steps.last().map_or(from, |s| s.span.end as usize);
        self.node(ExprKind::Path(Path { start, steps }), Span::new(from, end), height)
    }

    fn step(&mut self) -> Result<(Step, u32), XPathError> {
        let first = self.peek();
        let abbreviated = match first.kind {
            TokenKind::Dot => Some(Axis::SelfAxis),
            TokenKind::DotDot => Some(Axis::Parent),
            _ => None,
        };
        if let Some(axis) = abbreviated {
            self.advance();
            return Ok((Step { axis, test: NodeTest::NodeType(NodeType::Node), predicates: Vec::new(), span: first.span }, 0));
        }
        let axis = match first.kind {
            TokenKind::AxisName(axis) => {
                self.advance();
                self.expect(TokenKind::ColonColon, "`::` after the axis name")?;
                axis
            }
            TokenKind::At => {
                self.advance();
                Axis::Attribute
            }
            _ => Axis::Child,
        };
        let (test, test_span) = self.node_test()?;
        let (predicates, height, end) = self.predicates(test_span.end)?;
        Ok((Step { axis, test, predicates, span: Span { start: first.span.start, end } }, height))
    }

    fn node_test(&mut self) -> Result<(NodeTest, Span), XPathError> {
        let token = self.peek();
        match token.kind {
            TokenKind::Star => {
                self.advance();
                Ok((NodeTest::Any, token.span))
            }
            TokenKind::Name { colon, wildcard } => {
                self.advance();
                let name = self.name(token.span, colon);
                Ok((if wildcard { NodeTest::AnyInNamespace(name) } else { NodeTest::Name(name) }, token.span))
            }
            TokenKind::NodeType(node_type) => {
                self.advance();
                self.expect(TokenKind::LParen, "`(` after the node type")?;
                let mut target = None;
                if node_type == NodeType::ProcessingInstruction {
                    if let Some(literal) = self.eat(TokenKind::Literal) {
                        target = Some(self.literal_value(literal.span).to_string());
                    }
                }
                let close = self.expect(TokenKind::RParen, "`)` to close the node test")?;
                let test = match node_type {
                    NodeType::ProcessingInstruction => NodeTest::ProcessingInstruction(target),
                    other => NodeTest::NodeType(other),
                };
                Ok((test, Span { start: token.span.start, end: close.span.end }))
            }
            _ => Err(self.unexpected("a node test (a name, `*` or a node type such as text())")),
        }
    }

    /// `Predicate*`: the predicates, their height and where the last one ends.
    fn predicates(&mut self, mut end: u32) -> Result<(Vec<Expr>, u32, u32), XPathError> {
        let mut predicates = Vec::new();
        let mut height = 0;
        while let Some(open) = self.eat(TokenKind::LBracket) {
            self.enter(open.span)?;
            let predicate = self.expr()?;
            self.leave();
            let close = self.expect(TokenKind::RBracket, "`]` to close the predicate")?;
            height = height.max(predicate.height);
            predicates.push(predicate.expr);
            end = close.span.end;
        }
        Ok((predicates, height, end))
    }

    fn filter_expr(&mut self) -> Result<Node, XPathError> {
        let primary = self.primary()?;
        if self.peek_kind() != TokenKind::LBracket {
            return Ok(primary);
        }
        let (predicates, height, end) = self.predicates(primary.expr.span.end)?;
        let span = Span { start: primary.expr.span.start, end };
        self.node(ExprKind::Filter { primary: Box::new(primary.expr), predicates }, span, height.max(primary.height))
    }

    fn primary(&mut self) -> Result<Node, XPathError> {
        let token = self.peek();
        if !matches!(
            token.kind,
            TokenKind::Variable { .. } | TokenKind::Literal | TokenKind::Number(_) | TokenKind::LParen | TokenKind::FunctionName { .. }
        ) {
            return Err(self.unexpected("an expression"));
        }
        self.advance();
        match token.kind {
            TokenKind::Variable { colon } => {
                let variable = self.variable(token.span, colon)?;
                self.node(ExprKind::Variable(variable), token.span, 0)
            }
            TokenKind::Literal => self.node(ExprKind::Literal(self.literal_value(token.span).to_string()), token.span, 0),
            TokenKind::Number(value) => self.node(ExprKind::Number(value), token.span, 0),
            TokenKind::LParen => {
                self.enter(token.span)?;
                let inner = self.expr()?;
                self.leave();
                self.expect(TokenKind::RParen, "`)` to close `(`")?;
                Ok(inner)
            }
            TokenKind::FunctionName { colon } => self.function_call(token, colon),
            _ => Err(self.unexpected("an expression")),
        }
    }

    fn function_call(&mut self, name_token: Token, colon: Option<u32>) -> Result<Node, XPathError> {
        let name = self.name(name_token.span, colon);
        let open = self.expect(TokenKind::LParen, "`(` after the function name")?;
        self.enter(open.span)?;
        let mut args = Vec::new();
        let mut height = 0;
        if self.peek_kind() != TokenKind::RParen {
            loop {
                let arg = self.expr()?;
                height = height.max(arg.height);
                args.push(arg.expr);
                if self.eat(TokenKind::Comma).is_none() {
                    break;
                }
            }
        }
        self.leave();
        let close = self.expect(TokenKind::RParen, "`,` or `)` to close the argument list")?;
        let span = Span { start: name_token.span.start, end: close.span.end };
        self.node(ExprKind::FunctionCall(FunctionCall { name, args }), span, height)
    }

    fn variable(&self, span: Span, colon: Option<u32>) -> Result<VariableRef, XPathError> {
        let name_span = Span { start: span.start + 1, end: span.end };
        let mut name = self.name(name_span, colon);
        if name.prefix.is_some() {
            return Ok(VariableRef { name, part: None, part_span: None });
        }
        let Some(dot) = name.local.find('.') else {
            return Ok(VariableRef { name, part: None, part_span: None });
        };
        let part = name.local[dot + 1..].to_string();
        let part_start = name_span.start as usize + dot + 1;
        let part_span = Span::new(part_start, span.end as usize);
        if !super::lexer::is_ncname(&part) {
            return Err(XPathError::new(part_span, format!("expected a part name after `.` in `{}`", self.slice(span))));
        }
        name.local.truncate(dot);
        name.span = Span::new(name_span.start as usize, part_start - 1);
        Ok(VariableRef { name, part: Some(part), part_span: Some(part_span) })
    }

    fn name(&self, span: Span, colon: Option<u32>) -> Name {
        let text = self.slice(span);
        match colon {
            Some(colon) => {
                let split = (colon - span.start) as usize;
                let prefix = &text[..split];
                Name {
                    prefix: Some(prefix.to_string()),
                    local: text[split + 1..].to_string(),
                    namespace: self.namespaces.namespace(prefix).map(str::to_string),
                    span,
                }
            }
            None => Name { prefix: None, local: text.to_string(), namespace: None, span },
        }
    }

    fn literal_value(&self, span: Span) -> &str {
        let text = self.slice(span);
        text.get(1..text.len().saturating_sub(1)).unwrap_or("")
    }
}

fn binary_op(kind: TokenKind) -> Option<BinaryOp> {
    Some(match kind {
        TokenKind::Or => BinaryOp::Or,
        TokenKind::And => BinaryOp::And,
        TokenKind::Eq => BinaryOp::Eq,
        TokenKind::NotEq => BinaryOp::NotEq,
        TokenKind::Lt => BinaryOp::Lt,
        TokenKind::LtEq => BinaryOp::LtEq,
        TokenKind::Gt => BinaryOp::Gt,
        TokenKind::GtEq => BinaryOp::GtEq,
        TokenKind::Plus => BinaryOp::Add,
        TokenKind::Minus => BinaryOp::Sub,
        TokenKind::Multiply => BinaryOp::Mul,
        TokenKind::Div => BinaryOp::Div,
        TokenKind::Mod => BinaryOp::Mod,
        _ => return None,
    })
}

fn starts_step(kind: TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::Dot
            | TokenKind::DotDot
            | TokenKind::At
            | TokenKind::AxisName(_)
            | TokenKind::Star
            | TokenKind::Name { .. }
            | TokenKind::NodeType(_)
    )
}

/// The step that `//` abbreviates.
fn descendant_or_self(span: Span) -> Step {
    Step { axis: Axis::DescendantOrSelf, test: NodeTest::NodeType(NodeType::Node), predicates: Vec::new(), span }
}
