import { environmentSources, execCommand, formatLogLine, usageError, type ExecOutputLine } from '../../core';
import type { CliIO } from '../io';
import { resolveConfigPath, type GlobalOptions } from '../context';
import { withCancellation } from '../signals';
import { acceptNewHostKeyOption, defineCommand, jsonOption } from '../spec';
import { hostOption, primaryOption, processOption, roleOption } from './serviceAction';

export const execCommandSpec = defineCommand({
  name: 'exec',
  positionals: 'ENV -- CMD [ARG...]',
  forms: [
    { positionals: 'ENV -- CMD [ARG...]', options: ['host', 'primary', 'role', 'process', 'json', 'dry-run', 'accept-new-host-key'] },
    { positionals: 'ENV [--] [CMD] [ARG...]', options: ['host', 'primary', 'role', 'process', 'tty', 'dry-run', 'accept-new-host-key'] },
  ],
  summary: "run a command in the live release, with the service's environment, on every host",
  options: [
    { ...hostOption, description: "only host H (an ssh host's alias in godeploy.yaml); repeat for several" },
    primaryOption,
    roleOption,
    processOption,
    {
      ...jsonOption,
      description: "print every host's exit code, stdout and stderr lines (or its error) as JSON at the end, instead of the lines as they come",
    },
    { name: 'tty', type: 'boolean', description: 'an interactive session in a terminal on one host (CMD defaults to sh): what you type goes to it' },
    { name: 'dry-run', type: 'boolean', description: 'print what would run where, and run nothing' },
    acceptNewHostKeyOption,
  ],
  help: `Runs CMD with its arguments (as given: no shell; use \`sh -c '…'\` for one) on every host of
environment ENV at once, in the live release's folder (PATH/current, PATH being the
environment's path) with the environment the service reads: the env file written at the
switch (its \${secret:…} values are resolved there already, so no value is passed in argv;
the host's shell reads the file). stdin is /dev/null. Each output line is prefixed with its
host, stdout on stdout and stderr on stderr, as \`godeploy logs\` does; values of
\${secret:…} this machine can resolve show as ***. The command runs as the ssh user.
A docker environment runs it in the live release container (Engine API exec: the container's
working directory and environment); a swarm, in a running task's container on the engine's node.
Put \`--\` before CMD, so that its options are not read as godeploy's.
With --tty, CMD (sh when none is given) runs on one host (pick it with --host or
--primary when there are several) in a terminal of its own, as \`ssh -t\` would: what you
type goes to it, Ctrl-C included, and godeploy exits with its exit code when it ends. A
docker environment gets a terminal exec in the container; this machine's gets the
terminal you run godeploy in. stdin and stdout must be a terminal.
Kamal users: this is \`kamal app exec\` (with --tty, \`kamal app exec -i\`).
Exit code: the worst (highest) of the hosts' exit codes, 0 when all exited 0; a host that
could not be reached, or where the command could not be started, counts as 255. One host
failing does not stop the others. 2 may also be a usage error, printed before anything runs.`,
  examples: [
    { line: 'godeploy exec prod -- ./myapp migrate', comment: "run the release's own executable with an argument on every host of prod" },
    { line: 'godeploy exec prod --primary -- ./myapp migrate', comment: 'the same on the first host only' },
    { line: "godeploy exec prod --host web1 -- sh -c 'ls -l; env | sort'", comment: 'a shell command line on web1' },
    { line: 'godeploy exec prod --role worker -- ./worker --once', comment: 'on the hosts that run the worker process, with its env file' },
    { line: 'godeploy exec prod --host web1 --tty', comment: "a shell on web1 in the live release's folder, with the service's environment" },
  ],
  run: (io, g, args, o) =>
    runExec(io, g, args, {
      host: o.host,
      primary: o.primary,
      role: o.role,
      process: o.process,
      json: o.json,
      tty: o.tty,
      dryRun: o['dry-run'],
      acceptNewHostKey: o['accept-new-host-key'],
    }),
});

interface ExecFlags {
  host?: string[];
  primary: boolean;
  role?: string;
  process?: string;
  json: boolean;
  tty?: boolean;
  dryRun: boolean;
  acceptNewHostKey: boolean;
}

/**
 * The command after `--`, checked: nothing but the environment before `--`, and a command
 * after it (an interactive session without one opens sh, and may leave `--` out).
 */
function commandOf(g: GlobalOptions, command: string[], usage: string, tty: boolean): string[] {
  if (g.argsBeforeDashes === undefined) {
    if (command.length)
      throw usageError(`exec: put -- before the command (${JSON.stringify(command[0])}), so that its options are not read as godeploy's`, usage);
    if (!tty) throw usageError('exec: which command?', usage);
  } else if (g.argsBeforeDashes !== 1) {
    throw usageError(`exec: only the environment goes before --; ${JSON.stringify(command[0])} is not an option`, usage);
  }
  if (command.length) return command;
  if (tty) return ['sh'];
  throw usageError('exec: which command? Nothing follows --', usage);
}

