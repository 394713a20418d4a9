/**
 * Bundled into every Lambda in place of `@aws-sdk/credential-provider-node` (an esbuild alias, see
 * infra/bundling.ts). Lambda always hands a function its role's credentials in environment variables, so
 * the default chain's SSO, INI, process, IMDS and STS providers (~90 KB minified, and their import
 * time on every cold start) are dead weight there. Not used by the runner image (ECS task credentials come
 * from the container endpoint) nor by the local stack (explicit local credentials).
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
