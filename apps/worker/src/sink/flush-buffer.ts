/**
 * Gathers rows from several partitions' batches into one ClickHouse insert.
 *
 * Guarantees: `add` resolves only after its rows are in ClickHouse (so the
 * caller may then resolve and commit their offsets), or rejects with
 * {@link FlushAbandoned} when the buffer is closed first (the caller must then
 * NOT commit). An insert is retried with capped exponential backoff until it
 * succeeds or the buffer closes; rows are never dropped while waiting.
 * Memory is bounded by the caller (the sink stops taking batches while
 * SINK_MAX_BUFFER_ROWS rows are handed over and not yet inserted).
 */
export interface FlushBufferOptions<Row> {
  insert(rows: Row[]): Promise<void>;
  /** Flush when this many rows are waiting. */
  maxRows: number;
  /** Flush this long after the first row arrived. */
  maxDelayMs: number;
  /** Longest backoff between failed inserts. */
  maxBackoffMs: number;
  onInsertFailure?(error: Error, attempt: number, delayMs: number): void;
  onFlushed?(rowCount: number, seconds: number): void;
  /** Injectable for tests. */
  sleep?(ms: number): Promise<void>;
}

export class FlushAbandoned extends Error {
  constructor() {
    super('flush abandoned: the sink is shutting down');
    this.name = 'FlushAbandoned';
  }
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

const INITIAL_BACKOFF_MS = 100;

export class FlushBuffer<Row> {
  private rows: Row[] = [];
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: FlushBufferOptions<Row>) {
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  add(rows: Row[]): Promise<void> {
    if (this.closed) return Promise.reject(new FlushAbandoned());
    if (rows.length === 0) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    for (const row of rows) this.rows.push(row);
    if (this.rows.length >= this.options.maxRows) this.startFlush();
    else this.timer ??= setTimeout(() => this.startFlush(), this.options.maxDelayMs);
    return done;
  }

  /** Stops retrying; waiting callers get {@link FlushAbandoned}. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const waiter of this.waiters) waiter.reject(new FlushAbandoned());
    this.waiters = [];
    this.rows = [];
  }

  private startFlush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing || this.rows.length === 0) return;
    const rows = this.rows;
    const waiters = this.waiters;
    this.rows = [];
    this.waiters = [];
    this.flushing = this.insertWithRetry(rows).then(
      () => waiters.forEach((w) => w.resolve()),
      (error: Error) => waiters.forEach((w) => w.reject(error)),
    );
    void this.flushing.finally(() => {
      this.flushing = undefined;
      // Rows that arrived during the insert are due now if they are enough.
      if (this.rows.length >= this.options.maxRows) this.startFlush();
      else if (this.rows.length > 0) this.timer ??= setTimeout(() => this.startFlush(), this.options.maxDelayMs);
    });
  }

  private async insertWithRetry(rows: Row[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new FlushAbandoned();
      const started = process.hrtime.bigint();
      try {
        await this.options.insert(rows);
        this.options.onFlushed?.(rows.length, Number(process.hrtime.bigint() - started) / 1e9);
        return;
      } catch (error) {
        const delay = Math.min(this.options.maxBackoffMs, INITIAL_BACKOFF_MS * 2 ** Math.min(attempt - 1, 20));
        this.options.onInsertFailure?.(error as Error, attempt, delay);
        await this.sleep(delay);
      }
    }
  }
}
