//! Benchmark for issue 15 (XPath 2.0): what one evaluation costs in sxd-xpath 0.4 (the engine's XPath
//! 1.0) and in xee-xpath 0.1.5 (XPath 3.1), the way the engine evaluates: the expression compiled
//! once, each evaluation over a variable value built fresh (the engine rebuilds its bound values
//! per evaluation), the result read back as a Rust value. Same process, alternating rounds.

use std::time::Instant;

use xee_xpath::context::{StaticContextBuilder, Variables};
use xee_xpath::{Documents, Item, Queries, Query, Sequence};

const NS: &str = "http://example.com/bpel/examples/echo";
const ROUNDS: usize = 5;
const N: usize = 20_000;

/// (name, expression, items in the variable value)
const CASES: &[(&str, &str, usize)] = &[
    ("echo concat", "concat(string($in), '!')", 0),
    ("count with predicate", "count($in/item[price > 10])", 20),
    ("sum of a path", "sum($in/item/price)", 20),
];

fn sxd_round(expression: &str, items: usize) -> (f64, String) {
    use sxd_document::Package;
    use sxd_xpath::{Context, Factory, Value};
    let factory = Factory::new();
    let xpath = factory.build(expression).expect("compiles").expect("not empty");
    let started = Instant::now();
    let mut last = String::new();
    for i in 0..N {
        let package = Package::new();
        let document = package.as_document();
        let root = document.create_element((NS, "order"));
        document.root().append_child(root);
        if items == 0 {
            root.append_child(document.create_text(&format!("hello {i}")));
        }
        for k in 0..items {
            let item = document.create_element("item");
            let price = document.create_element("price");
            price.append_child(document.create_text(&format!("{}", k * 3 + i % 5)));
            item.append_child(price);
            root.append_child(item);
        }
        let mut context = Context::new();
        let mut nodes = sxd_xpath::nodeset::Nodeset::new();
        nodes.add(root);
        context.set_variable("in", Value::Nodeset(nodes));
        let value = xpath.evaluate(&context, document.root()).expect("evaluates");
        last = value.string();
    }
    (started.elapsed().as_secs_f64() * 1e9 / N as f64, last)
}

fn xee_round(expression: &str, items: usize) -> (f64, String) {
    let name = xot::xmlname::OwnedName::new("in".into(), String::new(), String::new());
    let mut builder = StaticContextBuilder::default();
    builder.variable_names([name.clone()]);
    let queries = Queries::new(builder);
    let query = queries
        .one(expression, |documents: &mut Documents, item: &Item| Ok(item.string_value(documents.xot())?))
        .expect("compiles");
    let mut documents = Documents::new();
    let started = Instant::now();
    let mut last = String::new();
    for i in 0..N {
        let xot = documents.xot_mut();
        let ns = xot.add_namespace(NS);
        let order_name = xot.add_name_ns("order", ns);
        let item_name = xot.add_name("item");
        let price_name = xot.add_name("price");
        let root = xot.new_element(order_name);
        if items == 0 {
            let text = xot.new_text(&format!("hello {i}"));
            xot.append(root, text).expect("append");
        }
        for k in 0..items {
            let item = xot.new_element(item_name);
            let price = xot.new_element(price_name);
            let text = xot.new_text(&format!("{}", k * 3 + i % 5));
            xot.append(price, text).expect("append");
            xot.append(item, price).expect("append");
            xot.append(root, item).expect("append");
        }
        let document = xot.new_document_with_element(root).expect("document");
        let mut variables = Variables::default();
        variables.insert(name.clone(), Sequence::from(root));
        last = query
            .execute_build_context(&mut documents, |context| {
                context.variables(variables);
            })
            .expect("evaluates");
        documents.xot_mut().remove(document).expect("remove");
    }
    (started.elapsed().as_secs_f64() * 1e9 / N as f64, last)
}

fn main() {
    println!("{N} evaluations per round, {ROUNDS} rounds, alternating; median ns per evaluation");
    println!("| expression | sxd-xpath 0.4 | xee-xpath 0.1.5 | xee / sxd | result (sxd, xee) |");
    println!("|---|---:|---:|---:|---|");
    for (label, expression, items) in CASES {
        let (mut sxd, mut xee) = (Vec::new(), Vec::new());
        let (mut sxd_result, mut xee_result) = (String::new(), String::new());
        for _ in 0..ROUNDS {
            let (ns, r) = sxd_round(expression, *items);
            sxd.push(ns);
            sxd_result = r;
            let (ns, r) = xee_round(expression, *items);
            xee.push(ns);
            xee_result = r;
        }
        sxd.sort_by(f64::total_cmp);
        xee.sort_by(f64::total_cmp);
        let (s, x) = (sxd[ROUNDS / 2], xee[ROUNDS / 2]);
        println!("| {label}: `{expression}` | {s:.0} | {x:.0} | {:.2} | {sxd_result}, {xee_result} |", x / s);
    }
}
