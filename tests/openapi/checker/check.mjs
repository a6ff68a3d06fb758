// Validates each OpenAPI file given on the command line:
//  1. swagger-parser: the document against the official OpenAPI 3.0 / 3.1 JSON Schema, every $ref
//     resolved, and the rules the schema cannot express (path parameters declared and required,
//     unique operationIds, …);
//  2. Ajv: every `example` and `examples` value — of a schema, a request body, a response — against
//     the schema it illustrates, so the examples a reader copies are answers the API can give.
// Prints one line per file — "ok FILE VERSION OPERATIONS EXAMPLES" or "FAIL FILE: message" — and
// exits 1 when any file fails.
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// OpenAPI 3.0 schemas are JSON Schema plus a few annotation keywords (example, xml, …): strict off
// lets Ajv ignore those; formats (date-time, uri) are checked.
function makeAjv() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}

function checkExamples(api) {
  const ajv = makeAjv();
  const problems = [];
  let checked = 0;
  const check = (where, schema, value) => {
    if (!schema) return;
    const validate = ajv.compile(schema);
    checked++;
    if (!validate(value)) problems.push(`${where}: ${ajv.errorsText(validate.errors)}`);
  };
  const media = (where, content) => {
    for (const [type, m] of Object.entries(content ?? {})) {
      if (m.example !== undefined) check(`${where} ${type} example`, m.schema, m.example);
      for (const [name, e] of Object.entries(m.examples ?? {}))
        if (e.value !== undefined) check(`${where} ${type} examples.${name}`, m.schema, e.value);
    }
  };
  for (const [path, item] of Object.entries(api.paths ?? {})) {
    for (const method of methods) {
      const op = item[method];
      if (!op) continue;
      media(`${method.toUpperCase()} ${path} request`, op.requestBody?.content);
      for (const [code, r] of Object.entries(op.responses ?? {})) media(`${method.toUpperCase()} ${path} ${code}`, r.content);
    }
  }
  for (const [name, schema] of Object.entries(api.components?.schemas ?? {}))
    if (schema.example !== undefined) check(`components.schemas.${name} example`, schema, schema.example);
  return { checked, problems };
}

let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    // validate() dereferences: every $ref below is already the schema it names.
    const api = await SwaggerParser.validate(file);
    if (!api.openapi) throw new Error('not an OpenAPI 3 document (no `openapi` field)');
    let operations = 0;
    for (const item of Object.values(api.paths ?? {}))
      for (const m of methods) if (item[m]) operations++;
    const { checked, problems } = checkExamples(api);
    if (problems.length) throw new Error(`examples that do not fit their schema: ${problems.join('; ')}`);
    console.log(`ok ${file} ${api.openapi} ${operations} ${checked}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${file}: ${String(e?.message ?? e).split('\n').join(' | ')}`);
  }
}
process.exit(failed ? 1 : 0);
