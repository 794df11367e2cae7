import { GoDeployError } from '../errors';
import type { BinaryInfo } from './binary/types';
import type { BuildTarget } from './types';

const variantSetting: Record<string, string> = { arm: 'GOARM', amd64: 'GOAMD64', arm64: 'GOARM64' };

/** A built binary must be what its target promised: OS, architecture, variant, and static unless cgo. */
export function verifyArtifact(t: BuildTarget, b: BinaryInfo, cgo: boolean): void {
  const problems: string[] = [];
  if (b.os !== t.goos) problems.push(`its OS is ${b.os}, not ${t.goos}`);
  if (b.arch !== t.goarch) problems.push(`its architecture is ${b.arch}, not ${t.goarch}`);
  if (t.variant && b.buildInfo && b.buildInfo.settings[variantSetting[t.goarch]] !== t.variant) {
    problems.push(`it was built with ${variantSetting[t.goarch]}=${b.buildInfo.settings[variantSetting[t.goarch]] ?? '(unset)'}, not ${t.variant}`);
  }
  if (!cgo && b.format === 'elf' && !b.static)
    problems.push(`it is dynamically linked (${[b.interpreter, ...b.libraries].filter(Boolean).join(', ')}) although it needs no cgo`);
  if (!b.goVersion) problems.push('it carries no Go build information');
  if (problems.length) {
    throw new GoDeployError(`the binary built for ${t.id} is not what was asked for: ${problems.join('; ')}`, {
      hint: 'check CC/CGO settings and GOFLAGS in your environment; nothing was written to the output folder',
    });
  }
}
