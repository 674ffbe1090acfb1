// The simulated fleet's web search: a deployment with `capabilities.webSearch` answers a request
// that asks (`web_search_options`) as OpenAI's search models do, with `url_citation` annotations
// over its text, so the path a search answer takes (routing, annotations in JSON and in a
// stream, the answer cache, the search's price) runs with no network. The pages are made up,
// under example.com.
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import { webSearchOptions, type UrlCitation } from '../../core/web-search.js';
import type { ChatRequest } from '../../core/wire-types.js';
import type { SimAnswer } from './simulated-answer.js';

/** The answer's citations (its whole text cites one page), or none when no search was asked for. */
export function simulatedCitations(
  body: ChatRequest,
  deployment: DeploymentConfig,
  answer: SimAnswer,
  seed: number,
): UrlCitation[] | undefined {
  if (!deployment.capabilities.webSearch || !webSearchOptions(body)) return undefined;
  if (answer.toolCalls.length || answer.text.length === 0) return undefined;
  const where = webSearchOptions(body)?.userLocation?.city;
  return [
    {
      type: 'url_citation',
      url_citation: {
        start_index: 0,
        end_index: answer.text.length,
        url: `https://example.com/search/${seed.toString(16)}`,
        title: `Simulated search result${where ? ` near ${where}` : ''}`,
      },
    },
  ];
}
