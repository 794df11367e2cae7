// The README's reference of the extension's commands and settings, rendered from
// package.json's contributions (strings from package.nls.json) so the two cannot drift (npm run docs writes it; a unit test
// compares).

interface Manifest {
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    menus: Record<string, { command?: string; when?: string }[]>;
    configuration: { properties: Record<string, { type: string; default?: unknown; scope?: string; markdownDescription?: string; description?: string }> };
  };
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n+/g, ' ');

/** A manifest string with its %key% placeholders replaced from package.nls.json. */
export function localize(value: string, nls: Record<string, string>): string {
  return value.replace(/^%([^%]+)%$/, (m, k: string) => nls[k] ?? m);
}

export function renderExtensionReference(manifest: Manifest, nls: Record<string, string> = {}): string {
  const c = manifest.contributes;
  const t = (v: string | undefined): string => localize(v ?? '', nls);
  const menus = (id: string, names: string[]): boolean => names.some((m) => (c.menus[m] ?? []).some((e) => e.command === id));
  const hiddenInPalette = (id: string): boolean => (c.menus.commandPalette ?? []).some((e) => e.command === id && e.when === 'false');
  const commands = c.commands.map((cmd) => {
    const where = [
      hiddenInPalette(cmd.command) ? '' : 'palette',
      menus(cmd.command, ['view/item/context']) ? 'Environments view' : '',
      menus(cmd.command, ['view/title']) ? 'view title' : '',
      menus(cmd.command, ['godeploy.explorer']) ? 'explorer menu' : '',
      menus(cmd.command, ['editor/title']) ? 'diff editor title' : '',
    ]
      .filter(Boolean)
      .join(', ');
    return `| ${cell(`${cmd.category ? `${cmd.category}: ` : ''}${t(cmd.title)}`)} | \`${cmd.command}\` | ${where} |`;
  });
  const settings = Object.entries(c.configuration.properties).map(
    ([key, p]) =>
      `| \`${key}\` | ${p.type} | ${p.default === undefined || p.default === '' ? '' : `\`${JSON.stringify(p.default)}\``} | ${p.scope ?? 'window'} | ${cell(t(p.markdownDescription ?? p.description))} |`,
  );
  return [
    '#### Commands',
    '',
    '| Command | Id | Where |',
    '| --- | --- | --- |',
    ...commands,
    '',
    '#### Settings',
    '',
    '| Setting | Type | Default | Scope | Description |',
    '| --- | --- | --- | --- | --- |',
    ...settings,
  ].join('\n');
}
