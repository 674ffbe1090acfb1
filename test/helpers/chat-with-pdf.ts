// A chat request to a running server with a PDF attached as a `file` part (base64 data URL), as
// the e2e tests of the content filter's PDF reading send it.

/** POST /v1/chat/completions on `baseUrl` asking `model-router` to summarise `pdf`. */
export function chatWithPdf(baseUrl: string, pdf: Buffer, filename: string): Promise<Response> {
  return fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'model-router',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Summarise this.' },
            {
              type: 'file',
              file: {
                filename,
                file_data: `data:application/pdf;base64,${pdf.toString('base64')}`,
              },
            },
          ],
        },
      ],
    }),
  });
}
