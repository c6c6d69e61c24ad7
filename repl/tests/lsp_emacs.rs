//! A second real editor as the language server's client: Emacs in batch mode (Debian's `emacs-nox`
//! 28 with Debian's `elpa-eglot`), loading `editors/emacs/bpel.el` as it is, opens an example with an
//! error, receives the diagnostic through eglot and flymake, jumps to a variable's definition (M-.),
//! and opens the imported WSDL in `bpel-wsdl-mode` under the same server. `bpel` is found the way the
//! configuration's default finds it: on PATH. CI installs both packages (`.ci/run`); without them
//! this test fails and says how to install them.

#[path = "support/lsp_client.rs"]
mod lsp_client;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const INSTALL: &str = "this test needs Emacs 28 or newer with eglot (Debian: apt-get install emacs-nox elpa-eglot); .ci/run installs them";

/// The test driver, loaded after `bpel-test-setup`, `bpel-test-file` and `bpel-test-output` are
/// set. It writes one line per finding to the output file and exits; it never reads input.
const DRIVER: &str = r#";;; driver.el  -*- lexical-binding: t; -*-
(defvar bpel-test-setup)
(defvar bpel-test-file)
(defvar bpel-test-output)
(defvar bpel-test--lines nil)

(defun bpel-test--record (format-string &rest args)
  (push (replace-regexp-in-string "\n" " " (apply #'format format-string args)) bpel-test--lines))

(defun bpel-test--finish (code)
  (with-temp-file bpel-test-output
    (insert (mapconcat #'identity (reverse bpel-test--lines) "\n") "\n"))
  (kill-emacs code))

;; -Q leaves site-lisp out, and with it the packages Debian installs (elpa-eglot): activate them
;; as a normal start does. Emacs 29 and newer have eglot built in.
(require 'package)
(setq package-directory-list
      (seq-filter #'file-directory-p
                  '("/usr/share/emacs/site-lisp/elpa" "/usr/local/share/emacs/site-lisp/elpa")))
(package-initialize)
(unless (locate-library "eglot")
  (bpel-test--record "missing eglot")
  (bpel-test--finish 3))

(defun bpel-test--after-command ()
  "What the command loop does after an interactive command, which batch mode has not:
eglot-ensure connects from `post-command-hook'."
  (run-hooks 'post-command-hook))

(condition-case err
    (progn
      (load bpel-test-setup nil t)
      (find-file bpel-test-file)
      (bpel-test--after-command)
      (bpel-test--record "mode %s" major-mode)
      (let ((deadline (+ (float-time) 30)))
        (while (and (null (flymake-diagnostics)) (< (float-time) deadline))
          (accept-process-output nil 0.05)))
      (bpel-test--record "diagnostics %s" (if (flymake-diagnostics) "true" "false"))
      (dolist (diagnostic (flymake-diagnostics))
        (let ((beg (flymake-diagnostic-beg diagnostic))
              (lsp (alist-get 'eglot-lsp-diag (flymake-diagnostic-data diagnostic))))
          (bpel-test--record "diagnostic %d:%d %s %s %s"
                             (line-number-at-pos beg)
                             (save-excursion (goto-char beg) (1+ (current-column)))
                             (plist-get lsp :code)
                             (flymake-diagnostic-type diagnostic)
                             (flymake-diagnostic-text diagnostic))))
      ;; M-. on `request` in `<from variable="request" part="payload"/>`
      (let ((server (eglot-current-server)))
        (goto-char (point-min))
        (search-forward "<from variable=\"request")
        (backward-char 2)
        (bpel-test--record "point %d:%d" (line-number-at-pos) (1+ (current-column)))
        (let ((this-command 'xref-find-definitions))
          (call-interactively #'xref-find-definitions))
        (bpel-test--record "definition %s %d:%d"
                           (file-name-nondirectory (buffer-file-name))
                           (line-number-at-pos) (1+ (current-column)))
        ;; the imported WSDL: its own mode, the same server
        (find-file (expand-file-name "echo.wsdl" (file-name-directory bpel-test-file)))
        (bpel-test--after-command)
        (bpel-test--record "wsdl %s %s" major-mode
                           (if (eq (eglot-current-server) server) "same-server" "other-server")))
      (bpel-test--finish 0))
  (error (bpel-test--record "error %S" err)
         (bpel-test--finish 2)))
"#;

fn emacs_available() -> bool {
    Command::new("emacs").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// An Emacs Lisp string literal.
fn elisp_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `bpel check --format json PATH`: its first diagnostic.
fn check_first_diagnostic(path: &Path) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_bpel")).args(["check", "--format", "json"]).arg(path).output().unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    report["diagnostics"][0].clone()
}

#[test]
fn emacs_with_eglot_shows_the_diagnostic_and_jumps_to_the_definition() {
    assert!(emacs_available(), "{INSTALL}");
    // break the reply's variable: `bpel check` reports it at line 37
    let (process, _) = lsp_client::echo_copy("emacs", |text| {
        text.replace(r#"operation="echo" variable="response"/>"#, r#"operation="echo" variable="respons"/>"#)
    });
    let dir = process.parent().unwrap().to_path_buf();
    let expected = check_first_diagnostic(&process);
    assert_eq!(expected["code"], "BPEL0100", "the broken example as `bpel check` sees it: {expected}");

    let output = run_emacs(&dir, &process);
    let out = std::fs::read_to_string(&output.file).unwrap_or_default();
    assert!(!out.contains("missing eglot"), "{INSTALL}\n{out}");
    let log = || format!("driver output:\n{out}\nexit: {:?}\nemacs stderr:\n{}", output.exit, output.stderr);
    assert_eq!(output.exit, Some(0), "emacs did not finish cleanly within the time limit\n{}", log());
    assert!(out.lines().any(|l| l == "mode bpel-mode"), "{}", log());
    assert!(out.lines().any(|l| l == "diagnostics true"), "no diagnostics reached flymake\n{}", log());

    // line, column, code and message: those of `bpel check`
    let start = &expected["range"]["start"];
    let at = format!("diagnostic {}:{} ", start["line"], start["column"]);
    let diagnostic = out.lines().find(|l| l.starts_with(&at)).unwrap_or_else(|| panic!("no diagnostic at {at}\n{}", log()));
    let code = expected["code"].as_str().unwrap();
    let message = expected["message"].as_str().unwrap();
    let shown = format!("{at}{code} eglot-error bpel [{code}]: {message}");
    assert!(diagnostic.starts_with(&shown), "expected `{shown}...`, got `{diagnostic}`");

    // from `<from variable="request" .../>` (line 31) to `<variable name="request" .../>` (line 21, column 25)
    assert!(out.lines().any(|l| l.starts_with("point 31:")), "{}", log());
    assert!(out.lines().any(|l| l == "definition echo.bpel 21:25"), "no jump to the definition\n{}", log());
    assert!(out.lines().any(|l| l == "wsdl bpel-wsdl-mode same-server"), "{}", log());
    eprintln!("{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

struct EmacsRun {
    file: PathBuf,
    exit: Option<i32>,
    stderr: String,
}

/// `emacs --batch -Q` with the documented set-up and the driver, `bpel` on PATH, bounded in time.
fn run_emacs(dir: &Path, file: &Path) -> EmacsRun {
    let driver = dir.join("driver.el");
    std::fs::write(&driver, DRIVER).unwrap();
    let output = dir.join("out.txt");
    let stderr_path = dir.join("stderr.txt");
    // a home of its own: nothing of the user's Emacs set-up is read, nothing is written there
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let setup = support::workspace().join("editors/emacs/bpel.el");
    let binary_folder = Path::new(env!("CARGO_BIN_EXE_bpel")).parent().unwrap().to_path_buf();
    let path = std::env::join_paths(std::iter::once(binary_folder).chain(std::env::var_os("PATH").iter().flat_map(std::env::split_paths)))
        .unwrap();
    let settings = format!(
        "(setq bpel-test-setup {} bpel-test-file {} bpel-test-output {})",
        elisp_string(&setup.display().to_string()),
        elisp_string(&file.display().to_string()),
        elisp_string(&output.display().to_string())
    );
    let mut child = Command::new("emacs")
        .current_dir(dir)
        .args(["--batch", "-Q", "--eval", &settings, "--load"])
        .arg(&driver)
        .env("HOME", &home)
        .env("PATH", path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .expect("emacs starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let exit = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    EmacsRun { file: output, exit, stderr: std::fs::read_to_string(&stderr_path).unwrap_or_default() }
}
