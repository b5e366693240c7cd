// Unit, node and database specs: TypeScript through tsx. node-red-node-test-helper drives the
// Node-RED singleton with a mock runtime here, so specs that boot the real runtime
// (test/runtime/) run in a second mocha process with .mocharc.runtime.cjs.
module.exports = {
  'node-option': ['import=tsx'],
  require: ['test/support/hooks.ts'],
  spec: ['test/**/*.spec.ts'],
  ignore: ['test/runtime/**'],
  timeout: 30000,
  exit: true,
};
