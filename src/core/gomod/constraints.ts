/**
 * Which Go files a build compiles, by go/build's rules for one BuildContext: file-name
 * suffixes (_GOOS, _GOARCH, _GOOS_GOARCH), //go:build and legacy // +build lines, the cgo,
 * unix, gc and go1.N tags, and the user's tags. A file is judged from its name and header
 * (goHeader.ts) alone; package-level rules (mixed package names) are in packages.ts.
 */
import { ConstraintSyntaxError, evalExpr, parseGoBuildExpr, parsePlusBuildExpr } from './buildExpr';
import type { GoFileHeader } from './goHeader';
import type { BuildContext } from './types';

/** go/build knownOS (syslist.go): past, present and future GOOS values used for file-name matching. */
const knownOSBase = [
  'aix',
  'android',
  'darwin',
  'dragonfly',
  'freebsd',
  'hurd',
  'illumos',
  'ios',
  'js',
  'linux',
  'nacl',
  'netbsd',
  'openbsd',
  'plan9',
  'solaris',
  'windows',
  'zos',
];
/** go/build unixOS: the GOOS values the `unix` tag matches (not used for file names). */
export const unixOS: ReadonlySet<string> = new Set([
  'aix',
  'android',
  'darwin',
  'dragonfly',
  'freebsd',
  'hurd',
  'illumos',
  'ios',
  'linux',
  'netbsd',
  'openbsd',
  'solaris',
]);
/** go/build knownArch. */
export const knownArch: ReadonlySet<string> = new Set([
  '386',
  'amd64',
  'amd64p32',
  'arm',
  'armbe',
  'arm64',
  'arm64be',
  'loong64',
  'mips',
  'mipsle',
  'mips64',
  'mips64le',
  'mips64p32',
  'mips64p32le',
  'ppc',
  'ppc64',
  'ppc64le',
  'riscv',
  'riscv64',
  's390',
  's390x',
  'sparc',
  'sparc64',
  'wasm',
]);

const knownOSCache = new Map<number, ReadonlySet<string>>();
/** knownOS for a toolchain: Go 1.21 added wasip1 (so `x_wasip1.go` is a constrained name from then on). */
export function knownOS(goMinor: number): ReadonlySet<string> {
  let set = knownOSCache.get(goMinor);
  if (!set) {
    set = new Set(goMinor >= 21 ? [...knownOSBase, 'wasip1'] : knownOSBase);
    knownOSCache.set(goMinor, set);
  }
  return set;
}

/** go1.1 … go1.N for a toolchain of minor version N. */
export function releaseTags(goMinor: number): string[] {
  return Array.from({ length: Math.max(0, goMinor) }, (_, i) => `go1.${i + 1}`);
}

/**
 * Tags the toolchain itself sets (go/build Context.ToolTags) at the default GOEXPERIMENT and
 * GOAMD64/GOARM/GO386/GOMIPS/GOPPC64 levels: the register-ABI experiments, and from Go 1.21
 * the architecture feature levels. Experiments added by later Go versions are not modelled.
 */
export function toolTags(ctx: Pick<BuildContext, 'goarch' | 'goMinor'>): string[] {
  const tags: string[] = [];
  const regabiFrom: Record<string, number> = { amd64: 17, arm64: 18, ppc64: 18, ppc64le: 18, riscv64: 19 };
  if (regabiFrom[ctx.goarch] !== undefined && ctx.goMinor >= regabiFrom[ctx.goarch]) tags.push('goexperiment.regabiwrappers', 'goexperiment.regabiargs');
  if (ctx.goMinor >= 21) {
    const levels: Record<string, string[]> = {
      amd64: ['amd64.v1'],
      arm: ['arm.5', 'arm.6', 'arm.7'],
      '386': ['386.sse2'],
      mips: ['mips.hardfloat'],
      mipsle: ['mipsle.hardfloat'],
      mips64: ['mips64.hardfloat'],
      mips64le: ['mips64le.hardfloat'],
      ppc64: ['ppc64.power8'],
      ppc64le: ['ppc64le.power8'],
    };
    tags.push(...(levels[ctx.goarch] ?? []));
  }
  return tags;
}

/** go/build Context.matchTag. */
export function matchTag(ctx: BuildContext, name: string): boolean {
  if (ctx.cgoEnabled && name === 'cgo') return true;
  if (name === ctx.goos || name === ctx.goarch || name === 'gc') return true;
  if (ctx.goos === 'android' && name === 'linux') return true;
  if (ctx.goos === 'illumos' && name === 'solaris') return true;
  if (ctx.goos === 'ios' && name === 'darwin') return true;
  if (name === 'unix' && unixOS.has(ctx.goos)) return true;
  if (name === 'boringcrypto') name = 'goexperiment.boringcrypto';
  return otherTags(ctx).has(name) || isReleaseTag(name, ctx.goMinor);
}

