// Where the `bpel` executable is: the `bpel.server.path` setting, a name looked up on PATH or a
// path. No `vscode` import, so the unit tests run under plain Node.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const DEFAULT_SERVER = 'bpel';
export const INSTALL_COMMAND = 'cargo install --path repl';

export interface LookupEnvironment {
  /** PATH as the extension host sees it. */
  searchPath: string | undefined;
  /** PATHEXT on Windows (`.EXE;.CMD;...`). */
  pathExtensions?: string;
  platform: NodeJS.Platform;
  home: string;
  /** The first workspace folder, which a relative setting is taken from. */
  workspaceFolder?: string;
  isExecutableFile(candidate: string): boolean;
}

export type ServerResolution =
  | { found: true; command: string }
  | { found: false; setting: string; tried: string[] };

/** Resolves the setting to an executable file, or says every place it looked. */
export function resolveServerPath(setting: string | undefined, env: LookupEnvironment): ServerResolution {
  const wanted = (setting ?? '').trim() || DEFAULT_SERVER;
  const pathApi = env.platform === 'win32' ? path.win32 : path.posix;
  const expanded = expandHome(wanted, env.home, pathApi);
  const tried: string[] = [];
  const candidates = hasDirectory(expanded, env.platform)
    ? [pathApi.resolve(env.workspaceFolder ?? pathApi.resolve('.'), expanded)]
    : onSearchPath(expanded, env, pathApi);
  for (const candidate of withExtensions(candidates, env)) {
    tried.push(candidate);
    if (env.isExecutableFile(candidate)) {
      return { found: true, command: candidate };
    }
  }
  return { found: false, setting: wanted, tried };
}

/** The message shown when the executable is not found. */
export function missingServerMessage(resolution: { setting: string; tried: string[] }): string {
  const where = resolution.setting === DEFAULT_SERVER ? '`bpel` is not on PATH' : `\`${resolution.setting}\` (bpel.server.path) is not an executable file`;
  return `BPEL: cannot start the language server: ${where}. Install it from the bpel repository with \`${INSTALL_COMMAND}\`, or set bpel.server.path to the bpel executable.`;
}

function expandHome(value: string, home: string, pathApi: path.PlatformPath): string {
  if (value === '~') {
    return home;
  }
  if (value.startsWith('~/') || value.startsWith('~\\')) {
    return pathApi.join(home, value.slice(2));
  }
  return value;
}

function hasDirectory(value: string, platform: NodeJS.Platform): boolean {
  return value.includes('/') || (platform === 'win32' && value.includes('\\'));
}

function onSearchPath(name: string, env: LookupEnvironment, pathApi: path.PlatformPath): string[] {
  const separator = env.platform === 'win32' ? ';' : ':';
  return (env.searchPath ?? '')
    .split(separator)
    .filter((dir) => dir.length > 0)
    .map((dir) => pathApi.join(dir, name));
}

/** On Windows `bpel` is `bpel.exe`: each candidate with each PATHEXT ending it lacks. */
function withExtensions(candidates: string[], env: LookupEnvironment): string[] {
  if (env.platform !== 'win32') {
    return candidates;
  }
  const extensions = (env.pathExtensions ?? '.EXE;.CMD;.BAT;.COM').split(';').filter((e) => e.length > 0);
  return candidates.flatMap((candidate) =>
    extensions.some((e) => candidate.toLowerCase().endsWith(e.toLowerCase()))
      ? [candidate]
      : [candidate, ...extensions.map((e) => candidate + e.toLowerCase())],
  );
}

/** The environment of this process. */
export function processEnvironment(workspaceFolder: string | undefined): LookupEnvironment {
  return {
    searchPath: process.env.PATH ?? process.env.Path,
    pathExtensions: process.env.PATHEXT,
    platform: process.platform,
    home: os.homedir(),
    workspaceFolder,
    isExecutableFile: (candidate) => {
      try {
        if (!fs.statSync(candidate).isFile()) {
          return false;
        }
        fs.accessSync(candidate, process.platform === 'win32' ? fs.constants.F_OK : fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
  };
}
