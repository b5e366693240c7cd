import { Router } from 'express';
import { correlationIdOf } from './correlation';
import { sendProblem } from './problem';

/** One dependency the readiness probe asks; `check` rejects when it is down. */
export interface ReadinessProbe {
  readonly name: string;
  check(): Promise<void>;
}

export interface ProbeResult {
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly error?: string;
}

const PROBE_TIMEOUT_MS = 2000;

async function runProbe(probe: ReadinessProbe): Promise<ProbeResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe.check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      }),
    ]);
    return { name: probe.name, ok: true, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { name: probe.name, ok: false, ms: Math.round(performance.now() - started), error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkReadiness(probes: readonly ReadinessProbe[]): Promise<ProbeResult[]> {
  return Promise.all(probes.map(runProbe));
}

/** /healthz: the process answers. /readyz: every dependency answers, else 503 naming them. */
export function healthRouter(probes: () => readonly ReadinessProbe[]): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', uptime_s: Math.round(process.uptime()) });
  });
  router.get('/readyz', async (req, res) => {
    const results = await checkReadiness(probes());
    const down = results.filter((r) => !r.ok);
    if (down.length === 0) {
      res.json({ status: 'ready', checks: results });
      return;
    }
    sendProblem(res, {
      type: 'https://spareparts-mw.example/problems/not-ready',
      title: 'Service not ready',
      status: 503,
      detail: `not ready: ${down.map((d) => `${d.name} (${d.error})`).join(', ')}`,
      instance: req.originalUrl,
      code: 'NOT_READY',
      correlation_id: correlationIdOf(req),
      checks: results,
    });
  });
  return router;
}
