// `node --import tsx tools/bench/chart.ts [data/bench/<run>.json]`: an SVG bar chart of a bench run's
// ratios to bare Temporal (1.0 = as fast as the engine), written beside the JSON. No dependencies.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Bar {
  label: string;
  value: number | null;
}

export function svgChart(title: string, bars: Bar[]): string {
  const rowH = 26;
  const left = 300;
  const width = 760;
  const max = Math.max(3, ...bars.map((b) => b.value ?? 0));
  const scale = (v: number) => ((width - left - 60) * v) / max;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const rows = bars.map((b, i) => {
    const y = 40 + i * rowH;
    const v = b.value ?? 0;
    const colour = v <= 1.5 ? '#2e7d32' : v <= 3 ? '#f9a825' : '#c62828';
    return (
      `<text x="${left - 8}" y="${y + 15}" text-anchor="end" font-size="12">${esc(b.label)}</text>` +
      `<rect x="${left}" y="${y + 3}" width="${scale(v).toFixed(1)}" height="16" fill="${colour}"/>` +
      `<text x="${(left + scale(v) + 6).toFixed(1)}" y="${y + 15}" font-size="12">${b.value === null ? 'n/a' : `${v}×`}</text>`
    );
  });
  const height = 60 + bars.length * rowH;
  const one = (left + scale(1)).toFixed(1);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" role="img">
<title>${esc(title)}</title>
<text x="10" y="22" font-size="14" font-weight="bold">${esc(title)}</text>
<line x1="${one}" y1="34" x2="${one}" y2="${height - 10}" stroke="#555" stroke-dasharray="4"/>
<text x="${(Number(one) + 3).toFixed(1)}" y="${height - 12}" font-size="10">1× = bare Temporal / uncontended</text>
${rows.join('\n')}
</svg>
`;
}

/** The bars of a bench run: every ratio it reports. */
// biome-ignore lint/suspicious/noExplicitAny: the run's JSON, as written by tools/bench/index.ts
export function barsOf(run: any): Bar[] {
  const bars: Bar[] = [
    { label: 'POST /leads vs start: p99', value: run.startPath?.leads.ratio.p99 },
    { label: 'POST /bookings vs update-with-start: p99', value: run.startPath?.bookings.ratio.p99 },
  ];
  for (const e of run.endToEnd ?? []) {
    bars.push({ label: `lead e2e ×${e.concurrency}: throughput`, value: e.ratio.perSecond });
    bars.push({ label: `lead e2e ×${e.concurrency}: p99`, value: e.ratio.p99 });
  }
  for (const c of run.contention ?? [])
    bars.push({ label: `${c.n}-way race: p99 vs uncontended`, value: c.ratioToUncontended.p99 });
  return bars;
}

if (require.main === module) {
  const dir = path.join(process.cwd(), 'data', 'bench');
  const file =
    process.argv[2] ??
    path.join(
      dir,
      readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .at(-1) ?? '',
    );
  const run = JSON.parse(readFileSync(file, 'utf8'));
  const out = file.replace(/\.json$/, '.svg');
  writeFileSync(
    out,
    svgChart(`Troupe vs bare Temporal (${run.startedAt}, ${run.machine.cores} cores)`, barsOf(run)),
  );
  console.log(out);
}
