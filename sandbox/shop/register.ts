import { registerSandbox } from '../registry';
import { createShopSandbox } from './index';

/**
 * The web shop sandbox in the demo mode of `npm start`. SHOP_SANDBOX_BOT_TOKEN must be the bot
 * token the middleware signs Login Widget data with; SHOP_SANDBOX_JWT_SECRET keeps tokens
 * verifiable across sandbox instances (users still live in memory only).
 */
registerSandbox('shop', () =>
  createShopSandbox({
    botToken: process.env.SHOP_SANDBOX_BOT_TOKEN || undefined,
    jwtSecret: process.env.SHOP_SANDBOX_JWT_SECRET || undefined,
    serviceKey: process.env.SHOP_SANDBOX_SERVICE_KEY || undefined,
  }),
);
