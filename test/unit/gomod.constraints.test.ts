import { strict as assert } from 'node:assert';
import { parseGoBuildExpr, parsePlusBuildExpr, evalExpr, ConstraintSyntaxError } from '../../src/core/gomod/buildExpr';
import { evaluateFile, fileNameConstraint, matchTag, releaseTags } from '../../src/core/gomod/constraints';
import { readGoHeader } from '../../src/core/gomod/goHeader';
import { splitJsonStream } from '../../src/core/gomod/jsonStream';
import { parseVendorModules } from '../../src/core/gomod/localModules';
import type { BuildContext } from '../../src/core/gomod/types';

const ctx = (target: string, more: Partial<BuildContext> = {}): BuildContext => {
  const [goos, goarch] = target.split('/');
  return { goos, goarch, cgoEnabled: false, tags: [], goMinor: 19, ...more };
};
const linux = ctx('linux/amd64');
const linuxCgo = ctx('linux/amd64', { cgoEnabled: true });

/** Whether `go build` compiles file `name` with `text` for c, and the reason when it does not. */
function judge(name: string, text: string, c: BuildContext): string | true {
  const v = evaluateFile(name, readGoHeader(text), c);
  return v.included ? true : v.reason;
}

describe('Go build constraints: file names', () => {
  const cases: [string, string, boolean, string | undefined][] = [
    ['x_linux.go', 'linux/amd64', true, '_linux'],
    ['x_linux.go', 'darwin/arm64', false, '_linux'],
    ['x_linux_arm64.go', 'linux/arm64', true, '_linux_arm64'],
    ['x_linux_arm64.go', 'linux/amd64', false, '_linux_arm64'],
    ['x_linux_arm64.go', 'darwin/arm64', false, '_linux_arm64'],
    ['y_arm64.go', 'darwin/arm64', true, '_arm64'],
    ['y_arm64.go', 'linux/amd64', false, '_arm64'],
    // unix is a build tag, never a file-name constraint
    ['foo_unix.go', 'windows/amd64', true, undefined],
    // everything before the first _ is ignored: linux.go and linux_amd64.go are not (fully) constrained
    ['linux.go', 'windows/amd64', true, undefined],
    ['linux_amd64.go', 'windows/amd64', true, '_amd64'],
    ['linux_amd64.go', 'linux/arm64', false, '_amd64'],
    // the name is cut at the first dot
    ['m_linux.pb.go', 'darwin/arm64', false, '_linux'],
    // a known name that is not the last element does not count
    ['x_linux_extra.go', 'darwin/arm64', true, undefined],
    // android is linux, illumos is solaris, ios is darwin; not the other way round
    ['z_linux.go', 'android/arm64', true, '_linux'],
    ['z_android.go', 'linux/arm64', false, '_android'],
    ['z_solaris.go', 'illumos/amd64', true, '_solaris'],
    ['z_darwin.go', 'ios/arm64', true, '_darwin'],
    // wasip1 joined knownOS in Go 1.21: for a Go 1.19 toolchain it is just a word
    ['zz_wasip1.go', 'linux/amd64', true, undefined],
  ];
  for (const [name, target, ok, suffix] of cases) {
    it(`${name} for ${target}: ${ok ? 'built' : 'excluded'}`, () => {
      assert.deepEqual(fileNameConstraint(name, ctx(target)), { suffix, ok });
    });
  }

  it('wasip1 is a suffix for Go 1.21 and later', () => {
    assert.deepEqual(fileNameConstraint('zz_wasip1.go', ctx('linux/amd64', { goMinor: 21 })), { suffix: '_wasip1', ok: false });
  });

  it('_test.go files are never compiled into the package, and _linux_test.go is constrained as _linux', () => {
    assert.equal(judge('x_test.go', 'package x\n', linux), 'a test file');
    assert.equal(judge('x_linux_test.go', 'package x\n', linux), 'a test file');
    assert.deepEqual(fileNameConstraint('x_linux_test.go', ctx('darwin/arm64')), { suffix: '_linux', ok: false });
  });

  it('names starting with _ or . are ignored; the reason says so', () => {
    assert.equal(judge('_x.go', 'package x\n', linux), 'its name starts with _');
    assert.equal(judge('.x.go', 'package x\n', linux), 'its name starts with .');
  });

  it('the reason names the suffix', () => {
    assert.equal(judge('cpu_darwin.go', 'package x\nimport "C"\n', linuxCgo), 'excluded by its name: _darwin');
    assert.equal(judge('x_windows_amd64.go', 'package x\n', linux), 'excluded by its name: _windows_amd64');
  });
});

