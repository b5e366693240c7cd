import { AsyncLocalStorage } from 'node:async_hooks';
import type { Express, NextFunction, Request, Response, Router } from 'express';

interface Layer {
  name: string;
  regexp: RegExp;
}

/**
 * Moves the layer just added to `app` in front of the harness's request recording and fault
 * injection (right after its own `/__sandbox` control router), so it sees every request first.
 */
function moveLastLayerBeforeRecording(app: Express): void {
  const stack = (app as unknown as { _router?: { stack?: Layer[] } })._router?.stack;
  if (!Array.isArray(stack)) return;
  const mine = stack.length - 1;
  const harness = stack.findIndex((layer, index) => index < mine && layer.name === 'router' && layer.regexp.test('/__sandbox/requests'));
  if (harness < 0) return;
  const [layer] = stack.splice(mine, 1);
  stack.splice(harness + 1, 0, layer);
}

/** Control routes of a fake: neither recorded nor affected by injected faults. */
export function mountControlRoutes(app: Express, base: string, router: Router): void {
  app.use(base, router);
  moveLastLayerBeforeRecording(app);
}

/**
 * The harness builds injected error bodies from the status alone. A fake that speaks two
 * protocols (Yandex SpeechKit and OpenAI on one port) needs to know which one a request used:
 * this tags each request before the harness sees it, and `current()` reads the tag while the
 * harness builds its error body.
 */
export class RequestTag<T> {
  private readonly storage = new AsyncLocalStorage<T>();

  constructor(
    app: Express,
    private readonly classify: (req: Request) => T,
  ) {
    app.use((req: Request, _res: Response, next: NextFunction) => this.storage.run(this.classify(req), next));
    moveLastLayerBeforeRecording(app);
  }

  current(): T | undefined {
    return this.storage.getStore();
  }
}
