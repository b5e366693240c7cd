export {
  checkTelegramLogin,
  verifyTelegramLogin,
  telegramDataCheckString,
  telegramLoginHash,
  TelegramLoginError,
  DEFAULT_TELEGRAM_MAX_AGE_S,
  DEFAULT_TELEGRAM_MAX_SKEW_S,
  type TelegramLoginData,
  type TelegramUser,
  type TelegramLoginCheck,
  type TelegramLoginErrorCode,
  type TelegramLoginOptions,
} from './telegram-login';
export { TokenKeyRing, TokenDecryptError, resolveTokenKey, derivedKeyId, keyIdOf, TOKEN_KEY_FILE, type TokenKey } from './token-keys';
export { TokenVault, jwtExpiry, USER_LINKS_TABLE, type LinkUserInput, type UserLink, type ShopCredentials } from './token-vault';
export { SessionStore, pruneExpiredSessions, hashSessionToken, isSessionTokenShape, API_SESSIONS_TABLE, DEFAULT_SESSION_TTL_S, type IssuedSession, type SessionInfo } from './session';
export { ApiKeyRing, bearerToken, presentedApiKey } from './api-keys';
export { MsgUser, principalFor } from './msg-user';
export {
  loginWithTelegram,
  telegramLoginProblem,
  shopExchangeProblem,
  type ShopLogin,
  type ShopLoginExchange,
  type LoginDependencies,
  type LoginResult,
  type LoginRefusal,
} from './login-service';
export {
  createAuthRuntime,
  authRuntimeFor,
  loadAuthSettings,
  AUTH_SERVICE_KEY,
  AUTH_HOUSEKEEPING_JOBS,
  type AuthRuntime,
  type AuthSettings,
  type ServicesWithAuth,
} from './runtime';
export { authRouter, describeAuthOperations, AUTH_TELEGRAM_PATH, AUTH_SESSION_PATH, AUTH_LINK_PATH, type AuthRouterOptions } from './routes';
