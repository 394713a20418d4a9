/** `GET /api/health`, `GET /api/languages`, and the `$default` route's 404: no session, no table. */
import { APP_VERSION } from '#aws/config.js';
import { errors } from '#contract/errors.js';
import { httpHandler } from './http-handler.js';
import { json } from './response.js';
import { publicLanguages } from '#contract/languages.js';

const languages = { languages: publicLanguages() };

export const handler = httpHandler({
  'GET /api/health': async () => json(200, { status: 'ok', timestamp: new Date().toISOString(), version: APP_VERSION }),
  'GET /api/languages': async () => json(200, languages, { 'cache-control': 'public, max-age=300' }),
  // Any request no route matches (shared/contract/routes.ts HTTP_DEFAULT_ROUTE_FUNCTION): the contract's 404.
  $default: async (req) => {
    throw errors.notFound(`Route ${req.method} ${req.path.slice(0, 200)}`);
  },
});
