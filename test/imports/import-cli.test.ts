import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTroupe, type Troupe } from '../support/harness';
import { SmtpSink } from '../support/smtp-sink';
import { toCsv, uniqueTag } from './support';

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tools/import/main.ts', ...args], {
      cwd: path.resolve(__dirname, '../..'),
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      out += chunk;
    });
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('npm run import', () => {
  let smtp: SmtpSink;
  let troupe: Troupe;

  beforeAll(async () => {
    smtp = await new SmtpSink().start();
    troupe = await startTroupe({ env: { SMTP_URL: smtp.url } });
  });
  afterAll(async () => {
    await troupe?.stop();
    await smtp?.stop();
  });

  it('uploads a file, follows it to the end and prints a correct summary', async () => {
    const tag = uniqueTag();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-import-'));
    const file = path.join(dir, 'leads.csv');
    writeFileSync(
      file,
      toCsv([
        ['name', 'email', 'company'],
        ...Array.from({ length: 12 }, (_, i) => [`Cli ${i}`, `cli${i}.${tag}@import.example`, 'C']),
        ['Bad', 'not-an-email', 'C'],
        ['Again', `cli0.${tag}@import.example`, 'C'],
      ]),
    );
    const { code, out } = await run([file, '--api', troupe.url]);
    expect(out).toMatch(/14 rows, 12 new leads, 1 invalid, 1 duplicates/);
    expect(out).toMatch(/COMPLETED: 14 rows — 12 completed, 0 failed, 1 invalid, 1 duplicates/);
    expect(out).toMatch(/line 14 \(invalid\) email/);
    expect(out).toMatch(/line 15 \(duplicate\) email: repeats the email of line 2/);
    expect(code).toBe(0);
  }, 180_000);

  it('says what is wrong with a refused file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-import-'));
    const file = path.join(dir, 'bad.csv');
    writeFileSync(file, 'name,email,shoe\nA,a@b.io,x\n');
    const { code, out } = await run([file, '--api', troupe.url]);
    expect(out).toMatch(/refused\n400: Column 3 \("shoe"\) is not a lead field/);
    expect(code).toBe(1);
  });
});