describe('Go build constraints: //go:build and // +build lines', () => {
  it('//go:build with &&, ||, ! and parentheses', () => {
    const f = '//go:build (linux || darwin) && (arm64 || !amd64)\n\npackage x\n';
    assert.equal(judge('f.go', f, ctx('linux/arm64')), true);
    assert.equal(judge('f.go', f, ctx('darwin/arm64')), true);
    assert.equal(judge('f.go', f, linux), '//go:build (linux || darwin) && (arm64 || !amd64) at line 1');
    assert.equal(judge('f.go', f, ctx('windows/arm64')), '//go:build (linux || darwin) && (arm64 || !amd64) at line 1');
  });

  it('//go:build !linux && cgo', () => {
    const f = '//go:build !linux && cgo\n\npackage x\n';
    assert.equal(judge('f.go', f, linuxCgo), '//go:build !linux && cgo at line 1');
    assert.equal(judge('f.go', f, ctx('darwin/arm64', { cgoEnabled: true })), true);
    assert.equal(judge('f.go', f, ctx('darwin/arm64', { cgoEnabled: false })), '//go:build !linux && cgo at line 1');
  });

  it('cgo is the context setting; import "C" with cgo off excludes the file', () => {
    assert.equal(judge('f.go', '//go:build cgo\n\npackage x\n', linuxCgo), true);
    assert.equal(judge('f.go', '//go:build !cgo\n\npackage x\n', linuxCgo), '//go:build !cgo at line 1');
    const native = 'package x\n\n// #include <stdlib.h>\nimport "C"\n';
    assert.deepEqual(evaluateFile('n.go', readGoHeader(native), linuxCgo), { included: true, cgo: true, invalid: undefined });
    assert.equal(judge('n.go', native, linux), 'imports "C" at line 4 and cgo is off (CGO_ENABLED=0)');
  });

  it('the unix tag holds for the Unix GOOS values only', () => {
    const f = '//go:build unix\n\npackage x\n';
    for (const t of ['linux/amd64', 'darwin/arm64', 'freebsd/amd64', 'android/arm64', 'illumos/amd64', 'aix/ppc64', 'ios/arm64', 'solaris/amd64'])
      assert.equal(judge('f.go', f, ctx(t)), true, t);
    for (const t of ['windows/amd64', 'plan9/amd64', 'js/wasm', 'wasip1/wasm']) assert.notEqual(judge('f.go', f, ctx(t)), true, t);
  });

  it('ignore is just a tag nobody sets; gc holds, gccgo does not; user tags hold', () => {
    assert.equal(judge('f.go', '//go:build ignore\n\npackage main\n', linux), '//go:build ignore at line 1');
    assert.equal(judge('f.go', '//go:build ignore\n\npackage main\n', ctx('linux/amd64', { tags: ['ignore'] })), true);
    assert.equal(judge('f.go', '//go:build gc\n\npackage x\n', linux), true);
    assert.notEqual(judge('f.go', '//go:build gccgo\n\npackage x\n', linux), true);
    assert.notEqual(judge('f.go', '//go:build integration\n\npackage x\n', linux), true);
    assert.equal(judge('f.go', '//go:build integration\n\npackage x\n', ctx('linux/amd64', { tags: ['integration'] })), true);
  });

  it('release tags go1.1 … go1.N of the toolchain; later ones are excluded', () => {
    assert.equal(releaseTags(19).length, 19);
    assert.equal(judge('f.go', '//go:build go1.19\n\npackage x\n', linux), true);
    assert.equal(judge('f.go', '//go:build go1.1\n\npackage x\n', linux), true);
    assert.equal(judge('f.go', '//go:build go1.20\n\npackage x\n', linux), '//go:build go1.20 at line 1');
    assert.equal(judge('f.go', '//go:build go1.20\n\npackage x\n', ctx('linux/amd64', { goMinor: 22 })), true);
    assert.equal(judge('f.go', '//go:build !go1.99\n\npackage x\n', linux), true);
    assert.equal(matchTag(linux, 'go1.0'), false);
  });

  it('GOOS aliases: linux for android, solaris for illumos, darwin for ios', () => {
    assert.equal(matchTag(ctx('android/arm64'), 'linux'), true);
    assert.equal(matchTag(ctx('linux/arm64'), 'android'), false);
    assert.equal(matchTag(ctx('illumos/amd64'), 'solaris'), true);
    assert.equal(matchTag(ctx('ios/arm64'), 'darwin'), true);
  });

  it('// +build: space is OR, comma is AND, ! is NOT, several lines are ANDed', () => {
    assert.equal(judge('f.go', '// +build darwin linux\n\npackage x\n', linux), true);
    assert.equal(judge('f.go', '// +build darwin linux\n\npackage x\n', ctx('windows/amd64')), '// +build darwin linux at line 1');
    assert.equal(judge('f.go', '// +build linux,arm64\n\npackage x\n', linux), '// +build linux,arm64 at line 1');
    assert.equal(judge('f.go', '// +build linux,arm64\n\npackage x\n', ctx('linux/arm64')), true);
    assert.equal(judge('f.go', '// +build !windows\n\npackage x\n', linux), true);
    assert.equal(judge('f.go', '// +build linux darwin\n// +build arm64\n\npackage x\n', linux), '// +build arm64 at line 2');
    assert.equal(judge('f.go', '// +build linux,!cgo darwin,cgo\n\npackage x\n', linux), true);
    assert.equal(judge('f.go', '// +build linux,!cgo darwin,cgo\n\npackage x\n', linuxCgo), '// +build linux,!cgo darwin,cgo at line 1');
    assert.equal(judge('f.go', '//+build windows\n\npackage x\n', linux), '// +build windows at line 1', '//+build without a space counts');
  });

  it('a // +build line counts only in the leading // comments, before a blank line', () => {
    assert.equal(judge('f.go', 'package x\n\n// +build ignore\n', linux), true, 'after the package clause');
    assert.equal(judge('f.go', '// +build ignore\npackage x\n', linux), true, 'no blank line after it');
    assert.equal(judge('f.go', '// +build windows\n// Package x does things.\npackage x\n', linux), true, 'part of the package doc comment');
    assert.equal(judge('f.go', '// Copyright 2024\n\n// +build windows\n\n// Package x.\npackage x\n', linux), '// +build windows at line 3');
    assert.equal(judge('f.go', '/* block */\n// +build ignore\n\npackage x\n', linux), true, 'after a /* */ comment');
  });

  it('//go:build wins over // +build; it counts anywhere in the leading comments', () => {
    assert.equal(judge('f.go', '//go:build windows\n// +build linux\n\npackage x\n', linux), '//go:build windows at line 1');
    assert.equal(judge('f.go', '//go:build amd64\n\n// +build arm64\n\npackage x\n', linux), true);
    assert.equal(judge('f.go', '/*\nLicense.\n*/\n\n//go:build windows\n\npackage x\n', linux), '//go:build windows at line 5');
    assert.equal(judge('f.go', '//go:build windows\npackage x\n', linux), '//go:build windows at line 1', 'no blank line needed');
    assert.equal(judge('f.go', 'package x\n\n//go:build ignore\n', linux), true, 'after the package clause');
    assert.equal(judge('f.go', '//go:buildwindows\n\npackage x\n', linux), true, 'not a //go:build line');
    assert.equal(judge('f.go', '/*\n//go:build windows\n*/\n\npackage x\n', linux), true, 'inside a block comment');
    assert.equal(judge('f.go', '\ufeff//go:build windows\n\npackage x\n', linux), '//go:build windows at line 1', 'after a byte order mark');
  });

  it('a bad //go:build line or two of them make the file invalid, as Go reports it', () => {
    const bad = evaluateFile('f.go', readGoHeader('//go:build linux &&\n\npackage x\n'), linux);
    assert.equal(bad.included, false);
    assert.match(bad.invalid ?? '', /parsing \/\/go:build line at line 1: unexpected end of expression/);
    const two = evaluateFile('f.go', readGoHeader('//go:build linux\n//go:build amd64\n\npackage x\n'), linux);
    assert.equal(two.invalid, 'multiple //go:build comments');
  });

  it('package documentation is ignored', () => {
    assert.equal(judge('doc.go', 'package documentation\n', linux), 'package documentation (ignored by go build)');
  });
});

