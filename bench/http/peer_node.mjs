// The peer: what an engineer would otherwise write — Node.js's http module, one process, the same
// trivial handler (parse the JSON body, answer 202 {"accepted":1}). Prints its port.
import http from 'node:http';

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      body = undefined;
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      const err = JSON.stringify({ error: { status: 400, code: 'bad_json', message: 'the body must be a JSON object' } });
      res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(err) });
      res.end(err);
      return;
    }
    const out = JSON.stringify({ accepted: 1 }) + '\n';
    res.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
});
server.keepAliveTimeout = 120000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
