import type { LeadAnalysis, LeadResearch } from '../../workflows/lead/schemas';
import type { LeadProfile } from '../../workflows/lead/shared';
import { emailDomain } from './research';

type Reason = LeadAnalysis['reasons'][number];

const SENIORITY: [RegExp, number, string][] = [
  [/\b(ceo|cto|cfo|coo|cio|chief|founder|co-founder|owner|president)\b/i, 35, 'an executive decision maker'],
  [/\b(vp|vice president|head of|director)\b/i, 25, 'a senior leader'],
  [/\b(manager|lead|principal)\b/i, 12, 'someone with team-level influence'],
];

/**
 * The deterministic scorer used when no GROQ_API_KEY is set: transparent rules over what the lead
 * submitted and what research found. Same input, same score.
 */
export function scoreOffline(lead: LeadProfile, research: LeadResearch): LeadAnalysis {
  const reasons: Reason[] = [];
  let score = 20;
  const add = (points: number, factor: string, detail: string) => {
    score += points;
    reasons.push({ factor, impact: points > 0 ? 'positive' : points < 0 ? 'negative' : 'neutral', detail });
  };

  const seniority = SENIORITY.find(([pattern]) => pattern.test(lead.title ?? ''));
  if (seniority) add(seniority[1], 'Seniority', `Title "${lead.title}" suggests ${seniority[2]}.`);
  else
    add(
      0,
      'Seniority',
      lead.title ? `Title "${lead.title}" is not a recognised leadership role.` : 'No title given.',
    );

  if (emailDomain(lead.email))
    add(15, 'Company email', 'Uses a company email domain rather than a free mailbox.');
  else add(-10, 'Free email', 'Uses a free email provider, which is weaker evidence of a company buyer.');

  if (lead.linkedinUrl) add(10, 'LinkedIn profile', 'A LinkedIn profile was provided.');
  if (lead.website) add(10, 'Company website', 'A company website was provided.');

  const news = research.news.results.length;
  if (news > 0)
    add(Math.min(10, news * 2), 'Recent news', `${news} recent news item(s) about ${lead.company}.`);

  score = Math.max(0, Math.min(100, score));
  return {
    score,
    summary: `Offline rule-based score for ${lead.name} (${lead.company}): ${score}/100. No language model was used.`,
    reasons,
    talkingPoints: [],
    source: 'offline',
    model: 'offline-rules-v1',
  };
}
