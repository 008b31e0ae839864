import type { MongoClient } from 'mongodb';
import type { DocumentDbSecret } from '../credentials/parse.js';

/**
 * How long a replaced MongoClient stays open for cursors the app is still reading. Operations
 * in flight always finish first; this only bounds cursors that were abandoned without `close()`.
 */
export const RETIRED_CURSOR_GRACE_MS = 60_000;

/**
 * One MongoClient and the credentials it was built with. A MongoClient cannot change its
 * credentials, so a rotation that rejects them means a new generation. A replaced generation
 * is retired: it closes once its operations are done and its cursors are closed (or the
 * cursor grace has passed).
 */
export class Generation {
  #ops = 0;
  #cursors = 0;
  #retired = false;
  #graceOver = false;
  #timer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  constructor(
    readonly number: number,
    readonly client: MongoClient,
    readonly secret: DocumentDbSecret,
    private readonly onClosed: (generation: Generation) => void,
  ) {}

  get retired(): boolean {
    return this.#retired;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** An operation starts on this client: it stays open until the matching `release()`. */
  acquire(): void {
    this.#ops++;
  }

  release(): void {
    this.#ops--;
    this.#closeIfIdle();
  }

  /** A cursor started reading on this client; the returned function releases it (once). */
  holdForCursor(): () => void {
    this.#cursors++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#cursors--;
      this.#closeIfIdle();
    };
  }

  retire(cursorGraceMs = RETIRED_CURSOR_GRACE_MS): void {
    if (this.#retired) return;
    this.#retired = true;
    if (this.#cursors > 0) {
      this.#timer = setTimeout(() => {
        this.#graceOver = true;
        this.#closeIfIdle();
      }, cursorGraceMs);
      this.#timer.unref();
    }
    this.#closeIfIdle();
  }

  /** Closes the MongoClient now, whatever is in flight; safe to call twice. */
  close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#closing ??= this.client.close().then(
      () => this.onClosed(this),
      () => this.onClosed(this),
    );
    return this.#closing;
  }

  #closeIfIdle(): void {
    if (this.#retired && this.#ops === 0 && (this.#cursors === 0 || this.#graceOver)) void this.close();
  }
}
