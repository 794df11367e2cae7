// Names of built programs by Go's own rule. `go build` and `go install` name a main
// package's executable after the last element of its import path, except that a major
// version suffix (example.com/mycmd/v2) names it after the element before: cmd/go's
// (*Package).DefaultExecName → exeFromImportPath in src/cmd/go/internal/load/pkg.go
// (Go 1.12 to at least 1.23, golang.org/issue/24667), in module mode:
//
//   _, elem := pathpkg.Split(p.ImportPath)
//   if elem != p.ImportPath && isVersionElement(elem) { _, elem = pathpkg.Split(pathpkg.Dir(p.ImportPath)) }
//
// isVersionElement accepts "v2", "v3", "v10"… but not "v0", "v1", "v05" or "v2x". Only a
// whole `/vN` element counts: gopkg.in's "yaml.v3" is no such element, so a main package at
// gopkg.in/tool.v2 is built as "tool.v2", exactly as go names it.

/** True for a path element Go treats as a major version suffix: v2, v3, v10…, not v0, v1, v05. */
export function isMajorVersionElement(elem: string): boolean {
  return /^v[1-9][0-9]*$/.test(elem) && elem !== 'v1';
}

/** The executable name `go build` gives the main package with this import path (no .exe suffix). */
export function goBinaryName(importPath: string): string {
  const clean = importPath.replace(/\/+$/, '');
  const slash = clean.lastIndexOf('/');
  const elem = clean.slice(slash + 1);
  if (slash < 0 || !isMajorVersionElement(elem)) return elem;
  const dir = clean.slice(0, slash);
  return dir.slice(dir.lastIndexOf('/') + 1);
}

/**
 * The import path of main package `main` of module `module`: "." is the module itself,
 * "./cmd/api" is below it; a full import path ("example.com/shop/cmd/api") is kept as it is.
 */
export function mainImportPath(module: string, main: string): string {
  const m = main.replace(/\\/g, '/').replace(/\/+$/, '') || '.';
  if (m === '.') return module;
  if (m.startsWith('./')) return `${module}/${m.slice(2).replace(/^\/+/, '')}`;
  if (m.startsWith('../')) {
    // A main outside the module (a workspace member): resolved lexically, as the folder layout suggests.
    const parts = module.split('/');
    let rest = m;
    while (rest.startsWith('../') && parts.length > 1) {
      parts.pop();
      rest = rest.slice(3);
    }
    return rest ? `${parts.join('/')}/${rest}` : parts.join('/');
  }
  return m;
}

/**
 * The app name (service, folder and artifact name) for a main package's import path, or a
 * module path when the module itself is the main: Go's binary name, made a safe name —
 * lower case, letters, digits, ".", "_" and "-", starting with a letter or digit, at most
 * 63 characters, "app" when nothing is left.
 */
export function appNameFor(moduleOrImportPath: string): string {
  const name = goBinaryName(moduleOrImportPath)
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '-')
    .replace(/^[^a-z0-9]+/, '');
  return (name || 'app').slice(0, 63);
}
