import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { INSTALL_COMMAND, LookupEnvironment, missingServerMessage, processEnvironment, resolveServerPath } from '../../src/serverPath';

function environment(executables: string[], overrides: Partial<LookupEnvironment> = {}): LookupEnvironment {
  return {
    searchPath: '/usr/local/bin:/opt/bpel/bin',
    platform: 'linux',
    home: '/home/ann',
    workspaceFolder: '/work/project',
    isExecutableFile: (candidate) => executables.includes(candidate),
    ...overrides,
  };
}

test('the default `bpel` is looked up on PATH, first hit wins', () => {
  const env = environment(['/opt/bpel/bin/bpel', '/usr/local/bin/other']);
  assert.deepEqual(resolveServerPath(undefined, env), { found: true, command: '/opt/bpel/bin/bpel' });
  assert.deepEqual(resolveServerPath('', env), { found: true, command: '/opt/bpel/bin/bpel' });
  assert.deepEqual(resolveServerPath('  bpel ', env), { found: true, command: '/opt/bpel/bin/bpel' });
});

test('a missing server says where it looked and how to install it', () => {
  const resolution = resolveServerPath('bpel', environment([]));
  assert.equal(resolution.found, false);
  if (resolution.found) return;
  assert.deepEqual(resolution.tried, ['/usr/local/bin/bpel', '/opt/bpel/bin/bpel']);
  const message = missingServerMessage(resolution);
  assert.match(message, /`bpel` is not on PATH/);
  assert.ok(message.includes(INSTALL_COMMAND), message);
  assert.equal(INSTALL_COMMAND, 'cargo install --path repl');
});

test('a configured path is taken as it is, relative to the workspace folder, or from ~', () => {
  assert.deepEqual(resolveServerPath('/x/bpel', environment(['/x/bpel'])), { found: true, command: '/x/bpel' });
  assert.deepEqual(resolveServerPath('target/release/bpel', environment(['/work/project/target/release/bpel'])), {
    found: true,
    command: '/work/project/target/release/bpel',
  });
  assert.deepEqual(resolveServerPath('~/.cargo/bin/bpel', environment(['/home/ann/.cargo/bin/bpel'])), {
    found: true,
    command: '/home/ann/.cargo/bin/bpel',
  });
  const missing = resolveServerPath('./bin/bpel', environment([]));
  assert.equal(missing.found, false);
  if (!missing.found) {
    assert.deepEqual(missing.tried, ['/work/project/bin/bpel']);
    assert.match(missingServerMessage(missing), /`\.\/bin\/bpel` \(bpel\.server\.path\) is not an executable file/);
  }
});

test('an empty PATH finds nothing and does not look in the current folder', () => {
  const resolution = resolveServerPath('bpel', environment(['bpel', './bpel'], { searchPath: '' }));
  assert.deepEqual(resolution, { found: false, setting: 'bpel', tried: [] });
});

test('on Windows the PATHEXT endings are tried', () => {
  const env = environment(['C:\\tools\\bpel.exe'], {
    platform: 'win32',
    searchPath: 'C:\\Windows;C:\\tools',
    pathExtensions: '.COM;.EXE',
    home: 'C:\\Users\\ann',
  });
  assert.deepEqual(resolveServerPath('bpel', env), { found: true, command: 'C:\\tools\\bpel.exe' });
});

test('the real environment: an executable file is found, a plain file or a folder is not', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpel-path-'));
  try {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'bpel'), '#!/bin/sh\n', { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'not-executable'), 'text', { mode: 0o644 });
    const env = { ...processEnvironment(dir), searchPath: bin };
    assert.deepEqual(resolveServerPath('bpel', env), { found: true, command: path.join(bin, 'bpel') });
    assert.equal(resolveServerPath('bin', { ...env, searchPath: dir }).found, false, 'a folder is not the server');
    if (process.platform !== 'win32' && process.getuid?.() !== 0) {
      assert.equal(resolveServerPath('./not-executable', env).found, false);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
