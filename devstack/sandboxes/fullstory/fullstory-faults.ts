import { seededRandom } from '../random.js';

/**
 * What the file storage behind an export does wrong:
 * - `503`: refuses the download (with `Retry-After: 1`);
 * - `reset`: sends the headers and about half of the file, then drops the connection;
 * - `stall`: sends the headers and about half of the file, then nothing until the client gives up.
 */
export type StorageFault = '503' | 'reset' | 'stall';

export interface RandomFullStoryFaults {
  /** Share of API requests (`/me` included) answered 503. */
  api?: number;
  /** Share of file downloads that fail with one of `storageKinds`. */
  storage?: number;
  /** Default `['503']`. */
  storageKinds?: StorageFault[];
  seed?: number;
}

/**
 * The sandbox's faults: first those scheduled for the next downloads (for
 * exact tests), then by chance from a seeded generator (for fault suites
 * like an outside harness's "half of all answers are 503").
 */
export class FullStoryFaults {
  private random: RandomFullStoryFaults = {};
  private roll = seededRandom(1);
  private readonly nextDownloads: StorageFault[] = [];

  /** Faults by chance from now on; undefined turns them off. */
  setRandom(faults: RandomFullStoryFaults | undefined): void {
    this.random = faults ?? {};
    this.roll = seededRandom(faults?.seed ?? 1);
  }

  /** The next downloads fail with these faults, in order. */
  failNextDownloads(...faults: StorageFault[]): void {
    this.nextDownloads.push(...faults);
  }

  /** Whether this API request is answered 503. */
  apiFault(): boolean {
    return (this.random.api ?? 0) > 0 && this.roll() < this.random.api!;
  }

  /** The fault this download meets, if any. */
  storageFault(): StorageFault | null {
    const scheduled = this.nextDownloads.shift();
    if (scheduled) return scheduled;
    if (!((this.random.storage ?? 0) > 0 && this.roll() < this.random.storage!)) return null;
    const kinds = this.random.storageKinds ?? ['503'];
    return kinds[Math.floor(this.roll() * kinds.length)]!;
  }
}
