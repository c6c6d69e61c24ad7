//! `help` and `help COMMAND`: every command with its usage, what it does and an example.

pub struct CommandHelp {
    pub name: &'static str,
    pub usage: &'static str,
    pub summary: &'static str,
    pub example: &'static str,
}

/// Every command, in the order `help` lists them (grouped as the README lists them).
pub const COMMANDS: &[CommandHelp] = &[
    CommandHelp {
        name: "load",
        usage: "load PATH...",
        summary: "Deploy the processes in these files or folders, showing their diagnostics as `bpel check` does; a process with errors is not deployed.",
        example: "load examples/long-running",
    },
    CommandHelp {
        name: "reload",
        usage: "reload",
        summary: "Read every loaded path again; instances carry over when their process still fits their checkpoint.",
        example: "reload",
    },
    CommandHelp {
        name: "processes",
        usage: "processes",
        summary: "Each loaded process with its partner links, operations and message shapes.",
        example: "processes",
    },
    CommandHelp {
        name: "template",
        usage: "template [PROCESS] LINK.OP",
        summary: "A sample input message of an operation, from its WSDL/XSD, ready to edit and send (for a partner's operation: a sample reply).",
        example: "template customer.placeOrder",
    },
    CommandHelp {
        name: "send",
        usage: "send [PROCESS] LINK.OP BODY",
        summary: "Send a message: BODY is XML (it may go on over several lines until the element closes; an empty line gives up) or @FILE. Prints the instance it reached, the reply or fault, the partner calls; then runs until idle.",
        example: "send customer.placeOrder <shop:placeOrder xmlns:shop=\"http://example.com/bpel/examples/shop\"><shop:orderId>42</shop:orderId><shop:customer>Ada</shop:customer><shop:amount>99.50</shop:amount></shop:placeOrder>",
    },
    CommandHelp {
        name: "reply",
        usage: "reply [ID] LINK.OP BODY",
        summary: "Answer a partner call that waits (an unmocked request-response invoke) with a message.",
        example: "reply #1 approver.approve <apr:approval xmlns:apr=\"urn:a\"><apr:ok>true</apr:ok></apr:approval>",
    },
    CommandHelp {
        name: "fault",
        usage: "fault [ID] LINK.OP QNAME [BODY]",
        summary: "Answer a partner call that waits with a fault (QNAME with the process's prefixes, or {namespace}local).",
        example: "fault #1 approver.approve apr:rejected",
    },
    CommandHelp {
        name: "mock",
        usage: "mock [LINK.OP ANSWER]",
        summary: "How partner calls of LINK.OP are answered from now on. ANSWER is `reply BODY`, `fault QNAME [BODY]`, `delay DURATION` (after that much virtual time; with a sample reply unless a reply or fault is mocked too), `forward URL` (over HTTP/SOAP with the engine's client) or `off` (calls wait for `reply` again). `mock` alone lists the mocks.",
        example: "mock notifier.orderClosed delay PT5M",
    },
    CommandHelp {
        name: "instances",
        usage: "instances",
        summary: "Every instance: id, process, status and what it waits for (`*` marks the current one).",
        example: "instances",
    },
    CommandHelp {
        name: "use",
        usage: "use ID",
        summary: "Make an instance the current one (the one commands without an ID act on).",
        example: "use #2",
    },
    CommandHelp {
        name: "tasklets",
        usage: "tasklets [ID]",
        summary: "The tasklet tree: the activity each tasklet is in, with its source line, and what it is blocked on.",
        example: "tasklets",
    },
    CommandHelp {
        name: "vars",
        usage: "vars [ID] [NAME]",
        summary: "Variable values as indented XML (all of them, or one).",
        example: "vars placeOrder",
    },
    CommandHelp {
        name: "eval",
        usage: "eval [#ID] [in ACTIVITY] XPATH",
        summary: "Evaluate an expression (XPath 1.0, or 2.0 when the process declares it) in the instance's process scope ($var.part, the process's prefixes), or where a running activity (its name or line) sees it.",
        example: "eval in AwaitPayment $placeOrder.order/shop:amount * 2",
    },
    CommandHelp {
        name: "trace",
        usage: "trace [ID]",
        summary: "The activities the instance completed, in order, with the virtual time the REPL saw them complete.",
        example: "trace",
    },
    CommandHelp {
        name: "receives",
        usage: "receives [ID]",
        summary: "The open receives and onMessages of the instance, with their correlation values.",
        example: "receives",
    },
    CommandHelp {
        name: "timers",
        usage: "timers",
        summary: "Every timer of every instance, in the order they fire.",
        example: "timers",
    },
    CommandHelp {
        name: "step",
        usage: "step [ID]",
        summary: "Run one tasklet step of the instance, up to the start of the next activity, and print what ran and what comes next.",
        example: "step",
    },
    CommandHelp {
        name: "run",
        usage: "run",
        summary: "Run every instance until it is idle (also those stopped at a breakpoint, up to their next one).",
        example: "run",
    },
    CommandHelp {
        name: "break",
        usage: "break ACTIVITY|LINE",
        summary: "Stop instances before an activity starts: by its name, or by a line of the process (the activity starting on it, else the last one starting before it). The first activity of a flow's branch or of an event handler is not stopped at.",
        example: "break NotifyOrderClosed",
    },
    CommandHelp { name: "breaks", usage: "breaks", summary: "The breakpoints, numbered.", example: "breaks" },
    CommandHelp { name: "delete", usage: "delete N", summary: "Remove breakpoint N (as `breaks` numbers them).", example: "delete 1" },
    CommandHelp {
        name: "continue",
        usage: "continue",
        summary: "Let the instances stopped at a breakpoint go on, until idle or the next breakpoint.",
        example: "continue",
    },
    CommandHelp { name: "clock", usage: "clock", summary: "The virtual time, and when the next timer is due.", example: "clock" },
    CommandHelp {
        name: "advance",
        usage: "advance DURATION",
        summary: "Move the virtual clock by an xsd:duration; timers (and delayed mock answers) fire in order, each at its time.",
        example: "advance P2D",
    },
    CommandHelp {
        name: "until",
        usage: "until DATETIME",
        summary: "Move the virtual clock to an xsd:dateTime, as `advance` does.",
        example: "until 2026-01-03T12:00:00Z",
    },
    CommandHelp {
        name: "terminate",
        usage: "terminate [ID]",
        summary: "Terminate an instance as <exit> would; its open requests get a fault.",
        example: "terminate #2",
    },
    CommandHelp {
        name: "save",
        usage: "save [ID] FILE",
        summary: "Write the instance as a checkpoint file, in the format `bpel serve`'s admin restore reads and writes.",
        example: "save order-42.ckpt",
    },
    CommandHelp {
        name: "restore",
        usage: "restore FILE",
        summary: "Load a checkpoint into the loaded process it was saved from (refused when that process is not loaded or has changed) and make it current.",
        example: "restore order-42.ckpt",
    },
    CommandHelp {
        name: "back",
        usage: "back [N]",
        summary: "Rewind the current instance and the clock N steps (default 1) of its history; then send something else from there.",
        example: "back 2",
    },
    CommandHelp {
        name: "history",
        usage: "history",
        summary: "The steps of the current instance `back` can return to.",
        example: "history",
    },
    CommandHelp { name: "help", usage: "help [COMMAND]", summary: "The commands, or one command with an example.", example: "help send" },
    CommandHelp { name: "quit", usage: "quit", summary: "Leave the REPL (also `exit`, or Ctrl-D).", example: "quit" },
];

pub fn find(name: &str) -> Option<&'static CommandHelp> {
    COMMANDS.iter().find(|c| c.name == name || (name == "exit" && c.name == "quit"))
}

/// The list `help` prints.
pub fn overview() -> String {
    let width = COMMANDS.iter().map(|c| c.usage.len().min(40)).max().unwrap_or(0);
    let mut text = String::from("Commands (ID: `#3` or `3`; without it, the current instance):\n");
    for command in COMMANDS {
        let first_sentence = command.summary.split_once(". ").map_or(command.summary, |(s, _)| s);
        text.push_str(&format!("  {:<width$}  {}\n", command.usage, first_sentence.trim_end_matches('.')));
    }
    text.push_str("`help COMMAND` shows a command in full, with an example.");
    text
}

pub fn detail(command: &CommandHelp) -> String {
    format!("{}\n  {}\nexample:\n  {}", command.usage, command.summary, command.example)
}
