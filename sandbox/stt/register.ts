import { registerSandbox } from '../registry';
import { createSttSandbox, DEFAULT_STT_API_KEY } from './index';

/**
 * The speech-to-text sandbox in the demo mode of `npm start`, speaking Yandex SpeechKit v1 and
 * the OpenAI transcription API on one port. STT_SANDBOX_API_KEY must be the key the middleware
 * sends (STT_API_KEY); default DEFAULT_STT_API_KEY. STT_SANDBOX_FOLDER_ID pins a Yandex folder.
 */
registerSandbox('stt', () =>
  createSttSandbox({
    apiKeys: [process.env.STT_SANDBOX_API_KEY || DEFAULT_STT_API_KEY],
    folderId: process.env.STT_SANDBOX_FOLDER_ID || undefined,
  }),
);
