// User options: defaults and validation. Pure, so it is unit-tested with node --test.

export const DEFAULTS = Object.freeze({
  serverUrl: '', // none until the reader chooses one: a store install has no localhost server
  send: 'bytes', // 'bytes' works for images behind logins; 'url' sends only the address
  language: 'auto',
  private: true, // match on the device when the bank fits in privateLimitMb
  privateLimitMb: 32,
});

export const PRIVATE_LIMITS_MB = [8, 32, 128];

export const LANGUAGES = ['auto', 'en', 'el'];
export const SEND_MODES = ['bytes', 'url'];

/** Validate a server address; returns {ok, value} or {ok: false, error: messageKey}. */
export function validateServerUrl(text) {
  let url;
  try {
    url = new URL(String(text ?? '').trim());
  } catch {
    return { ok: false, error: 'optionsErrorNotUrl' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, error: 'optionsErrorScheme' };
  }
  if (url.username || url.password || url.search || url.hash) {
    return { ok: false, error: 'optionsErrorExtras' };
  }
  return { ok: true, value: url.origin + url.pathname.replace(/\/+$/, '') };
}

/** Stored options merged over the defaults; anything invalid falls back to its default. */
export function normalizeOptions(raw = {}) {
  const server = validateServerUrl(raw.serverUrl);
  return {
    serverUrl: server.ok ? server.value : DEFAULTS.serverUrl,
    send: SEND_MODES.includes(raw.send) ? raw.send : DEFAULTS.send,
    language: LANGUAGES.includes(raw.language) ? raw.language : DEFAULTS.language,
    private: typeof raw.private === 'boolean' ? raw.private : DEFAULTS.private,
    privateLimitMb: PRIVATE_LIMITS_MB.includes(raw.privateLimitMb) ? raw.privateLimitMb : DEFAULTS.privateLimitMb,
  };
}
