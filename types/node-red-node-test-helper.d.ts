// Minimal typings for the parts of node-red-node-test-helper the specs use.
declare module 'node-red-node-test-helper' {
  import type { Node, NodeAPI } from 'node-red';
  type NodeInit = (RED: NodeAPI) => void | Promise<void>;
  interface TestHelper {
    init(nodeRedPath: string, userSettings?: Record<string, unknown>): void;
    settings(userSettings: Record<string, unknown>): Record<string, unknown>;
    load(nodes: NodeInit | NodeInit[], flow: object[], credentials?: Record<string, unknown>): Promise<void>;
    unload(): Promise<void>;
    getNode(id: string): Node & { receive(msg: object): void } & NodeJS.EventEmitter;
    clearFlows(): Promise<void>;
    startServer(): Promise<void>;
    stopServer(): Promise<void>;
    request(): unknown;
    url(): string;
    log(): { args: unknown[][] };
  }
  const helper: TestHelper;
  export = helper;
}
