// Flow contract specs: the real middleware (Node-RED, PostgreSQL, MQTT) boots once in this process.
module.exports = {
  'node-option': ['import=tsx'],
  require: ['test/support/hooks.ts'],
  spec: ['test/runtime/**/*.spec.ts'],
  timeout: 60000,
  exit: true,
};
