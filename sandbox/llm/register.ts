import { registerSandbox } from '../registry';
import { createLlmSandbox, DEFAULT_LLM_API_KEY } from './index';

/**
 * The OpenAI-compatible LLM sandbox (chat completions with scripted repair tips) in the demo
 * mode of `npm start`. LLM_SANDBOX_API_KEY must be the key the middleware sends (LLM_API_KEY);
 * default DEFAULT_LLM_API_KEY.
 */
registerSandbox('llm', () => createLlmSandbox({ apiKeys: [process.env.LLM_SANDBOX_API_KEY || DEFAULT_LLM_API_KEY] }));
