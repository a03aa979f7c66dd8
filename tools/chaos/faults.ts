// The fault plan (drawn from the seed) and how each fault is applied to the running stack.
import type { ICreateToxicBody } from 'toxiproxy-node-client';
import type { Proxied, Stack } from './processes';
import type { Random } from './random';

export const FAULT_KINDS = ['latency', 'reset', 'timeout', 'mysql', 'errors', 'kill', 'temporal'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface PlannedFault {
  kind: FaultKind;
  /** What it hits: a proxied dependency, a worker index, or the Temporal server. */
  target: string;
  /** Milliseconds after the workload starts. */
  at: number;
  /** How long the fault lasts (for kills and restarts: how long the part stays down). */
  forMs: number;
}

export interface AppliedFault extends PlannedFault {
  startedAt: number;
  endedAt: number;
  error?: string;
}

export interface PlanOptions {
  kinds: readonly FaultKind[];
  durationMs: number;
  workers: number;
  kills: number;
  mysqlCutMs: number;
  windowMs: number;
}

const HTTP_TARGETS: Proxied[] = ['gateway', 'groq', 'tavily', 'receiver'];
const NETWORK_TARGETS: Proxied[] = ['mysql', 'smtp', ...HTTP_TARGETS];

/**
 * Window faults (latency, resets, timeouts, error answers, the MySQL cut) take turns in slots across
 * the middle of the run so each one's effect on latency can be told apart; worker kills and the
 * Temporal restart fall at random moments on top.
 */
export function planFaults(random: Random, options: PlanOptions): PlannedFault[] {
  const has = (kind: FaultKind) => options.kinds.includes(kind);
  const windows: Omit<PlannedFault, 'at'>[] = [];
  const window = () => random.int(Math.round(options.windowMs * 0.7), options.windowMs);
  if (has('mysql')) windows.push({ kind: 'mysql', target: 'mysql', forMs: options.mysqlCutMs });
  if (has('latency'))
    for (const t of NETWORK_TARGETS) windows.push({ kind: 'latency', target: t, forMs: window() });
  if (has('reset'))
    for (const t of NETWORK_TARGETS) windows.push({ kind: 'reset', target: t, forMs: window() });
  if (has('timeout'))
    for (const t of HTTP_TARGETS) windows.push({ kind: 'timeout', target: t, forMs: window() });
  if (has('errors'))
    for (const t of HTTP_TARGETS) windows.push({ kind: 'errors', target: t, forMs: window() });
  random.shuffle(windows);

  const from = options.durationMs * 0.1;
  const span = options.durationMs * 0.75;
  const slot = span / Math.max(1, windows.length);
  const plan: PlannedFault[] = windows.map((w, i) => ({
    ...w,
    forMs: Math.min(w.forMs, w.kind === 'mysql' ? w.forMs : Math.round(slot * 0.8)),
    at: Math.round(from + i * slot),
  }));
  // The MySQL cut may be longer than a slot: let it take the room it needs by pushing later slots.
  plan.sort((a, b) => a.at - b.at);
  for (let i = 1; i < plan.length; i++) {
    const previous = plan[i - 1] as PlannedFault;
    const current = plan[i] as PlannedFault;
    current.at = Math.max(current.at, previous.at + previous.forMs + 1_000);
  }
  if (has('kill')) {
    for (let k = 0; k < options.kills; k++) {
      plan.push({
        kind: 'kill',
        target: `worker-${random.int(0, options.workers - 1)}`,
        at: Math.round(from + random.next() * span),
        forMs: random.int(1_000, 4_000),
      });
    }
  }
  if (has('temporal')) {
    plan.push({
      kind: 'temporal',
      target: 'temporal',
      at: Math.round(from + random.next() * span),
      forMs: 3_000,
    });
  }
  return plan.sort((a, b) => a.at - b.at);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts one fault, holds it for its time, and undoes it; never throws (a failure is recorded). */
export async function applyFault(
  stack: Stack,
  fault: PlannedFault,
  log: (line: string) => void,
): Promise<AppliedFault> {
  const startedAt = Date.now();
  log(`fault: ${fault.kind} ${fault.target} for ${(fault.forMs / 1000).toFixed(1)} s`);
  let error: string | undefined;
  try {
    if (fault.kind === 'kill') {
      const killed = await stack.killWorker(Number(fault.target.replace('worker-', '')));
      if (killed === undefined) throw new Error('no worker was running to kill');
      await sleep(fault.forMs);
      await stack.startWorker(killed);
    } else if (fault.kind === 'temporal') {
      await stack.restartTemporal(fault.forMs);
    } else if (fault.kind === 'mysql') {
      const proxy = await stack.toxiproxy.get('mysql');
      await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
      await sleep(fault.forMs);
      await proxy.update({ enabled: true, listen: proxy.listen, upstream: proxy.upstream });
    } else if (fault.kind === 'errors') {
      await answerErrors(stack, fault.target as Proxied);
      await sleep(fault.forMs);
      // The window ends: error answers nobody asked for yet are dropped, or a lone late retrier would
      // meet them all after the faults are over (seed 163740: one lead ate six Tavily 503s, its
      // backoff grew past the settle time, and it was counted stuck).
      await endErrors(stack, fault.target as Proxied);
    } else {
      const proxy = await stack.toxiproxy.get(fault.target);
      const toxic = await proxy.addToxic<Record<string, number>>(toxicFor(fault.kind));
      await sleep(fault.forMs);
      await toxic.remove();
    }
  } catch (err) {
    error = (err as Error).message;
    log(`fault ${fault.kind} ${fault.target} failed: ${error}`);
  }
  return { ...fault, startedAt, endedAt: Date.now(), ...(error && { error }) };
}

function toxicFor(kind: FaultKind): ICreateToxicBody<Record<string, number>> {
  const base = { name: `chaos_${kind}`, stream: 'downstream' as const, toxicity: 1 };
  if (kind === 'latency')
    return { ...base, type: 'latency' as const, attributes: { latency: 800, jitter: 400 } };
  // reset_peer with timeout 0: a connection is reset as soon as the server sends anything.
  if (kind === 'reset') return { ...base, type: 'reset_peer' as const, attributes: { timeout: 0 } };
  // timeout: data stops flowing and the connection is closed after 3 s.
  return { ...base, type: 'timeout' as const, attributes: { timeout: 3_000 } };
}

/** The next few requests to a service are answered as an overloaded service answers them. */
async function answerErrors(stack: Stack, target: Proxied): Promise<void> {
  const count = 6;
  if (target === 'groq') {
    stack.groq.enqueue(
      ...Array.from({ length: count }, () => ({
        status: 429,
        headers: { 'retry-after': '1' },
        body: { error: { message: 'Rate limit reached', type: 'tokens', code: 'rate_limit_exceeded' } },
      })),
    );
  } else if (target === 'tavily') {
    stack.tavily.enqueue(
      ...Array.from({ length: count }, () => ({ status: 503, body: { detail: 'Service Unavailable' } })),
    );
  } else if (target === 'receiver') {
    stack.receiver.failNext(count);
  } else if (target === 'gateway') {
    // Half before the ledger (nothing happened), half after it commits (the reply is lost).
    for (const phase of ['before', 'after']) {
      const response = await fetch(`${stack.gatewayUrl}/_sandbox/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.gatewayKey}` },
        body: JSON.stringify({ operation: 'any', phase, status: 503, times: count / 2 }),
      });
      if (response.status !== 201) throw new Error(`gateway refused the fault: ${await response.text()}`);
    }
  }
}

/** Ends an errors window: every scripted error not yet answered is dropped. */
async function endErrors(stack: Stack, target: Proxied): Promise<void> {
  if (target === 'groq') stack.groq.clearQueue();
  else if (target === 'tavily') stack.tavily.clearQueue();
  else if (target === 'receiver') stack.receiver.clearFailures();
  else if (target === 'gateway') {
    const response = await fetch(`${stack.gatewayUrl}/_sandbox/faults`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${stack.gatewayKey}` },
    });
    if (!response.ok) throw new Error(`gateway kept its faults: ${response.status}`);
  }
}
