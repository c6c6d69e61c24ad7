#!/usr/bin/env node
// The extension in a real VS Code (code-server in headless Chromium), end to end. Grown from
// ../shared/tools/vscode/vscode_check.mjs (same code-server set-up and Chromium flags), with the
// steps the extension needs: after the Problems panel of a broken process, it opens a clean one and
// runs "BPEL: Run process" from the command palette, then reads the report the extension opens.
//
//   node vscode_e2e.mjs --cs DIR --folder WS --broken FILE --run FILE --out OUT --vsix X.vsix
//                       [--port 8089] [--wait 45] [--settings '{"k":v}']
//
// The language server must be on PATH (or named by --settings '{"bpel.server.path": ...}').
// Then "BPEL: Explain rule" with a code typed in.
// Prints, last: `vscode: language=BPEL problems=1 errors=1 warnings=0 extension=installed report=passed explain=shown`.
// Writes OUT/screenshot-diagnostics.png, OUT/screenshot-run-report.png, OUT/screenshot-explain.png, OUT/problems.txt,
// OUT/report.txt, OUT/result.json, OUT/code-server.log. Every wait is bounded; exit 0 when
// everything was seen, else 1.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

function parseArgs(argv) {
  const a = { vsix: [], port: 8089, wait: 45 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`missing value for ${k}`);
      return argv[++i];
    };
    switch (k) {
      case '--cs': a.cs = v(); break;
      case '--folder': a.folder = v(); break;
      case '--broken': a.broken = v(); break;
      case '--run': a.run = v(); break;
      case '--out': a.out = v(); break;
      case '--vsix': a.vsix.push(v()); break;
      case '--port': a.port = Number(v()); break;
      case '--wait': a.wait = Number(v()); break;
      case '--settings': a.settings = JSON.parse(v()); break;
      default: throw new Error(`unknown argument ${k}`);
    }
  }
  for (const need of ['cs', 'folder', 'broken', 'run', 'out']) if (!a[need]) throw new Error(`--${need} is required`);
  return a;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const result = {
  language: null, problems: null, errors: null, warnings: null, extension: 'none', opened: false,
  problemLines: [], report: null, reportText: '', explain: undefined, notes: [],
};
let outDir = null;
let csProc = null;

function summary() {
  return `vscode: language=${result.language ?? '?'} problems=${result.problems ?? '?'} errors=${result.errors ?? '?'} ` +
    `warnings=${result.warnings ?? '?'} extension=${result.extension} report=${result.report ?? '?'} explain=${result.explain ?? '?'}` +
    (result.opened ? '' : ' file=NOT-OPENED');
}

async function finish(code) {
  if (csProc && csProc.exitCode === null) {
    try { process.kill(-csProc.pid, 'SIGTERM'); } catch { /* gone */ }
    await sleep(500);
    if (csProc.exitCode === null) { try { process.kill(-csProc.pid, 'SIGKILL'); } catch { /* gone */ } }
  }
  if (outDir) fs.writeFileSync(path.join(outDir, 'result.json'), JSON.stringify(result, null, 2));
  for (const note of result.notes) console.log(`note: ${note}`);
  for (const line of result.problemLines) console.log(`problem: ${line.replace(/\s+/g, ' ')}`);
  console.log(summary());
  process.exit(code);
}

