import type { Response } from 'express';
import { sql } from 'kysely';
import type { Db } from '../../db';
import { fromJson } from '../../db';
import type { EntityEvent, EntityType } from '../../db/entity-events';
import type { Logger } from '../../observability/logger';

/** What one stream may have queued for a client that does not read, before it is closed. */
export const MAX_PENDING_BYTES = 64 * 1024;
/** Ids commit out of order across entities; the poll re-reads this much recent history to catch late ones. */
const LATE_COMMIT_WINDOW_SECONDS = 3;

export interface StreamEvent {
  id: string;
  event: string;
  data: unknown;
}

/**
 * One client's stream. Writes respect backpressure: while the socket is full, events queue; past
 * MAX_PENDING_BYTES the stream is closed (the client resumes with Last-Event-ID, from MySQL), so a
 * client that never reads costs a bounded amount of memory.
 */
export class SseStream {
  lastId = 0;
  lastStatus: string | undefined;
  closed = false;
  private pending: string[] = [];
  private pendingBytes = 0;
  /** Live events that arrive while the stream is still sending what it missed. */
  private held: EntityEvent[] | undefined = [];

  constructor(
    readonly res: Response,
    readonly key: string,
    /** Whether every event counts (imports' progress) or only a change of status (leads, bookings). */
    private readonly everyEvent: boolean,
    private readonly isFinal: (status: string) => boolean,
    private readonly onClose: () => void,
  ) {
    res.on('close', () => this.close());
    res.on('drain', () => this.flush());
  }

  write(chunk: string): void {
    if (this.closed) return;
    if (this.pending.length > 0 || this.res.writableNeedDrain) {
      this.pending.push(chunk);
      this.pendingBytes += Buffer.byteLength(chunk);
      if (this.pendingBytes > MAX_PENDING_BYTES) this.close();
      return;
    }
    this.res.write(chunk);
  }

  private flush(): void {
    while (this.pending.length > 0 && !this.res.writableNeedDrain) {
      const chunk = this.pending.shift() as string;
      this.pendingBytes -= Buffer.byteLength(chunk);
      this.res.write(chunk);
    }
  }

  send(event: StreamEvent): void {
    const id = Number(event.id);
    if (id > this.lastId) this.lastId = id;
    this.write(`id: ${event.id}\nevent: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`);
  }

  /** A change from the log: sent once, in order; the final one closes the stream. */
  deliver(event: EntityEvent): void {
    if (this.held) {
      this.held.push(event);
      return;
    }
    if (Number(event.id) <= this.lastId) return;
    if (!this.everyEvent && event.status === this.lastStatus) {
      this.lastId = Number(event.id);
      return;
    }
    this.lastStatus = event.status;
    this.send({
      id: event.id,
      event: 'status',
      data: { status: event.status, at: event.createdAt.toISOString(), ...(event.data as object | null) },
    });
    if (this.isFinal(event.status)) this.end(event.id);
  }

  /** Caught up: the missed events, then the live ones held meanwhile, in id order, each once. */
  live(missed: EntityEvent[] = []): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const event of [...missed, ...held].sort((a, b) => Number(a.id) - Number(b.id))) this.deliver(event);
  }

  end(id: string): void {
    if (this.closed) return;
    this.write(`id: ${id}\nevent: end\ndata: {}\n\n`);
    this.res.end();
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.res.writableEnded) this.res.end();
    this.onClose();
  }
}

const rowToEvent = (row: {
  id: string | number;
  entity_type: string;
  entity_id: string;
  status: string;
  data: unknown;
  created_at: Date;
}): EntityEvent => ({
  id: String(row.id),
  entityType: row.entity_type as EntityType,
  entityId: row.entity_id,
  status: row.status,
  data: fromJson(row.data),
  createdAt: row.created_at,
});

