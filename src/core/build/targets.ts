import { usageError } from '../errors';
import type { BuildTarget } from './types';

/** Variants per GOARCH and the environment variable that carries them. */
const variants: Record<string, { env: string; values: RegExp; example: string; sinceGo?: number }> = {
  arm: { env: 'GOARM', values: /^[567]$/, example: 'linux/arm/7' },
  amd64: { env: 'GOAMD64', values: /^v[1-4]$/, example: 'linux/amd64/v3' },
  arm64: { env: 'GOARM64', values: /^v(8\.[0-9]|9\.[0-5])$/, example: 'linux/arm64/v8.2', sinceGo: 23 },
};

/** Parses "os/arch[/variant]"; the platform itself is checked against the toolchain separately. */
export function parseTarget(id: string): BuildTarget {
  const parts = id.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9.]+$/.test(p))) {
    throw usageError(`invalid target "${id}"`, 'write GOOS/GOARCH or GOOS/GOARCH/VARIANT, for example linux/amd64 or linux/arm/7');
  }
  const [goos, goarch, variant] = parts;
  if (variant !== undefined) {
    const v = variants[goarch];
    if (!v)
      throw usageError(
        `target "${id}": ${goarch} has no variants`,
        `variants exist for ${Object.keys(variants).join(', ')} (for example ${variants.arm.example})`,
      );
    if (!v.values.test(variant)) throw usageError(`target "${id}": "${variant}" is not a ${v.env} value`, `for example ${v.example}`);
  }
  return { goos, goarch, variant: variant ?? null, id };
}

/** Checks targets against `go tool dist list` and the toolchain's support for variants. */
export function checkTargets(targets: readonly BuildTarget[], supported: readonly string[], goMinor: number, goVersion: string): void {
  for (const t of targets) {
    if (!supported.includes(`${t.goos}/${t.goarch}`)) {
      const sameOs = supported.filter((s) => s.startsWith(`${t.goos}/`)).map((s) => s.split('/')[1]);
      throw usageError(
        `${goVersion} cannot build ${t.goos}/${t.goarch}`,
        sameOs.length ? `${t.goos} architectures it knows: ${sameOs.join(', ')}` : `\`go tool dist list\` shows every platform it knows`,
      );
    }
    const v = t.variant ? variants[t.goarch] : undefined;
    if (v?.sinceGo && goMinor < v.sinceGo)
      throw usageError(
        `target "${t.id}": ${v.env} needs Go 1.${v.sinceGo} or newer; the toolchain is ${goVersion}`,
        `build ${t.goos}/${t.goarch} without a variant, or install a newer Go`,
      );
  }
}

/** The per-process environment of a target (never the user's global Go settings). */
export function targetEnv(t: BuildTarget): Record<string, string> {
  const env: Record<string, string> = { GOOS: t.goos, GOARCH: t.goarch };
  if (t.variant) env[variants[t.goarch].env] = t.variant;
  return env;
}

/** dist/<name>_<version>_<os>_<arch>[_<variant>][.exe] */
export function artifactName(name: string, version: string, t: BuildTarget): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-');
  return `${safe(name)}_${safe(version)}_${t.goos}_${t.goarch}${t.variant ? `_${safe(t.variant)}` : ''}${t.goos === 'windows' ? '.exe' : ''}`;
}

/** This machine as a Go target. */
export function hostTarget(): string {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', riscv64: 'riscv64', ppc64: 'ppc64le', s390x: 's390x' };
  const os: Record<string, string> = { win32: 'windows', darwin: 'darwin', linux: 'linux', freebsd: 'freebsd', openbsd: 'openbsd' };
  return `${os[process.platform] ?? process.platform}/${arch[process.arch] ?? process.arch}`;
}
