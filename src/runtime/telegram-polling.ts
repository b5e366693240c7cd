import type RED from 'node-red';

interface Polling {
  _lastRequest?: { cancel?: (reason: string) => void } | null;
  _pollingTimeout?: NodeJS.Timeout;
  _abort?: boolean;
}
interface BotConfigNode {
  telegramBot?: { _polling?: Polling } | null;
}
interface StoppingEvent {
  type?: string;
  diff?: { changed?: string[]; removed?: string[]; rewired?: string[] };
}
interface NodesApi {
  eachNode(cb: (def: { id: string; type: string }) => void): void;
  getNode(id: string): unknown;
}

/**
 * node-red-contrib-telegrambot 17.0.6 means to cancel its long poll when a bot node closes, but
 * reads the request after stopPolling() has cleared it, so every full deploy and every shutdown
 * waits for Telegram's 10 s getUpdates poll (past our 10 s shutdown budget). When flows start
 * stopping and a `telegram bot` config node is among them, its in-flight poll is cancelled (the
 * library's promises are cancellable and abort the HTTP request) and the polling loop is told to
 * end, so the node's own close finds nothing left to wait for.
 */
export function cancelTelegramPollsWhenFlowsStop(red: typeof RED): () => void {
  const nodes = red.nodes as unknown as NodesApi;
  const onStopping = (event: StoppingEvent = {}): void => {
    const touched = new Set([...(event.diff?.changed ?? []), ...(event.diff?.removed ?? []), ...(event.diff?.rewired ?? [])]);
    const everything = !event.diff || event.type === 'full';
    nodes.eachNode((def) => {
      if (def.type !== 'telegram bot' || !(everything || touched.has(def.id))) return;
      const polling = (nodes.getNode(def.id) as BotConfigNode | null)?.telegramBot?._polling;
      if (!polling) return;
      const request = polling._lastRequest;
      polling._lastRequest = null;
      polling._abort = true;
      clearTimeout(polling._pollingTimeout);
      try {
        request?.cancel?.('flows stopping');
      } catch {
        /* already settled */
      }
    });
  };
  red.events.on('flows:stopping', onStopping);
  return () => red.events.removeListener('flows:stopping', onStopping);
}
