/**
 * The app name as a Kubernetes object name. Services need an RFC 1035 label (lower-case
 * letters, digits and '-', starting with a letter, at most 63), stricter than app names
 * (which may hold '.', '_' or start with a digit), so one name valid for every kind is used.
 */
export function kubernetesName(appName: string): string {
  let name = appName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(name)) name = `app-${name}`;
  return name.slice(0, 63).replace(/-+$/, '');
}
