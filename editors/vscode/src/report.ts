// The result of the server's `bpel.run` as a readable Markdown report. No `vscode` import.

export interface RunStep {
  description: string;
  ok: boolean;
  detail: string;
}

export interface RunInstance {
  id: number | string;
  status: string;
  reply?: string;
  fault?: string;
  summary?: string;
}

export interface RunReport {
  passed: boolean;
  steps: RunStep[];
  instances: RunInstance[];
  notes: string[];
}

export class ReportShapeError extends Error {}

/** Checks the JSON the server returned and keeps what the report shows. */
export function parseRunReport(value: unknown): RunReport {
  if (!isObject(value)) {
    throw new ReportShapeError(`bpel.run returned ${describe(value)}, not a report object`);
  }
  if (typeof value.passed !== 'boolean') {
    throw new ReportShapeError('bpel.run returned a report without a boolean `passed`');
  }
  const steps = arrayField(value, 'steps').map((step, index): RunStep => {
    if (!isObject(step) || typeof step.description !== 'string' || typeof step.ok !== 'boolean') {
      throw new ReportShapeError(`step ${index + 1} of the report has no description or ok`);
    }
    return { description: step.description, ok: step.ok, detail: typeof step.detail === 'string' ? step.detail : '' };
  });
  const instances = arrayField(value, 'instances').map((instance, index): RunInstance => {
    if (!isObject(instance) || (typeof instance.id !== 'number' && typeof instance.id !== 'string') || typeof instance.status !== 'string') {
      throw new ReportShapeError(`instance ${index + 1} of the report has no id or status`);
    }
    return {
      id: instance.id,
      status: instance.status,
      reply: optionalString(instance.reply),
      fault: optionalString(instance.fault),
      summary: optionalString(instance.summary),
    };
  });
  const notes = Array.isArray(value.notes) ? value.notes.filter((note): note is string => typeof note === 'string') : [];
  return { passed: value.passed, steps, instances, notes };
}

export interface ReportContext {
  /** The process file's name (or path) as the user knows it. */
  process: string;
  /** The scenario file, when the run played one. */
  scenario?: string;
}

/** The report as Markdown, readable as plain text too: the verdict first, then the steps with
 * ✓/✗, then each instance with its reply or fault. */
export function renderRunReport(report: RunReport, context: ReportContext): string {
  const lines: string[] = [];
  const verdict = report.passed ? '✓ Run passed' : '✗ Run failed';
  lines.push(`# ${verdict}: ${context.process}`, '');
  lines.push(context.scenario ? `Scenario: ${context.scenario}` : 'A sample run: a generated request, sample replies to invokes.', '');
  const failed = report.steps.filter((step) => !step.ok).length;
  lines.push(
    `Result: **${report.passed ? 'passed' : 'failed'}** (${plural(report.steps.length, 'step')}, ${failed} failed; ${plural(report.instances.length, 'instance')})`,
    '',
  );

  lines.push('## Steps', '');
  if (report.steps.length === 0) {
    lines.push('No steps ran.', '');
  }
  report.steps.forEach((step, index) => {
    lines.push(`${step.ok ? '✓' : '✗'} ${index + 1}. ${oneLine(step.description)}`);
    const detail = step.detail.trimEnd();
    if (detail.length > 0) {
      // an indented block: verbatim in Markdown, readable as plain text
      lines.push('', ...detail.split('\n').map((line) => `    ${line}`));
    }
    lines.push('');
  });

  lines.push('## Instances', '');
  if (report.instances.length === 0) {
    lines.push('No instance was created.', '');
  }
  for (const instance of report.instances) {
    lines.push(`### Instance ${instance.id}: ${instance.status}`, '');
    if (instance.summary && instance.summary !== instance.status) {
      lines.push(oneLine(instance.summary), '');
    }
    if (instance.fault) {
      lines.push(`Fault: \`${oneLine(instance.fault)}\``, '');
    }
    if (instance.reply) {
      lines.push('Reply:', ...fenced(instance.reply.trimEnd(), 'xml'), '');
    }
  }

  if (report.notes.length > 0) {
    lines.push('## Notes', '', ...report.notes.map((note) => `- ${oneLine(note)}`), '');
  }
  return lines.join('\n');
}

/** The instance numbers of a report, for the checkpoint picker. */
export function instanceChoices(report: RunReport): { id: number; label: string }[] {
  return report.instances
    .filter((instance) => typeof instance.id === 'number' || /^\d+$/.test(String(instance.id)))
    .map((instance) => ({
      id: Number(instance.id),
      label: `Instance ${instance.id}: ${instance.fault ? `${instance.status} (${instance.fault})` : instance.status}`,
    }));
}

function fenced(text: string, language: string): string[] {
  // a fence longer than any run of backticks inside
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return [fence + language, text, fence];
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function arrayField(value: Record<string, unknown>, key: string): unknown[] {
  const field = value[key];
  if (!Array.isArray(field)) {
    throw new ReportShapeError(`the report has no \`${key}\` list`);
  }
  return field;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function describe(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  return Array.isArray(value) ? 'a list' : typeof value;
}
