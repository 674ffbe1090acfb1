// Azure OpenAI's On Your Data: chat's `data_sources`, an array of `{type, parameters}` entries
// (AIFoundryOpenAI.json `azureChatExtensionConfiguration`: azure_search, azure_cosmos_db, …),
// "compatible only with Azure OpenAI". Routing reads whether it is there (eligibility rule
// `data_sources`: only deployments with `capabilities.dataSources`); its entries go on as sent.
import { invalidRequest } from '../core/errors.js';
import { describeValue } from '../core/describe-value.js';
import { isObject } from '../core/is-object.js';

/** A malformed `data_sources` is a 400 naming the field (or the entry), before routing. */
export function checkDataSources(body: Record<string, unknown>): void {
  const sources = body.data_sources;
  if (sources === undefined || sources === null) return;
  if (!Array.isArray(sources))
    throw invalidRequest(
      `'data_sources' must be an array of Azure OpenAI On Your Data sources such as [{"type": "azure_search", "parameters": {…}}]; got ${describeValue(sources)}.`,
      'data_sources',
      'invalid_type',
    );
  sources.forEach((source, i) => {
    if (!isObject(source) || typeof source.type !== 'string' || source.type === '')
      throw invalidRequest(
        `'data_sources[${i}]' must be an object with a string 'type' (azure_search, azure_cosmos_db, …); got ${describeValue(source)}.`,
        `data_sources[${i}]`,
        'invalid_value',
      );
  });
}
