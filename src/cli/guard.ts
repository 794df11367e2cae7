// The CLI's last line of defence for honest exit codes: Node exits with code 0 when its
// event loop empties, even if the operation's promise never settled (a wait on a callback
// that can no longer come). Then the outcome is unknown, which is never success: exit 1.
export const UNSETTLED_MESSAGE =
  'godeploy: internal error: the operation stopped before it finished (it was waiting for something that can no longer happen); its outcome is unknown, so this is a failure\n  hint: check the hosts with `godeploy status ENV` and `godeploy lock status ENV`, and please report this';

/**
 * Runs `operation` and sets the process's exit code from it; if the event loop empties
 * while it is still pending, says so on stderr and exits 1.
 */
export function runToExitCode(operation: () => Promise<number>, err: (text: string) => void): void {
  let settled = false;
  const onBeforeExit = (): void => {
    process.removeListener('beforeExit', onBeforeExit);
    if (settled) return;
    settled = true;
    err(UNSETTLED_MESSAGE);
    process.exitCode = 1;
  };
  process.on('beforeExit', onBeforeExit);
  operation().then(
    (code) => {
      settled = true;
      process.exitCode = code;
    },
    (e: unknown) => {
      settled = true;
      err(`godeploy: internal error: ${(e as Error)?.stack ?? String(e)}`);
      process.exitCode = 1;
    },
  );
}
