use proptest::prelude::*;

use super::*;

struct Bound;

impl Namespaces for Bound {
    fn namespace(&self, prefix: &str) -> Option<&str> {
        match prefix {
            "bpel" => Some(functions::BPEL_NS),
            "ns" => Some("urn:ns"),
            _ => None,
        }
    }
}

fn parse_ok(text: &str) -> Expr {
    match parse(text, &Bound) {
        Ok(expr) => expr,
        Err(error) => panic!("`{text}` does not parse: {} at {:?}", error.message, error.span),
    }
}

fn error(text: &str) -> XPathError {
    parse(text, &Bound).expect_err("a syntax error")
}

/// The tree with every span zeroed, to compare trees parsed from different texts.
fn erased(expr: &Expr) -> Expr {
    let kind = match &expr.kind {
        ExprKind::Binary { op, left, right } => ExprKind::Binary { op: *op, left: Box::new(erased(left)), right: Box::new(erased(right)) },
        ExprKind::Negate(inner) => ExprKind::Negate(Box::new(erased(inner))),
        ExprKind::Variable(variable) => ExprKind::Variable(VariableRef {
            name: erased_name(&variable.name),
            part: variable.part.clone(),
            part_span: variable.part_span.map(|_| Span::default()),
        }),
        ExprKind::FunctionCall(call) => {
            ExprKind::FunctionCall(FunctionCall { name: erased_name(&call.name), args: call.args.iter().map(erased).collect() })
        }
        ExprKind::Filter { primary, predicates } => {
            ExprKind::Filter { primary: Box::new(erased(primary)), predicates: predicates.iter().map(erased).collect() }
        }
        ExprKind::Path(path) => ExprKind::Path(Path {
            start: match &path.start {
                PathStart::Expr(start) => PathStart::Expr(Box::new(erased(start))),
                other => other.clone(),
            },
            steps: path
                .steps
                .iter()
                .map(|step| Step {
                    axis: step.axis,
                    test: match &step.test {
                        NodeTest::Name(name) => NodeTest::Name(erased_name(name)),
                        NodeTest::AnyInNamespace(name) => NodeTest::AnyInNamespace(erased_name(name)),
                        other => other.clone(),
                    },
                    predicates: step.predicates.iter().map(erased).collect(),
                    span: Span::default(),
                })
                .collect(),
        }),
        other => other.clone(),
    };
    Expr { kind, span: Span::default() }
}

fn erased_name(name: &Name) -> Name {
    Name { span: Span::default(), ..name.clone() }
}

fn round_trips(text: &str) {
    let first = parse_ok(text);
    let printed = first.to_string();
    let second = parse_ok(&printed);
    assert_eq!(erased(&first), erased(&second), "`{text}` printed as `{printed}`");
}

#[test]
fn parses_bpel_expressions() {
    for text in [
        "$Counter < $InitData.inputPart",
        "$InitData.inputPart mod 2 = 0",
        "concat('P0Y0M0DT0H0M', $InitData.inputPart, '.0S')",
        "bpel:doXslTransform(\"echo.xslt\", $InitData.inputPart)",
        "bpel:getVariableProperty(\"InitData\",\"ti:correlationId\")",
        "$InitData.inputPart/ti:test",
        "$FromFirstToThird and $FromSecondToThird",
        ".",
        "//a[@b = 'c']/text()",
        "child::a/descendant::*[position() = last()]",
        "-$a - -2",
        "ns:* | processing-instruction('x')",
        "$a[1][2]/b//c",
        "(/) * 2",
        "/ | $a",
        "$order/items/item[price > 10 and not(@discount)]",
    ] {
        round_trips(text);
    }
}

