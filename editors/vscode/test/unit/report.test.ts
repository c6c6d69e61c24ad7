import assert from 'node:assert/strict';
import { test } from 'node:test';

import { instanceChoices, parseRunReport, renderRunReport, ReportShapeError } from '../../src/report';

// The shape `bpel.run` returns (lsp/src/run.rs: the engine's RunReport as JSON), fields the report
// does not show included.
const passedSample = {
  passed: true,
  steps: [
    { description: 'send client.echo (a sample request)', ok: true, detail: '<echo:echo>sample</echo:echo>' },
    { description: 'instance 1 is completed', ok: true, detail: '' },
  ],
  instances: [
    {
      id: 1,
      status: 'completed',
      reply: '<echo:echoResponse xmlns:echo="http://example.com/bpel/examples/echo">sample</echo:echoResponse>',
      summary: 'completed',
      variables: [{ name: 'request', scope: 'process', value: '<payload>sample</payload>' }],
    },
  ],
  activity_counts: [{ activity: 1, span: { start: 10, end: 20 }, description: '<receive name="ReceiveEcho"> (line 25)', count: 1 }],
  notes: [],
};

const failedScenario = {
  passed: false,
  steps: [
    { description: 'send client.order', ok: true, detail: 'sent' },
    { description: 'expect reply', ok: false, detail: 'expected: <ok/>\nactual:   <fault/>' },
  ],
  instances: [
    { id: 1, status: 'faulted', fault: 'ord:rejected', summary: 'faulted: ord:rejected', variables: [] },
    { id: 2, status: 'running', summary: 'waiting: message on customer.confirm', variables: [] },
  ],
  activity_counts: [],
  notes: ['the clock was moved 3 times'],
};

test('a passing sample run: the verdict, the steps with ✓, the reply', () => {
  const text = renderRunReport(parseRunReport(passedSample), { process: 'echo.bpel' });
  const lines = text.split('\n');
  assert.equal(lines[0], '# ✓ Run passed: echo.bpel');
  assert.ok(text.includes('Result: **passed** (2 steps, 0 failed; 1 instance)'), text);
  assert.ok(text.includes('A sample run'), text);
  assert.ok(lines.includes('✓ 1. send client.echo (a sample request)'), text);
  assert.ok(lines.includes('✓ 2. instance 1 is completed'), text);
  assert.ok(lines.includes('### Instance 1: completed'), text);
  const reply = lines.indexOf('Reply:');
  assert.deepEqual(lines.slice(reply, reply + 4), ['Reply:', '```xml', passedSample.instances[0].reply, '```']);
  assert.ok(!text.includes('✗'), 'no failed step is shown');
  assert.ok(!text.includes('## Notes'), 'no empty notes section');
});

test('a failing scenario: ✗ on the failed step with its detail, the fault, the notes', () => {
  const text = renderRunReport(parseRunReport(failedScenario), { process: 'order.bpel', scenario: 'order.scenario.toml' });
  const lines = text.split('\n');
  assert.equal(lines[0], '# ✗ Run failed: order.bpel');
  assert.ok(lines.includes('Scenario: order.scenario.toml'), text);
  assert.ok(text.includes('Result: **failed** (2 steps, 1 failed; 2 instances)'), text);
  const failed = lines.indexOf('✗ 2. expect reply');
  assert.ok(failed > 0, text);
  assert.deepEqual(lines.slice(failed + 1, failed + 5), ['', '    expected: <ok/>', '    actual:   <fault/>', '']);
  assert.ok(lines.includes('### Instance 1: faulted'), text);
  assert.ok(lines.includes('Fault: `ord:rejected`'), text);
  assert.ok(lines.includes('waiting: message on customer.confirm'), text);
  assert.ok(lines.includes('- the clock was moved 3 times'), text);
});

test('a reply holding backticks gets a longer fence', () => {
  const report = parseRunReport({ passed: true, steps: [], instances: [{ id: 3, status: 'completed', reply: '<a>```</a>' }] });
  const text = renderRunReport(report, { process: 'p.bpel' });
  assert.ok(text.includes('````xml\n<a>```</a>\n````'), text);
  assert.ok(text.includes('No steps ran.'), text);
});

test('no instance, said so', () => {
  const report = parseRunReport({ passed: false, steps: [], instances: [] });
  const text = renderRunReport(report, { process: 'p.bpel' });
  assert.ok(text.includes('No instance was created.'), text);
});

test('what is not a report is refused with a reason', () => {
  assert.throws(() => parseRunReport(null), ReportShapeError);
  assert.throws(() => parseRunReport([]), /a list, not a report/);
  assert.throws(() => parseRunReport({ steps: [], instances: [] }), /boolean `passed`/);
  assert.throws(() => parseRunReport({ passed: true, instances: [] }), /no `steps` list/);
  assert.throws(() => parseRunReport({ passed: true, steps: [{ ok: true }], instances: [] }), /step 1/);
  assert.throws(() => parseRunReport({ passed: true, steps: [], instances: [{ status: 'x' }] }), /instance 1/);
});

test('the instances offered for a checkpoint', () => {
  assert.deepEqual(instanceChoices(parseRunReport(failedScenario)), [
    { id: 1, label: 'Instance 1: faulted (ord:rejected)' },
    { id: 2, label: 'Instance 2: running' },
  ]);
});
