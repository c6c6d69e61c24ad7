// The `bpel` settings as the server reads them (initializationOptions and
// workspace/didChangeConfiguration's settings.bpel). No `vscode` import.

export type Severity = 'error' | 'warning' | 'information' | 'hint';
const SEVERITIES: readonly string[] = ['error', 'warning', 'information', 'hint'];

export interface ServerSettings {
  scenarios: { folder: string };
  run: { timeoutSeconds: number };
  rules: { disabled: string[]; severity: Record<string, Severity> };
}

export const DEFAULT_TIMEOUT_SECONDS = 10;

/** Reads a setting by its dotted name under `bpel.` (`run.timeoutSeconds`). */
export type SettingReader = (key: string) => unknown;

/** The server's settings from what the user set, with values of the wrong type replaced by the
 * defaults so that a typo in settings.json never reaches the server as garbage. */
export function serverSettings(read: SettingReader): ServerSettings {
  const folder = read('scenarios.folder');
  const timeout = read('run.timeoutSeconds');
  const disabled = read('rules.disabled');
  const severity = read('rules.severity');
  return {
    scenarios: { folder: typeof folder === 'string' ? folder : '' },
    run: {
      timeoutSeconds: typeof timeout === 'number' && Number.isFinite(timeout) && timeout > 0 ? timeout : DEFAULT_TIMEOUT_SECONDS,
    },
    rules: {
      disabled: Array.isArray(disabled) ? disabled.filter((code): code is string => typeof code === 'string').map(normalizeCode) : [],
      severity: severityOverrides(severity),
    },
  };
}

function severityOverrides(value: unknown): Record<string, Severity> {
  const out: Record<string, Severity> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return out;
  }
  for (const [code, level] of Object.entries(value)) {
    if (typeof level === 'string' && SEVERITIES.includes(level.toLowerCase())) {
      out[normalizeCode(code)] = level.toLowerCase() as Severity;
    }
  }
  return out;
}

function normalizeCode(code: string): string {
  return code.trim().toUpperCase();
}
