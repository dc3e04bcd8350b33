import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS, normalizeOptions, validateServerUrl } from '../../extension/lib/options.js';

test('a plain server address is accepted and its trailing slash dropped', () => {
  assert.deepEqual(validateServerUrl(' https://check.example.org/ '), { ok: true, value: 'https://check.example.org' });
  assert.deepEqual(validateServerUrl('http://localhost:5000'), { ok: true, value: 'http://localhost:5000' });
  assert.deepEqual(validateServerUrl('https://example.org/origincheck/'), { ok: true, value: 'https://example.org/origincheck' });
});

test('bad server addresses name the problem', () => {
  assert.equal(validateServerUrl('not a url').error, 'optionsErrorNotUrl');
  assert.equal(validateServerUrl('').error, 'optionsErrorNotUrl');
  assert.equal(validateServerUrl('ftp://example.org').error, 'optionsErrorScheme');
  assert.equal(validateServerUrl('javascript:alert(1)').error, 'optionsErrorScheme');
  assert.equal(validateServerUrl('https://user:pw@example.org').error, 'optionsErrorExtras');
  assert.equal(validateServerUrl('https://example.org/?a=1').error, 'optionsErrorExtras');
});

test('stored options fall back to defaults when missing or invalid', () => {
  assert.deepEqual(normalizeOptions({}), DEFAULTS);
  assert.deepEqual(normalizeOptions({ serverUrl: 'ftp://x', send: 'everything', language: 'xx' }), DEFAULTS);
  assert.deepEqual(normalizeOptions({ serverUrl: 'https://a.org/', send: 'url', language: 'el' }), {
    serverUrl: 'https://a.org', send: 'url', language: 'el', private: true, privateLimitMb: 32,
  });
  assert.deepEqual(normalizeOptions({ private: 'yes', privateLimitMb: 1e9 }), DEFAULTS);
  assert.equal(normalizeOptions({ private: false, privateLimitMb: 128 }).private, false);
});
