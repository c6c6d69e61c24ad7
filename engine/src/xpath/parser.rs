//! Recursive descent over the tokens, one token of lookahead, no backtracking. Nesting is bounded so
//! that no input can exhaust the stack: here, in the printer, or in whoever walks the tree.

use super::ast::*;
use super::lexer::{tokenize, Token, TokenKind, Word};
use super::{Language, Namespaces, XPathError};
use crate::span::Span;

/// How deep parentheses, predicates and arguments may nest.
const MAX_NESTING: u32 = 64;
/// How tall the tree may grow (long operator chains nest to the left).
const MAX_HEIGHT: u32 = 400;

/// The XPath 2.0 kind tests that are not XPath 1.0 node types.
const KIND_TESTS: &[&str] = &["element", "attribute", "schema-element", "schema-attribute", "document-node"];

/// The prefixes XPath 2.0 declares in every static context (XPath 2.0 §C.1), used when the
/// expression's own namespaces do not bind them.
const PREDECLARED: &[(&str, &str)] = &[
    ("xs", "http://www.w3.org/2001/XMLSchema"),
    ("fn", "http://www.w3.org/2005/xpath-functions"),
    ("xsi", "http://www.w3.org/2001/XMLSchema-instance"),
];

pub(super) fn parse(text: &str, namespaces: &dyn Namespaces, language: Language) -> Result<Expr, XPathError> {
    let tokens = tokenize(text, language)?;
    let mut parser = Parser { text, tokens, pos: 0, nesting: 0, namespaces, language, range_variables: Vec::new() };
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
    language: Language,
    /// The variables `for`, `some` and `every` bind where the parser is (XPath 2.0).
    range_variables: Vec<String>,
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

    fn xpath2(&self) -> bool {
        self.language == Language::XPath2
    }

    /// `Expr`: in XPath 2.0 a comma-separated sequence of `ExprSingle`.
    fn expr(&mut self) -> Result<Node, XPathError> {
        let first = self.expr_single()?;
        if !self.xpath2() || self.peek_kind() != TokenKind::Comma {
            return Ok(first);
        }
        let mut height = first.height;
        let mut items = vec![first.expr];
        while self.eat(TokenKind::Comma).is_some() {
            let item = self.expr_single()?;
            height = height.max(item.height);
            items.push(item.expr);
        }
        let span = Span { start: items[0].span.start, end: items[items.len() - 1].span.end };
        self.node(ExprKind::Sequence(items), span, height)
    }

    /// `ExprSingle`: in XPath 2.0 also `for`, `some`, `every` and `if`.
    fn expr_single(&mut self) -> Result<Node, XPathError> {
        if self.xpath2() {
            let token = self.peek();
            let next_is_variable = matches!(self.tokens.get(self.pos + 1).map(|t| t.kind), Some(TokenKind::Variable { .. }));
            match token.kind {
                TokenKind::Name { colon: None, wildcard: false } if next_is_variable => {
                    let kind = match self.slice(token.span) {
                        "for" => Some(BindKind::For),
                        "some" => Some(BindKind::Some),
                        "every" => Some(BindKind::Every),
                        _ => None,
                    };
                    if let Some(kind) = kind {
                        return self.bind(kind);
                    }
                }
                TokenKind::FunctionName { colon: None } if self.slice(token.span) == "if" => return self.if_expr(),
                _ => {}
            }
        }
        self.binary(1)
    }

    fn bind(&mut self, kind: BindKind) -> Result<Node, XPathError> {
        let keyword = self.advance();
        self.enter(keyword.span)?;
        let scope = self.range_variables.len();
        let mut bindings = Vec::new();
        let mut height = 0;
        loop {
            let token = self.peek();
            let TokenKind::Variable { colon } = token.kind else {
                return Err(self.unexpected(&format!("a variable to bind after `{}`", kind.keyword())));
            };
            self.advance();
            let name = self.name(Span { start: token.span.start + 1, end: token.span.end }, colon);
            self.expect(TokenKind::Word(Word::In), "`in` after the variable")?;
            let domain = self.expr_single()?;
            height = height.max(domain.height);
            self.range_variables.push(name.qualified());
            bindings.push(Binding { name, domain: domain.expr });
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        let body_word = if kind == BindKind::For { Word::Return } else { Word::Satisfies };
        self.expect(TokenKind::Word(body_word), &format!("`,` or `{}`", kind.body_keyword()))?;
        let body = self.expr_single()?;
        self.range_variables.truncate(scope);
        self.leave();
        let span = Span { start: keyword.span.start, end: body.expr.span.end };
        self.node(ExprKind::Bind { kind, bindings, body: Box::new(body.expr) }, span, height.max(body.height))
    }

    fn if_expr(&mut self) -> Result<Node, XPathError> {
        let keyword = self.advance();
        let open = self.expect(TokenKind::LParen, "`(` after `if`")?;
        self.enter(open.span)?;
        let condition = self.expr()?;
        self.expect(TokenKind::RParen, "`)` to close the condition of `if`")?;
        self.expect(TokenKind::Word(Word::Then), "`then`")?;
        let then = self.expr_single()?;
        self.expect(TokenKind::Word(Word::Else), "`else` (XPath 2.0 `if` always has one)")?;
        let otherwise = self.expr_single()?;
        self.leave();
        let span = Span { start: keyword.span.start, end: otherwise.expr.span.end };
        let height = condition.height.max(then.height).max(otherwise.height);
        let kind = ExprKind::If { condition: Box::new(condition.expr), then: Box::new(then.expr), otherwise: Box::new(otherwise.expr) };
        self.node(kind, span, height)
    }

    /// The level an operator is parsed at: its precedence, except that XPath 2.0 puts every
    /// comparison on one level.
    fn level(&self, op: BinaryOp) -> u8 {
        match op.precedence() {
            4 if self.xpath2() => 3,
            precedence => precedence,
        }
    }

    /// Operators of precedence `level` and tighter, left-associative.
    fn binary(&mut self, level: u8) -> Result<Node, XPathError> {
        if level > 7 {
            return self.unary();
        }
        let mut left = self.binary(level + 1)?;
        while let Some(op) = binary_op(self.peek_kind()).filter(|op| self.level(*op) == level) {
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
        loop {
            if let Some(token) = self.eat(TokenKind::Minus) {
                minuses.push(token.span.start);
            } else if !(self.xpath2() && self.eat(TokenKind::Plus).is_some()) {
                break;
            }
        }
        let mut node = self.union()?;
        for start in minuses.into_iter().rev() {
            let span = Span { start, end: node.expr.span.end };
            node = self.node(ExprKind::Negate(Box::new(node.expr)), span, node.height)?;
        }
        Ok(node)
    }

    fn union(&mut self) -> Result<Node, XPathError> {
        let mut left = self.intersect_except()?;
        while self.eat(TokenKind::Pipe).or_else(|| self.eat(TokenKind::Word(Word::Union))).is_some() {
            let right = self.intersect_except()?;
            left = self.binary_node(BinaryOp::Union, left, right)?;
        }
        Ok(left)
    }

    fn binary_node(&self, op: BinaryOp, left: Node, right: Node) -> Result<Node, XPathError> {
        let span = Span { start: left.expr.span.start, end: right.expr.span.end };
        let height = left.height.max(right.height);
        self.node(ExprKind::Binary { op, left: Box::new(left.expr), right: Box::new(right.expr) }, span, height)
    }

    /// XPath 2.0 `intersect` and `except` (XPath 1.0 has no such words, so this is a path there).
    fn intersect_except(&mut self) -> Result<Node, XPathError> {
        let mut left = self.type_expr()?;
        loop {
            let op = match self.peek_kind() {
                TokenKind::Word(Word::Intersect) => BinaryOp::Intersect,
                TokenKind::Word(Word::Except) => BinaryOp::Except,
                _ => return Ok(left),
            };
            self.advance();
            let right = self.type_expr()?;
            left = self.binary_node(op, left, right)?;
        }
    }

    /// XPath 2.0 `instance of`, `treat as`, `castable as`, `cast as` after a path.
    fn type_expr(&mut self) -> Result<Node, XPathError> {
        let mut operand = self.path_expr()?;
        loop {
            let (op, second) = match self.peek_kind() {
                TokenKind::Word(Word::Instance) => (TypeOp::InstanceOf, "of"),
                TokenKind::Word(Word::Treat) => (TypeOp::TreatAs, "as"),
                TokenKind::Word(Word::Castable) => (TypeOp::CastableAs, "as"),
                TokenKind::Word(Word::Cast) => (TypeOp::CastAs, "as"),
                _ => return Ok(operand),
            };
            self.advance();
            let token = self.peek();
            if !(matches!(token.kind, TokenKind::Name { colon: None, .. }) && self.slice(token.span) == second) {
                return Err(self.unexpected(&format!("`{second}`")));
            }
            self.advance();
            let ty = self.sequence_type(matches!(op, TypeOp::InstanceOf | TypeOp::TreatAs))?;
            let span = Span { start: operand.expr.span.start, end: ty.span.end };
            operand = self.node(ExprKind::TypeOp { op, operand: Box::new(operand.expr), ty }, span, operand.height)?;
        }
    }

    /// A sequence type (`xs:integer?`, `element()*`, `item()+`, `empty-sequence()`); a single type
    /// (`cast as`) only takes `?`.
    fn sequence_type(&mut self, occurrences: bool) -> Result<SequenceType, XPathError> {
        let first = self.peek();
        let atomic = match first.kind {
            TokenKind::FunctionName { colon: None } | TokenKind::NodeType(_) => {
                self.advance();
                self.balanced_parentheses()?;
                None
            }
            TokenKind::Name { colon, wildcard: false } => {
                self.advance();
                Some(self.name(first.span, colon))
            }
            _ => return Err(self.unexpected("a type such as `xs:integer` or `element()`")),
        };
        let mut end = self.tokens[self.pos - 1].span.end;
        let occurrence = match self.peek_kind() {
            TokenKind::Question => true,
            TokenKind::Multiply | TokenKind::Star | TokenKind::Plus => occurrences,
            _ => false,
        };
        if occurrence {
            end = self.advance().span.end;
        }
        let span = Span { start: first.span.start, end };
        Ok(SequenceType { text: self.slice(span).to_string(), span, atomic })
    }

    /// `( ... )` after a kind test's name: skipped, returning the first name inside it.
    fn balanced_parentheses(&mut self) -> Result<Option<Name>, XPathError> {
        let open = self.expect(TokenKind::LParen, "`(`")?;
        self.enter(open.span)?;
        let mut depth = 1;
        let mut name = None;
        while depth > 0 {
            let token = self.advance();
            match token.kind {
                TokenKind::LParen => depth += 1,
                TokenKind::RParen => depth -= 1,
                TokenKind::Name { colon, wildcard: false } if name.is_none() => name = Some(self.name(token.span, colon)),
                TokenKind::Eof => return Err(XPathError::new(token.span, "expected `)` to close the type")),
                _ => {}
            }
        }
        self.leave();
        Ok(name)
    }

    fn is_kind_test(&self, token: Token) -> bool {
        self.xpath2() && matches!(token.kind, TokenKind::FunctionName { colon: None }) && KIND_TESTS.contains(&self.slice(token.span))
    }

    /// Whether an XPath 2.0 step here is a filter expression rather than an axis step.
    fn starts_filter_step(&self) -> bool {
        let token = self.peek();
        self.xpath2()
            && matches!(
                token.kind,
                TokenKind::Variable { .. } | TokenKind::LParen | TokenKind::Literal | TokenKind::Number(_) | TokenKind::FunctionName { .. }
            )
            && !self.is_kind_test(token)
    }

    fn path_expr(&mut self) -> Result<Node, XPathError> {
        if self.is_kind_test(self.peek()) {
            let start = self.peek().span.start as usize;
            return self.steps(PathStart::ContextNode, Vec::new(), start, 0);
        }
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
        if !self.path_separator(&mut steps) {
            return Ok(filter);
        }
        let start = filter.expr.span.start as usize;
        let height = filter.height;
        self.steps(PathStart::Expr(Box::new(filter.expr)), steps, start, height)
    }

    /// Eats a `/` or a `//` (adding the step `//` stands for to `steps`); whether there was one.
    fn path_separator(&mut self, steps: &mut Vec<Step>) -> bool {
        match self.peek_kind() {
            TokenKind::Slash => {
                self.advance();
                true
            }
            TokenKind::DoubleSlash => {
                let token = self.advance();
                steps.push(descendant_or_self(token.span));
                true
            }
            _ => false,
        }
    }

    fn absolute_path(&mut self) -> Result<Node, XPathError> {
        let token = self.advance();
        let start = token.span.start as usize;
        if token.kind == TokenKind::DoubleSlash {
            return self.steps(PathStart::Root, vec![descendant_or_self(token.span)], start, 0);
        }
        if starts_step(self.peek_kind()) || self.is_kind_test(self.peek()) {
            self.steps(PathStart::Root, Vec::new(), start, 0)
        } else {
            self.node(ExprKind::Path(Path { start: PathStart::Root, steps: Vec::new() }), token.span, 0)
        }
    }

    /// `Step (('/' | '//') Step)*`, appended to `steps`.
    fn steps(&mut self, mut start: PathStart, mut steps: Vec<Step>, from: usize, mut height: u32) -> Result<Node, XPathError> {
        loop {
            if self.starts_filter_step() {
                let base = match std::mem::replace(&mut start, PathStart::ContextNode) {
                    PathStart::Expr(base) if steps.is_empty() => *base,
                    other => {
                        let end = steps.last().map_or(from, |s| s.span.end as usize);
                        let path = Path { start: other, steps: std::mem::take(&mut steps) };
                        self.node(ExprKind::Path(path), Span::new(from, end), height)?.expr
                    }
                };
                let step = self.filter_expr()?;
                let span = Span { start: base.span.start, end: step.expr.span.end };
                height = height.max(step.height);
                let node = self.node(ExprKind::PathStep { base: Box::new(base), step: Box::new(step.expr) }, span, height)?;
                if !self.path_separator(&mut steps) {
                    return Ok(node);
                }
                height = node.height;
                start = PathStart::Expr(Box::new(node.expr));
                continue;
            }
            let (step, step_height) = self.step()?;
            height = height.max(step_height);
            steps.push(step);
            if !self.path_separator(&mut steps) {
                break;
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
            TokenKind::FunctionName { .. } if self.is_kind_test(token) => {
                self.advance();
                let name = self.balanced_parentheses()?;
                let span = Span { start: token.span.start, end: self.tokens[self.pos - 1].span.end };
                Ok((NodeTest::Kind { text: self.slice(span).to_string(), name }, span))
            }
            TokenKind::NodeType(node_type) => {
                self.advance();
                self.expect(TokenKind::LParen, "`(` after the node type")?;
                let mut target = None;
                if node_type == NodeType::ProcessingInstruction {
                    if let Some(literal) = self.eat(TokenKind::Literal) {
                        target = Some(self.literal_value(literal.span));
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
                let name_span = Span { start: token.span.start + 1, end: token.span.end };
                if self.range_variables.iter().any(|bound| bound == self.slice(name_span)) {
                    let name = self.name(name_span, colon);
                    return self.node(ExprKind::RangeVariable(name), token.span, 0);
                }
                let variable = self.variable(token.span, colon)?;
                self.node(ExprKind::Variable(variable), token.span, 0)
            }
            TokenKind::Literal => self.node(ExprKind::Literal(self.literal_value(token.span)), token.span, 0),
            TokenKind::Number(value) => self.node(ExprKind::Number(value), token.span, 0),
            TokenKind::LParen if self.xpath2() && self.peek_kind() == TokenKind::RParen => {
                let close = self.advance();
                self.node(ExprKind::Sequence(Vec::new()), Span { start: token.span.start, end: close.span.end }, 0)
            }
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
                let arg = self.expr_single()?;
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
                let predeclared = || match self.language {
                    Language::XPath2 => PREDECLARED.iter().find(|(p, _)| *p == prefix).map(|(_, uri)| *uri),
                    Language::XPath1 => None,
                };
                Name {
                    prefix: Some(prefix.to_string()),
                    local: text[split + 1..].to_string(),
                    namespace: self.namespaces.namespace(prefix).or_else(predeclared).map(str::to_string),
                    span,
                }
            }
            None => Name { prefix: None, local: text.to_string(), namespace: None, span },
        }
    }

    fn literal_value(&self, span: Span) -> String {
        let text = self.slice(span);
        let inner = text.get(1..text.len().saturating_sub(1)).unwrap_or("");
        match (self.language, text.chars().next()) {
            (Language::XPath2, Some(quote @ ('"' | '\''))) => inner.replace(&format!("{quote}{quote}"), &quote.to_string()),
            _ => inner.to_string(),
        }
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
        TokenKind::Precedes => BinaryOp::Precedes,
        TokenKind::Follows => BinaryOp::Follows,
        TokenKind::Word(Word::Eq) => BinaryOp::ValueEq,
        TokenKind::Word(Word::Ne) => BinaryOp::ValueNe,
        TokenKind::Word(Word::Lt) => BinaryOp::ValueLt,
        TokenKind::Word(Word::Le) => BinaryOp::ValueLe,
        TokenKind::Word(Word::Gt) => BinaryOp::ValueGt,
        TokenKind::Word(Word::Ge) => BinaryOp::ValueGe,
        TokenKind::Word(Word::Is) => BinaryOp::Is,
        TokenKind::Word(Word::IDiv) => BinaryOp::IDiv,
        TokenKind::Word(Word::To) => BinaryOp::Range,
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
