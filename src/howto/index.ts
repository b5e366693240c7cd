// /howto: short repair tips (prompt-only LLM or curated) with a kit to order.
export { cleanQuestion, howTo, type HowToOptions, type HowToResult, type LlmOutcome } from './howto';
export { CALLBACK_DATA_MAX_BYTES, KIT_BUTTON_TEXT, KIT_CALLBACK_PREFIX, kitCallbackData, kitFor, kitFromCallback, parseKitCallback, type HowToKit } from './kit';
export {
  chatCompletionsEndpoint,
  createLlmClient,
  DEFAULT_LLM_MODEL,
  llmConfigFromEnv,
  LlmAuthError,
  LlmEmptyError,
  LlmError,
  LlmRequestError,
  LlmUnavailableError,
  OpenAiChatClient,
  type ChatCompletion,
  type ChatMessage,
  type ChatOptions,
  type LlmClient,
  type LlmConfig,
  type LlmFailureReason,
} from './llm-client';
export { detectModel, matchTip, normalizeText, stem, type DetectedModel, type TipMatch } from './match';
export { cleanLine, HOWTO_SYSTEM_PROMPT, OFF_TOPIC_MARK, parseTipAnswer, type ParsedTip, type ParseResult } from './prompt';
export { HOWTO_ASK_QUESTION, HOWTO_LLM_NOTE, HOWTO_NEEDS_MODEL, renderHowTo, type InlineButton, type RenderedHowTo } from './render';
export { defaultTips, findTipsFile, loadTips, parseTips, TipsDataError, type Tip, type TipKit, type TipsCatalog } from './tips';
