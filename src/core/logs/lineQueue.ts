// Between the followers and whoever shows the lines: lines are handed over in batches (one
// call per tick, not one per line), and memory stays bounded without dropping anything:
// past a high-water mark every follower's stream is paused, which over ssh stops the
// channel's window and holds the command on the host back, until the batches catch up.
import type { LogLine } from './logLine';

export interface FlowControl {
  pause(): void;
  resume(): void;
}

export interface LineQueueOptions {
  /** How often batches are handed over. */
  flushMs?: number;
  /** Queued text (UTF-16 code units) above which the followers pause. */
  highWater?: number;
}

export class LineQueue {
  private queue: LogLine[] = [];
  private size = 0;
  private paused = false;
  private readonly flows = new Set<FlowControl>();
  private readonly timer: NodeJS.Timeout;
  private readonly highWater: number;
  /** The most text ever queued at once (the benchmark reports it). */
  peak = 0;

  constructor(
    private readonly sink: (lines: LogLine[]) => void,
    options: LineQueueOptions = {},
  ) {
    this.highWater = options.highWater ?? 4 * 1024 * 1024;
    this.timer = setInterval(() => this.flush(), options.flushMs ?? 50);
  }

  push(lines: LogLine[]): void {
    if (!lines.length) return;
    for (const l of lines) this.size += l.text.length + 64;
    this.queue.push(...lines);
    this.peak = Math.max(this.peak, this.size);
    if (!this.paused && this.size > this.highWater) {
      this.paused = true;
      for (const f of this.flows) f.pause();
    }
  }

  /** A follower's stream, paused and resumed with the others. */
  control(flow: FlowControl): () => void {
    this.flows.add(flow);
    if (this.paused) flow.pause();
    return () => {
      this.flows.delete(flow);
    };
  }

  flush(): void {
    if (this.queue.length) {
      const batch = this.queue;
      this.queue = [];
      this.size = 0;
      this.sink(batch);
    }
    if (this.paused) {
      this.paused = false;
      for (const f of this.flows) f.resume();
    }
  }

  /** Hands over what is left and stops the timer. */
  close(): void {
    clearInterval(this.timer);
    this.flush();
    this.flows.clear();
  }
}
