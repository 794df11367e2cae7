import { defineCommand } from '../spec';
import { runServiceAction, serviceActionFlags, serviceActionOptions } from './serviceAction';

export const restartCommand = defineCommand({
  name: 'restart',
  positionals: 'ENV',
  summary: "restart the live release's service on every host, then its health gate",
  options: serviceActionOptions,
  help: `Restarts the service of the live release on every host of environment ENV (or on host H),
with the commands a deploy restarts it with (systemctl restart, supervisorctl, or the
process of a \`type: local\` environment), under the deploy lock, then waits for the same
health gate as a deploy. Hosts go in the rollout's batches (rollout.batch): a batch that
fails its gate stops the rest. Nothing is rolled back: the release stays what it was.
With strategy blue-green the live instance restarts in place (a deploy with --force starts a
fresh one beside it instead). A docker environment restarts the live release container
(docker restart); a swarm is refused, naming the docker command to use instead.
Kamal users: this is \`kamal app boot\` without a new image.
Exit 0 when every host runs and passes its gate, 1 otherwise, 2 for usage errors.`,
  examples: [
    { line: 'godeploy restart prod', comment: 'restart the service on every host of prod, in rollout batches, each behind its health gate' },
    { line: 'godeploy restart prod --host web1', comment: 'only on web1' },
    { line: 'godeploy restart prod --dry-run', comment: 'print the commands it would run on each host' },
  ],
  run: (io, g, args, o) => runServiceAction(io, g, 'restart', args, serviceActionFlags(o)),
});