async function httpOk(url) {
  try { const r = await fetch(url, { signal: AbortSignal.timeout(2000) }); return r.status; } catch { return 0; }
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const csDir = path.resolve(a.cs);
  const csEntry = path.join(csDir, 'node_modules/code-server/out/node/entry.js');
  if (!fs.existsSync(csEntry)) throw new Error(`no code-server in ${csDir} (run code_server_setup.sh ${csDir})`);
  const req = createRequire(path.join(csDir, 'package.json'));
  const { chromium } = req('playwright-core');

  outDir = path.resolve(a.out);
  const folder = path.resolve(a.folder);
  const broken = path.isAbsolute(a.broken) ? a.broken : path.join(folder, a.broken);
  const runFile = path.isAbsolute(a.run) ? a.run : path.join(folder, a.run);
  for (const f of [broken, runFile]) if (!fs.existsSync(f)) throw new Error(`no such file ${f}`);
  const run = path.join(outDir, 'run');
  fs.mkdirSync(outDir, { recursive: true });
  fs.rmSync(run, { recursive: true, force: true });
  const ud = path.join(run, 'user-data'), ext = path.join(run, 'extensions'), xdg = path.join(run, 'xdg');
  fs.mkdirSync(path.join(ud, 'User'), { recursive: true });
  fs.mkdirSync(ext, { recursive: true });
  const settings = {
    'workbench.startupEditor': 'none',
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'workbench.enableExperiments': false,
    'workbench.tips.enabled': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'chat.commandCenter.enabled': false,
    'git.enabled': false,
    'git.openRepositoryInParentFolders': 'never',
    'editor.minimap.enabled': false,
    ...(a.settings || {}),
  };
  fs.writeFileSync(path.join(ud, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(xdg, 'config'),
    XDG_DATA_HOME: path.join(xdg, 'data'),
    XDG_CACHE_HOME: path.join(xdg, 'cache'),
  };
  delete env.VSCODE_IPC_HOOK_CLI; delete env.VSCODE_PROXY_URI;
  const common = ['--user-data-dir', ud, '--extensions-dir', ext, '--config', path.join(run, 'config.yaml')];
  fs.writeFileSync(path.join(run, 'config.yaml'), 'auth: none\ncert: false\n');

  // 1. install the extension, offline, with the real CLI
  if (a.vsix.length) {
    let log = '';
    let ok = true;
    for (const v of a.vsix) {
      const r = spawnSync(process.execPath, [csEntry, ...common, '--install-extension', path.resolve(v), '--force'], { env, encoding: 'utf8', timeout: 120000 });
      log += `$ code-server --install-extension ${v}\n${r.stdout}${r.stderr}rc=${r.status}\n`;
      if (r.status !== 0 || !/successfully installed/i.test(r.stdout + r.stderr)) ok = false;
    }
    fs.writeFileSync(path.join(outDir, 'install-extension.log'), log);
    result.extension = ok ? 'installed' : 'INSTALL-FAILED';
    if (!ok) return finish(1);
  }

  // 2. code-server on 127.0.0.1
  const base = `http://127.0.0.1:${a.port}`;
  if (await httpOk(`${base}/healthz`)) throw new Error(`port ${a.port} is already in use`);
  const logFd = fs.openSync(path.join(outDir, 'code-server.log'), 'w');
  csProc = spawn(process.execPath, [csEntry, ...common,
    '--bind-addr', `127.0.0.1:${a.port}`, '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', '--ignore-last-opened', folder],
  { env, cwd: folder, detached: true, stdio: ['ignore', logFd, logFd] });
  let up = false;
  for (let i = 0; i < 120 && !up; i++) { await sleep(250); up = (await httpOk(`${base}/healthz`)) === 200; if (csProc.exitCode !== null) break; }
  if (!up) throw new Error('code-server did not come up, see code-server.log');

  // 3. the browser, with the shared script's flags (no network beyond loopback here)
  const profile = path.join(run, 'chromium-profile');
  fs.mkdirSync(profile, { recursive: true });
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    viewport: { width: 1280, height: 760 },
    timeout: 60000,
    env: { ...process.env, HOME: path.join(run, 'chromium-home'), XDG_CONFIG_HOME: path.join(run, 'chromium-home/.config'), XDG_CACHE_HOME: path.join(run, 'chromium-home/.cache') },
  });
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    const consoleLog = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleLog.push(m.text()); });
    await page.goto(`${base}/?folder=${encodeURIComponent(folder)}`, { waitUntil: 'domcontentloaded', timeout: 60000 });
    await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 60000 });
    await page.waitForSelector('.monaco-workbench .part.sidebar', { timeout: 30000 }).catch(() => {});
    await sleep(1500);

    const openFile = async (file) => {
      const rel = path.relative(folder, file);
      const tabSel = `.tabs-container .tab[aria-label^="${path.basename(file).replace(/"/g, '\\"')}"]`;
      for (const text of [rel, file]) {
        try {
          await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } }).catch(() => {});
          await page.keyboard.press('Escape');
          await page.keyboard.press('Control+P');
          const input = page.locator('.quick-input-widget input');
          await input.waitFor({ state: 'visible', timeout: 10000 });
          await input.fill(text);
          await page.locator('.quick-input-widget .monaco-list-row').first().waitFor({ timeout: 15000 });
          await sleep(500);
          await page.keyboard.press('Enter');
          await page.locator(tabSel).first().waitFor({ timeout: 10000 });
          await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor({ timeout: 15000 }).catch(() => {});
          return true;
        } catch (e) {
          result.notes.push(`quick open "${text}": ${e.message.split('\n')[0]}`);
        }
      }
      return false;
    };

    // 4. the broken process: language mode and Problems
    result.opened = await openFile(broken);
    if (!result.opened) {
      await page.screenshot({ path: path.join(outDir, 'screenshot-diagnostics.png') });
      return finish(1);
    }
    const readStatus = () => page.evaluate(() => {
      const mode = document.getElementById('status.editor.mode');
      const probs = document.getElementById('status.problems');
      const probText = probs ? (probs.querySelector('a')?.getAttribute('aria-label') || probs.getAttribute('aria-label') || probs.textContent || '') : '';
      return { mode: mode ? (mode.querySelector('a')?.textContent || mode.textContent || '').trim() : null, problems: probText.trim() };
    });
    const parseProblems = (s) => {
      if (/no problems/i.test(s)) return { e: 0, w: 0 };
      const e = s.match(/Errors?:\s*(\d+)|(\d+)\s*Errors?/i), w = s.match(/Warnings?:\s*(\d+)|(\d+)\s*Warnings?/i);
      if (!e && !w) return null;
      return { e: Number(e ? (e[1] ?? e[2]) : 0), w: Number(w ? (w[1] ?? w[2]) : 0) };
    };
    const deadline = Date.now() + a.wait * 1000;
    let last = null, stableSince = Date.now(), st = null;
    while (Date.now() < deadline) {
      st = await readStatus();
      const key = JSON.stringify(st);
      if (key !== last) { last = key; stableSince = Date.now(); }
      const pc = parseProblems(st.problems || '');
      if (pc && pc.e + pc.w > 0 && Date.now() - stableSince > 3000) break;
      await sleep(500);
    }
    result.language = st?.mode || null;
    const pc = parseProblems(st?.problems || '');
    if (pc) { result.errors = pc.e; result.warnings = pc.w; result.problems = pc.e + pc.w; }

    await page.locator('.editor-instance .monaco-editor').first().click({ position: { x: 200, y: 100 } }).catch(() => {});
    await page.keyboard.press('Control+Shift+M');
    let rows = [];
    try {
      await page.locator('.markers-panel').first().waitFor({ state: 'visible', timeout: 10000 });
      await sleep(1500);
      rows = await page.evaluate(() => [...document.querySelectorAll('.markers-panel .monaco-list-row')].map((r) => ({
        aria: r.getAttribute('aria-label') || '',
        text: (r.innerText || '').replace(/\s+/g, ' ').trim(),
        marker: !!r.querySelector('.marker-message-details, .marker-icon, .codicon-error, .codicon-warning, .codicon-info'),
      })));
    } catch (e) { result.notes.push(`problems panel: ${e.message.split('\n')[0]}`); }
    // the editor scrolled to the first problem, for the picture
    await page.locator('.markers-panel .monaco-list-row').nth(1).click().catch(() => {});
    await sleep(1000);
    await page.screenshot({ path: path.join(outDir, 'screenshot-diagnostics.png') });
    const markerRows = rows.filter((r) => r.marker);
    result.problemLines = markerRows.map((r) => r.aria || r.text);
    fs.writeFileSync(path.join(outDir, 'problems.txt'), rows.map((r) => (r.marker ? '  ' : '') + (r.aria || r.text)).join('\n') + '\n');
    if (result.problems === null && rows.length) result.problems = markerRows.length;
    await page.keyboard.press('Control+Shift+M').catch(() => {}); // close the panel again

    // 5. the clean process: "BPEL: Run process" from the command palette, then the report
    if (!(await openFile(runFile))) {
      result.notes.push('the process to run did not open');
      return finish(1);
    }
    await sleep(1000);
    const reportTab = `.tabs-container .tab[aria-label^="Run ${path.basename(runFile)}"]`;
    for (let attempt = 0; attempt < 3 && result.report === null; attempt++) {
      try {
        await page.locator('.editor-instance .monaco-editor').first().click({ position: { x: 300, y: 150 } }).catch(() => {});
        await page.keyboard.press('F1');
        const input = page.locator('.quick-input-widget input');
        await input.waitFor({ state: 'visible', timeout: 10000 });
        await input.fill('>BPEL: Run process');
        await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'BPEL: Run process' }).first().waitFor({ timeout: 15000 });
        await sleep(300);
        await page.keyboard.press('Enter');
        await page.locator(reportTab).first().waitFor({ timeout: 60000 });
        // the report's text as the editor shows it
        const reportDeadline = Date.now() + 15000;
        while (Date.now() < reportDeadline) {
          const texts = await page.evaluate(() => [...document.querySelectorAll('.editor-instance .monaco-editor .view-lines')]
            .map((v) => [...v.querySelectorAll('.view-line')].map((l) => (l.textContent || '').replace(/\u00a0/g, ' ')).join('\n')));
          const text = texts.find((t) => /Run (passed|failed)/.test(t));
          if (text) {
            result.reportText = text;
            result.report = /✓ Run passed/.test(text) ? 'passed' : (/✗ Run failed/.test(text) ? 'failed' : 'unreadable');
            break;
          }
          await sleep(500);
        }
      } catch (e) {
        result.notes.push(`run process, attempt ${attempt + 1}: ${e.message.split('\n')[0]}`);
        await page.keyboard.press('Escape').catch(() => {});
        await sleep(2000);
      }
    }
    await page.keyboard.press('Escape').catch(() => {});
    await sleep(800);
    await page.screenshot({ path: path.join(outDir, 'screenshot-run-report.png') });

    // 6. "BPEL: Explain rule" for a code typed in (the clean process has no diagnostic to take it from)
    try {
      await page.locator('.editor-instance .monaco-editor').first().click({ position: { x: 300, y: 150 } }).catch(() => {});
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 10000 });
      await input.fill('>BPEL: Explain rule');
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'BPEL: Explain rule' }).first().waitFor({ timeout: 15000 });
      await sleep(300);
      await page.keyboard.press('Enter');
      await sleep(800);
      await input.waitFor({ state: 'visible', timeout: 10000 });
      await input.fill('SA00001');
      await page.keyboard.press('Enter');
      await page.locator('.tabs-container .tab[aria-label^="SA00001.md"]').first().waitFor({ timeout: 20000 });
      const explainDeadline = Date.now() + 10000;
      while (Date.now() < explainDeadline && result.explain === undefined) {
        const texts = await page.evaluate(() => [...document.querySelectorAll('.editor-instance .monaco-editor .view-lines')]
          .map((v) => [...v.querySelectorAll('.view-line')].map((l) => (l.textContent || '').replace(/\u00a0/g, ' ')).join('\n')));
        const text = texts.find((t) => t.includes('# SA00001'));
        if (text) result.explain = /Why:/.test(text) ? 'shown' : 'unreadable';
        else await sleep(500);
      }
    } catch (e) {
      result.notes.push(`explain rule: ${e.message.split('\n')[0]}`);
    }
    await page.screenshot({ path: path.join(outDir, 'screenshot-explain.png') });
    fs.writeFileSync(path.join(outDir, 'report.txt'), result.reportText + '\n');
    if (consoleLog.length) fs.writeFileSync(path.join(outDir, 'browser-console-errors.txt'), consoleLog.join('\n') + '\n');
  } finally {
    await ctx.close().catch(() => {});
  }
  const ok = result.opened && result.extension !== 'INSTALL-FAILED' && result.language === 'BPEL' && (result.errors ?? 0) > 0 && result.report !== null && result.explain === 'shown';
  return finish(ok ? 0 : 1);
}

process.on('SIGINT', () => finish(130));
process.on('SIGTERM', () => finish(143));
main().catch((e) => { result.notes.push(String(e.message || e).split('\n')[0]); console.error(e.message || e); finish(1); });
