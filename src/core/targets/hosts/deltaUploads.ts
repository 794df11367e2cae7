// Which hosts get a delta upload, and its bytes: for a host whose live executable this
// machine built (its chunk index is kept in dist/deploy/<env>/.chunks), the pieces of the
// new executable it lacks. Computed once per (new, live) pair of executables however many
// hosts share it, and started as soon as the build is done, while the release folders are
// being created. Every build's index is kept for the next deploy.
import type { BuiltArtifact } from '../../build/types';
import { chunkIndex, literalOf, planDelta, type ChunkIndex } from './delta';
import { loadChunkIndex, saveChunkIndex } from './deltaCache';
import type { HostDelta } from './hostDeploy';
import type { LiveState } from './unchanged';

/** Bigger executables are uploaded whole (the delta holds the file in memory). */
const MAX_DELTA_SIZE = 1024 * 1024 * 1024;

type Pieces = Omit<HostDelta, 'baseRelease'>;

export class DeltaUploads {
  private readonly indexes = new Map<string, Promise<{ bytes: Buffer; index: ChunkIndex }>>();
  private readonly plans = new Map<string, Promise<Pieces | null>>();
  private readonly saves: Promise<void>[] = [];

  /**
   * @param dir where chunk indexes are kept
   * @param bytesOf reads an executable (shared with the whole uploads)
   * @param enabled false: nothing is planned (deltaUpload: false); indexes are still kept
   */
  constructor(
    private readonly dir: string,
    private readonly bytesOf: (a: BuiltArtifact) => Promise<Buffer>,
    private readonly enabled: boolean,
  ) {}

  /** Keeps the chunk index of `a` for later deploys, in the background (see settled()). */
  remember(a: BuiltArtifact): void {
    if (a.size > MAX_DELTA_SIZE) return;
    this.saves.push(
      this.indexed(a)
        .then(({ index }) => saveChunkIndex(this.dir, a.sha256, index))
        .catch(() => undefined),
    );
  }

  /** The delta for a host running `live`, started now; undefined when there can be none. */
  forHost(a: BuiltArtifact, live: LiveState | undefined): (() => Promise<HostDelta | null>) | undefined {
    const baseSha = live?.binarySha256;
    const baseRelease = live?.id;
    if (!this.enabled || !baseSha || !baseRelease || baseSha === a.sha256 || a.size > MAX_DELTA_SIZE) return undefined;
    const key = `${a.sha256} ${baseSha}`;
    let p = this.plans.get(key);
    if (!p) {
      p = this.pieces(a, baseSha).catch(() => null);
      this.plans.set(key, p);
    }
    const planned = p;
    return async () => {
      const pieces = await planned;
      return pieces && { baseRelease, ...pieces };
    };
  }

  /** Waits for the indexes being written. Never rejects. */
  async settled(): Promise<void> {
    await Promise.all(this.saves);
  }

  private async pieces(a: BuiltArtifact, baseSha: string): Promise<Pieces | null> {
    const base = await loadChunkIndex(this.dir, baseSha);
    if (!base) return null;
    const { bytes, index } = await this.indexed(a);
    const plan = planDelta(index, base);
    return plan && { plan, literal: literalOf(bytes, plan) };
  }

  private indexed(a: BuiltArtifact): Promise<{ bytes: Buffer; index: ChunkIndex }> {
    let p = this.indexes.get(a.sha256);
    if (!p) {
      p = this.bytesOf(a).then((bytes) => ({ bytes, index: chunkIndex(bytes) }));
      this.indexes.set(a.sha256, p);
    }
    return p;
  }
}
