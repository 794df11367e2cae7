// End to end, as a user: a module where two mains serve (and a third, a tool, does not).
// "Go Deploy: Initialize" from the palette asks which main to deploy with a quick pick whose rows
// show what each main does; the user moves to the second row and presses Enter; godeploy.yaml
// opens deploying that main.
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runFromPalette, SCREENSHOTS, UI_TIMEOUT, useE2eSession } from '../support/e2eSession';

const files: Record<string, string> = {
  'go.mod': 'module example.com/shop\n\ngo 1.19\n',
  'cmd/api/main.go':
    'package main\n\nimport "net/http"\n\nfunc main() {\n\thttp.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {})\n\t_ = http.ListenAndServe(":8080", nil)\n}\n',
  'cmd/admin/main.go':
    'package main\n\nimport (\n\t"net"\n\t"net/http"\n)\n\nfunc main() {\n\tl, _ := net.Listen("tcp", ":9090")\n\t_ = http.Serve(l, nil)\n}\n',
  'cmd/migrate/main.go': 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("migrated") }\n',
};

describe('e2e: Initialize asks which serving main to deploy', function () {
  this.timeout(180_000);
  const session = useE2eSession('e2e-initialize-mains', (workspace) => {
    rmSync(join(workspace, 'main.go'), { force: true });
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(workspace, name)), { recursive: true });
      writeFileSync(join(workspace, name), text);
    }
  });

  it('shows each serving main with its evidence, and writes the one picked', async () => {
    const { page, workspace } = session;
    await runFromPalette(page, 'Go Deploy: Initialize');
    const rows = page.locator('.quick-input-list .monaco-list-row');
    await rows.filter({ hasText: './cmd/api' }).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    const texts = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    assert.equal(texts.length, 2, `rows: ${JSON.stringify(texts)}`);
    assert.match(texts[0], /\.\/cmd\/admin.*binary admin.*serves HTTP \(cmd\/admin\/main\.go:10\), port 9090/);
    assert.match(texts[1], /\.\/cmd\/api.*binary api.*serves HTTP \(cmd\/api\/main\.go:7\), port 8080, health \/healthz/);
    assert.ok(!texts.some((t) => t.includes('migrate')), 'the tool that does not serve is offered');
    assert.match(
      (await page.locator('.quick-input-widget .quick-input-box input').getAttribute('placeholder')) ?? '',
      /2 main packages serve: which one does this godeploy\.yaml deploy\?/,
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-initialize-serving-mains.png') });

    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    const tab = page.locator('.tabs-container .tab', { hasText: 'godeploy.yaml' });
    await tab.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    const text = readFileSync(join(workspace, 'godeploy.yaml'), 'utf8');
    assert.match(text, /^ {2}main: \.\/cmd\/api\s/m);
    assert.match(text, /^ {2}port: 8080\s/m);
  });
});
