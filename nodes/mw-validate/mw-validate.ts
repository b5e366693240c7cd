import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { problemContextOfMsg, sendProblemToMsg, type HttpMessage } from '../../src/http/problem-msg';
import { migrateConfig } from '../../src/node-config/migrations';
import { contractRegistry } from '../../src/validation/validate';
import { validationProblem } from '../../src/validation/validation-problem';
import { mwValidateMigrations, type MwValidateDef } from './config';

type Send = (msg: Array<NodeMessageInFlow | null>) => void;

/**
 * Checks a message property against a contract (contracts/schemas, JSON Schema 2020-12).
 * Valid → output 1. Invalid → a 400 VALIDATION_FAILED problem with errors[] is sent when the
 * message came from an http in node, and the message leaves on output 2 with msg.problem (for
 * flows that log it or answer differently, e.g. in Telegram).
 */
export default function registerMwValidate(RED: NodeAPI): void {
  function MwValidate(this: Node, def: NodeDef & Partial<MwValidateDef>): void {
    RED.nodes.createNode(this, def);
    const config = migrateConfig<MwValidateDef>('mw-validate', def as unknown as Record<string, unknown>, mwValidateMigrations);
    let valid = 0;
    let invalid = 0;

    // A wrong schema name is a flow error: shown at deploy, and each message fails to a Catch node.
    let configError: string | undefined;
    try {
      if (!contractRegistry().has(config.schema)) configError = RED._('mw-validate.errors.unknownSchema', { schema: config.schema });
    } catch (error) {
      configError = (error as Error).message;
    }
    if (configError) {
      this.error(configError);
      this.status({ fill: 'red', shape: 'ring', text: RED._('mw-validate.status.badConfig') });
    }

    this.on('input', (msg: NodeMessageInFlow, send: Send, done: (err?: Error) => void) => {
      if (configError) {
        done(new Error(configError));
        return;
      }
      try {
        const data = RED.util.getMessageProperty(msg, config.property);
        const result = contractRegistry().validate(config.schema, data);
        if (result.ok) {
          valid++;
          this.status({ fill: 'green', shape: 'dot', text: `✓ ${valid}  ✗ ${invalid}` });
          send([msg, null]);
        } else {
          invalid++;
          const problem = validationProblem(config.schema, result.errors, problemContextOfMsg(msg as HttpMessage));
          sendProblemToMsg(msg as HttpMessage, problem);
          this.status({ fill: 'yellow', shape: 'dot', text: `✓ ${valid}  ✗ ${invalid}` });
          msg.problem = problem;
          send([null, msg]);
        }
        done();
      } catch (error) {
        done(error as Error);
      }
    });
  }
  RED.nodes.registerType('mw-validate', MwValidate as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);

  // The editor suggests the contracts the runtime actually has.
  RED.httpAdmin.get('/mw-validate/schemas', RED.auth.needsPermission('mw-validate.read'), (_req, res) => {
    res.json(contractRegistry().names());
  });
}
