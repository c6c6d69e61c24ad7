//! Apache ODE's lenient dialect: an echo written the way ODE accepted it
//! (`engine/tests/fixtures/ode-lenient`: `true`/`false` for `yes`/`no`, an undeclared
//! messageExchange, ODE's `ignoreUninitializedFromVariable`). Strict by default; beside a deploy.xml
//! (or with `--dialect ode`) `bpel check` accepts it with a warning each and says which mode it
//! used, `bpel run` runs its scenario, and `bpel serve` answers at the provided port.

mod support;

use std::process::Command;

use support::{envelope, temp_dir, workspace, Server};

fn fixture(name: &str) -> std::path::PathBuf {
    workspace().join("engine/tests/fixtures/ode-lenient").join(name)
}

fn bpel(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_bpel")).args(args).env("NO_COLOR", "1").output().unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stdout).into(), String::from_utf8_lossy(&output.stderr).into())
}

/// The fixture without its deploy.xml, in a folder of its own.
fn without_deploy_xml() -> std::path::PathBuf {
    let dir = temp_dir("ode-dialect-plain");
    for name in ["echo.bpel", "echo.wsdl", "echo.scenario.toml"] {
        std::fs::copy(fixture(name), dir.join(name)).unwrap();
    }
    dir
}

#[test]
fn bpel_check_is_strict_unless_the_process_is_deployed_the_ode_way() {
    let folder = fixture("").display().to_string();
    let (code, stdout, stderr) = bpel(&["check", &folder]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stderr.contains("0 error(s), 5 warning(s); read as Apache ODE's dialect"), "{stderr}");
    for expected in [
        "warning[BPEL0003] `createInstance` is `true`; WS-BPEL 2.0 says `yes` or `no`: read as `yes` (Apache ODE's dialect)",
        "warning[SA00061] message exchange `mex` is not declared",
        "warning[BPEL0001] `ignoreUninitializedFromVariable` is Apache ODE's",
    ] {
        assert!(stdout.contains(expected), "{expected}\n{stdout}");
    }

    let (code, stdout, stderr) = bpel(&["check", "--dialect", "standard", &folder]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("6 error(s), 0 warning(s); read as WS-BPEL 2.0 (strict)"), "{stderr}");

    let plain = without_deploy_xml();
    let (code, _, stderr) = bpel(&["check", &plain.display().to_string()]);
    assert_eq!(code, Some(1), "no deploy.xml: strict\n{stderr}");
    let (code, _, stderr) = bpel(&["check", "--dialect", "ode", &plain.display().to_string()]);
    assert_eq!(code, Some(0), "{stderr}");
    let _ = std::fs::remove_dir_all(&plain);
}

#[test]
fn bpel_run_runs_it_in_odes_dialect() {
    let scenario = fixture("echo.scenario.toml").display().to_string();
    let (code, stdout, stderr) = bpel(&["run", "--scenario", &scenario]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("passed: 2 steps"), "{stdout}");

    let plain = without_deploy_xml();
    let scenario = plain.join("echo.scenario.toml").display().to_string();
    let (code, stdout, _) = bpel(&["run", "--scenario", &scenario]);
    assert_eq!(code, Some(1), "strict: refused\n{stdout}");
    assert!(stdout.contains("cannot run: it has errors"), "{stdout}");
    let (code, stdout, stderr) = bpel(&["run", "--dialect", "ode", "--scenario", &scenario]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let _ = std::fs::remove_dir_all(&plain);
}

#[test]
fn bpel_serve_answers_in_odes_dialect() {
    let dir = temp_dir("ode-dialect-serve");
    for name in ["echo.bpel", "echo.wsdl", "deploy.xml"] {
        std::fs::copy(fixture(name), dir.join(name)).unwrap();
    }
    let dir_s = dir.display().to_string();
    let server = Server::start(&[&dir_s, "--port", "0", "--in-memory"]);
    let body = r#"<echo:echo xmlns:echo="http://example.com/bpel/examples/echo">over HTTP</echo:echo>"#;
    let answer = server.post("/echo", "http://example.com/bpel/examples/echo/echo", &envelope(body));
    assert_eq!(answer.status, 200, "{answer:?}\n{}", server.output());
    assert!(answer.body.contains(">over HTTP</"), "{}", answer.body);
    let _ = std::fs::remove_dir_all(&dir);
}
