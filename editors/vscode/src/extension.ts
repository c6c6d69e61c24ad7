// The VS Code face of `bpel lsp`: starts the server, shows the run reports, and adds the commands
// the server does not offer itself. The logic worth testing lives in the modules without `vscode`.
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';

import { codeText, explainRule, explanationMarkdown, isExplainableRule } from './explain';
import { instanceChoices, parseRunReport, renderRunReport, ReportShapeError, RunReport } from './report';
import { processOfScenario, scenarioFolder, scenarioNamesProcess } from './scenarios';
import { missingServerMessage, processEnvironment, resolveServerPath } from './serverPath';
import { serverSettings } from './settings';

const RUN = 'bpel.run';
const SAVE_CHECKPOINT = 'bpel.saveCheckpoint';
/** Offered by the server (its "Explain rule" code actions call it), so the client registers it;
 * the middleware answers it here, with the explanation opened beside the editor. */
const EXPLAIN_RULE = 'bpel.explainRule';
const REPORT_SCHEME = 'bpel-report';

let client: LanguageClient | undefined;
let serverCommand: string | undefined;
let output: vscode.OutputChannel;
const reports = new Map<string, string>();
const reportChanged = new vscode.EventEmitter<vscode.Uri>();
/** The last run of each process (by URI), for "Save checkpoint of last run". */
const lastRuns = new Map<string, RunReport>();
let lastRunProcess: string | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('BPEL Language Server');
  context.subscriptions.push(
    output,
    reportChanged,
    vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, {
      onDidChange: reportChanged.event,
      provideTextDocumentContent: (uri) => reports.get(uri.toString()) ?? '',
    }),
    vscode.commands.registerCommand('bpel.restartServer', restartServer),
    vscode.commands.registerCommand('bpel.showOutput', () => output.show(true)),
    vscode.commands.registerCommand('bpel.runProcess', runProcess),
    vscode.commands.registerCommand('bpel.runScenario', runScenario),
    vscode.commands.registerCommand('bpel.saveCheckpointOfLastRun', saveCheckpointOfLastRun),
    vscode.workspace.onDidChangeConfiguration((change) => {
      if (change.affectsConfiguration('bpel.server.path')) {
        void restartServer();
      }
    }),
    { dispose: () => void client?.stop() },
  );
  await startServer();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

function workspaceFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

function currentSettings() {
  const configuration = vscode.workspace.getConfiguration('bpel');
  return serverSettings((key) => configuration.get(key));
}

async function startServer(): Promise<void> {
  const setting = vscode.workspace.getConfiguration('bpel').get<string>('server.path');
  const resolution = resolveServerPath(setting, processEnvironment(workspaceFolder()));
  if (!resolution.found) {
    serverCommand = undefined;
    const message = missingServerMessage(resolution);
    output.appendLine(`${message}\nLooked for: ${resolution.tried.join(', ') || '(PATH is empty)'}`);
    void vscode.window.showErrorMessage(message, 'Open Setting', 'Show Log').then((choice) => {
      if (choice === 'Open Setting') {
        void vscode.commands.executeCommand('workbench.action.openSettings', 'bpel.server.path');
      } else if (choice === 'Show Log') {
        output.show(true);
      }
    });
    return;
  }
  serverCommand = resolution.command;
  output.appendLine(`Starting ${resolution.command} lsp`);
  const serverOptions: ServerOptions = {
    run: { command: resolution.command, args: ['lsp'] },
    debug: { command: resolution.command, args: ['lsp'] },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'bpel' },
      { scheme: 'file', pattern: '**/*.wsdl' },
      { scheme: 'file', pattern: '**/*.xsd' },
    ],
    synchronize: { configurationSection: 'bpel' },
    initializationOptions: currentSettings(),
    outputChannel: output,
    middleware: {
      // The server's code lenses call `bpel.run` directly: the report opens for them too.
      // Sent here rather than through `next`, so that a refused run shows the server's reason
      // once instead of a generic "request failed".
      executeCommand: async (command, args, next) => {
        if (command === EXPLAIN_RULE) {
          await explainRuleCommand(args[0]);
          return undefined;
        }
        if (command !== RUN || !client) {
          return next(command, args);
        }
        let result: unknown;
        try {
          result = await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
        } catch (error) {
          output.appendLine(`bpel.run ${JSON.stringify(args)}: ${errorText(error)}`);
          void vscode.window.showErrorMessage(`BPEL: the run did not start: ${errorText(error)}`);
          return undefined;
        }
        await showRunReport(args[0], result);
        return result;
      },
    },
  };
  client = new LanguageClient('bpel', 'BPEL Language Server', serverOptions, clientOptions);
  try {
    await client.start();
  } catch (error) {
    output.appendLine(`The language server did not start: ${String(error)}`);
    void vscode.window.showErrorMessage(`BPEL: the language server (${resolution.command} lsp) did not start: ${String(error)}`, 'Show Log').then(
      (choice) => choice && output.show(true),
    );
  }
}

