// Release ids: UTC time of the deploy, then the version (20250102T030405Z-v1.2.3).

/** Release ids sort by time: 20261121T101500.123Z-v1.2.3 (milliseconds: two deploys may start in one second). */
export function releaseId(now: Date, version: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '');
  const v = version.replace(/[^A-Za-z0-9._+-]/g, '_').slice(0, 64) || 'dev';
  return `${stamp}-${v}`;
}

export const RELEASE_ID = /^\d{8}T\d{6}(\.\d{3})?Z-[A-Za-z0-9._+-]+$/;

/** The version part of a release id. */
export function releaseVersion(id: string): string {
  return id.replace(/^[^-]+-/, '');
}
