import { defineCommand } from '../spec';
import { runServiceAction, serviceActionFlags, serviceActionOptions } from './serviceAction';

export const startCommand = defineCommand({
  name: 'start',
  positionals: 'ENV',
  summary: "start the live release's service where it is not running, then its health gate",
  options: serviceActionOptions,
  help: `Starts the service of the live release on every host of environment ENV (or on host H)
where it is not running, with the command a deploy starts it with, under the deploy lock,
then waits for the same health gate as a deploy (a host where it was running is gated
too). A docker environment starts the release container that ran last (the one
\`godeploy stop\` stopped); a swarm is refused. Kamal users: this is \`kamal app start\`.
Exit 0 when every host runs and passes its gate, 1 otherwise, 2 for usage errors.`,
  examples: [
    { line: 'godeploy start staging', comment: 'start the service again after `godeploy stop staging`, health-gated' },
    { line: 'godeploy start prod --host web2', comment: 'only on web2' },
  ],
  run: (io, g, args, o) => runServiceAction(io, g, 'start', args, serviceActionFlags(o)),
});
