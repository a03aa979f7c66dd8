import escapeHtml from 'escape-html';
import type { LeadAnalysis, LeadResearch } from '../../workflows/lead/schemas';
import type { LeadProfile } from '../../workflows/lead/shared';

export interface RenderedReport {
  subject: string;
  text: string;
  html: string;
}

// Everything below comes from a lead form or the web: escape every value, and only link http(s) URLs.
const e = (value: unknown) => escapeHtml(String(value ?? ''));
const safeUrl = (url: string) => (/^https?:\/\//i.test(url) ? url : undefined);
const link = (url: string, label: string) => {
  const href = safeUrl(url);
  return href ? `<a href="${e(href)}">${e(label)}</a>` : e(label);
};
// Header values must not carry line breaks (header injection).
const oneLine = (value: string) => value.replace(/[\r\n]+/g, ' ').trim();

export function renderLeadReport(
  lead: LeadProfile,
  research: LeadResearch,
  analysis: LeadAnalysis,
): RenderedReport {
  const offline = [research.profile, research.website, research.news].some((f) => f.source === 'offline');
  const subject = oneLine(`Lead intelligence: ${lead.name} (${lead.company}) scores ${analysis.score}/100`);
  const facets = [
    ['LinkedIn profile', research.profile],
    ['Company website', research.website],
    ['Recent news', research.news],
  ] as const;
  const sourceNote = `Research: ${offline ? 'offline (no web search)' : 'Tavily'}. Analysis: ${analysis.source === 'offline' ? 'offline rule-based scorer' : `Groq ${analysis.model}`}.`;

  const text = [
    subject,
    '',
    `${lead.name}${lead.title ? `, ${lead.title}` : ''} at ${lead.company} <${lead.email}>`,
    lead.linkedinUrl ? `LinkedIn: ${lead.linkedinUrl}` : '',
    lead.website ? `Website: ${lead.website}` : '',
    '',
    `Score: ${analysis.score}/100`,
    analysis.summary,
    '',
    'Why:',
    ...analysis.reasons.map((r) => `- [${r.impact}] ${r.factor}: ${r.detail}`),
    ...(analysis.talkingPoints.length
      ? ['', 'Talking points:', ...analysis.talkingPoints.map((p) => `- ${p}`)]
      : []),
    ...facets.flatMap(([title, facet]) => [
      '',
      `${title}:`,
      ...(facet.results.length ? facet.results.map((r) => `- ${r.title} ${r.url}`) : ['- nothing found']),
    ]),
    '',
    sourceNote,
  ]
    .filter((line, i, lines) => line !== '' || lines[i - 1] !== '')
    .join('\n');

  const html = `<!doctype html>
<html><body style="font-family: system-ui, sans-serif; max-width: 720px">
<h1 style="font-size: 20px">${e(lead.name)} &middot; ${e(lead.company)}</h1>
<p>${e(lead.title ?? '')} &lt;${e(lead.email)}&gt;
${lead.linkedinUrl ? ` &middot; ${link(lead.linkedinUrl, 'LinkedIn')}` : ''}${lead.website ? ` &middot; ${link(lead.website, 'Website')}` : ''}</p>
<p style="font-size: 32px; margin: 8px 0"><strong>${e(analysis.score)}</strong>/100</p>
<p>${e(analysis.summary)}</p>
<h2 style="font-size: 16px">Why</h2>
<ul>${analysis.reasons.map((r) => `<li><strong>${e(r.factor)}</strong> (${e(r.impact)}): ${e(r.detail)}</li>`).join('')}</ul>
${analysis.talkingPoints.length ? `<h2 style="font-size: 16px">Talking points</h2><ul>${analysis.talkingPoints.map((p) => `<li>${e(p)}</li>`).join('')}</ul>` : ''}
${facets
  .map(
    ([title, facet]) =>
      `<h2 style="font-size: 16px">${e(title)}</h2>${
        facet.results.length
          ? `<ul>${facet.results.map((r) => `<li>${link(r.url, r.title || r.url)}<br><small>${e(r.content.slice(0, 300))}</small></li>`).join('')}</ul>`
          : '<p>Nothing found.</p>'
      }`,
  )
  .join('\n')}
<p style="color: #666; font-size: 12px">${e(sourceNote)}</p>
</body></html>`;

  return { subject, text, html };
}
