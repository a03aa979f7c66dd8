// Lead data shapes as zod schemas, shared by the API (validation, OpenAPI) and the activities
// (validating what Tavily and Groq return). The workflow imports their types only, so zod stays
// out of the workflow bundle.
import { z } from 'zod';
import { RESEARCH_FACETS } from './research-facets';

export const researchResultSchema = z.object({
  title: z.string(),
  url: z.string(),
  content: z.string(),
  score: z.number().optional(),
  publishedDate: z.string().optional(),
});

export const researchFacetSchema = z
  .object({
    facet: z.enum(RESEARCH_FACETS),
    source: z.enum(['tavily', 'offline']).describe('`offline` when no TAVILY_API_KEY is configured'),
    query: z.string(),
    answer: z.string().optional(),
    results: z.array(researchResultSchema),
  })
  .meta({ id: 'ResearchFacet' });

export const leadResearchSchema = z
  .object({ profile: researchFacetSchema, website: researchFacetSchema, news: researchFacetSchema })
  .meta({ id: 'LeadResearch' });

/** What the model must answer; a reply that fails this is sent back to the model with the errors. */
export const llmAnalysisSchema = z.object({
  score: z.int().min(0).max(100).describe('Lead quality, 0 (no fit) to 100 (ideal fit)'),
  summary: z.string().min(1).max(2000),
  reasons: z
    .array(
      z.object({
        factor: z.string().min(1).max(200),
        impact: z.enum(['positive', 'negative', 'neutral']),
        detail: z.string().min(1).max(1000),
      }),
    )
    .min(1)
    .max(10)
    .describe('The evidence behind the score'),
  talkingPoints: z.array(z.string().min(1).max(500)).max(5).default([]),
});

export const leadAnalysisSchema = llmAnalysisSchema
  .extend({
    source: z
      .enum(['groq', 'offline'])
      .describe('`offline` is the rule-based scorer used without GROQ_API_KEY'),
    model: z.string(),
  })
  .meta({ id: 'LeadAnalysis' });

export type ResearchResult = z.infer<typeof researchResultSchema>;
export type ResearchFacetResult = z.infer<typeof researchFacetSchema>;
export type LeadResearch = z.infer<typeof leadResearchSchema>;
export type LlmAnalysis = z.infer<typeof llmAnalysisSchema>;
export type LeadAnalysis = z.infer<typeof leadAnalysisSchema>;
