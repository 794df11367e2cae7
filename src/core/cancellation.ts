/**
 * Cancellation and progress enter the engine through these small interfaces.
 * vscode.CancellationToken and vscode.Progress satisfy them structurally, and the CLI
 * provides its own, so nothing in core depends on the editor.
 */
export interface CancellationTokenLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

export interface ProgressLike {
  report(value: { message?: string; increment?: number }): void;
}

export const neverCancelled: CancellationTokenLike = {
  isCancellationRequested: false,
  onCancellationRequested: () => ({ dispose() {} }),
};

export const noProgress: ProgressLike = { report() {} };

/** A token source for the CLI (SIGINT) and for tests. */
export class CancellationSource {
  private readonly listeners = new Set<() => void>();
  private cancelled = false;
  readonly token: CancellationTokenLike;

  constructor() {
    const isCancelled = (): boolean => this.cancelled;
    this.token = {
      get isCancellationRequested() {
        return isCancelled();
      },
      onCancellationRequested: (listener) => {
        if (this.cancelled) {
          listener();
          return { dispose() {} };
        }
        this.listeners.add(listener);
        return { dispose: () => void this.listeners.delete(listener) };
      },
    };
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const l of listeners) l();
  }
}
