import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEndpoint, fallbackSearchLinks, largestSrcsetCandidate, submitPage } from '../../extension/lib/urls.js';

test('endpoints hang off the configured server', () => {
  assert.equal(checkEndpoint('https://a.org/oc'), 'https://a.org/oc/api/v1/check');
});

test('the report form is prefilled only with public image addresses', () => {
  assert.equal(submitPage('http://localhost:5000', 'https://cdn.x/a b.jpg'), 'http://localhost:5000/submit?image_url=https%3A%2F%2Fcdn.x%2Fa+b.jpg');
  assert.equal(submitPage('http://localhost:5000', 'data:image/png;base64,AAA'), 'http://localhost:5000/submit');
});

test('fallback searches: TinEye oldest first, and nothing for non-public images', () => {
  const links = fallbackSearchLinks('https://x.org/p.jpg?a=1');
  assert.deepEqual(links.map((l) => l.engine), ['TinEye', 'Google Lens', 'Bing', 'Yandex']);
  assert.match(links[0].url, /url=https%3A%2F%2Fx\.org%2Fp\.jpg%3Fa%3D1&sort=crawl_date&order=asc$/);
  assert.deepEqual(fallbackSearchLinks('blob:https://x.org/123'), []);
});

test('the largest srcset candidate wins, by width or density', () => {
  assert.equal(largestSrcsetCandidate('s.jpg 480w, l.jpg 1080w, m.jpg 800w', 'https://x.org/a/'), 'https://x.org/a/l.jpg');
  assert.equal(largestSrcsetCandidate('a.jpg, b.jpg 2x', 'https://x.org/'), 'https://x.org/b.jpg');
  assert.equal(largestSrcsetCandidate('', 'https://x.org/'), null);
});
