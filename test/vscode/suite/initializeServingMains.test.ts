// Go Deploy: Initialize on a module where two mains serve asks which one to deploy, with a quick
// pick that shows what each does; the picked main is the one godeploy.yaml deploys.
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { inspectModule } from '../../../src/core/gomod/inspect';
import { describeMain, servingMains } from '../../../src/core/init/chooseMain';
import { EXTENSION_ID, withTimeout } from '../../support/vscodeHelpers';

const files: Record<string, string> = {
  'go.mod': 'module example.com/shop\n\ngo 1.19\n',
  'cmd/api/main.go':
    'package main\n\nimport "net/http"\n\nfunc main() {\n\thttp.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {})\n\t_ = http.ListenAndServe(":8080", nil)\n}\n',
  'cmd/admin/main.go':
    'package main\n\nimport (\n\t"net"\n\t"net/http"\n)\n\nfunc main() {\n\tl, _ := net.Listen("tcp", ":9090")\n\t_ = http.Serve(l, nil)\n}\n',
  'cmd/migrate/main.go': 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("migrated") }\n',
};

describe('godeploy.initialize with several serving mains', () => {
  let dir = '';
  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    // Outside the workspace: the other suites keep seeing one module.
    dir = mkdtempSync(join(tmpdir(), 'godeploy-two-servers-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(dir, { recursive: true, force: true });
  });

  it('offers exactly the serving mains, each with its evidence', async () => {
    const serving = servingMains(await inspectModule(dir));
    assert.deepEqual(
      serving.map((m) => m.path),
      ['./cmd/admin', './cmd/api'],
      'the migrate tool does not serve',
    );
    assert.match(
      describeMain(serving[0]),
      /^\.\/cmd\/admin: listens \(cmd\/admin\/main\.go:9\), port 9090$|^\.\/cmd\/admin: serves HTTP \(cmd\/admin\/main\.go:\d+\), port 9090$/,
    );
    assert.match(describeMain(serving[1]), /^\.\/cmd\/api: serves HTTP \(cmd\/api\/main\.go:7\), port 8080, health \/healthz$/);
  });

  it('asks with a quick pick and writes the picked main', async () => {
    let settled = false;
    const running = vscode.commands.executeCommand<vscode.Uri | undefined>('godeploy.initialize', vscode.Uri.file(dir)).then((r) => {
      settled = true;
      return r;
    });
    // The pick lists ./cmd/admin then ./cmd/api: move to the second and accept, as a user would with the keyboard.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(settled, false, 'Initialize wrote godeploy.yaml without asking which main');
    await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    const written = await withTimeout('godeploy.initialize after the pick', running, 20_000);
    assert.equal(written?.fsPath, join(dir, 'godeploy.yaml'));
    const text = readFileSync(join(dir, 'godeploy.yaml'), 'utf8');
    assert.match(text, /^ {2}main: \.\/cmd\/api\s/m);
    assert.match(text, /^ {2}name: api\s/m);
    assert.match(text, /^ {2}port: 8080\s/m);
    assert.match(text, /^ {4}path: \/healthz\s/m);
  });
});
