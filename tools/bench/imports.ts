// `npm run bench:imports -- [--api URL] [--key KEY] [--rows 2000] [--streams 1000] [--leads 30]`,
// against a running `npm start` (or any API and workers):
//   (1) POST /leads latency idle, then while an import of --rows rows runs: p50/p99 and their ratio;
//   (2) the import itself: time to COMPLETED, leads per second;
//   (3) live streams: --streams open event streams on one API process, the API's resident memory
//       before and after (its /metrics), so memory per stream; and the event latency from a state
//       change (the change log's timestamp) to the client.
// Prints a table and writes data/bench/imports-<timestamp>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { latency, ratio, round } from './stats';

const { values } = parseArgs({
  options: {
    api: { type: 'string', default: process.env.TROUPE_API_URL ?? 'http://localhost:3000' },
    key: { type: 'string', default: process.env.TROUPE_API_KEY },
    rows: { type: 'string', default: '2000' },
    streams: { type: 'string', default: '1000' },
    leads: { type: 'string', default: '30' },
  },
});
const api = (values.api ?? '').replace(/\/$/, '');
const auth: Record<string, string> = values.key ? { authorization: `Bearer ${values.key}` } : {};
const rows = Number(values.rows);
const streamCount = Number(values.streams);
const leadCount = Number(values.leads);
const tag = Date.now().toString(36);

async function json(path: string, init: RequestInit = {}) {
  const response = await fetch(`${api}${path}`, { ...init, headers: { ...auth, ...(init.headers ?? {}) } });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function postLeadLatencies(label: string, n: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const res = await json('/api/v1/leads', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Bench',
        email: `bench.${label}.${i}.${tag}@bench.example`,
        company: 'Bench',
      }),
    });
    if (res.status !== 202) throw new Error(`POST /leads: ${res.status}`);
    ms.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return ms;
}

async function apiMemoryBytes(): Promise<number> {
  const text = await (await fetch(`${api}/metrics`)).text();
  return Number(/^process_resident_memory_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)/m.exec(text)?.[1] ?? Number.NaN);
}

async function main() {
  // (1) and (2)
  const idle = latency(await postLeadLatencies('idle', leadCount));
  const csv = [
    'name,email,company',
    ...Array.from({ length: rows }, (_, i) => `Bench ${i},import.${i}.${tag}@bench.example,Bench`),
  ].join('\n');
  const importStarted = Date.now();
  const created = await json('/api/v1/lead-imports', {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: csv,
  });
  if (created.status !== 202)
    throw new Error(`POST /lead-imports: ${created.status} ${JSON.stringify(created.body)}`);
  const during = latency(await postLeadLatencies('during', leadCount));
  let view = created.body;
  while (view.status !== 'COMPLETED' && view.status !== 'CANCELLED') {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    view = (await json(`/api/v1/lead-imports/${created.body.id}`)).body;
  }
  const importSeconds = (Date.now() - importStarted) / 1000;

  // (3) Streams stay open on an import that is not over: a small one, paused while they are measured.
  const heldCsv = [
    'name,email,company',
    ...Array.from({ length: 50 }, (_, i) => `Held ${i},held.${i}.${tag}@bench.example,Bench`),
  ].join('\n');
  const held = await json('/api/v1/lead-imports', {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: heldCsv,
  });
  await json(`/api/v1/lead-imports/${held.body.id}/pause`, { method: 'POST' });
  const before = await apiMemoryBytes();
  const controllers: AbortController[] = [];
  let opened = 0;
  await Promise.all(
    Array.from({ length: streamCount }, async () => {
      const controller = new AbortController();
      controllers.push(controller);
      try {
        const res = await fetch(`${api}/api/v1/lead-imports/${held.body.id}/events`, {
          headers: auth,
          signal: controller.signal,
        });
        if (res.status === 200) opened++;
        // Read nothing more: the stream stays open while the import is paused.
      } catch {
        // aborted below
      }
    }),
  );
  const after = await apiMemoryBytes();
  for (const c of controllers) c.abort();
  await json(`/api/v1/lead-imports/${held.body.id}/cancel`, { method: 'POST' });

  // Event latency: a fresh lead, its stream open, each status event's arrival minus its log time.
  const lead = await json('/api/v1/leads', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Latency', email: `latency.${tag}@bench.example`, company: 'Bench' }),
  });
  const delays: number[] = [];
  const stream = await fetch(`${api}/api/v1/leads/${lead.body.id}/events`, { headers: auth });
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of stream.body ?? []) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (/^event: status$/m.test(block) && data) delays.push(Date.now() - Date.parse(JSON.parse(data).at));
    }
  }

  const result = {
    at: new Date().toISOString(),
    api,
    postLead: {
      idle,
      duringImport: during,
      p50Ratio: ratio(during.p50, idle.p50),
      p99Ratio: ratio(during.p99, idle.p99),
    },
    import: {
      rows,
      seconds: round(importSeconds),
      leadsPerSecond: round(view.totals.completed / importSeconds, 2),
      totals: view.totals,
    },
    streams: {
      opened,
      apiMemoryBeforeMb: round(before / 1e6),
      apiMemoryAfterMb: round(after / 1e6),
      kbPerStream: opened > 0 ? round((after - before) / opened / 1024, 1) : null,
      eventLatencyMs: latency(delays),
    },
  };
  console.table({
    'POST /leads idle': { p50: idle.p50, p99: idle.p99 },
    'POST /leads during import': { p50: during.p50, p99: during.p99 },
  });
  console.log(JSON.stringify(result, null, 2));
  mkdirSync('data/bench', { recursive: true });
  writeFileSync(
    `data/bench/imports-${result.at.replace(/[:.]/g, '-')}.json`,
    JSON.stringify(result, null, 2),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