describe('build expression parser (go/build/constraint)', () => {
  const has =
    (...tags: string[]) =>
    (t: string) =>
      tags.includes(t);
  it('precedence: && binds tighter than ||', () => {
    assert.equal(evalExpr(parseGoBuildExpr('a || b && c'), has('a')), true);
    assert.equal(evalExpr(parseGoBuildExpr('(a || b) && c'), has('a')), false);
    assert.equal(evalExpr(parseGoBuildExpr('!a && !b'), has()), true);
    assert.equal(evalExpr(parseGoBuildExpr('go1.18 && x_y.z'), has('go1.18', 'x_y.z')), true);
  });
  it('syntax errors as Go words them', () => {
    const err = (s: string) => {
      try {
        parseGoBuildExpr(s);
        return 'parsed';
      } catch (e) {
        assert.ok(e instanceof ConstraintSyntaxError);
        return e.message;
      }
    };
    assert.equal(err('!!a'), 'double negation not allowed');
    assert.equal(err('(a'), 'missing close paren');
    assert.equal(err('a & b'), 'invalid syntax at &');
    assert.equal(err('a b'), 'unexpected token b');
    assert.equal(err(''), 'unexpected end of expression');
    assert.equal(err('a, b'), 'invalid syntax at ,');
  });
  it('+build: bad words become the ignore tag', () => {
    assert.deepEqual(parsePlusBuildExpr('!!a'), { kind: 'tag', tag: 'ignore' });
    assert.deepEqual(parsePlusBuildExpr(''), { kind: 'tag', tag: 'ignore' });
    assert.equal(evalExpr(parsePlusBuildExpr('a-b c'), has('c')), true);
  });
});

