// Options page: validated server address, what is sent, language.
import { api } from './lib/ext.js';
import { MSG } from './lib/messages.js';
import { DEFAULTS, normalizeOptions, validateServerUrl } from './lib/options.js';
import { translator } from './lib/i18n.js';

const form = document.getElementById('options');
const status = document.getElementById('status');
const serverError = document.getElementById('serverError');

async function localize(language) {
  const t = await translator(language);
  document.documentElement.lang = t('localeCode');
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  return t;
}

async function load() {
  const options = normalizeOptions(await api.storage.sync.get(DEFAULTS));
  form.serverUrl.value = options.serverUrl;
  document.getElementById('welcome').hidden = Boolean(options.serverUrl);
  form.send.value = options.send;
  form.language.value = options.language;
  form.private.checked = options.private;
  form.privateLimitMb.value = String(options.privateLimitMb);
  return localize(options.language);
}

let t = await load();
await pinHint();
await showBank(await api.runtime.sendMessage({ type: MSG.UI_BG_BANK_STATE }).catch(() => null));

/** What private mode holds on this device, in words. */
function showBank(state) {
  const line = document.getElementById('bank');
  if (!state) line.textContent = '';
  else if (state.ok === false) line.textContent = t('optionsPrivateFailed');
  else if (state.tooBig) line.textContent = t('optionsPrivateTooBig');
  else if (state.version) {
    const when = new Date(state.syncedAt).toLocaleString(document.documentElement.lang);
    line.textContent = t('optionsPrivateState', [state.entries, state.hashes, when]);
  }
}

document.getElementById('sync').addEventListener('click', async () => {
  document.getElementById('bank').textContent = '…';
  showBank(await api.runtime.sendMessage({ type: MSG.UI_BG_SYNC }).catch(() => ({ ok: false })));
});

/**
 * "Check all" lives on the toolbar button: say how to pin it (and its shortcut) while it
 * is hidden in the Extensions menu.
 */
async function pinHint() {
  const settings = await api.action.getUserSettings?.().catch(() => null);
  const hint = document.getElementById('pin');
  hint.hidden = !settings || settings.isOnToolbar;
  const commands = (await api.commands?.getAll?.().catch(() => [])) ?? [];
  const keys = commands.map((c) => c.shortcut).filter(Boolean).join(', ') || '—';
  hint.textContent = t('optionsPin', [keys]);
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const server = validateServerUrl(form.serverUrl.value);
  serverError.hidden = server.ok;
  if (!server.ok) {
    serverError.textContent = t(server.error);
    form.serverUrl.setAttribute('aria-invalid', 'true');
    form.serverUrl.focus();
    return;
  }
  form.serverUrl.removeAttribute('aria-invalid');
  form.serverUrl.value = server.value;
  await api.storage.sync.set({
    serverUrl: server.value,
    send: form.send.value,
    language: form.language.value,
    private: form.private.checked,
    privateLimitMb: Number(form.privateLimitMb.value),
  });
  t = await localize(form.language.value);
  await pinHint();
  status.textContent = t('optionsSaved');
  if (form.private.checked) showBank(await api.runtime.sendMessage({ type: MSG.UI_BG_SYNC }).catch(() => ({ ok: false })));
});

document.getElementById('test').addEventListener('click', async () => {
  const server = validateServerUrl(form.serverUrl.value);
  if (!server.ok) {
    status.textContent = t(server.error);
    return;
  }
  const answer = await api.runtime.sendMessage({ type: MSG.UI_BG_TEST_SERVER, serverUrl: server.value });
  status.textContent = answer?.ok ? t('optionsTestOk', [answer.entries]) : t('optionsTestFail');
});

document.getElementById('allSites').addEventListener('click', async () => {
  await api.permissions.request({ origins: ['<all_urls>'] }).catch(() => false);
});
