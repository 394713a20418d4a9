/**
 * Where the API is. A deployment serves `/config.json` (written by the CDK stack: the HTTP API and
 * WebSocket URLs); the local stack serves one for its own origin. Without it, assume the page's origin.
 */
export interface AppConfig {
  httpUrl: string;
  wsUrl: string;
}

export async function loadConfig(): Promise<AppConfig> {
  const fallback: AppConfig = {
    httpUrl: location.origin,
    wsUrl: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
  };
  try {
    const res = await fetch('/config.json', { cache: 'no-store' });
    if (!res.ok) return fallback;
    const config = (await res.json()) as Partial<AppConfig>;
    return {
      httpUrl: (config.httpUrl ?? fallback.httpUrl).replace(/\/+$/, ''),
      wsUrl: config.wsUrl ?? fallback.wsUrl,
    };
  } catch {
    return fallback;
  }
}
