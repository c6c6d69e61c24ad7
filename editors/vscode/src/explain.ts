// "BPEL: Explain rule": `bpel check --explain CODE`, the same text the command line prints. No
// `vscode` import.
import { execFile } from 'node:child_process';

/** A diagnostic's code as LSP gives it to VS Code: a string, a number, or {value, target}. */
export type DiagnosticCode = string | number | { value: string | number; target: unknown } | undefined;

export function codeText(code: DiagnosticCode): string | undefined {
  if (code === undefined) {
    return undefined;
  }
  const value = typeof code === 'object' ? code.value : code;
  const text = String(value).trim();
  return text.length > 0 ? text : undefined;
}

/** Only the static-analysis rules (SA00001–SA00095) have explanations behind `--explain`. */
export function isExplainableRule(code: string): boolean {
  return /^SA\d{1,5}$/i.test(code.trim());
}

export interface Explanation {
  ok: boolean;
  text: string;
}

/** Runs `SERVER check --explain CODE`, bounded in time. */
export function explainRule(server: string, code: string, timeoutMs = 10000): Promise<Explanation> {
  return new Promise((resolve) => {
    execFile(server, ['check', '--explain', code], { timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
      if (error) {
        const reason = stderr.trim() || error.message;
        resolve({ ok: false, text: reason });
      } else {
        resolve({ ok: true, text: stdout });
      }
    });
  });
}

/** The explanation as Markdown: the summary as a heading, the examples (indented by four spaces
 * in the command line's text) as XML blocks. */
export function explanationMarkdown(code: string, explanation: Explanation): string {
  if (!explanation.ok) {
    return `# ${code}\n\nNo explanation: ${explanation.text}\n`;
  }
  const out: string[] = [];
  let inBlock = false;
  // blank lines inside an example, kept only if the example goes on after them
  let blanks = 0;
  for (const line of explanation.text.replace(/\r\n/g, '\n').split('\n')) {
    const indented = line.startsWith('    ') && line.trim().length > 0;
    if (line.trim().length === 0) {
      blanks++;
      continue;
    }
    if (inBlock && !indented) {
      out.push('```');
      inBlock = false;
    }
    if (out.length > 0) {
      out.push(...Array<string>(blanks).fill(''));
    }
    blanks = 0;
    if (indented) {
      if (!inBlock) {
        out.push('```xml');
        inBlock = true;
      }
      out.push(line.slice(4));
    } else if (out.length === 0) {
      out.push(`# ${line.trim()}`);
    } else if (/^(Why|Rejected|Accepted):/.test(line)) {
      const colon = line.indexOf(':');
      out.push(`**${line.slice(0, colon + 1)}**${line.slice(colon + 1)}`);
    } else {
      out.push(line);
    }
  }
  if (inBlock) {
    out.push('```');
  }
  return out.join('\n') + '\n';
}
