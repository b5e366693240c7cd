import { h, join, type Html } from './html';

/** The assistant's fixed Russian texts: brief and friendly, like a good shop assistant. */

export const COMMANDS: readonly { command: string; description: string }[] = [
  { command: 'find', description: 'поиск запчасти: /find дисплей iPhone 11' },
  { command: 'cart', description: 'корзина' },
  { command: 'order', description: 'оформить заказ с онлайн-оплатой' },
  { command: 'bring', description: 'заказ курьером «Неси» с оплатой наличными' },
  { command: 'myorders', description: 'мои заказы' },
  { command: 'track', description: 'где мой заказ: /track Z-000123' },
  { command: 'return', description: 'оформить возврат' },
  { command: 'compat', description: 'совместимость: /compat Redmi 9A' },
  { command: 'howto', description: 'совет по ремонту: /howto замена дисплея iPhone 11' },
  { command: 'help', description: 'что я умею' },
];

/** For setMyCommands (language `ru`: see the telegrambot quirk about the default scope). */
export function botCommands(): { command: string; description: string }[] {
  return COMMANDS.map((c) => ({ command: c.command, description: c.description.split(':')[0]!.trim() }));
}

function commandList(): Html {
  return join(COMMANDS.map((c) => h`/${c.command} — ${c.description}`));
}

export function helpText(): Html {
  return h`Просто напишите, что нужно, например: <i>дисплей айфон 11</i> — или скажите голосом 🎤 Команды:

${commandList()}`;
}

export function startText(firstName: string | undefined): Html {
  const hello = firstName ? h`Здравствуйте, ${firstName}! 👋` : h`Здравствуйте! 👋`;
  return h`${hello} Я «Ассистент мастера»: ищу запчасти, показываю цены для мастеров и наличие, оформляю заказы с доставкой курьером «Неси» или самовывозом.

${helpText()}`;
}

export const T = {
  tooLong: (n: number, max: number) => h`Сообщение получилось длинным (${n} символов) 🙏 Напишите покороче — до ${max} символов, например: <i>дисплей iPhone 11</i>.`,
  sticker: h`Красивый стикер 🙂 Но я понимаю только текст и голос. Напишите, что ищете, например: <i>аккумулятор Redmi 9A</i>.`,
  unsupported: h`Такое сообщение я пока не понимаю 🙏 Напишите текстом или голосом, что ищете. Команды — /help.`,
  unknownCommand: (command: string) => h`Не знаю команду /${command} 🤔\n\n`,
  nonsense: h`Не понял запрос 🤔 Напишите, какая запчасть и для какой модели, например: <i>дисплей iPhone 11</i> или <i>акб Redmi 9A</i>.`,
  greeting: (name?: string) => (name ? h`Здравствуйте, ${name}! Что ищем? Напишите запчасть и модель 🙂` : h`Здравствуйте! Что ищем? Напишите запчасть и модель 🙂`),
  thanks: h`Всегда рад помочь! 🙂`,
  cancelled: h`Хорошо, отменил. Чем ещё помочь?`,
  nothingToCancel: h`Сейчас нечего отменять 🙂`,
  rateLimited: (seconds: number) => h`Слишком часто, подождите ${seconds} сек 🙏`,
  failed: h`Что-то пошло не так 😔 Попробуйте ещё раз через минуту.`,
  shopDown: h`Магазин сейчас не отвечает 😔 Поиск работает по сохранённым ценам — попробуйте это действие через пару минут.`,
  stale: h`Эта кнопка устарела — начните заново 🙂`,
  voiceFailed: h`Не расслышал, попробуйте ещё раз или напишите текстом.`,
  photoUnexpected: h`Фото получил, но сейчас не жду фотографий 🙂 Чтобы оформить возврат с фото — /return.`,
  locationUnexpected: h`Спасибо! Геопозиция пригодится при оформлении доставки — адрес я спрошу, когда будете оформлять заказ.`,
  contactUnexpected: h`Спасибо, номер записал бы при оформлении заказа 🙂 Сейчас он не нужен.`,
  linkNeeded: h`Чтобы заказывать, привяжите аккаунт магазина — это займёт минуту. Искать запчасти и смотреть цены можно и без этого.`,
  linkNotConfigured: h`Привязка аккаунта сейчас недоступна — напишите, пожалуйста, менеджеру.`,
  linkExpired: h`Привязка к аккаунту магазина устарела — привяжите его ещё раз, пожалуйста.`,
};
