//! A real editor nobody here wrote as the language server's client: headless Neovim (Debian's
//! `neovim`, its built-in LSP client) with the set-up in `editors/nvim/bpel.lua`, as documented there,
//! opens an example with an error, receives the diagnostic, and jumps to a variable's definition.
//! CI installs neovim (`.ci/run`); without it this test fails and says how to install it.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::{temp_dir, workspace};

/// What the driver script does once the set-up has started the server: waits for diagnostics, writes
/// them, asks for the definition of the variable under the cursor, writes where it landed, quits.
const DRIVER: &str = r#"
local out = {}
local function record(line) table.insert(out, line) end
local ok = vim.wait(20000, function() return #vim.diagnostic.get(0) > 0 end, 50)
record('diagnostics ' .. tostring(ok))
for _, d in ipairs(vim.diagnostic.get(0)) do
  record(string.format('diagnostic %d:%d %s %s', d.lnum + 1, d.col + 1, tostring(d.code), d.message))
end
-- the cursor on `request` in `<from variable="request" part="payload"/>`
local line = vim.fn.search('from variable="request"')
local col = vim.fn.getline(line):find('request') - 1
vim.api.nvim_win_set_cursor(0, { line, col })
local params = vim.lsp.util.make_position_params()
local results = vim.lsp.buf_request_sync(0, 'textDocument/definition', params, 10000) or {}
for _, res in pairs(results) do
  local result = res.result
  if result and result.uri then result = { result } end
  for _, loc in ipairs(result or {}) do
    local uri = loc.uri or loc.targetUri
    local range = loc.range or loc.targetSelectionRange
    record(string.format('definition %s %d:%d', vim.uri_to_fname(uri), range.start.line + 1, range.start.character + 1))
  end
  if res.err then record('definition error ' .. vim.inspect(res.err)) end
end
vim.fn.writefile(out, vim.g.bpel_test_output)
vim.cmd('qa!')
"#;

fn nvim_available() -> bool {
    Command::new("nvim").arg("--version").output().is_ok_and(|o| o.status.success())
}

#[test]
fn neovim_shows_the_diagnostic_and_jumps_to_the_definition() {
    assert!(nvim_available(), "this test needs Neovim (Debian: apt-get install neovim); .ci/run installs it");
    let dir = temp_dir("nvim");
    for file in ["echo.bpel", "echo.wsdl"] {
        std::fs::copy(workspace().join("examples/echo").join(file), dir.join(file)).unwrap();
    }
    // break the reply's variable: `bpel check` reports it at line 37
    let process = dir.join("echo.bpel");
    let text = std::fs::read_to_string(&process).unwrap();
    std::fs::write(&process, text.replace(r#"operation="echo" variable="response"/>"#, r#"operation="echo" variable="respons"/>"#))
        .unwrap();
    let driver = dir.join("driver.lua");
    std::fs::write(&driver, DRIVER).unwrap();
    let output = dir.join("out.txt");

    let setup = workspace().join("editors/nvim/bpel.lua");
    let status = run_nvim(&dir, &setup, &process, &driver, &output);
    assert!(status, "nvim did not finish in time");
    let out = std::fs::read_to_string(&output).unwrap_or_default();
    assert!(out.contains("diagnostics true"), "no diagnostics reached Neovim:\n{out}");
    let diagnostic = out.lines().find(|l| l.starts_with("diagnostic 37:")).unwrap_or_else(|| panic!("no diagnostic at line 37:\n{out}"));
    assert!(diagnostic.contains("respons"), "{diagnostic}");
    let definition = out.lines().find(|l| l.starts_with("definition ")).unwrap_or_else(|| panic!("no definition:\n{out}"));
    // `<variable name="request" .../>` is on line 21 of the example
    assert!(definition.contains("echo.bpel 21:"), "{definition}");
    eprintln!("{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `nvim --headless` with the documented set-up and the driver, bounded in time.
fn run_nvim(dir: &Path, setup: &Path, file: &Path, driver: &Path, output: &Path) -> bool {
    let server = env!("CARGO_BIN_EXE_bpel");
    let mut child = Command::new("nvim")
        .current_dir(dir)
        .args(["--headless", "--clean"])
        .arg("--cmd")
        .arg(format!("let g:bpel_server_path = '{server}' | let g:bpel_test_output = '{}'", output.display()))
        .arg("-c")
        .arg(format!("luafile {}", setup.display()))
        .arg("-c")
        .arg(format!("edit {}", file.display()))
        .arg("-c")
        .arg(format!("luafile {}", driver.display()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("nvim starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}
