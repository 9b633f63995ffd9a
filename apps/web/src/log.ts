/**
 * The web app's logger: SDK records go to the browser console (debug/info → console.debug,
 * warn/error → console.warn; never console.error, which is reserved for real faults).
 * `?debug` in the URL lowers the level to debug.
 */
import { createLogger, type Logger } from '@itda/common';

export const appLogger: Logger = createLogger({
  name: 'itda',
  level: new URLSearchParams(location.search).has('debug') ? 'debug' : 'warn',
  sink: (record) => {
    if (record.level === 'warn' || record.level === 'error') console.warn(record);
    else console.debug(record);
  },
});
