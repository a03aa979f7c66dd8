/**
 * What a lead is researched on: its LinkedIn profile, its company's website, recent company news. The
 * workflow runs one search per facet; the zod schemas (schemas.ts) name them too, so they live apart
 * from both (shared.ts re-exports them).
 */
export const RESEARCH_FACETS = ['profile', 'website', 'news'] as const;
export type ResearchFacet = (typeof RESEARCH_FACETS)[number];
