interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitOptions {
  /** Writes in flight at once; items submitted meanwhile wait and go together in the next write. */
  maxInFlight: number;
  maxPerWrite: number;
  /** An error caused by one item's values: the others of its write are written again one by one. */
  isItemError: (error: unknown) => boolean;
}

/**
 * Group commit: items submitted while earlier writes are in flight are written together by the
 * next `write` (one round trip, one commit), a lone item goes at once. Each submitter's promise
 * settles with its own result once the write that holds its item is done. When a write of several
 * fails because of one item (`isItemError`), each is written again on its own, so one bad item
 * never fails the others; any other failure fails them all at once, with no queue of retries.
 */
export class GroupCommit<T, R> {
  private readonly waiting: Waiting<T, R>[] = [];
  private inFlight = 0;

  constructor(
    /** Writes the items, returning one result per item in the same order. */
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly options: GroupCommitOptions,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const group = this.waiting.splice(0, this.options.maxPerWrite);
      this.inFlight += 1;
      void this.writeGroup(group).finally(() => {
        this.inFlight -= 1;
        this.next();
      });
    }
  }

  private async writeGroup(group: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.write(group.map((w) => w.item));
      group.forEach((w, i) => w.resolve(results[i]!));
    } catch (error) {
      if (group.length === 1 || !this.options.isItemError(error)) {
        for (const w of group) w.reject(error);
        return;
      }
      for (const w of group) {
        await this.write([w.item]).then(([result]) => w.resolve(result!), w.reject);
      }
    }
  }
}