describe('Go file headers', () => {
  it('reads the package, imports with lines, aliases, groups, semicolons and comments', () => {
    const h = readGoHeader(
      '// c\n/* p */ package main // x\n\nimport (\n\tstd "net/http"\n\t. "fmt"; _ "embed"\n\t/* c */ "C"\n)\nimport `os`\nimport "x/y"\n\nfunc main() { import_ := 1 }\n',
    );
    assert.equal(h.packageName, 'main');
    assert.deepEqual(h.imports, [
      { path: 'net/http', line: 5 },
      { path: 'fmt', line: 6 },
      { path: 'embed', line: 6 },
      { path: 'C', line: 7 },
      { path: 'os', line: 9 },
      { path: 'x/y', line: 10 },
    ]);
    assert.equal(h.cgoLine, 7);
    assert.equal(h.syntaxError, undefined);
  });
  it('import "C" in a comment or string is not cgo', () => {
    assert.equal(readGoHeader('// import "C"\npackage x\n\nvar s = `import "C"`\n').cgoLine, undefined);
  });
  it('a prefix that ends inside the imports asks for more', () => {
    const text = 'package x\n\nimport (\n\t"fmt"\n\t"os"\n)\n\nfunc f() {}\n';
    for (let n = 1; n < text.indexOf('func'); n++) assert.equal(readGoHeader(text.slice(0, n), false).complete, false, `prefix of ${n} bytes`);
    assert.equal(readGoHeader(text.slice(0, text.indexOf('func') + 2), false).complete, true);
  });
});

describe('go list output and vendor/modules.txt', () => {
  it('splits concatenated JSON objects, braces in strings included', () => {
    const parts = splitJsonStream('{"a": "}{\\"", "b": {"c": 1}}\n{"d": []}\n');
    assert.deepEqual(
      parts.map((p) => JSON.parse(p) as unknown),
      [{ a: '}{"', b: { c: 1 } }, { d: [] }],
    );
    assert.throws(() => splitJsonStream('{"a": 1'), /ends inside an object/);
    assert.throws(() => splitJsonStream('go: error\n{"a":1}'), /unexpected/);
  });
  it('vendor/modules.txt: packages per module, ## markers skipped', () => {
    assert.deepEqual(
      parseVendorModules(
        '# example.com/a v1.0.0\n## explicit; go 1.19\nexample.com/a\nexample.com/a/b\n# example.com/c v0.1.0 => ../c\n## explicit\nexample.com/c\n',
      ),
      [
        { importPath: 'example.com/a', module: 'example.com/a' },
        { importPath: 'example.com/a/b', module: 'example.com/a' },
        { importPath: 'example.com/c', module: 'example.com/c' },
      ],
    );
  });
});
