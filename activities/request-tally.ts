/**
 * The API requests one activity made that no run total holds yet. A unit's
 * commit adds them to the run in its transaction, so the requests of tries
 * that failed count with the next unit that commits; what is left when the
 * activity ends (it gave up, or handed back early) is added on its own.
 * Only a request in flight when a worker dies goes uncounted.
 */
export class RequestTally {
  private uncounted = 0;

  /** Counts one request that has an outcome. */
  readonly count = (): void => {
    this.uncounted += 1;
  };

  /** The requests made and not yet added to the run. */
  get pending(): number {
    return this.uncounted;
  }

  /** `requests` of them are now in the run's total. */
  settled(requests: number): void {
    this.uncounted -= requests;
  }
}