async function restartServer(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    output.appendLine('Restarting the language server');
    try {
      await running.stop();
    } catch (error) {
      output.appendLine(`Stopping the server: ${String(error)}`);
    }
  }
  await startServer();
}

function runningClient(): LanguageClient | undefined {
  if (client && client.state === State.Running) {
    return client;
  }
  void vscode.window.showErrorMessage('BPEL: the language server is not running.', 'Restart', 'Show Log').then((choice) => {
    if (choice === 'Restart') {
      void restartServer();
    } else if (choice === 'Show Log') {
      output.show(true);
    }
  });
  return undefined;
}

/** The process of the active editor, or one given by a menu. */
function processUri(given: unknown): vscode.Uri | undefined {
  if (given instanceof vscode.Uri) {
    return given;
  }
  const document = vscode.window.activeTextEditor?.document;
  if (document?.languageId === 'bpel') {
    return document.uri;
  }
  void vscode.window.showErrorMessage('BPEL: open a .bpel process first.');
  return undefined;
}

async function runProcess(given?: unknown): Promise<void> {
  const uri = processUri(given);
  if (uri && runningClient()) {
    await runOnServer({ uri: uri.toString() }, path.basename(uri.fsPath));
  }
}

async function runScenario(given?: unknown): Promise<void> {
  const active = given instanceof vscode.Uri ? given : vscode.window.activeTextEditor?.document.uri;
  if (!active || !runningClient()) {
    if (!active) {
      void vscode.window.showErrorMessage('BPEL: open a .bpel process or a .scenario.toml first.');
    }
    return;
  }
  let process: vscode.Uri;
  let scenario: vscode.Uri | undefined;
  if (active.fsPath.endsWith('.scenario.toml')) {
    const text = (await vscode.workspace.openTextDocument(active)).getText();
    const named = processOfScenario(active.fsPath, text);
    if (!named) {
      void vscode.window.showErrorMessage(`BPEL: ${path.basename(active.fsPath)} names no process (process = "FILE.bpel").`);
      return;
    }
    process = vscode.Uri.file(named);
    scenario = active;
  } else {
    process = active;
    scenario = await pickScenario(process);
    if (!scenario) {
      return;
    }
  }
  await runOnServer({ uri: process.toString(), scenario: scenario.toString() }, path.basename(process.fsPath));
}

async function pickScenario(process: vscode.Uri): Promise<vscode.Uri | undefined> {
  const folder = scenarioFolder(process.fsPath, currentSettings().scenarios.folder, workspaceFolder());
  const found: vscode.Uri[] = [];
  try {
    for (const [name, type] of await vscode.workspace.fs.readDirectory(vscode.Uri.file(folder))) {
      if (type === vscode.FileType.File && name.endsWith('.scenario.toml')) {
        const uri = vscode.Uri.file(path.join(folder, name));
        const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
        if (scenarioNamesProcess(uri.fsPath, text, process.fsPath)) {
          found.push(uri);
        }
      }
    }
  } catch (error) {
    output.appendLine(`Looking for scenarios in ${folder}: ${String(error)}`);
  }
  if (found.length === 1) {
    return found[0];
  }
  if (found.length > 1) {
    const picked = await vscode.window.showQuickPick(
      found.map((uri) => ({ label: path.basename(uri.fsPath), uri })),
      { placeHolder: 'The scenario to run' },
    );
    return picked?.uri;
  }
  const chosen = await vscode.window.showOpenDialog({
    defaultUri: vscode.Uri.file(folder),
    filters: { Scenarios: ['toml'] },
    openLabel: 'Run scenario',
    title: `No scenario in ${folder} names ${path.basename(process.fsPath)}: choose one`,
  });
  return chosen?.[0];
}

/** `bpel.run` through the command the client registered for it, so that the middleware shows the
 * report as it does for the code lenses. */
async function runOnServer(argument: { uri: string; scenario?: string }, label: string): Promise<void> {
  output.appendLine(`Running ${label}${argument.scenario ? ` with ${path.basename(vscode.Uri.parse(argument.scenario).fsPath)}` : ''}`);
  // The server reports the run's progress itself ($/progress).
  await vscode.commands.executeCommand(RUN, argument);
}

async function showRunReport(argument: unknown, result: unknown): Promise<void> {
  const request = argument as { uri?: unknown; scenario?: unknown } | undefined;
  const process = typeof request?.uri === 'string' ? vscode.Uri.parse(request.uri) : undefined;
  const scenario = typeof request?.scenario === 'string' ? vscode.Uri.parse(request.scenario) : undefined;
  let report: RunReport;
  try {
    report = parseRunReport(result);
  } catch (error) {
    const reason = error instanceof ReportShapeError ? error.message : String(error);
    output.appendLine(`bpel.run: ${reason}: ${JSON.stringify(result)}`);
    void vscode.window.showErrorMessage(`BPEL: ${reason}`);
    return;
  }
  const processName = process ? path.basename(process.fsPath) : 'process';
  if (process) {
    lastRuns.set(process.toString(), report);
    lastRunProcess = process.toString();
  }
  const text = renderRunReport(report, {
    process: processName,
    scenario: scenario ? path.basename(scenario.fsPath) : undefined,
  });
  const uri = vscode.Uri.from({
    scheme: REPORT_SCHEME,
    path: `/Run ${processName}.md`,
    query: process?.toString() ?? '',
  });
  reports.set(uri.toString(), text);
  reportChanged.fire(uri);
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });
  const verdict = report.passed ? 'passed' : 'failed';
  output.appendLine(`Run of ${processName}${scenario ? ` (${path.basename(scenario.fsPath)})` : ''}: ${verdict}`);
}

