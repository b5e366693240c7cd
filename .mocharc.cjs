// Specs are TypeScript, run through tsx; one process so the Node-RED singleton boots once.
module.exports = {
  'node-option': ['import=tsx'],
  require: ['test/support/hooks.ts'],
  spec: ['test/**/*.spec.ts'],
  timeout: 30000,
  exit: true,
};
