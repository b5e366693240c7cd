import type { SttFailureReason } from './errors';

/**
 * What the master reads when a voice note could not be turned into text. Never silence: every
 * failure gets one of these, and none of them blames the master or shows internals.
 */
export const STT_DIDNT_HEAR = 'Не расслышал, попробуйте ещё раз или напишите текстом.';

const TEXTS: Readonly<Record<SttFailureReason, string>> = {
  empty: STT_DIDNT_HEAR,
  bad_audio: STT_DIDNT_HEAR,
  no_audio: STT_DIDNT_HEAR,
  download_failed: STT_DIDNT_HEAR,
  rejected: STT_DIDNT_HEAR,
  auth: STT_DIDNT_HEAR,
  not_configured: 'Голосовые сообщения пока не распознаю — напишите, пожалуйста, текстом.',
  internal: STT_DIDNT_HEAR,
  unavailable: 'Не расслышал: распознавание речи сейчас недоступно. Попробуйте ещё раз через минуту или напишите текстом.',
  too_long: 'Голосовое получилось длинным — уложитесь, пожалуйста, в 30 секунд или напишите текстом.',
  too_large: 'Голосовое слишком большое — запишите покороче или напишите текстом.',
};

export function sttFailureText(reason: SttFailureReason, maxSeconds?: number): string {
  if (reason === 'too_long' && maxSeconds && maxSeconds !== 30) {
    return `Голосовое получилось длинным — уложитесь, пожалуйста, в ${maxSeconds} секунд или напишите текстом.`;
  }
  return TEXTS[reason] ?? STT_DIDNT_HEAR;
}
