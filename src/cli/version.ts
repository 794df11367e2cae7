// What `godeploy --version` says: the package version and the commit the bundle was built from
// (esbuild defines, see scripts/build.mjs), and the Node.js running it. Unbundled (out/, the
// tests) the defines do not exist: "dev" and "unknown".
declare const GODEPLOY_VERSION: string | undefined;
declare const GODEPLOY_COMMIT: string | undefined;

export interface VersionReport {
  version: string;
  commit: string;
  node: string;
}

export function versionReport(): VersionReport {
  return {
    version: typeof GODEPLOY_VERSION === 'string' ? GODEPLOY_VERSION : 'dev',
    commit: typeof GODEPLOY_COMMIT === 'string' ? GODEPLOY_COMMIT : 'unknown',
    node: process.version,
  };
}

/** `godeploy 0.1.0 (commit abc1234, node v20.19.2)` */
export function versionLine(v: VersionReport = versionReport()): string {
  return `godeploy ${v.version} (commit ${v.commit}, node ${v.node})`;
}
