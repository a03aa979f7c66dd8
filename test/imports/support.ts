import { http, type JsonResponse } from '../support/harness';

/** A CSV cell, quoted when it must be (RFC 4180). */
const cell = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
export const toCsv = (rows: string[][]): string =>
  `${rows.map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;

export function upload(
  url: string,
  body: string,
  options: { type?: string; query?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  return http(`${url}/api/v1/lead-imports${options.query ?? ''}`, {
    method: 'POST',
    raw: body,
    headers: { 'content-type': options.type ?? 'text/csv', ...options.headers },
  });
}

export async function allPages<T>(url: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: JsonResponse = await http(
      `${url}${url.includes('?') ? '&' : '?'}limit=100${cursor ? `&cursor=${cursor}` : ''}`,
    );
    if (page.status !== 200) throw new Error(`${url}: ${page.status} ${JSON.stringify(page.body)}`);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}

let counter = 0;
export const uniqueTag = () =>
  `${Date.now().toString(36)}${++counter}${Math.random().toString(36).slice(2, 6)}`;
