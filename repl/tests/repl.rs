//! `bpel repl` as a user runs it: the real binary on the examples, sessions as scripts (`--script
//! FILE`, or commands on stdin), checking what it prints and how it exits.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::{temp_dir, workspace};

const SHOP: &str = "http://example.com/bpel/examples/shop";
const ORDER: &str = "http://example.com/bpel/examples/order";
const APPROVER: &str = "http://example.com/bpel/examples/approver";

struct Session {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Session {
    fn out(&self) -> String {
        format!("exit {:?}\nstdout:\n{}\nstderr:\n{}", self.code, self.stdout, self.stderr)
    }

    /// What the session printed after the command line `command` was echoed.
    fn after(&self, command: &str) -> &str {
        let echo = format!("bpel> {command}");
        let at = self.stdout.find(&echo).unwrap_or_else(|| panic!("`{command}` was not run:\n{}", self.out()));
        &self.stdout[at + echo.len()..]
    }

    /// What the command line `command` (the whole line) printed the first time, up to the next command.
    fn of(&self, command: &str) -> &str {
        let echo = format!("bpel> {command}\n");
        let at = self.stdout.find(&echo).unwrap_or_else(|| panic!("`{command}` was not run:\n{}", self.out()));
        let rest = &self.stdout[at + echo.len() - 1..];
        let end = rest.find("\nbpel> ").map_or(rest.len(), |i| i + 1);
        &rest[..end]
    }
}

fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Session {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bpel"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bpel");
    let mut input = child.stdin.take().unwrap();
    let bytes = stdin.unwrap_or_default().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let output: Output = child.wait_with_output().expect("bpel runs");
    writer.join().unwrap();
    Session {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `bpel repl PATHS --script FILE` in the workspace, the script written to a file first.
fn script(name: &str, paths: &[&str], commands: &str) -> Session {
    let dir = temp_dir(&format!("repl-{name}"));
    let file = dir.join("session.bpelrepl");
    std::fs::write(&file, commands).unwrap();
    let mut args = vec!["repl"];
    args.extend_from_slice(paths);
    args.extend(["--script", file.to_str().unwrap()]);
    run_in(&workspace(), &args, None)
}

fn place_order(id: u32) -> String {
    format!(
        r#"send customer.placeOrder <shop:placeOrder xmlns:shop="{SHOP}"><shop:orderId>{id}</shop:orderId><shop:customer>Ada</shop:customer><shop:amount>99.50</shop:amount></shop:placeOrder>"#
    )
}

fn confirm_payment(id: u32, reference: &str) -> String {
    format!(
        r#"send customer.confirmPayment <shop:confirmPayment xmlns:shop="{SHOP}"><shop:orderId>{id}</shop:orderId><shop:paymentReference>{reference}</shop:paymentReference></shop:confirmPayment>"#
    )
}

fn submit_order(id: &str, amount: u32) -> String {
    format!(
        r#"send client.submitOrder <ord:order xmlns:ord="{ORDER}"><ord:id>{id}</ord:id><ord:customer>Brian</ord:customer><ord:amount>{amount}</ord:amount></ord:order>"#
    )
}

fn approval(by: &str) -> String {
    format!(r#"<apr:approval xmlns:apr="{APPROVER}"><apr:orderId>x</apr:orderId><apr:approvedBy>{by}</apr:approvedBy></apr:approval>"#)
}

#[test]
fn inspection_clock_and_checkpoints_on_the_long_running_example() {
    let ckpt = temp_dir("repl-inspect").join("order-42.ckpt");
    let commands = format!(
        "help\nhelp send\nprocesses\ntemplate customer.placeOrder\ntemplate LongRunningOrder notifier.orderClosed\n\
         send customer.placeOrder <shop:placeOrder xmlns:shop=\"{SHOP}\">\n  <shop:orderId>42</shop:orderId><shop:customer>Ada</shop:customer>\n  <shop:amount>99.50</shop:amount>\n</shop:placeOrder>\n\
         instances\ntasklets\nvars placeOrder\nvars #1\neval $placeOrder.order/shop:amount * 2\neval string($placeOrder.order/shop:customer)\neval in AwaitPayment string($placeOrder.order/shop:orderId)\n\
         receives\ntimers\nclock\nadvance P2D\nuntil 2026-01-03T06:00:00Z\nsave {ckpt}\n{}\nreceives\nadvance PT1H\ntrace\nhistory\nreload\ninstances\nrestore {ckpt}\ninstances\nuse 1\nquit\nclock\n",
        confirm_payment(42, "PAY-7"),
        ckpt = ckpt.display()
    );
    let s = script("inspect", &["examples/long-running"], &commands);
    assert_eq!(s.code, Some(0), "{}", s.out());
    assert!(s.stdout.starts_with("loaded LongRunningOrder from examples/long-running/long-running.bpel"), "{}", s.out());
    let help = s.of("help");
    for command in ["load PATH...", "send [PROCESS] LINK.OP BODY", "mock", "back [N]", "until DATETIME", "restore FILE"] {
        assert!(help.contains(command), "help lists {command}: {help}");
    }
    assert!(s.of("help send").contains("example:\n  send customer.placeOrder <shop:placeOrder"), "{}", s.out());
    let processes = s.of("processes");
    assert!(
        processes.contains(
            "customer.placeOrder: PlaceOrderRequest(order: element placeOrder) -> PlaceOrderResponse(ack: element orderAccepted)"
        ),
        "{processes}"
    );
    assert!(processes.contains("notifier.orderClosed: OrderClosed(notice: element orderClosed) (one-way)"), "{processes}");
    let template = s.of("template customer.placeOrder");
    assert!(template.contains("<tns:placeOrder xmlns:tns=\"http://example.com/bpel/examples/shop\">\n  <tns:orderId>"), "{template}");
    assert!(s.of("template LongRunningOrder notifier.orderClosed").contains(":orderClosed"), "{}", s.out());

    // the body went on over four lines
    let sent = s.after("send customer.placeOrder <shop:placeOrder");
    assert!(sent.contains("customer.placeOrder started #1, a new instance of LongRunningOrder"), "{sent}");
    assert!(sent.contains("← #1 replies to customer.placeOrder: <orderAccepted"), "{sent}");
    assert!(sent.contains("<shop:status>awaiting payment</shop:status>"), "{sent}");
    assert!(sent.contains("#1 LongRunningOrder: waiting: message on customer.confirmPayment (orderId=42); timer at 2026-01-04T00:00:00Z"));
    assert!(s.of("instances").starts_with("\n*#1 LongRunningOrder: waiting"), "{}", s.out());
    let tasklets = s.of("tasklets");
    assert!(
        tasklets.contains("waiting for message on customer.confirmPayment (orderId=42) or timer at 2026-01-04T00:00:00Z"),
        "{tasklets}"
    );
    assert!(tasklets.contains("<pick name=\"AwaitPayment\"> (line 86)"), "{tasklets}");
    let order = s.of("vars placeOrder");
    assert!(order.contains("process.placeOrder:\n  order:\n    <shop:placeOrder"), "{order}");
    assert!(order.contains("\n      <shop:orderId>42</shop:orderId>\n"), "indented XML: {order}");
    assert!(s.of("vars #1").contains("process.payment: not initialized"), "{}", s.out());
    assert_eq!(s.of("eval $placeOrder.order/shop:amount * 2").trim(), "199");
    assert_eq!(s.of("eval string($placeOrder.order/shop:customer)").trim(), "\"Ada\"");
    assert_eq!(s.of("eval in AwaitPayment string($placeOrder.order/shop:orderId)").trim(), "\"42\"");
    assert!(s.of("receives").contains("message on customer.confirmPayment (orderId=42), in <pick name=\"AwaitPayment\">"), "{}", s.out());
    assert!(s.of("timers").contains("2026-01-04T00:00:00Z  #1 LongRunningOrder (in 3d)"), "{}", s.out());
    assert_eq!(s.of("clock").trim(), "2026-01-01T00:00:00Z\nnext timer: 2026-01-04T00:00:00Z");
    assert_eq!(s.of("advance P2D").trim(), "clock: 2026-01-03T00:00:00Z");
    assert_eq!(s.of("until 2026-01-03T06:00:00Z").trim(), "clock: 2026-01-03T06:00:00Z");
    assert!(s.of(&format!("save {}", ckpt.display())).contains("saved #1 to"), "{}", s.out());
    assert!(std::fs::read(&ckpt).unwrap().starts_with(b"BPELCKPT"));
    let paid = s.after("send customer.confirmPayment");
    assert!(paid.contains("customer.confirmPayment reached #1 of LongRunningOrder (by correlation)"), "{paid}");
    assert!(paid.contains("#1 LongRunningOrder: waiting: timer at 2026-01-03T07:00:00Z"), "{paid}");
    assert!(paid.contains("bpel> receives\n#1 has no open receive"), "{}", s.out());
    let settled = s.of("advance PT1H");
    assert!(settled.contains("→ notifier.orderClosed (one-way) from #1: <orderClosed"), "{settled}");
    assert!(settled.contains("<ntf:outcome>paid</ntf:outcome><ntf:detail>payment PAY-7</ntf:detail>"), "{settled}");
    assert!(settled.contains("#1 LongRunningOrder: completed"), "{settled}");
    let trace = s.of("trace");
    assert!(trace.contains("2026-01-01T00:00:00Z  <receive name=\"ReceiveOrder\"> (line 41)"), "{trace}");
    assert!(trace.contains("2026-01-03T07:00:00Z  <invoke name=\"NotifyOrderClosed\"> (line 124)"), "{trace}");
    let history = s.of("history");
    assert!(history.contains(" 1. 2026-01-01T00:00:00Z  send customer.placeOrder"), "{history}");
    assert!(history.contains("advance PT1H  (0 back)"), "{history}");
    assert!(s.of("reload").contains("#1 carried over"), "{}", s.out());
    let restored = s.of(&format!("restore {}", ckpt.display()));
    assert!(restored.contains("restored #2, an instance of LongRunningOrder (its time: 2026-01-03T06:00:00Z)"), "{restored}");
    assert!(restored.contains("#2 LongRunningOrder: waiting: message on customer.confirmPayment (orderId=42)"), "{restored}");
    assert!(s.of("use 1").contains("current instance: #1 LongRunningOrder: completed"), "{}", s.out());
    assert!(s.stdout.ends_with("bpel> quit\n"), "nothing runs after quit: {}", s.out());
}

/// The issue's acceptance: saved after two days, restored in a fresh process, the order is paid
/// and closed exactly as in a session that never stopped.
#[test]
fn a_checkpoint_restored_in_a_fresh_repl_goes_on_as_an_uninterrupted_session() {
    let ckpt = temp_dir("repl-acceptance").join("order-42.ckpt");
    let first =
        script("acceptance-1", &["examples/long-running"], &format!("{}\nadvance P2D\nsave {}\nquit\n", place_order(42), ckpt.display()));
    assert_eq!(first.code, Some(0), "{}", first.out());
    let second_half = format!("{}\nadvance PT1H\ninstances\n", confirm_payment(42, "PAY-7"));
    let second = script("acceptance-2", &["examples/long-running"], &format!("restore {}\n{second_half}", ckpt.display()));
    assert_eq!(second.code, Some(0), "{}", second.out());
    let whole = script("acceptance-3", &["examples/long-running"], &format!("{}\nadvance P2D\n{second_half}", place_order(42)));
    assert_eq!(whole.code, Some(0), "{}", whole.out());

    assert!(second.of(&format!("restore {}", ckpt.display())).contains("restored #1, an instance of LongRunningOrder"), "{}", second.out());
    let resumed = second.after("send customer.confirmPayment");
    assert!(resumed.contains("→ notifier.orderClosed (one-way) from #1: <orderClosed"), "{}", second.out());
    assert!(resumed.contains("<ntf:orderId>42</ntf:orderId><ntf:outcome>paid</ntf:outcome>"), "{}", second.out());
    assert!(resumed.contains("#1 LongRunningOrder: completed"), "{}", second.out());
    assert_eq!(resumed, whole.after("send customer.confirmPayment"), "the same as without the interruption");
}

#[test]
fn back_rewinds_past_a_receive_and_a_different_message_changes_the_result() {
    let commands = format!(
        "{}\nadvance P2D\n{}\nadvance PT1H\nvars closing\nback 2\nhistory\nreceives\n{}\nadvance PT1H\nvars closing\nback 2\nadvance P1D\nvars closing\nback 9\n",
        place_order(42),
        confirm_payment(42, "PAY-7"),
        confirm_payment(42, "PAY-9")
    );
    let s = script("back", &["examples/long-running"], &commands);
    assert_eq!(s.code, Some(1), "the last `back` goes too far: {}", s.out());
    assert!(s.stderr.contains("line 15: error: the current instance has 2 step(s) to go back to, not 9"), "{}", s.out());
    let closings: Vec<&str> = s.stdout.match_indices("bpel> vars closing").map(|(i, _)| &s.stdout[i..]).collect();
    assert_eq!(closings.len(), 3, "{}", s.out());
    let detail = |text: &str| text.split("<ntf:detail>").nth(1).and_then(|d| d.split('<').next()).unwrap_or_default().to_string();
    assert_eq!(detail(closings[0]), "payment PAY-7");
    assert_eq!(detail(closings[1]), "payment PAY-9", "{}", s.out());
    assert_eq!(detail(closings[2]), "no payment within 3 days", "{}", s.out());
    let back = s.of("back 2");
    assert!(back.contains("back at step 2: advance P2D (clock 2026-01-03T00:00:00Z)"), "{back}");
    assert!(back.contains("#1 LongRunningOrder: waiting: message on customer.confirmPayment (orderId=42)"), "{back}");
    assert!(s.of("receives").contains("customer.confirmPayment (orderId=42)"), "open again after the rewind: {}", s.out());
    assert_eq!(s.of("history").lines().filter(|l| !l.trim().is_empty()).count(), 2, "{}", s.out());
}

#[test]
fn partner_calls_wait_for_reply_and_fault_or_are_mocked() {
    let order_file = temp_dir("repl-order-file").join("order.xml");
    std::fs::write(
        &order_file,
        format!("<ord:order xmlns:ord=\"{ORDER}\">\n  <ord:id>F-6</ord:id><ord:customer>Fay</ord:customer><ord:amount>6000</ord:amount>\n</ord:order>\n"),
    )
    .unwrap();
    let commands = [
        submit_order("B-2", 5000),
        "instances".into(),
        format!("reply #1 approver.approve {}", approval("Carol")),
        submit_order("C-3", 9999),
        format!("fault approver.approve apr:rejected <apr:rejection xmlns:apr=\"{APPROVER}\"><apr:orderId>C-3</apr:orderId><apr:reason>over budget</apr:reason></apr:rejection>"),
        format!("mock approver.approve reply {}", approval("Dave")),
        "mock approver.approve delay PT2H".into(),
        "mock".into(),
        submit_order("D-4", 7000),
        "timers".into(),
        "advance PT2H".into(),
        "mock approver.approve off".into(),
        submit_order("E-5", 8000),
        "terminate".into(),
        "instances".into(),
        format!("mock approver.approve fault apr:rejected <apr:rejection xmlns:apr=\"{APPROVER}\"><apr:orderId>F-6</apr:orderId><apr:reason>too much</apr:reason></apr:rejection>"),
        format!("send client.submitOrder @{}", order_file.display()),
        "reply #1 approver.approve <x/>".into(),
    ]
    .join("\n");
    let s = script("partners", &["examples/order-approval"], &commands);
    assert_eq!(s.code, Some(1), "the last reply has no call to answer: {}", s.out());
    assert!(s.stderr.contains("line 18: error: instance #1 has no call of `approver.approve` waiting for an answer"), "{}", s.out());
    let from_file = s.after("send client.submitOrder @");
    assert!(from_file.contains("client.submitOrder started #5"), "{from_file}");
    assert!(
        from_file.contains("← approver.approve answers #5 (mock) with the fault {http://example.com/bpel/examples/approver}rejected"),
        "{from_file}"
    );
    assert!(from_file.contains("<ord:status>rejected</ord:status><ord:comment>too much</ord:comment>"), "{from_file}");
    let first = s.after("send client.submitOrder <ord:order xmlns:ord=\"http://example.com/bpel/examples/order\"><ord:id>B-2");
    assert!(first.contains("→ approver.approve from #1: <approvalRequest"), "{first}");
    assert!(first.contains("#1 waits for the answer: `reply #1 approver.approve BODY` or `fault #1 approver.approve QNAME`"), "{first}");
    assert!(s.of("instances").contains("#1 OrderApproval: waiting: reply from approver.approve"), "{}", s.out());
    assert!(s.of("instances").contains("#1 waits for the answer of approver.approve"), "{}", s.out());
    let replied = s.after("reply #1 approver.approve");
    assert!(replied.contains("← #1 replies to client.submitOrder: <"), "{replied}");
    assert!(replied.contains("approved by Carol"), "{replied}");
    let rejected = s.after("fault approver.approve apr:rejected");
    assert!(
        rejected.contains("← approver.approve answers #2 with the fault {http://example.com/bpel/examples/approver}rejected"),
        "{rejected}"
    );
    assert!(rejected.contains("<ord:status>rejected</ord:status><ord:comment>over budget</ord:comment>"), "{rejected}");
    assert!(s.of("mock").contains("approver.approve: answered with <apr:approval"), "{}", s.out());
    assert!(s.of("mock").contains("after PT2H"), "{}", s.out());
    let delayed = s.after("send client.submitOrder <ord:order xmlns:ord=\"http://example.com/bpel/examples/order\"><ord:id>D-4");
    assert!(delayed.contains("answered (mock) after PT2H, at 2026-01-01T02:00:00Z"), "{delayed}");
    assert!(s.of("timers").contains("2026-01-01T02:00:00Z  mocked answer of approver.approve to #3"), "{}", s.out());
    let answered = s.of("advance PT2H");
    assert!(answered.contains("← approver.approve answers #3 (mock): <apr:approval"), "{answered}");
    assert!(answered.contains("approved by Dave"), "{answered}");
    assert!(s.of("mock approver.approve off").contains("calls of approver.approve wait for `reply` again"), "{}", s.out());
    let terminated = s.of("terminate");
    assert!(terminated.contains("terminated #4"), "{terminated}");
    assert!(terminated.contains("← #4 replies to client.submitOrder with the fault"), "{terminated}");
    assert!(terminated.contains("#4 OrderApproval: terminated"), "{terminated}");
    assert!(!s.of("instances").contains("#4 waits for the answer"), "{}", s.out());
}

#[test]
fn breakpoints_stop_before_an_activity_and_step_goes_one_step_at_a_time() {
    let commands = format!(
        "break NotifyOrderClosed\nbreak 82\nbreaks\n{}\ninstances\nstep\nstep\ncontinue\ndelete 2\nbreaks\n{}\nadvance PT1H\ntasklets\ncontinue\ncontinue\nrun\ndelete 5\n",
        place_order(42),
        confirm_payment(42, "PAY-7")
    );
    let s = script("breaks", &["examples/long-running"], &commands);
    assert_eq!(s.code, Some(1), "{}", s.out());
    assert!(s.stderr.contains("line 17: error: no breakpoint 5: `breaks` lists them"), "{}", s.out());
    assert!(s
        .of("break NotifyOrderClosed")
        .contains("breakpoint 1: before <invoke name=\"NotifyOrderClosed\"> (line 124) in LongRunningOrder"));
    assert!(s.of("break 82").contains("breakpoint 2: before <reply name=\"AcknowledgeOrder\"> (line 82)"), "{}", s.out());
    let sent = s.after("send customer.placeOrder");
    assert!(sent.contains("#1 stopped at a breakpoint, before <reply name=\"AcknowledgeOrder\"> (line 82): `step`, `continue`"), "{sent}");
    assert!(!s.of(&place_order(42)).contains("replies"), "no reply before the breakpoint: {}", s.out());
    assert!(s.of("instances").contains("(stopped at a breakpoint)"), "{}", s.out());
    let stepped = s.of("step");
    assert!(stepped.contains("completed <reply name=\"AcknowledgeOrder\"> (line 82)"), "{}", s.out());
    assert!(stepped.contains("← #1 replies to customer.placeOrder"), "{}", s.out());
    assert!(stepped.contains("next: <pick name=\"AwaitPayment\"> (line 86)"), "a step ends before the next activity: {}", s.out());
    assert!(s.of("continue").contains("no instance is stopped at a breakpoint") || s.of("continue").contains("waiting"), "{}", s.out());
    assert!(s.of("delete 2").contains("deleted breakpoint 2 (82)"), "{}", s.out());
    let settled = s.of("advance PT1H");
    assert!(settled.contains("#1 stopped at a breakpoint, before <invoke name=\"NotifyOrderClosed\">"), "{settled}");
    assert!(!settled.contains("→ notifier.orderClosed"), "{settled}");
    assert!(s.of("tasklets").contains("runnable"), "{}", s.out());
    let resumed = s.after("advance PT1H");
    assert!(resumed.contains("→ notifier.orderClosed (one-way) from #1"), "{resumed}");
    assert!(resumed.contains("#1 LongRunningOrder: completed"), "{resumed}");
}

#[test]
fn unknown_commands_and_malformed_xml_exit_1_with_the_line_number() {
    let unknown = script("unknown", &["examples/echo"], "help\n\nfrobnicate now\nhelp\n");
    assert_eq!(unknown.code, Some(1), "{}", unknown.out());
    assert!(unknown.stderr.contains("line 3: error: unknown command `frobnicate`: `help` lists the commands"), "{}", unknown.out());
    assert_eq!(unknown.stdout.matches("bpel> help").count(), 1, "it stops at the failing line: {}", unknown.out());

    let malformed =
        script("malformed", &["examples/echo"], "processes\nsend client.echo <e:echoRequest xmlns:e='urn:x'><a></b></e:echoRequest>\n");
    assert_eq!(malformed.code, Some(1), "{}", malformed.out());
    assert!(malformed.stderr.contains("line 2: error: the body is not well-formed XML"), "{}", malformed.out());

    let unclosed = script("unclosed", &["examples/echo"], "send client.echo <e:echoRequest xmlns:e='urn:x'>\n  <a>1</a>\n\nhelp\n");
    assert_eq!(unclosed.code, Some(1), "{}", unclosed.out());
    assert!(unclosed.stderr.contains("line 1: error: the XML body that started on line 1 never closes"), "{}", unclosed.out());

    let nothing = script("nothing-loaded", &[], "instances\nsend client.echo <a/>\n");
    assert_eq!(nothing.code, Some(1), "{}", nothing.out());
    assert!(nothing.stderr.contains("line 2: error: no process loaded: `load examples/echo`"), "{}", nothing.out());

    // on stdin (not a terminal) the same, and --keep-going runs every line
    let piped = run_in(&workspace(), &["repl", "examples/echo"], Some(b"frobnicate\nhelp\n"));
    assert_eq!(piped.code, Some(1), "{}", piped.out());
    assert!(piped.stderr.contains("line 1: error: unknown command"), "{}", piped.out());
    let dir = temp_dir("repl-keep-going");
    std::fs::write(dir.join("s"), "frobnicate\nclock\n").unwrap();
    let kept = run_in(&workspace(), &["repl", "examples/echo", "--keep-going", "--script", dir.join("s").to_str().unwrap()], None);
    assert_eq!(kept.code, Some(1), "{}", kept.out());
    assert!(kept.stdout.contains("bpel> clock\n2026-01-01T00:00:00Z"), "{}", kept.out());
}

#[test]
fn a_fault_nobody_catches_and_a_refused_checkpoint_fail_the_script() {
    let dir = temp_dir("repl-checkpoint-files");
    let foreign = dir.join("foreign.ckpt");
    let echo = script(
        "refused-save",
        &["examples/echo"],
        &format!("send client.echo <e:echo xmlns:e=\"http://example.com/bpel/examples/echo\">hi</e:echo>\nsave {}\n", foreign.display()),
    );
    assert_eq!(echo.code, Some(0), "{}", echo.out());
    assert!(echo.stdout.contains("← #1 replies to client.echo: <"), "{}", echo.out());
    let refused = script("refused", &["examples/long-running"], &format!("restore {}\n", foreign.display()));
    assert_eq!(refused.code, Some(1), "{}", refused.out());
    assert!(refused.stderr.contains("line 1: error: the checkpoint belongs to none of the loaded processes"), "{}", refused.out());
    std::fs::write(dir.join("garbage.ckpt"), b"BPELCKPT and then nonsense").unwrap();
    let corrupt = script("corrupt", &["examples/long-running"], &format!("restore {}\n", dir.join("garbage.ckpt").display()));
    assert_eq!(corrupt.code, Some(1), "{}", corrupt.out());
    assert!(corrupt.stderr.contains("line 1: error: the checkpoint is refused: checkpoint format version"), "{}", corrupt.out());

    // a process whose fault nobody catches
    let dir = temp_dir("repl-uncaught");
    for entry in std::fs::read_dir(workspace().join("examples/echo")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    let process = dir.join("echo.bpel");
    let text = std::fs::read_to_string(&process).unwrap();
    let reply = text.find("<reply").unwrap();
    std::fs::write(&process, format!("{}<throw faultName=\"echo:boom\"/>\n        {}", &text[..reply], &text[reply..])).unwrap();
    let faulted = run_in(
        &dir,
        &["repl", "."],
        Some(b"send client.echo <e:echo xmlns:e=\"http://example.com/bpel/examples/echo\">hi</e:echo>\nclock\n"),
    );
    assert_eq!(faulted.code, Some(1), "{}", faulted.out());
    assert!(faulted.stdout.contains("#1 Echo: faulted"), "{}", faulted.out());
    assert!(faulted.stderr.contains("line 1: error: instance #1 ended with a fault nobody caught"), "{}", faulted.out());
}

#[test]
fn load_shows_each_diagnostic_once_and_keeps_the_processes_without_errors() {
    let dir = temp_dir("repl-load");
    let broken = dir.join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    for entry in std::fs::read_dir(workspace().join("examples/echo")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), broken.join(entry.file_name())).unwrap();
    }
    let process = broken.join("echo.bpel");
    let text = std::fs::read_to_string(&process).unwrap().replacen("variable=\"response\"/>", "variable=\"undeclaredVar\"/>", 1);
    std::fs::write(&process, text).unwrap();
    let calculator = workspace().join("examples/calculator");
    let s = run_in(&dir, &["repl"], Some(format!("load broken {}\nprocesses\nload broken\n", calculator.display()).as_bytes()));
    assert_eq!(s.code, Some(0), "{}", s.out());
    let load = s.of(&format!("load broken {}", calculator.display()));
    assert_eq!(load.matches("variable `undeclaredVar` is not declared").count(), 1, "each diagnostic once: {load}");
    assert_eq!(load.matches("BPEL0100").count(), 1, "{load}");
    assert!(load.contains("broken/echo.bpel:"), "{load}");
    assert!(load.contains("undeclaredVar\"/>"), "the source frame: {load}");
    assert!(load.contains("broken/echo.bpel: not deployed, it has 1 error(s); the other processes are kept"), "{load}");
    assert!(load.contains("loaded Calculator from"), "{load}");
    assert!(s.of("processes").starts_with("\nCalculator"), "{}", s.out());
}

/// Random lines and random bytes as commands: each is answered (a result or an error), nothing
/// crashes, and `help` still works after them.
#[test]
fn random_input_is_answered_and_help_still_works() {
    let mut state: u64 = 0x5eed_1234_abcd_ef01;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let words = [
        "send",
        "reply",
        "fault",
        "mock",
        "eval",
        "vars",
        "back",
        "advance",
        "until",
        "break",
        "delete",
        "save",
        "restore",
        "load",
        "use",
        "step",
        "template",
        "tasklets",
        "trace",
        "#1",
        "0",
        "-3",
        "99999999999999999999999",
        "customer.placeOrder",
        "notifier.orderClosed",
        ".",
        "a.b.c",
        "<",
        "<a>",
        "</a>",
        "<a/>",
        "@",
        "@/nonexistent",
        "P2D",
        "PT-1H",
        "P99999999999Y",
        "$x",
        "'",
        "\"",
        "é",
        "\u{0}",
        "reply",
        "delay",
        "forward",
        "http://127.0.0.1:1/",
        "off",
        "[",
        "](",
        "//",
        "#",
    ];
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for _ in 0..150 {
        let count = next() % 6;
        let line: Vec<&str> = (0..=count).map(|_| words[(next() % words.len() as u64) as usize]).collect();
        lines.push(line.join(" ").into_bytes());
    }
    for _ in 0..50 {
        let len = next() % 40;
        lines.push((0..len).map(|_| (next() % 256) as u8).filter(|b| *b != b'\n' && *b != b'\r').collect());
    }
    // in a folder of its own: a random `save FILE` writes there
    let dir = temp_dir("repl-random");
    let mut input = format!("load {}\n", workspace().join("examples/long-running").display()).into_bytes();
    input.extend(place_order(42).as_bytes());
    input.push(b'\n');
    for line in &lines {
        input.extend_from_slice(line);
        // an empty line ends a body left open
        input.extend_from_slice(b"\n\n");
    }
    input.extend_from_slice(b"help\n");
    std::fs::write(dir.join("s"), &input).unwrap();
    let s = run_in(&dir, &["repl", "--keep-going", "--script", "s"], None);
    assert!(matches!(s.code, Some(0 | 1)), "no crash: {}", s.out());
    assert!(!s.stderr.contains("panicked"), "{}", s.out());
    let echoed = s.stdout.matches("bpel> ").count();
    let errors = s.stderr.lines().filter(|l| l.starts_with("line ")).count();
    let skipped = lines.iter().filter(|l| String::from_utf8_lossy(l).trim().is_empty()).count();
    assert!(echoed + skipped >= lines.len() + 2, "every line is read as a command: {echoed} echoed, {skipped} blank, of {}", lines.len());
    assert!(errors > 0, "random input gives errors: {}", s.out());
    let help = s.stdout.rfind("bpel> help\n").map(|i| &s.stdout[i + "bpel> help\n".len()..]).unwrap_or_default();
    assert!(help.starts_with("Commands (ID:"), "help still works at the end: {}", s.out());
}

#[test]
fn bpel_repl_help_lists_the_commands() {
    let out = run_in(&workspace(), &["repl", "--help"], None);
    assert_eq!(out.code, Some(0), "{}", out.out());
    for command in ["--script", "load PATH...", "template [PROCESS] LINK.OP", "history", "break ACTIVITY|LINE"] {
        assert!(out.stdout.contains(command), "{command} in {}", out.stdout);
    }
    let top = run_in(&workspace(), &["--help"], None);
    assert!(top.stdout.contains("repl"), "{}", top.out());
    // bare `bpel` with stdin not a terminal: help, exit 2 (a terminal opens the REPL)
    let bare = run_in(&workspace(), &[], None);
    assert_eq!(bare.code, Some(2), "{}", bare.out());
}

#[test]
fn a_reply_without_an_id_goes_to_the_only_call_waiting() {
    let commands =
        [submit_order("B-2", 5000), submit_order("A-1", 250), format!("reply approver.approve {}", approval("Carol"))].join("\n");
    let s = script("reply-without-id", &["examples/order-approval"], &commands);
    assert_eq!(s.code, Some(0), "{}", s.out());
    assert!(s.stdout.contains("client.submitOrder started #2"), "{}", s.out());
    let replied = s.after("reply approver.approve");
    assert!(replied.contains("← approver.approve answers #1: <"), "{}", s.out());
    assert!(replied.contains("approved by Carol"), "{}", s.out());
}
