// OriginCheck background (Chrome service worker / Firefox event page).
//
// All network calls happen here; content scripts only draw. Listeners are registered
// synchronously at top level and nothing is kept in globals, because the worker can
// be stopped between any two events.
import { api } from './lib/ext.js';
import { MSG } from './lib/messages.js';
import { DEFAULTS, normalizeOptions } from './lib/options.js';
import { toBadge, toCardModel } from './lib/card-model.js';
import { translator } from './lib/i18n.js';
import {
  checkEndpoint,
  feedbackEndpoint,
  isPublicUrl,
  largestSrcsetCandidate,
  submitPage,
} from './lib/urls.js';

const MENU_IMAGE = 'check-image';
const MENU_VIDEO = 'check-video-frame';
const CHECK_TIMEOUT_MS = 8000;
const IMAGE_FETCH_TIMEOUT_MS = 5000;
const PAGE_CHECK_LIMIT = 40;

api.runtime.onInstalled.addListener(createMenus);
api.runtime.onStartup.addListener(createMenus);
api.contextMenus.onClicked.addListener(handleMenuClick);
api.action.onClicked.addListener(checkAllImages);
api.runtime.onMessage.addListener(handleMessage);

async function loadOptions() {
  return normalizeOptions(await api.storage.sync.get(DEFAULTS));
}

async function createMenus() {
  const t = await translator((await loadOptions()).language);
  await api.contextMenus.removeAll();
  api.contextMenus.create({ id: MENU_IMAGE, title: t('menuCheckImage'), contexts: ['image'] });
  api.contextMenus.create({ id: MENU_VIDEO, title: t('menuCheckVideoFrame'), contexts: ['video'] });
}

/** What a click on either context-menu item runs. */
export async function handleMenuClick(info, tab) {
  const options = await loadOptions();
  const t = await translator(options.language);
  const target = { tabId: tab.id, frameIds: [info.frameId ?? 0] };
  const imageUrl = info.srcUrl;
  const context = { imageUrl, serverUrl: options.serverUrl };
  await inject(target);
  await draw(target, 'show', imageUrl, toCardModel({ kind: 'pending' }, t, context));
  let image = null;
  if (info.menuItemId === MENU_VIDEO) {
    image = await draw(target, 'captureFrame', imageUrl);
  }
  const outcome = await check({ imageUrl, dataUrl: image }, options);
  await draw(target, 'show', imageUrl, toCardModel(outcome, t, withOwnThumb(context, image)));
}

/** Toolbar button: badge every image of a useful size on the page. */
export async function checkAllImages(tab) {
  const options = await loadOptions();
  const t = await translator(options.language);
  const target = { tabId: tab.id, frameIds: [0] };
  await inject(target);
  const found = ((await draw(target, 'listImages')) ?? []).slice(0, PAGE_CHECK_LIMIT);
  const queue = [...found];
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const imageUrl = largestSrcsetCandidate(item.srcset, item.base) ?? item.src;
      const context = { imageUrl, serverUrl: options.serverUrl };
      const model = toCardModel(await check({ imageUrl }, options), t, context);
      await draw(target, 'badge', item.index, toBadge(model), model);
    }
  };
  await Promise.all([worker(), worker(), worker()]); // a few at a time, politely
  return found.length;
}

/** Send the image to the server: its bytes when we can read them, else its address. */
async function check({ imageUrl, dataUrl }, options) {
  let body;
  const blob = dataUrl ? await (await fetch(dataUrl)).blob() : await readImage(imageUrl, options);
  if (blob) {
    body = new FormData();
    body.append('image', blob, 'image');
    if (isPublicUrl(imageUrl)) body.append('image_url', imageUrl);
  } else if (isPublicUrl(imageUrl)) {
    body = JSON.stringify({ url: imageUrl });
  } else {
    return { kind: 'error', status: 422, code: 'image_unreadable' };
  }
  try {
    const response = await fetch(checkEndpoint(options.serverUrl), {
      method: 'POST',
      body,
      headers: typeof body === 'string' ? { 'Content-Type': 'application/json' } : {},
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
    const json = await response.json().catch(() => ({}));
    if (response.ok) return { kind: 'result', body: json };
    return { kind: 'error', status: response.status, code: json?.error?.code, message: json?.error?.message };
  } catch (error) {
    return { kind: 'unreachable', slow: error?.name === 'TimeoutError' };
  }
}

async function readImage(imageUrl, options) {
  if (options.send !== 'bytes' && isPublicUrl(imageUrl)) return null;
  try {
    const response = await fetch(imageUrl, {
      credentials: 'include',
      signal: AbortSignal.timeout(IMAGE_FETCH_TIMEOUT_MS),
    });
    return response.ok ? await response.blob() : null;
  } catch {
    return null; // no permission for that host, or CORS: fall back to the address
  }
}

function withOwnThumb(context, dataUrl) {
  return dataUrl ? { ...context, imageUrl: dataUrl } : context;
}

async function inject(target) {
  await api.scripting.executeScript({ target, files: ['content.js'] });
}

/** Call one of the content script's drawing functions in the page and return its result. */
async function draw(target, name, ...args) {
  const [frame] = await api.scripting.executeScript({
    target,
    func: (fn, fnArgs) => globalThis.__originCheck?.[fn]?.(...fnArgs),
    args: [name, args],
  });
  return frame?.result;
}

function handleMessage(message, sender, sendResponse) {
  if (sender.id !== api.runtime.id) return false;
  const fromPage = Boolean(sender.tab);
  const fromOptions = sender.url === api.runtime.getURL('options.html');
  let work = null;
  if (message?.type === MSG.CS_BG_FEEDBACK && fromPage) work = sendFeedback(message);
  else if (message?.type === MSG.CS_BG_REPORT && fromPage) work = openReport(message);
  else if (message?.type === MSG.UI_BG_TEST_SERVER && fromOptions) work = testServer(message.serverUrl);
  if (!work) return false;
  work.then(sendResponse, () => sendResponse({ ok: false }));
  return true; // answer asynchronously
}

async function sendFeedback({ verdict, entryId, imageUrl }) {
  const { serverUrl } = await loadOptions();
  try {
    const response = await fetch(feedbackEndpoint(serverUrl), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ verdict, entry_id: entryId, image_url: isPublicUrl(imageUrl) ? imageUrl : null }),
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
    return { ok: response.ok };
  } catch {
    return { ok: false };
  }
}

async function openReport({ imageUrl }) {
  const { serverUrl } = await loadOptions();
  await api.tabs.create({ url: submitPage(serverUrl, imageUrl) });
  return { ok: true };
}

async function testServer(serverUrl) {
  try {
    const response = await fetch(`${serverUrl}/api/v1/health`, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    const health = await response.json();
    return { ok: response.ok, entries: health.entries };
  } catch {
    return { ok: false };
  }
}

// The handlers, reachable from tests that drive the worker directly.
globalThis.originCheck = { handleMenuClick, checkAllImages };
