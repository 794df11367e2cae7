// notify: webhooks (top level and per environment). The schema checks the shape (http(s)://
// or a reference, format, on); here: a literal URL must parse, and one is worth a warning,
// because a webhook URL is its own credential (Slack's and Teams' carry the token in the path).
import type { ConfigDiagnostic } from './diagnostic';
import { formatPath, type ConfigDocument, type PathSegment } from './document';
import { isObject } from './raw';
import { scanReferences } from './references';

/** `notify[i].url` or `environments.NAME.notify[i].url`: where ${secret:…} is allowed outside env maps. */
export function isNotifyUrlPath(path: readonly PathSegment[]): boolean {
  const rest = path[0] === 'environments' ? path.slice(2) : path;
  return rest.length === 3 && rest[0] === 'notify' && typeof rest[1] === 'number' && rest[2] === 'url';
}

export function notifyDiagnostics(document: ConfigDocument, data: unknown, out: ConfigDiagnostic[]): void {
  if (!isObject(data)) return;
  checkList(document, data.notify, ['notify'], out);
  if (isObject(data.environments))
    for (const [name, env] of Object.entries(data.environments)) if (isObject(env)) checkList(document, env.notify, ['environments', name, 'notify'], out);
}

function checkList(document: ConfigDocument, list: unknown, at: PathSegment[], out: ConfigDiagnostic[]): void {
  if (!Array.isArray(list)) return;
  list.forEach((hook, i) => {
    if (!isObject(hook) || typeof hook.url !== 'string' || !/^https?:\/\//.test(hook.url)) return;
    const path = [...at, i, 'url'];
    if (scanReferences(hook.url).references.length) return;
    // The value is never repeated in a message: it is a credential, and messages reach CI logs.
    let url: URL | undefined;
    try {
      url = new URL(hook.url.replace(/\$\$/g, '$'));
    } catch {
      url = undefined;
    }
    if (!url?.hostname) {
      out.push(
        document.diagnosticAt(
          path,
          'value',
          'error',
          `${formatPath(path)} is not a URL`,
          'write http:// or https://, a host name, then the path the webhook gave you',
        ),
      );
      return;
    }
    out.push(
      document.diagnosticAt(
        path,
        'value',
        'warning',
        `${formatPath(path)} is written in godeploy.yaml: a webhook URL usually carries its token, and this file is shared`,
        'keep it in a secret: url: "${secret:NAME}", with NAME exported for the CLI (your CI\'s secret store) or set with Go Deploy: Set Secret… in the editor',
      ),
    );
  });
}
