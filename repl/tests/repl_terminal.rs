//! The REPL in a real terminal: `bpel repl` runs in a tmux pane (a pseudo-terminal), keys are typed
//! with `tmux send-keys` and the screen is read with `capture-pane`. Tab completes a command and a
//! `LINK.OP`, a command's name and a space hint its arguments, the up arrow recalls history, and the
//! history is there again in the next session (kept in the file `BPEL_HISTORY` names).
//! CI installs tmux (`.ci/run`); without it this test fails and says how to install it.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use support::{temp_dir, workspace};

/// A tmux server of this test's own (its socket name), with one pane running the REPL.
struct Pane {
    socket: String,
}

impl Pane {
    fn start(socket: &str, history: &Path) -> Pane {
        let pane = Pane { socket: socket.to_string() };
        let command = format!(
            "env BPEL_HISTORY='{}' NO_COLOR=1 '{}' repl '{}'",
            history.display(),
            env!("CARGO_BIN_EXE_bpel"),
            workspace().join("examples/echo").display()
        );
        pane.tmux(&["-f", "/dev/null", "new-session", "-d", "-s", "repl", "-x", "160", "-y", "40", &command]);
        pane.wait_for("bpel>");
        pane
    }

    fn tmux(&self, args: &[&str]) -> String {
        let output = Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().expect("run tmux");
        assert!(output.status.success(), "tmux {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "repl"];
        args.extend(keys);
        self.tmux(&args);
    }

    /// Types text literally (no key names).
    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "repl", "-l", text]);
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "repl"])
    }

    /// The line the cursor is on, as shown.
    fn prompt_line(&self) -> String {
        let screen = self.screen();
        screen.lines().rev().find(|line| line.starts_with("bpel>")).unwrap_or_default().trim_end().to_string()
    }

    fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return;
            }
            assert!(Instant::now() < deadline, "`{text}` did not appear on the screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the last prompt line is `expected`.
    fn wait_for_prompt_line(&self, expected: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let line = self.prompt_line();
            if line == expected {
                return;
            }
            assert!(Instant::now() < deadline, "the prompt line is `{line}`, not `{expected}`:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Pane {
    /// Clears the line, types `quit` and waits for the REPL to exit.
    fn quit(&self) {
        self.keys(&["C-u"]);
        self.type_text("quit");
        self.keys(&["Enter"]);
        self.wait_until_closed();
    }

    /// Waits for the REPL to exit: its pane, the only one, then closes.
    fn wait_until_closed(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        let open = || Command::new("tmux").arg("-L").arg(&self.socket).args(["has-session", "-t", "repl"]).output();
        while open().is_ok_and(|o| o.status.success()) {
            assert!(Instant::now() < deadline, "the REPL did not exit after `quit`:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = Command::new("tmux").arg("-L").arg(&self.socket).arg("kill-server").output();
    }
}

fn tmux_available() -> bool {
    Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success())
}

#[test]
fn tab_completion_hints_and_history_in_a_real_terminal() {
    assert!(tmux_available(), "this test needs tmux (Debian: apt-get install tmux); .ci/run installs it");
    let dir = temp_dir("repl-terminal");
    let history: PathBuf = dir.join("history");
    let socket = format!("bpel-repl-test-{}", std::process::id());

    let pane = Pane::start(&socket, &history);
    // a command name
    pane.type_text("proc");
    pane.keys(&["Tab"]);
    pane.wait_for_prompt_line("bpel> processes");
    pane.keys(&["Enter"]);
    pane.wait_for("client.echo");

    // a LINK.OP after `send`
    pane.type_text("send cl");
    pane.keys(&["Tab"]);
    pane.wait_for_prompt_line("bpel> send client.echo");
    pane.keys(&["C-u"]);
    pane.wait_for_prompt_line("bpel>");

    // a command's name and a space: its arguments as a hint after the cursor
    pane.type_text("template ");
    pane.wait_for_prompt_line("bpel> template [PROCESS] LINK.OP");
    pane.keys(&["C-u"]);
    pane.wait_for_prompt_line("bpel>");

    // the up arrow brings back the last command
    pane.keys(&["Up"]);
    pane.wait_for_prompt_line("bpel> processes");
    pane.quit();
    drop(pane);

    let kept = std::fs::read_to_string(&history).expect("the history file was written");
    assert!(kept.lines().any(|line| line == "processes") && kept.lines().any(|line| line == "quit"), "{kept}");

    // a new session starts with that history: up, up is `processes` again
    let pane = Pane::start(&socket, &history);
    pane.keys(&["Up"]);
    pane.wait_for_prompt_line("bpel> quit");
    pane.keys(&["Up"]);
    pane.wait_for_prompt_line("bpel> processes");
    pane.quit();
    let _ = std::fs::remove_dir_all(&dir);
}
