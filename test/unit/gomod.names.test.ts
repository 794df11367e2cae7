// Program names by Go's rule (cmd/go's DefaultExecName): the last import path element, or
// the one before a /vN major version suffix; the app name is that, made a safe name.
import { strict as assert } from 'node:assert';
import { appNameFor, goBinaryName, isMajorVersionElement, mainImportPath } from '../../src/core/gomod/names';

describe("program names by Go's rule", () => {
  it('a major version suffix names the binary after the element before it', () => {
    assert.equal(goBinaryName('example.com/server/v3'), 'server');
    assert.equal(goBinaryName('example.com/server/v2'), 'server');
    assert.equal(goBinaryName('example.com/server/v10'), 'server');
    assert.equal(goBinaryName('github.com/mccutchen/go-httpbin/v2/cmd/go-httpbin'), 'go-httpbin');
  });

  it('an ordinary last element is the name', () => {
    assert.equal(goBinaryName('example.com/cmd/tool'), 'tool');
    assert.equal(goBinaryName('github.com/traefik/whoami'), 'whoami');
    assert.equal(goBinaryName('hello'), 'hello');
  });

  it("v0, v1, v05, v2x and gopkg.in's .vN are no version elements: they stay the name", () => {
    for (const elem of ['v0', 'v1', 'v05', 'v01', 'v2x', 'v', 'V2', 'version2']) {
      assert.equal(isMajorVersionElement(elem), false, elem);
      assert.equal(goBinaryName(`example.com/tool/${elem}`), elem);
    }
    for (const elem of ['v2', 'v3', 'v9', 'v10', 'v12', 'v100']) assert.equal(isMajorVersionElement(elem), true, elem);
    assert.equal(goBinaryName('gopkg.in/tool.v2'), 'tool.v2');
    assert.equal(goBinaryName('gopkg.in/yaml.v3/cmd/yamlfmt'), 'yamlfmt');
  });

  it('edge cases: a module that is only a host and a version, a path that is only "v2"', () => {
    assert.equal(goBinaryName('example.com/v2'), 'example.com');
    assert.equal(goBinaryName('v2'), 'v2');
    assert.equal(goBinaryName('example.com/v2/v3'), 'v2');
  });

  it('mainImportPath joins a relative main to the module path; a full import path stays', () => {
    assert.equal(mainImportPath('example.com/server/v3', '.'), 'example.com/server/v3');
    assert.equal(mainImportPath('example.com/server/v3', './'), 'example.com/server/v3');
    assert.equal(mainImportPath('example.com/shop', './cmd/api'), 'example.com/shop/cmd/api');
    assert.equal(mainImportPath('example.com/shop', './cmd/api/'), 'example.com/shop/cmd/api');
    assert.equal(mainImportPath('example.com/shop', 'example.com/shop/cmd/api'), 'example.com/shop/cmd/api');
    assert.equal(mainImportPath('example.com/ws/api', '../worker'), 'example.com/ws/worker');
  });

  it("appNameFor: Go's name made a safe service name", () => {
    assert.equal(appNameFor('example.com/server/v3'), 'server');
    assert.equal(appNameFor(mainImportPath('example.com/server/v3', '.')), 'server');
    assert.equal(appNameFor(mainImportPath('github.com/mccutchen/go-httpbin/v2', './cmd/go-httpbin')), 'go-httpbin');
    assert.equal(appNameFor('example.com/My_Tool'), 'my_tool');
    assert.equal(appNameFor('example.com/tool+x'), 'tool-x');
    assert.equal(appNameFor('example.com/_private'), 'private');
    assert.equal(appNameFor('example.com/___'), 'app');
    assert.equal(appNameFor(`example.com/${'a'.repeat(80)}`), 'a'.repeat(63));
  });
});
