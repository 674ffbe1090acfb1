// The admin client the `keys` and `batches` commands share: a --url it cannot use, or an answer
// that is not the router's, said in words rather than as "Invalid URL" or a JSON parser's error.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApi } from './admin-api.js';

// hD's port range (47175-47199).
const PORT = 47181;
let server: Server;
beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html>a web page, not the router</html>');
  });
  await new Promise<void>((resolve) => server.listen(PORT, '127.0.0.1', resolve));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('adminApi', () => {
  it('refuses a --url that is no http(s) URL, naming it', () => {
    for (const url of ['notaurl', 'ftp://127.0.0.1:8080', '127.0.0.1:8080'])
      expect(() => adminApi(url, 'k')).toThrow(
        `--url must be the router's http(s) URL, such as http://127.0.0.1:8080 (got "${url}")`,
      );
  });

  it('says an answer that is not JSON is not the admin API, with its status', async () => {
    const call = adminApi(`http://127.0.0.1:${PORT}`, 'k');
    await expect(call('GET', '/admin/v1/batches')).rejects.toThrow(
      `HTTP 200 from http://127.0.0.1:${PORT}/admin/v1/batches is not JSON ("<html>a web page, not the router</html>"): is --url the router's address?`,
    );
  });
});
