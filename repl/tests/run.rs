//! `bpel run` as a user runs it: the real binary on the examples' scenarios.

use std::path::PathBuf;
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn bpel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bpel")).args(args).current_dir(workspace()).output().expect("run bpel")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn every_example_has_a_scenario_that_passes() {
    let mut found = 0;
    for entry in std::fs::read_dir(workspace().join("examples")).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let scenarios: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".scenario.toml"))
            .collect();
        assert!(!scenarios.is_empty(), "{} has no scenario", dir.display());
        for scenario in scenarios {
            found += 1;
            let output = bpel(&["run", "--scenario", scenario.to_str().unwrap()]);
            assert!(output.status.success(), "{}:\n{}", scenario.display(), text(&output));
            assert!(text(&output).contains("every expectation held"), "{}", text(&output));
        }
    }
    assert!(found >= 3, "the three examples have scenarios");
}

#[test]
fn a_failed_expectation_shows_expected_and_actual() {
    let dir = std::env::temp_dir().join(format!("bpel-run-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("wrong.scenario.toml");
    let process = workspace().join("examples/echo/echo.bpel");
    std::fs::write(
        &scenario,
        r#"
[[step]]
send = "client.echo"
body = '<echo:echo xmlns:echo="http://example.com/bpel/examples/echo">hello</echo:echo>'
expect_reply = '<echo:echoResponse xmlns:echo="http://example.com/bpel/examples/echo">goodbye</echo:echoResponse>'

[[step]]
expect_status = "faulted"
"#,
    )
    .unwrap();
    let output = bpel(&["run", process.to_str().unwrap(), "--scenario", scenario.to_str().unwrap()]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("expected:") && out.contains("goodbye") && out.contains("actual:") && out.contains(">hello<"), "{out}");
    assert!(out.contains("the instance's status") && out.contains("completed"), "{out}");
    assert!(out.contains("FAILED: 2 expectation(s)"), "{out}");
}

#[test]
fn usage_errors_exit_2() {
    let output = bpel(&["run", "examples/echo/echo.bpel", "--scenario", "no/such/file.toml"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("cannot read"), "{}", text(&output));

    let dir = std::env::temp_dir().join(format!("bpel-run-usage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[[step]]\nsned = \"client.echo\"\n").unwrap();
    let output = bpel(&["run", "examples/echo/echo.bpel", "--scenario", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("sned"), "an unknown key is named: {}", text(&output));
}
