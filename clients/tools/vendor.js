// Copies the third-party files the pages load (uPlot) from node_modules into web/vendor/,
// which the gateway serves as /static/vendor/. Runs after `npm ci`; the copies are not
// committed (web/vendor/ is ignored by git).
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const here = path.resolve(__dirname, '..');
const out = path.join(here, 'web', 'vendor');
const files = [
  ['uplot/dist/uPlot.iife.min.js', 'uPlot.iife.min.js'],
  ['uplot/dist/uPlot.min.css', 'uPlot.min.css'],
  ['uplot/LICENSE', 'uPlot.LICENSE.txt'],
];

fs.mkdirSync(out, { recursive: true });
for (const [from, to] of files) {
  fs.copyFileSync(path.join(here, 'node_modules', from), path.join(out, to));
}
console.log(`vendor: copied ${files.length} files into ${path.relative(process.cwd(), out) || out}`);
