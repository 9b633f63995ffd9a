/**
 * The itda web app: `/` landing, `/r/<room>` pre-join then call, `/lab` MediaStream lab.
 */
import './styles.css';
import { labScreen } from './pages/lab.ts';
import { landingScreen } from './pages/landing.ts';
import { notFoundScreen } from './pages/not-found.ts';
import { prejoinScreen } from './pages/prejoin.ts';
import { startRouter } from './router.ts';

function resolve(path: string) {
  if (path === '/' || path === '/index.html') return landingScreen;
  if (path === '/lab' || path === '/lab/') return labScreen;
  const m = /^\/r\/([^/]+)\/?$/.exec(path);
  if (m?.[1] !== undefined) {
    let room = '';
    try {
      room = decodeURIComponent(m[1]);
    } catch {
      return notFoundScreen;
    }
    return prejoinScreen(room);
  }
  return notFoundScreen;
}

const app = document.getElementById('app');
if (app !== null) startRouter(app, resolve);