#[test]
fn splits_variable_and_part() {
    let expr = parse_ok("  $InitData.inputPart/x");
    let ExprKind::Path(Path { start: PathStart::Expr(start), steps }) = &expr.kind else { panic!("a path: {expr:?}") };
    let ExprKind::Variable(variable) = &start.kind else { panic!("a variable") };
    assert_eq!(variable.name.local, "InitData");
    assert_eq!(variable.name.span, Span::new(3, 11));
    assert_eq!(variable.part.as_deref(), Some("inputPart"));
    assert_eq!(variable.part_span, Some(Span::new(12, 21)));
    assert_eq!(start.span, Span::new(2, 21));
    assert_eq!(steps.len(), 1);
    assert_eq!(expr.span, Span::new(2, 23));
}

#[test]
fn resolves_function_prefixes() {
    let expr = parse_ok("bpel:getVariableProperty('v', 'p') + x:f()");
    let calls = expr.function_calls();
    assert!(calls[0].0.name.is(functions::BPEL_NS, "getVariableProperty"));
    assert!(calls[1].0.name.is_unbound());
}

#[test]
fn operators_and_names_by_position() {
    let expr = parse_ok("div div div");
    let ExprKind::Binary { op: BinaryOp::Div, .. } = expr.kind else { panic!("division of two paths") };
    let expr = parse_ok("and and and");
    let ExprKind::Binary { op: BinaryOp::And, .. } = expr.kind else { panic!("a conjunction") };
    assert_eq!(parse_ok("2*3").to_string(), "2 * 3");
    assert_eq!(parse_ok("a * b").to_string(), "child::a * child::b");
}

#[test]
fn precedence() {
    assert_eq!(parse_ok("1 + 2 * 3 = 7 or false()").to_string(), "1 + 2 * 3 = 7 or false()");
    assert_eq!(parse_ok("(1 + 2) * 3").to_string(), "(1 + 2) * 3");
    assert_eq!(parse_ok("1 - (2 - 3)").to_string(), "1 - (2 - 3)");
    assert_eq!(parse_ok("(1 - 2) - 3").to_string(), "1 - 2 - 3");
    assert_eq!(parse_ok("-$a | $b").to_string(), "-$a | $b");
}