const otherTagsCache = new WeakMap<BuildContext, Set<string>>();
/** BuildTags and ToolTags of ctx (cached per context object; contexts are not mutated). */
function otherTags(ctx: BuildContext): Set<string> {
  let set = otherTagsCache.get(ctx);
  if (!set) {
    set = new Set([...ctx.tags, ...toolTags(ctx)]);
    otherTagsCache.set(ctx, set);
  }
  return set;
}

function isReleaseTag(name: string, goMinor: number): boolean {
  const m = /^go1\.([1-9][0-9]*)$/.exec(name);
  return !!m && Number(m[1]) <= goMinor;
}

/**
 * go/build goodOSArchFile: the name's _GOOS, _GOARCH or _GOOS_GOARCH suffix (before `_test`)
 * and whether it matches. Everything before the first `_` is ignored, so `linux.go` is not constrained.
 */
export function fileNameConstraint(name: string, ctx: BuildContext): { suffix: string | undefined; ok: boolean } {
  let base = name.split('.')[0];
  const i = base.indexOf('_');
  if (i < 0) return { suffix: undefined, ok: true };
  base = base.slice(i);
  let l = base.split('_');
  if (l.length > 0 && l[l.length - 1] === 'test') l = l.slice(0, -1);
  const n = l.length;
  const os = knownOS(ctx.goMinor);
  if (n >= 2 && os.has(l[n - 2]) && knownArch.has(l[n - 1])) {
    return { suffix: `_${l[n - 2]}_${l[n - 1]}`, ok: matchTag(ctx, l[n - 1]) && matchTag(ctx, l[n - 2]) };
  }
  if (n >= 1 && (os.has(l[n - 1]) || knownArch.has(l[n - 1]))) return { suffix: `_${l[n - 1]}`, ok: matchTag(ctx, l[n - 1]) };
  return { suffix: undefined, ok: true };
}

export type FileVerdict =
  | { included: true; cgo: boolean; invalid?: string }
  /** invalid: Go reports the file as broken (it is in InvalidGoFiles), not merely excluded. */
  | { included: false; reason: string; invalid?: string };

/**
 * Whether `go build` compiles this non-test Go file for ctx, and why not. Mirrors
 * go/build matchFile + the per-file part of Context.Import.
 */
export function evaluateFile(name: string, header: GoFileHeader, ctx: BuildContext): FileVerdict {
  if (name.startsWith('_') || name.startsWith('.')) return { included: false, reason: `its name starts with ${name[0]}` };
  if (name.endsWith('_test.go')) return { included: false, reason: 'a test file' };
  const byName = fileNameConstraint(name, ctx);
  if (!byName.ok) return { included: false, reason: `excluded by its name: ${byName.suffix}` };
  const byLines = evaluateConstraintLines(header, ctx);
  if (byLines) return byLines;
  if (header.packageName === undefined)
    return {
      included: false,
      reason: `cannot read the package clause: ${header.syntaxError ?? 'missing'}`,
      invalid: header.syntaxError ?? 'no package clause',
    };
  if (header.packageName === 'documentation') return { included: false, reason: 'package documentation (ignored by go build)' };
  if (header.cgoLine !== undefined && !ctx.cgoEnabled)
    return { included: false, reason: `imports "C" at line ${header.cgoLine} and cgo is off (CGO_ENABLED=0)` };
  return { included: true, cgo: header.cgoLine !== undefined, invalid: header.syntaxError };
}

/** go/build shouldBuild: the //go:build line decides when present, else every // +build line must hold. */
function evaluateConstraintLines(header: GoFileHeader, ctx: BuildContext): FileVerdict | undefined {
  const has = (t: string) => matchTag(ctx, t);
  if (header.multipleGoBuild) return { included: false, reason: 'multiple //go:build comments', invalid: 'multiple //go:build comments' };
  if (header.goBuild) {
    let holds: boolean;
    try {
      holds = evalExpr(parseGoBuildExpr(header.goBuild.expr), has);
    } catch (e) {
      if (!(e instanceof ConstraintSyntaxError)) throw e;
      const why = `parsing //go:build line at line ${header.goBuild.line}: ${e.message}`;
      return { included: false, reason: why, invalid: why };
    }
    return holds ? undefined : { included: false, reason: `//go:build ${header.goBuild.expr} at line ${header.goBuild.line}` };
  }
  for (const line of header.plusBuild) {
    if (!evalExpr(parsePlusBuildExpr(line.expr), has)) return { included: false, reason: `// +build ${line.expr} at line ${line.line}` };
  }
  return undefined;
}
