// Sends a running `cascade serve` (the example project, deployed, its profiles loaded, on a
// virtual clock) one request per example of the OpenAPI file plus the answers the examples do not
// reach (errors, provider webhooks, the clock), and checks every answer against the file: the
// status must be one the operation lists (or `default`), and a JSON answer must fit the schema of
// that response. Prints "ok|MISMATCH METHOD PATH STATUS …" per request; exits 1 on any mismatch.
//
//   node conformance.mjs SPEC BASE_URL TOKEN
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const [specFile, base, token] = process.argv.slice(2);
const api = await SwaggerParser.dereference(specFile);
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const methods = ['get', 'put', 'post', 'delete', 'patch'];
const fill = { id: 'u1', name: 'vip_sale', token: 'not-a-token' };

let mismatches = 0;
let checked = 0;
async function send(method, template, path, body, type, auth = true) {
  const headers = {};
  if (type) headers['Content-Type'] = type;
  if (auth) headers['Authorization'] = `Bearer ${token}`;
  const res = await fetch(base + path, { method: method.toUpperCase(), headers, body, redirect: 'manual' });
  const ctype = res.headers.get('content-type') ?? '';
  const text = await res.text();
  const op = api.paths[template]?.[method];
  const response = op?.responses[String(res.status)] ?? op?.responses.default;
  let problem = '';
  if (!op) problem = 'no such operation in the file';
  else if (!response) problem = `status ${res.status} is not listed`;
  // A bug is never an answer the file describes, even though `default` covers its shape.
  else if (res.status >= 500 && res.status !== 503) problem = 'a server error';
  else if (ctype.startsWith('application/json')) {
    const schema = response.content?.['application/json']?.schema;
    if (!schema) problem = 'a JSON answer where the file declares none';
    else {
      const validate = ajv.compile(schema);
      if (!validate(JSON.parse(text))) problem = ajv.errorsText(validate.errors);
    }
  } else if (response.content && !Object.keys(response.content).some((t) => ctype.startsWith(t))) {
    problem = `Content-Type ${ctype} is not one of ${Object.keys(response.content).join(', ')}`;
  }
  checked++;
  if (problem) mismatches++;
  console.log(`${problem ? 'MISMATCH' : 'ok'} ${method.toUpperCase()} ${path} ${res.status}${problem ? ': ' + problem : ''}${problem ? ' | ' + text.slice(0, 300) : ''}`);
}

// Every request example of the file, as it is written.
for (const [template, item] of Object.entries(api.paths)) {
  const path = template.replace(/\{(\w+)\}/g, (_, p) => encodeURIComponent(fill[p] ?? p));
  for (const method of methods) {
    const op = item[method];
    if (!op) continue;
    let sent = false;
    for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
      const examples = [];
      if (media.example !== undefined) examples.push(media.example);
      for (const e of Object.values(media.examples ?? {})) examples.push(e.value);
      for (const ex of examples) {
        await send(method, template, path, typeof ex === 'string' ? ex : JSON.stringify(ex), type);
        sent = true;
      }
    }
    if (!sent && !op.requestBody) await send(method, template, path);
  }
}

// What the examples do not reach.
const json = 'application/json';
const form = 'application/x-www-form-urlencoded';
await send('post', '/v1/track', '/v1/track', JSON.stringify({ type: 'track', userId: 'u2', event: 'order_placed', messageId: 'ajs-1',
  properties: { order_id: 'o-1', total: 990.0 } }), json);
await send('post', '/v1/track', '/v1/track', JSON.stringify({ userId: 'u2', event: 'order_placed', properties: { total: 'x' } }), json);
await send('post', '/v1/identify', '/v1/identify', JSON.stringify({ userId: 'u2', traits: { age: 'x' } }), json);
await send('post', '/v1/clock', '/v1/clock', JSON.stringify({ at: '2026-03-09T10:00:00Z' }), json);
await send('post', '/v1/clock', '/v1/clock', JSON.stringify({ at: '2026-03-01T10:00:00Z' }), json);
await send('post', '/v1/status/twilio', '/v1/status/twilio', 'MessageSid=m1&MessageStatus=delivered&AccountSid=AC1', form);
await send('post', '/v1/status/twilio', '/v1/status/twilio', 'MessageSid=m1&MessageStatus=queued', form);
await send('post', '/v1/status/twilio', '/v1/status/twilio', 'AccountSid=AC1', form);
await send('post', '/v1/status/sendgrid', '/v1/status/sendgrid',
  JSON.stringify([{ event: 'delivered', cascade_message_id: 'm1', sg_event_id: 'sg-1' }, { event: 'processed', cascade_message_id: 'm1' }]), json);
await send('post', '/v1/scenarios/{name}/broadcast', '/v1/scenarios/abandoned_cart/broadcast', '{}', json);
await send('post', '/v1/scenarios/{name}/broadcast', '/v1/scenarios/nope/broadcast', '{}', json);
await send('get', '/v1/scenarios/{name}/report', '/v1/scenarios/abandoned_cart/report');
await send('get', '/v1/scenarios/{name}/report', '/v1/scenarios/nope/report');
await send('get', '/v1/recipients/{id}', '/v1/recipients/nobody');
await send('post', '/v1/scenarios', '/v1/scenarios', 'not a bundle', 'application/octet-stream');
await send('post', '/v1/scenarios', '/v1/scenarios', 'not a bundle', 'application/octet-stream', false);
await send('post', '/v1/events', '/v1/events', '{"recipient":"u1","event":}', json);
await send('post', '/v1/events', '/v1/events', '{"recipient":"u1","event":"cart_abandonned"}', json);
await send('post', '/v1/events', '/v1/events', '{"recipient":"u1","event":"x"}', 'text/plain');
await send('put', '/v1/profiles/{id}', '/v1/profiles/u1', '{"id":"u2"}', json);
// Batches with bad lines: the good ones accepted (202), or none (400), the bad ones by line.
const ndjson = 'application/x-ndjson';
await send('post', '/v1/events', '/v1/events',
  '{"recipient":"u3","event":"order_placed","data":{"order_id":"o-3","total":10.0}}\n{"recipient":"u3","event":"cart_abandonned"}\n', ndjson);
await send('post', '/v1/events', '/v1/events', '{"recipient":"u3","event":"nope"}\nnot json\n', ndjson);
await send('post', '/v1/profiles', '/v1/profiles', '{"first_name":"no id"}\n', ndjson);
await send('post', '/v1/status', '/v1/status', '{"message":"m1","status":"bounced"}\n', ndjson);
await send('post', '/v1/status/sendgrid', '/v1/status/sendgrid', JSON.stringify([{ event: 'open' }]), json);
console.log(`${mismatches ? 'FAIL' : 'ok'} ${checked} answers, ${mismatches} not as the file says`);
process.exit(mismatches ? 1 : 0);
