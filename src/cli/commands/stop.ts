import { defineCommand } from '../spec';
import { runServiceAction, serviceActionFlags, serviceActionOptions } from './serviceAction';

export const stopCommand = defineCommand({
  name: 'stop',
  positionals: 'ENV',
  summary: "stop the live release's service on every host",
  options: serviceActionOptions,
  help: `Stops the service of the live release on every host of environment ENV (or on host H),
with the command a deploy stops it with, under the deploy lock, then reports each host's
state. The release stays live (current is not changed): \`godeploy start ENV\` brings it
back. A systemd unit stays enabled, so a reboot starts it again; a supervisor program
with autostart does too. A docker environment stops the live release container (kept,
with its restart policy); a swarm is refused. Kamal users: this is \`kamal app stop\`.
Exit 0 when the service is stopped on every host, 1 otherwise, 2 for usage errors.`,
  examples: [
    { line: 'godeploy stop staging', comment: 'stop the service on every host of staging' },
    { line: 'godeploy stop prod --host web2 --json', comment: 'stop it on web2 and print its state before and after as JSON' },
  ],
  run: (io, g, args, o) => runServiceAction(io, g, 'stop', args, serviceActionFlags(o)),
});