async function saveCheckpointOfLastRun(): Promise<void> {
  const active = vscode.window.activeTextEditor?.document;
  const processKey = active?.languageId === 'bpel' && lastRuns.has(active.uri.toString()) ? active.uri.toString() : lastRunProcess;
  const report = processKey ? lastRuns.get(processKey) : undefined;
  if (!processKey || !report) {
    void vscode.window.showErrorMessage('BPEL: run the process first (BPEL: Run process), then save a checkpoint of one of its instances.');
    return;
  }
  const choices = instanceChoices(report);
  if (choices.length === 0) {
    void vscode.window.showErrorMessage('BPEL: the last run created no instance.');
    return;
  }
  const picked =
    choices.length === 1
      ? choices[0]
      : await vscode.window.showQuickPick(choices.map((choice) => ({ ...choice, label: choice.label })), {
          placeHolder: 'The instance to save',
        });
  if (!picked) {
    return;
  }
  const process = vscode.Uri.parse(processKey);
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(path.join(path.dirname(process.fsPath), `${path.basename(process.fsPath, '.bpel')}-instance-${picked.id}.checkpoint`)),
    filters: { Checkpoints: ['checkpoint'] },
    saveLabel: 'Save checkpoint',
  });
  if (!target || !runningClient()) {
    return;
  }
  try {
    const result = (await vscode.commands.executeCommand(SAVE_CHECKPOINT, {
      uri: processKey,
      instance: picked.id,
      path: target.fsPath,
    })) as { bytes?: number } | undefined;
    void vscode.window.showInformationMessage(`BPEL: saved instance ${picked.id} to ${target.fsPath}${result?.bytes ? ` (${result.bytes} bytes)` : ''}.`);
  } catch (error) {
    void vscode.window.showErrorMessage(`BPEL: the checkpoint was not saved: ${errorText(error)}`);
  }
}

/** The rule codes of the diagnostics under the cursor, else of the whole document. */
function codesAtCursor(): vscode.Diagnostic[] {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    return [];
  }
  const all = vscode.languages.getDiagnostics(editor.document.uri).filter((d) => codeText(d.code) !== undefined);
  const here = all.filter((d) => d.range.contains(editor.selection.active));
  return here.length > 0 ? here : all;
}

async function explainRuleCommand(given?: unknown): Promise<void> {
  // a code, or the server's argument {"code": CODE}
  const givenCode = typeof given === 'object' && given !== null ? (given as { code?: unknown }).code : given;
  let code = typeof givenCode === 'string' ? givenCode : undefined;
  let diagnostic: vscode.Diagnostic | undefined;
  if (!code) {
    const candidates = codesAtCursor();
    const unique = [...new Map(candidates.map((d) => [codeText(d.code) as string, d])).values()];
    if (unique.length === 1) {
      diagnostic = unique[0];
    } else if (unique.length > 1) {
      const picked = await vscode.window.showQuickPick(
        unique.map((d) => ({ label: codeText(d.code) as string, description: d.message.split('\n')[0], diagnostic: d })),
        { placeHolder: 'The rule to explain' },
      );
      diagnostic = picked?.diagnostic;
      if (!picked) {
        return;
      }
    }
    code = diagnostic ? codeText(diagnostic.code) : await vscode.window.showInputBox({ prompt: 'Rule code', placeHolder: 'SA00056' });
  }
  if (!code) {
    return;
  }
  if (!isExplainableRule(code)) {
    const target = diagnostic && typeof diagnostic.code === 'object' ? diagnostic.code.target : undefined;
    if (target) {
      await vscode.commands.executeCommand('vscode.open', target);
    } else {
      void vscode.window.showInformationMessage(`BPEL: ${code} is not a static-analysis rule; its message says what is wrong (the codes are listed in ARCHITECTURE.md, "Diagnostic codes").`);
    }
    return;
  }
  if (!serverCommand) {
    void vscode.window.showErrorMessage('BPEL: the bpel executable was not found (bpel.server.path).');
    return;
  }
  const explanation = await explainRule(serverCommand, code.toUpperCase());
  const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${code.toUpperCase()}.md` });
  reports.set(uri.toString(), explanationMarkdown(code.toUpperCase(), explanation));
  reportChanged.fire(uri);
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { viewColumn: vscode.ViewColumn.Beside, preview: true });
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return typeof error === 'object' && error !== null && 'message' in error ? String((error as { message: unknown }).message) : String(error);
}
