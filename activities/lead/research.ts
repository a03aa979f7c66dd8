import { log } from '@temporalio/activity';
import type { TavilyClient, TavilySearchRequest } from '../../clients/tavily';
import type { ResearchFacetResult } from '../../workflows/lead/schemas';
import type { LeadProfile, ResearchFacet } from '../../workflows/lead/shared';
import { toFailure, withHeartbeat } from '../failures';

// Web content is long; the report and the model need the gist, and workflow history stays small.
const MAX_RESULTS = 5;
const MAX_CONTENT = 800;

const FREE_MAIL = new Set([
  'gmail.com',
  'googlemail.com',
  'yahoo.com',
  'hotmail.com',
  'outlook.com',
  'icloud.com',
  'proton.me',
  'protonmail.com',
  'aol.com',
  'gmx.com',
  'live.com',
]);

export function emailDomain(email: string): string | undefined {
  const domain = email.split('@')[1]?.toLowerCase();
  return domain && !FREE_MAIL.has(domain) ? domain : undefined;
}

export function companyDomain(lead: LeadProfile): string | undefined {
  if (lead.website) {
    try {
      return new URL(lead.website).hostname.replace(/^www\./, '');
    } catch {
      // Validated at the API; a bad value here just means no domain filter.
    }
  }
  return emailDomain(lead.email);
}

/** The Tavily search behind each research facet. */
export function searchFor(lead: LeadProfile, facet: ResearchFacet): TavilySearchRequest {
  switch (facet) {
    case 'profile':
      return {
        query: [lead.name, lead.title, lead.company, 'LinkedIn', lead.linkedinUrl].filter(Boolean).join(' '),
        include_domains: ['linkedin.com'],
        max_results: 3,
        search_depth: 'basic',
      };
    case 'website': {
      const domain = companyDomain(lead);
      return {
        query: `${lead.company} company overview: products, customers, size`,
        ...(domain && { include_domains: [domain] }),
        include_answer: true,
        max_results: MAX_RESULTS,
        search_depth: 'basic',
      };
    }
    case 'news':
      return { query: `${lead.company} news`, topic: 'news', days: 30, max_results: MAX_RESULTS };
  }
}

export function createResearchActivities(tavily: TavilyClient | undefined) {
  return {
    /** One research facet (LinkedIn profile, company website, company news); the workflow runs them in parallel. */
    async researchLead({
      lead,
      facet,
    }: {
      lead: LeadProfile;
      facet: ResearchFacet;
    }): Promise<ResearchFacetResult> {
      const request = searchFor(lead, facet);
      if (!tavily) {
        log.warn('Offline research: TAVILY_API_KEY is not set, using only what the lead submitted', {
          facet,
        });
        return offlineResearch(lead, facet, request.query);
      }
      const response = await withHeartbeat((signal) => tavily.search(request, signal)).catch((err) => {
        throw toFailure('Tavily', err);
      });
      return {
        facet,
        source: 'tavily',
        query: request.query,
        ...(response.answer && { answer: response.answer }),
        results: response.results.slice(0, MAX_RESULTS).map((r) => ({
          title: r.title,
          url: r.url,
          content: r.content.slice(0, MAX_CONTENT),
          ...(r.score !== undefined && { score: r.score }),
          ...(r.published_date && { publishedDate: r.published_date }),
        })),
      };
    },
  };
}

/** Built-in research for running without Tavily: what the lead told us, clearly marked as such. */
function offlineResearch(lead: LeadProfile, facet: ResearchFacet, query: string): ResearchFacetResult {
  const base = { facet, source: 'offline' as const, query, answer: 'Offline mode: no web search was made.' };
  if (facet === 'profile' && lead.linkedinUrl) {
    const content = `${lead.name}${lead.title ? `, ${lead.title}` : ''} at ${lead.company} (as submitted).`;
    return { ...base, results: [{ title: `${lead.name} on LinkedIn`, url: lead.linkedinUrl, content }] };
  }
  const domain = companyDomain(lead);
  if (facet === 'website' && domain) {
    const url = lead.website ?? `https://${domain}`;
    return {
      ...base,
      results: [{ title: lead.company, url, content: `Company domain ${domain} (as submitted).` }],
    };
  }
  return { ...base, results: [] };
}
