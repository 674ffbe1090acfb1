// What an image part's URL may be: an http(s) URL, or a data URL where the API takes one (OpenAI's
// chat `image_url.url` and Responses' `input_image.image_url`; Anthropic's `{type: "url"}` source
// takes a URL only). Anything else is refused by OpenAI and by Claude alike, so it is a 400 before
// routing rather than an answer that depends on the pick (the simulated fleet took any string).

const DATA_URL = /^data:/i;
const HTTP_URL = /^https?:\/\//i;

/** Whether `url` is an http(s) URL (that parses), or with `dataUrls` a `data:` URL. */
export function isImageUrl(url: string, dataUrls: boolean): boolean {
  if (dataUrls && DATA_URL.test(url)) return true;
  return HTTP_URL.test(url) && URL.canParse(url);
}

/** A URL as a 400 quotes it: its JSON, cut to 60 characters. */
export function quoteUrl(url: string): string {
  const json = JSON.stringify(url);
  return json.length > 60 ? `${json.slice(0, 60)}…` : json;
}
