import { kitFor, type HowToKit } from './kit';
import { LlmError, type LlmClient } from './llm-client';
import { matchTip } from './match';
import { HOWTO_SYSTEM_PROMPT, MAX_QUESTION_CHARS, parseTipAnswer } from './prompt';
import { defaultTips, type TipsCatalog } from './tips';

export type LlmOutcome = 'ok' | 'not_configured' | 'unavailable' | 'auth' | 'rejected' | 'empty' | 'off_topic' | 'unparsable' | 'error';

export interface HowToResult {
  /** The question as understood (command and bot name removed). */
  readonly question: string;
  /** The curated tip the question matched (its id), or the fallback tip. */
  readonly topic: string;
  readonly title: string;
  readonly steps: readonly string[];
  readonly safety: readonly string[];
  /** Always present: the bot renders «Заказать комплект» from it. */
  readonly kit: HowToKit;
  /** Who wrote the steps. */
  readonly source: 'llm' | 'curated';
  /** A curated topic matched (false: the general fallback tip). */
  readonly matched: boolean;
  /** The device model as the master wrote it ("айфон 11"). */
  readonly model?: string;
  readonly brand?: string;
  /** What happened with the LLM (absent: none configured). */
  readonly llm?: { readonly outcome: LlmOutcome; readonly durationMs?: number; readonly model?: string; readonly error?: string };
}

export interface HowToOptions {
  /** An OpenAI-compatible chat client; without it the answer is curated. */
  readonly llm?: LlmClient;
  /** The curated tips; default data/howto/tips.json. */
  readonly tips?: TipsCatalog;
  /** The device model when the flow already knows it (search interpretation, earlier turn). */
  readonly model?: string;
  readonly correlationId?: string;
  readonly signal?: AbortSignal;
}

/** "/howto@master_bot Замена  АКБ" → "Замена АКБ". */
export function cleanQuestion(text: unknown): string {
  if (typeof text !== 'string') return '';
  return text
    .replace(/^\s*\/howto(?:@\w+)?\b/i, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_QUESTION_CHARS);
}

function unique(items: readonly string[]): string[] {
  const seen = new Set<string>();
  return items.filter((s) => {
    const key = s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
    if (!key || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * A short repair tip for the master's question. The curated tips always decide the topic and the
 * kit; with an LLM configured the steps come from a prompt-only call (brief, safe, Russian, no
 * links), and on any LLM failure or an answer that does not parse, from the curated tip.
 * Never throws for LLM problems: they are reported in `result.llm`.
 */
export async function howTo(question: string, options: HowToOptions = {}): Promise<HowToResult> {
  const tips = options.tips ?? defaultTips();
  const q = cleanQuestion(question);
  const match = matchTip(q, tips, { model: options.model });
  const tip = match.tip;
  const kit = kitFor(tip, match.model);
  const curated: HowToResult = {
    question: q,
    topic: tip.id,
    title: tip.title,
    steps: [...tip.steps],
    safety: [...tip.safety],
    kit,
    source: 'curated',
    matched: match.matched,
    model: match.model,
    brand: match.brand,
  };
  if (!options.llm) return curated;
  if (!q) return { ...curated, llm: { outcome: 'empty' } };

  const started = performance.now();
  try {
    const completion = await options.llm.complete(
      [
        { role: 'system', content: HOWTO_SYSTEM_PROMPT },
        { role: 'user', content: q },
      ],
      { correlationId: options.correlationId, signal: options.signal },
    );
    const parsed = parseTipAnswer(completion.text);
    if (!parsed.ok) return { ...curated, llm: { outcome: parsed.reason, durationMs: completion.durationMs, model: completion.model } };
    return {
      ...curated,
      title: parsed.tip.title || tip.title,
      steps: parsed.tip.steps,
      safety: unique([...parsed.tip.safety, ...tip.safety]).slice(0, 3),
      source: 'llm',
      llm: { outcome: 'ok', durationMs: completion.durationMs, model: completion.model },
    };
  } catch (error) {
    const outcome: LlmOutcome = error instanceof LlmError ? error.reason : 'error';
    return { ...curated, llm: { outcome, durationMs: Math.round(performance.now() - started), error: (error as Error).message } };
  }
}
