/**
 * Makes docs/screenshot.png: four people in an sfu room of the web app (Chromium, fake
 * camera and microphone), one of them sharing its screen, seen from Ada's page with the
 * chat open. Run it like the tests, in a loopback-only namespace:
 * `npm run build && unshare --net -- bash -c 'ip link set lo up && npx node scripts/screenshot.ts'`.
 */
import { fileURLToPath } from 'node:url';
import { button, Harness, join, openChat, sendChat } from '../e2e/harness/index.ts';
import { waitForSfuRemotes } from '../e2e/harness/sfu.ts';

const out = fileURLToPath(new URL('../docs/screenshot.png', import.meta.url));
const h = await Harness.start({ server: { sfu: true } });
try {
  const room = 'standup';
  const names = ['Ada', 'Bea', 'Cai', 'Dov'];
  const people = [];
  for (const name of names) {
    const p = await h.person(name, { viewport: { width: 1280, height: 760 } });
    await join(p.page, h.url, room, name);
    people.push(p);
  }
  const ada = people[0]!;
  await waitForSfuRemotes(ada.page, ['Bea', 'Cai', 'Dov']);
  await button(people[1]!.page, 'Share screen').click();
  await openChat(ada.page);
  await sendChat(people[2]!.page, 'Morning! Notes are in the doc.');
  await new Promise((r) => setTimeout(r, 3000));
  await ada.page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await h.close();
}
