/** The web app's entry: one page, three routes (docs/protocol.md §9, §10). */
import { loadConfig } from './config.js';
import { h } from './dom.js';
import { renderHome } from './home.js';
import { renderRoom } from './room.js';

async function main(): Promise<void> {
  const root = document.getElementById('app')!;
  const config = await loadConfig();
  const room = /^\/s\/([^/]+)\/?$/.exec(location.pathname);
  if (room) return renderRoom(root, config, decodeURIComponent(room[1]!));
  const replay = /^\/s\/([^/]+)\/replay\/?$/.exec(location.pathname);
  // Its own chunk: a room never loads the replay, a review link never loads the room.
  if (replay) return (await import('./replay.js')).renderReplay(root, config, decodeURIComponent(replay[1]!));
  if (location.pathname === '/' || location.pathname === '/index.html') return renderHome(root, config);
  root.replaceChildren(h('main', { class: 'notice' }, h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: '/' }, 'Go to the start page'))));
}

void main();