/**
 * Fans the change log (entity_events) out to the open streams of this API process: ONE query every
 * SSE_POLL_MS for all streams together (none while no stream is open), one heartbeat timer for all.
 * Streams cost a socket and a small object each; no per-stream polling of Temporal or MySQL.
 */
export class EventHub {
  private readonly streams = new Map<string, Set<SseStream>>();
  private count = 0;
  private lastSeen: number | undefined;
  private poller: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly db: Db,
    private readonly options: { maxStreams: number; pollMs: number; heartbeatMs: number; logger: Logger },
  ) {}

  get open(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.options.maxStreams;
  }

  add(stream: SseStream): void {
    let set = this.streams.get(stream.key);
    if (!set) {
      set = new Set();
      this.streams.set(stream.key, set);
    }
    set.add(stream);
    this.count++;
    if (!this.poller) {
      this.poller = setInterval(() => void this.poll(), this.options.pollMs).unref();
      this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs).unref();
    }
  }

  remove(stream: SseStream): void {
    const set = this.streams.get(stream.key);
    if (!set?.delete(stream)) return;
    this.count--;
    if (set.size === 0) this.streams.delete(stream.key);
    if (this.count === 0) this.stopTimers();
  }

  /** The entity's events after `afterId`, oldest first (what a stream missed). */
  async since(entityType: EntityType, entityId: string, afterId: number): Promise<EntityEvent[]> {
    const rows = await this.db
      .selectFrom('entity_events')
      .selectAll()
      .where('entity_type', '=', entityType)
      .where('entity_id', '=', entityId)
      .where('id', '>', String(afterId))
      .orderBy('id')
      .limit(1_000)
      .execute();
    return rows.map(rowToEvent);
  }

  /** The id of the entity's latest event (0 when none): where a snapshot stands in the log. */
  async latestId(entityType: EntityType, entityId: string): Promise<number> {
    const row = await this.db
      .selectFrom('entity_events')
      .select((eb) => eb.fn.max('id').as('id'))
      .where('entity_type', '=', entityType)
      .where('entity_id', '=', entityId)
      .executeTakeFirst();
    return Number(row?.id ?? 0);
  }

  private async poll(): Promise<void> {
    if (this.polling || this.count === 0) return;
    this.polling = true;
    try {
      if (this.lastSeen === undefined) {
        const max = await this.db
          .selectFrom('entity_events')
          .select((eb) => eb.fn.max('id').as('id'))
          .executeTakeFirst();
        this.lastSeen = Number(max?.id ?? 0);
      }
      const rows = await this.db
        .selectFrom('entity_events')
        .selectAll()
        .where((eb) =>
          eb.or([
            eb('id', '>', String(this.lastSeen)),
            eb('created_at', '>', sql<Date>`NOW(3) - INTERVAL ${sql.lit(LATE_COMMIT_WINDOW_SECONDS)} SECOND`),
          ]),
        )
        .orderBy('id')
        .limit(5_000)
        .execute();
      for (const row of rows) {
        const event = rowToEvent(row);
        this.lastSeen = Math.max(this.lastSeen, Number(event.id));
        const set = this.streams.get(`${event.entityType}:${event.entityId}`);
        if (set) for (const stream of [...set]) stream.deliver(event);
      }
    } catch (err) {
      this.options.logger.warn({ err }, 'Reading the event log failed; streams retry on the next poll');
    } finally {
      this.polling = false;
    }
  }

  private beat(): void {
    for (const set of this.streams.values()) for (const stream of set) stream.write(': heartbeat\n\n');
  }

  private stopTimers(): void {
    clearInterval(this.poller);
    clearInterval(this.heartbeat);
    this.poller = undefined;
    this.heartbeat = undefined;
  }

  /** On shutdown: every stream ends (clients reconnect elsewhere with Last-Event-ID). */
  closeAll(): void {
    for (const set of [...this.streams.values()]) for (const stream of [...set]) stream.close();
    this.stopTimers();
  }
}
