// Build dist/origincheck-chrome.zip and dist/origincheck-firefox.zip from extension/.
// One source folder; each browser gets a manifest without the other's keys.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'extension');
const dist = join(root, 'dist');
const manifest = JSON.parse(readFileSync(join(source, 'manifest.json'), 'utf8'));

const variants = {
  chrome: (m) => {
    delete m.background.scripts;
    delete m.browser_specific_settings;
    return m;
  },
  firefox: (m) => {
    delete m.background.service_worker;
    delete m.minimum_chrome_version;
    return m;
  },
};

mkdirSync(dist, { recursive: true });
for (const [browser, adapt] of Object.entries(variants)) {
  const folder = join(dist, browser);
  rmSync(folder, { recursive: true, force: true });
  cpSync(source, folder, { recursive: true });
  const own = adapt(structuredClone(manifest));
  writeFileSync(join(folder, 'manifest.json'), `${JSON.stringify(own, null, 2)}\n`);
  execFileSync(
    join(root, 'node_modules', '.bin', 'web-ext'),
    ['build', '--source-dir', folder, '--artifacts-dir', dist, '--filename', `origincheck-${browser}.zip`, '--overwrite-dest'],
    { stdio: 'inherit' },
  );
}
