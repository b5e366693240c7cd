import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { allProblemCodes, isProblemCode } from '../../src/http/problem';
import { problemForMsg, sendProblemToMsg, type HttpMessage } from '../../src/http/problem-msg';
import { migrateConfig } from '../../src/node-config/migrations';
import { mwProblemMigrations, type MwProblemDef } from './config';

/**
 * Answers an HTTP request with an RFC 9457 problem. Typically wired after a Catch node (msg.error)
 * or after a flow's own check that sets msg.problem = { code, detail, errors }. Passes the message
 * on with msg.problem, for logging or a Telegram reply.
 */
export default function registerMwProblem(RED: NodeAPI): void {
  function MwProblem(this: Node, def: NodeDef & Partial<MwProblemDef>): void {
    RED.nodes.createNode(this, def);
    const config = migrateConfig<MwProblemDef>('mw-problem', def as unknown as Record<string, unknown>, mwProblemMigrations);
    const defaultCode = isProblemCode(config.defaultCode) ? config.defaultCode : 'INTERNAL';
    if (defaultCode !== config.defaultCode) this.warn(RED._('mw-problem.warn.unknownCode', { code: config.defaultCode }));
    let answered = 0;

    this.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessageInFlow) => void, done: (err?: Error) => void) => {
      try {
        const { problem, unknownCode } = problemForMsg(msg as HttpMessage, { defaultCode, exposeMessages: config.exposeMessages });
        if (unknownCode) this.warn(RED._('mw-problem.warn.unknownCode', { code: unknownCode }));
        // A flow that already answered (or a second mw-problem) must not throw "headers sent".
        if (sendProblemToMsg(msg as HttpMessage, problem) === 'already-sent') this.warn(RED._('mw-problem.warn.alreadySent'));
        answered++;
        this.status({ fill: problem.status >= 500 ? 'red' : 'yellow', shape: 'dot', text: `${problem.status} ${problem.code} (${answered})` });
        msg.problem = problem;
        send(msg);
        done();
      } catch (error) {
        done(error as Error);
      }
    });
  }
  RED.nodes.registerType('mw-problem', MwProblem as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);

  // The editor offers the catalogue as a list; it is the same file the runtime uses.
  RED.httpAdmin.get('/mw-problem/codes', RED.auth.needsPermission('mw-problem.read'), (_req, res) => {
    res.json(allProblemCodes().map(({ code, status, title }) => ({ code, status, title })));
  });
}