#[test]
fn syntax_errors_say_what_was_expected() {
    let cases = [
        ("", "expected an expression, found the end of the expression", (0, 0)),
        ("   ", "expected an expression, found the end of the expression", (3, 3)),
        ("$a +", "expected an expression, found the end of the expression", (4, 4)),
        ("count($a", "expected `,` or `)` to close the argument list, found the end of the expression", (8, 8)),
        ("(1 + 2", "expected `)` to close `(`, found the end of the expression", (6, 6)),
        ("$a[1", "expected `]` to close the predicate, found the end of the expression", (4, 4)),
        ("$a $b", "expected an operator or the end of the expression, found `$b`", (3, 5)),
        ("a b", "expected an operator or the end of the expression, found `b`", (2, 3)),
        ("child::", "expected a node test (a name, `*` or a node type such as text()), found the end of the expression", (7, 7)),
        ("foo::a", "expected an axis name before `::`, found `foo`", (0, 3)),
        ("$a.", "expected a part name after `.` in `$a.`", (3, 3)),
        ("'open", "expected a closing `'` to end the string literal", (0, 5)),
        ("1 ! 2", "expected `!=`; XPath has no `!` operator (use not(...))", (2, 3)),
        ("$a/", "expected a node test (a name, `*` or a node type such as text()), found the end of the expression", (3, 3)),
        ("f(1,)", "expected an expression, found `)`", (4, 5)),
        (")", "expected an expression, found `)`", (0, 1)),
    ];
    for (text, message, (start, end)) in cases {
        let error = error(text);
        assert_eq!((error.message.as_str(), error.span), (message, Span::new(start, end)), "for `{text}`");
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(error(&deep).message.contains("nests more than"));
    let long = vec!["1"; 50_000].join(" + ");
    assert!(error(&long).message.contains("nested too deeply"));
    let minus = format!("{}1", "-".repeat(50_000));
    assert!(error(&minus).message.contains("nested too deeply"));
    let steps = vec!["a"; 10_000].join("/");
    assert!(parse(&steps, &Bound).is_ok());
}

#[test]
fn source_map_points_into_the_source() {
    let source = "<to>$a/b</to><c><![CDATA[$x < 1]]></c><d>$x &lt; 1 &amp;&#x20AC;</d><e>$x<!-- note --> <f/>1</e>";
    let plain = SourceMap::new(source, "$a/b", Span::new(4, 8));
    assert_eq!(plain.span(Span::new(3, 4)), Span::new(7, 8));
    let cdata = SourceMap::new(source, "$x < 1", Span::new(16, 34));
    assert_eq!(cdata.span(Span::new(0, 2)).slice(source), "$x");
    assert_eq!(cdata.span(Span::new(3, 6)).slice(source), "< 1");
    let value = "$x < 1 &\u{20AC}";
    let entities = SourceMap::new(source, value, Span::new(41, 64));
    assert_eq!(entities.span(Span::new(3, 4)).slice(source), "&lt;");
    assert_eq!(entities.span(Span::new(5, 6)).slice(source), "1");
    assert_eq!(entities.span(Span::new(7, value.len())).slice(source), "&amp;&#x20AC;");
    assert!(entities.is_exact());
    let interrupted = SourceMap::new(source, "$x 1", Span::new(71, 92));
    assert_eq!(interrupted.span(Span::new(0, 2)), Span::new(71, 92));
    assert!(!interrupted.is_exact());
}

const TOKENS: &[&str] = &[
    "$a",
    "$b.part",
    "$ns:v",
    "a",
    "ns:b",
    "ns:*",
    "*",
    "/",
    "//",
    ".",
    "..",
    "@",
    "(",
    ")",
    "[",
    "]",
    ",",
    "::",
    "child",
    "text()",
    "node()",
    "f",
    "bpel:doXslTransform",
    "1",
    "2.5",
    ".5",
    "'x'",
    "\"y\"",
    "+",
    "-",
    "=",
    "!=",
    "<",
    ">=",
    "and",
    "or",
    "div",
    "mod",
    "|",
    "count",
    "processing-instruction",
    "'pi'",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(TOKENS), prop::bool::ANY), 1..24)
        .prop_map(|tokens| tokens.into_iter().map(|(t, space)| if space { format!("{t} ") } else { t.to_string() }).collect())
}

