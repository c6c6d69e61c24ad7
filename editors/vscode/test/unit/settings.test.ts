import assert from 'node:assert/strict';
import { test } from 'node:test';

import { codeText, explanationMarkdown, isExplainableRule } from '../../src/explain';
import { processOfScenario, scenarioFolder, scenarioNamesProcess, scenarioProcess } from '../../src/scenarios';
import { serverSettings } from '../../src/settings';

function reader(values: Record<string, unknown>) {
  return (key: string) => values[key];
}

test('the settings reach the server in the shape it reads', () => {
  assert.deepEqual(serverSettings(reader({})), {
    scenarios: { folder: '' },
    run: { timeoutSeconds: 10 },
    rules: { disabled: [], severity: {} },
  });
  assert.deepEqual(
    serverSettings(
      reader({
        'scenarios.folder': 'scenarios',
        'run.timeoutSeconds': 2.5,
        'rules.disabled': ['sa00056', 7, ' SA00001'],
        'rules.severity': { sa00010: 'Warning', SA00011: 'loud', SA00012: 'hint' },
      }),
    ),
    {
      scenarios: { folder: 'scenarios' },
      run: { timeoutSeconds: 2.5 },
      rules: { disabled: ['SA00056', 'SA00001'], severity: { SA00010: 'warning', SA00012: 'hint' } },
    },
  );
  assert.equal(serverSettings(reader({ 'run.timeoutSeconds': -1 })).run.timeoutSeconds, 10);
  assert.equal(serverSettings(reader({ 'run.timeoutSeconds': '5' })).run.timeoutSeconds, 10);
  assert.deepEqual(serverSettings(reader({ 'rules.severity': ['error'] })).rules.severity, {});
});

test('a scenario names its process relative to itself', () => {
  const text = '# a comment\ndescription = "x"\nprocess = "echo.bpel"\n\n[[step]]\nprocess = "not.bpel"\n';
  assert.equal(scenarioProcess(text), 'echo.bpel');
  assert.equal(processOfScenario('/w/examples/echo/echo.scenario.toml', text), '/w/examples/echo/echo.bpel');
  assert.ok(scenarioNamesProcess('/w/s/a.scenario.toml', "process = '../p/x.bpel' # there", '/w/p/x.bpel'));
  assert.ok(!scenarioNamesProcess('/w/s/a.scenario.toml', 'process = "y.bpel"', '/w/s/x.bpel'));
  assert.equal(scenarioProcess('[[step]]\nprocess = "late.bpel"'), undefined);
  assert.equal(scenarioFolder('/w/p/x.bpel', '', '/w'), '/w/p');
  assert.equal(scenarioFolder('/w/p/x.bpel', 'scenarios', '/w'), '/w/scenarios');
  assert.equal(scenarioFolder('/w/p/x.bpel', '/abs', '/w'), '/abs');
});

test('which codes have an explanation, and how it reads', () => {
  assert.equal(codeText('SA00056'), 'SA00056');
  assert.equal(codeText({ value: 'SA00001', target: 'file:///x' }), 'SA00001');
  assert.equal(codeText(undefined), undefined);
  assert.ok(isExplainableRule('SA00056') && isExplainableRule('sa1'));
  assert.ok(!isExplainableRule('BPEL0100') && !isExplainableRule('XPATH001'));
  const cli = 'SA00056: a thing\n\nWhy: because\n\nRejected:\n    <a/>\n    \n    <b/>\n\nAccepted:\n    <c/>\n';
  assert.equal(
    explanationMarkdown('SA00056', { ok: true, text: cli }),
    '# SA00056: a thing\n\n**Why:** because\n\n**Rejected:**\n```xml\n<a/>\n\n<b/>\n```\n\n**Accepted:**\n```xml\n<c/>\n```\n',
  );
  assert.equal(explanationMarkdown('SA00049', { ok: false, text: 'no rule' }), '# SA00049\n\nNo explanation: no rule\n');
});
