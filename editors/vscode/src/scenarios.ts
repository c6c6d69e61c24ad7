// Which scenario files belong to which process. No `vscode` import.
import * as path from 'node:path';

/** The `process = "..."` of a scenario file (TOML; a top-level string key), or undefined. */
export function scenarioProcess(text: string): string | undefined {
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed.startsWith('[')) {
      return undefined; // the top-level keys are before the first table
    }
    const match = /^process\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)')\s*(?:#.*)?$/.exec(trimmed);
    if (match) {
      return match[1] !== undefined ? match[1].replace(/\\(["\\])/g, '$1') : match[2];
    }
  }
  return undefined;
}

/** The process file a scenario names: `process` is relative to the scenario file. */
export function processOfScenario(scenarioPath: string, text: string): string | undefined {
  const named = scenarioProcess(text);
  return named === undefined ? undefined : path.resolve(path.dirname(scenarioPath), named);
}

/** Whether the scenario at `scenarioPath` names the process at `processPath`. */
export function scenarioNamesProcess(scenarioPath: string, text: string, processPath: string): boolean {
  const named = processOfScenario(scenarioPath, text);
  return named !== undefined && path.resolve(named) === path.resolve(processPath);
}

/** Where a process's scenarios are: the `bpel.scenarios.folder` setting (absolute, or relative to
 * the workspace folder), else the process's own folder. */
export function scenarioFolder(processPath: string, setting: string, workspaceFolder: string | undefined): string {
  const folder = setting.trim();
  if (folder.length === 0) {
    return path.dirname(processPath);
  }
  return path.resolve(workspaceFolder ?? path.dirname(processPath), folder);
}
