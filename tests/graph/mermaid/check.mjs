// Parses each Mermaid file given on the command line with Mermaid's own parser
// (mermaid.parse, the same grammar the renderer uses) and prints one line per file:
// "ok FILE TYPE" or "FAIL FILE: message". Exits 1 when any file fails.
//
// Mermaid expects a browser: its sanitizer (DOMPurify) binds to `window` when it is first
// imported, so a jsdom window is installed before the dynamic import.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!DOCTYPE html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    const result = await mermaid.parse(readFileSync(file, 'utf8'));
    if (result.diagramType !== 'flowchart-v2') throw new Error(`parsed as ${result.diagramType}, not a flowchart`);
    console.log(`ok ${file} ${result.diagramType}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${file}: ${String(e?.message ?? e).split('\n').join(' | ')}`);
  }
}
process.exit(failed ? 1 : 0);
