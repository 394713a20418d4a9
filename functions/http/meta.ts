/** `GET /api/health`, `GET /api/languages`: no session, no table. */
import { APP_VERSION } from '#aws/config.js';
import { httpHandler } from './http-handler.js';
import { json } from './response.js';
import { publicLanguages } from '#contract/languages.js';

const languages = { languages: publicLanguages() };

export const handler = httpHandler({
  'GET /api/health': async () => json(200, { status: 'ok', timestamp: new Date().toISOString(), version: APP_VERSION }),
  'GET /api/languages': async () => json(200, languages, { 'cache-control': 'public, max-age=300' }),
});
