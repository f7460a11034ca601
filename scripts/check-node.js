// Fails unless this process runs on the Node.js major that package.json's `engines` names.
// npm scripts put node_modules/.bin first on PATH, so under `npm test` this is the pinned `node`
// devDependency, not the machine's system Node.
'use strict';
const { engines } = require('../package.json');

const wanted = Number(/>=\s*(\d+)/.exec(engines.node)?.[1]);
const running = Number(process.versions.node.split('.')[0]);
console.log(`== node ${process.version} (${process.execPath}); engines.node "${engines.node}"`);
if (running !== wanted) {
  console.error(`== expected Node.js ${wanted}, running ${process.version}: run through npm (npm test, npm run ...) after npm ci`);
  process.exit(1);
}