/// Texts built from the grammar, so that most of them parse.
fn grammar_text() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(
        &[
            "$a",
            "$b.part",
            "$ns:v",
            "1",
            "2.5",
            ".5",
            "'x'",
            "\"y\"",
            "a",
            "ns:b",
            "ns:*",
            "*",
            ".",
            "..",
            "@id",
            "text()",
            "node()",
            "/",
            "//a",
            "child::a",
            "ancestor-or-self::node()",
            "processing-instruction('pi')",
            "last()",
            "and",
            "div",
        ][..],
    )
    .prop_map(str::to_string);
    leaf.prop_recursive(6, 64, 4, |inner| {
        let op = prop::sample::select(&["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod", "|"][..]);
        prop_oneof![
            (inner.clone(), op, inner.clone()).prop_map(|(l, op, r)| format!("{l} {op} {r}")),
            inner.clone().prop_map(|e| format!("-{e}")),
            inner.clone().prop_map(|e| format!("({e})")),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|args| format!("f({})", args.join(", "))),
            (inner.clone(), inner.clone()).prop_map(|(e, p)| format!("$v[{p}]/{e}")),
            (inner.clone(), inner.clone()).prop_map(|(e, p)| format!("({e})[{p}]//c")),
            (inner.clone(), inner).prop_map(|(s, p)| format!("a/{s}[{p}]")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_on_any_text(text in "\\PC{0,80}") {
        let _ = parse(&text, &Bound);
    }

    #[test]
    fn printing_and_reparsing_gives_the_same_tree(text in token_soup()) {
        if let Ok(first) = parse(&text, &Bound) {
            let printed = first.to_string();
            let second = parse(&printed, &Bound);
            prop_assert!(second.is_ok(), "`{}` printed as `{}` does not parse: {:?}", text, printed, second);
            prop_assert_eq!(erased(&first), erased(&second.unwrap()), "`{}` printed as `{}`", text, printed);
        }
    }

    #[test]
    fn printing_and_reparsing_grammar_texts_gives_the_same_tree(text in grammar_text()) {
        if let Ok(first) = parse(&text, &Bound) {
            let printed = first.to_string();
            let second = parse(&printed, &Bound);
            prop_assert!(second.is_ok(), "`{}` printed as `{}` does not parse: {:?}", text, printed, second);
            prop_assert_eq!(erased(&first), erased(&second.unwrap()), "`{}` printed as `{}`", text, printed);
        }
    }

    #[test]
    fn error_spans_lie_inside_the_text(text in token_soup()) {
        if let Err(error) = parse(&text, &Bound) {
            prop_assert!(error.span.end as usize <= text.len() && error.span.start <= error.span.end);
            prop_assert!(error.message.starts_with("expected") || error.message.starts_with("unexpected") || error.message.starts_with("the expression"));
        }
    }
}

fn parse2(text: &str) -> Expr {
    match parse_in(text, &Bound, Language::XPath2) {
        Ok(expr) => expr,
        Err(error) => panic!("`{text}` does not parse as XPath 2.0: {} at {:?}", error.message, error.span),
    }
}

#[test]
fn parses_xpath2_forms() {
    // the forms processes written for Apache ODE use
    for text in [
        "if ($order.amount gt 1000) then 'large' else 'small'",
        "for $i in $order.items/ns:item return $i/ns:price * 2",
        "some $i in $order.items/ns:item satisfies $i/@sku eq 'x'",
        "every $i in (1, 2, 3) satisfies $i le 3",
        "sum(for $i in 1 to 10 return $i * $i)",
        "$a idiv 2 + $a mod 2",
        "$a/ns:item[1] is $a/ns:item[last()]",
        "$a/ns:x << $a/ns:y",
        "$a/ns:item except $a/ns:item[1] union $a/ns:x intersect $a/ns:*",
        "$a instance of xs:integer+",
        "'12' cast as xs:integer?",
        "'12' castable as xs:int",
        "$a treat as element(ns:order)",
        "$a/element(ns:order)/attribute()",
        "$a/ns:item/string()",
        "$a/(ns:x | ns:y)",
        "string-join($a/ns:item/@id, ', ')",
        "current-dateTime() + xs:dayTimeDuration('PT1H')",
        "upper-case('it''s')",
        "1.5e3 (: a comment (: nested :) :) + ()",
        "matches($a, '^[a-z]+$')",
        "-+-1",
    ] {
        parse2(text);
    }
    let ExprKind::If { condition, .. } = parse2("if ($x) then 1 else 2").kind else { panic!("an if") };
    assert!(matches!(condition.kind, ExprKind::Variable(_)));
    assert_eq!(parse2("upper-case('it''s')").function_calls()[0].0.args[0].as_literal(), Some("it's"));
    assert!(matches!(parse2("(1, 2)").kind, ExprKind::Sequence(ref items) if items.len() == 2));
    assert!(matches!(parse2("()").kind, ExprKind::Sequence(ref items) if items.is_empty()));
    assert!(matches!(parse2("1 to 3").kind, ExprKind::Binary { op: BinaryOp::Range, .. }));
    assert!(matches!(parse2("$a eq 1 and $b").kind, ExprKind::Binary { op: BinaryOp::And, .. }));
    assert!(matches!(parse2("xs:int('1')").function_calls()[0].0.name.namespace.as_deref(), Some("http://www.w3.org/2001/XMLSchema")));
    // in XPath 1.0 these words are names, and `xs` is not predeclared
    assert!(parse("if ($x) then 1 else 2", &Bound).is_err());
    assert!(parse("1 to 3", &Bound).is_err());
    assert_eq!(parse("xs:int('1')", &Bound).unwrap().function_calls()[0].0.name.namespace, None);
}

#[test]
fn range_variables_are_not_bpel_variables() {
    let expr = parse2("for $i in $order.items/ns:item, $j in $i/ns:x return ($i, $j, $other)");
    let names: Vec<String> = expr.variables().iter().map(|v| v.name.local.clone()).collect();
    assert_eq!(names, ["order", "other"], "`$i` and `$j` are bound by the for, `$order` and `$other` are the process's");
    // outside the for, the same name is the process's variable again
    let expr = parse2("(for $i in 1 to 2 return $i), $i");
    assert_eq!(expr.variables().len(), 1);
    assert!(matches!(&expr.variables()[0].name.local[..], "i"));
}

#[test]
fn xpath2_syntax_errors_say_what_was_expected() {
    let error = |text: &str| parse_in(text, &Bound, Language::XPath2).expect_err("a syntax error").message;
    assert_eq!(error("if ($a) then 1"), "expected `else` (XPath 2.0 `if` always has one), found the end of the expression");
    assert_eq!(error("for $i in (1, 2) $i"), "expected `,` or `return`, found `$i`");
    assert_eq!(error("some $i in $a"), "expected `,` or `satisfies`, found the end of the expression");
    assert_eq!(error("1 (: open"), "expected `:)` to end the comment");
    assert_eq!(error("$a instance xs:int"), "expected `of`, found `xs:int`");
}

const TOKENS2: &[&str] = &[
    "if",
    "then",
    "else",
    "for",
    "some",
    "every",
    "in",
    "return",
    "satisfies",
    "$i",
    "$a.b",
    "(",
    ")",
    ",",
    "to",
    "eq",
    "lt",
    "idiv",
    "instance",
    "of",
    "cast",
    "as",
    "xs:int",
    "?",
    "+",
    "*",
    "element(",
    "ns:x",
    "/",
    "[",
    "]",
    "'it''s'",
    "(:",
    ":)",
    "<<",
    "1e3",
    "union",
    "except",
    "treat",
    "castable",
    "item()",
];

fn token_soup2() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(TOKENS2), prop::bool::ANY), 1..24)
        .prop_map(|tokens| tokens.into_iter().map(|(t, space)| if space { format!("{t} ") } else { t.to_string() }).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn xpath2_never_panics_on_any_text(text in "\\PC{0,80}") {
        let _ = parse_in(&text, &Bound, Language::XPath2);
    }

    #[test]
    fn xpath2_error_spans_lie_inside_the_text(text in token_soup2()) {
        match parse_in(&text, &Bound, Language::XPath2) {
            Err(error) => prop_assert!(error.span.end as usize <= text.len() && error.span.start <= error.span.end),
            // whatever parses prints as text that parses again
            Ok(expr) => prop_assert!(parse_in(&expr.to_string(), &Bound, Language::XPath2).is_ok(), "`{}` printed as `{}`", text, expr),
        }
    }
}

#[test]
fn literals_print_back_as_the_same_literal() {
    for (text, language) in [
        (r#"'say "hi"'"#, Language::XPath1),
        (r#""it's""#, Language::XPath1),
        (r#"'say "hi"'"#, Language::XPath2),
        (r#"'it''s "x"'"#, Language::XPath2),
    ] {
        let expr = parse_in(text, &Bound, language).unwrap();
        let printed = expr.to_string();
        assert_eq!(parse_in(&printed, &Bound, language).unwrap().as_literal(), expr.as_literal(), "`{text}` printed as `{printed}`");
    }
}