/** What both forms of exec ask core: where, which hosts and process, how to reach them, where values come from. */
async function requestOf(io: CliIO, g: GlobalOptions, environment: string, command: string[], flags: ExecFlags) {
  return {
    configFile: await resolveConfigPath(g),
    environment,
    command,
    only: flags.host,
    primary: flags.primary,
    role: flags.role,
    process: flags.process,
    dryRun: flags.dryRun,
    hosts: { acceptNewHostKey: flags.acceptNewHostKey, env: io.env },
    sources: environmentSources(io.env),
  };
}

export async function runExec(io: CliIO, g: GlobalOptions, args: string[], flags: ExecFlags): Promise<number> {
  const usage = 'godeploy exec ENV [--host H | --primary | --role R] [--process P] [--tty] -- CMD [ARG...]';
  const [envName, ...command] = args;
  if (!envName) throw usageError('exec: which environment?', usage);
  if (flags.tty) return runInteractive(io, g, envName, command, flags, usage);
  commandOf(g, command, usage, false);
  const collected = new Map<string, { stdout: string[]; stderr: string[] }>();
  let width = 0;
  return withCancellation(io, { first: 'cancelling (the command is stopped where the host allows it)…', repeatEnds: true }, async (token) => {
    const r = await execCommand({
      ...(await requestOf(io, g, envName, command, flags)),
      token,
      onPlan: (plan) => {
        width = Math.max(0, ...plan.steps.map((s) => s.host.length));
        if (flags.dryRun && !flags.json) io.out(plan.text);
      },
      onOutput: (l: ExecOutputLine) => {
        if (flags.json) {
          const c = collected.get(l.host) ?? { stdout: [], stderr: [] };
          c[l.stream].push(l.text);
          collected.set(l.host, c);
          return;
        }
        const text = formatLogLine({ host: l.host, text: l.text }, width);
        if (l.stream === 'stdout') io.out(text);
        else io.err(text);
      },
    });
    if (flags.json) {
      io.json({
        environment: r.environment,
        dryRun: r.dryRun,
        exitCode: r.exitCode,
        ...(r.dryRun ? { plan: r.plan } : {}),
        hosts: r.hosts.map((h) => ({
          host: h.host,
          address: h.address,
          exitCode: h.exitCode,
          signal: h.signal ?? null,
          error: h.error ?? null,
          hint: h.hint ?? null,
          durationMs: h.durationMs,
          stdout: collected.get(h.host)?.stdout ?? [],
          stderr: collected.get(h.host)?.stderr ?? [],
        })),
      });
      return r.exitCode;
    }
    for (const h of r.hosts) {
      if (h.error) io.err(`godeploy: exec: ${h.host} (${h.address}): ${h.error}${h.hint ? `\n  hint: ${h.hint}` : ''}`);
    }
    if (r.hosts.length > 1 || r.exitCode !== 0)
      io.err(`exec in ${r.environment}: ${r.hosts.map((h) => `${h.host} exit ${h.exitCode}${h.signal ? ` (${h.signal})` : ''}`).join(', ')}`);
    return r.exitCode;
  });
}

/** exec --tty: one host, the command in a terminal wired to this one (raw while it runs). */
async function runInteractive(io: CliIO, g: GlobalOptions, envName: string, args: string[], flags: ExecFlags, usage: string): Promise<number> {
  if (flags.json) throw usageError('exec: --tty and --json do not go together (a session is typed into, not collected)', usage);
  const command = commandOf(g, args, usage, true);
  const { stdin, stdout } = process;
  if (!flags.dryRun && (!stdin.isTTY || !stdout.isTTY))
    throw usageError('exec --tty needs a terminal: stdin and stdout are not one here', 'run it in a terminal, or leave --tty out to get the output as lines');
  let raw = false;
  const setRaw = (on: boolean): void => {
    if (on === raw) return;
    raw = on;
    stdin.setRawMode(on);
    if (on) stdin.resume();
    else stdin.pause();
  };
  try {
    const r = await execCommand({
      ...(await requestOf(io, g, envName, command, flags)),
      tty: {
        input: stdin,
        output: stdout,
        rows: stdout.rows || 24,
        columns: stdout.columns || 80,
        term: io.env.TERM || 'xterm-256color',
        onResize: (listener) => {
          const resized = (): void => listener({ rows: stdout.rows, columns: stdout.columns });
          stdout.on('resize', resized);
          return { dispose: () => stdout.off('resize', resized) };
        },
        raw: setRaw,
      },
      onPlan: (plan) => {
        if (flags.dryRun) io.out(plan.text);
      },
    });
    setRaw(false);
    for (const h of r.hosts) if (h.error) io.err(`godeploy: exec: ${h.host} (${h.address}): ${h.error}${h.hint ? `\n  hint: ${h.hint}` : ''}`);
    return r.exitCode;
  } finally {
    setRaw(false);
  }
}
