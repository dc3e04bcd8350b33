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
const PAGE_CHECK_CONCURRENCY = 3;

api.runtime.onInstalled.addListener(onInstalled);
api.runtime.onStartup.addListener(createMenus);
// A language chosen in the options names the menu items at once, not after a restart.
api.storage.onChanged.addListener((changes) => {
  if (changes.language) createMenus();
});
api.contextMenus.onClicked.addListener(handleMenuClick);
api.action.onClicked.addListener(checkAllImages);
api.runtime.onMessage.addListener(handleMessage);

async function loadOptions() {
  return normalizeOptions(await api.storage.sync.get(DEFAULTS));
}

async function onInstalled(details) {
  await createMenus();
  // First run: the reader chooses the server (with a connection test) before any check.
  if (details?.reason === 'install' && !(await loadOptions()).serverUrl) api.runtime.openOptionsPage();
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
  if (!options.serverUrl) {
    await draw(target, 'show', imageUrl, toCardModel({ kind: 'setup' }, t, context));
    await api.runtime.openOptionsPage();
    return;
  }
  let image = null;
  let screenshot = false;
  let clip = false;
  if (info.menuItemId === MENU_VIDEO) {
    // Before the card is drawn, so that it is not in the picture.
    image = await draw(target, 'captureFrame', imageUrl);
    if (!image) {
      image = await captureElement(tab, target, imageUrl);
      screenshot = Boolean(image);
      clip = !image; // the server checks the video file itself, frame by frame
    }
  }
  await draw(target, 'show', imageUrl, toCardModel({ kind: 'pending' }, t, context));
  const outcome = await check({ imageUrl, dataUrl: image }, options);
  const shown = { ...withOwnThumb(context, image), screenshot, clip };
  await draw(target, 'show', imageUrl, toCardModel(outcome, t, shown));
}

/**
 * The pixels of an element as the tab shows them: a cross-origin video taints any
 * canvas it is drawn on, but the reader sees it, so the visible tab is captured
 * (``activeTab``, granted by the menu click) and cropped to the element. Top frame
 * only: a frame's rectangle is not the tab's.
 */
async function captureElement(tab, target, url) {
  if ((target.frameIds?.[0] ?? 0) !== 0) return null;
  const rect = await draw(target, 'elementRect', url);
  if (!rect) return null;
  try {
    const shot = await api.tabs.captureVisibleTab(tab.windowId, { format: 'png' });
    const bitmap = await createImageBitmap(await (await fetch(shot)).blob());
    const scale = bitmap.width / rect.viewportWidth;
    const x = Math.max(0, Math.round(rect.x * scale));
    const y = Math.max(0, Math.round(rect.y * scale));
    const width = Math.min(bitmap.width - x, Math.round(rect.width * scale));
    const height = Math.min(bitmap.height - y, Math.round(rect.height * scale));
    if (width < 16 || height < 16) return null;
    const canvas = new OffscreenCanvas(width, height);
    canvas.getContext('2d').drawImage(bitmap, x, y, width, height, 0, 0, width, height);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 });
    return `data:image/jpeg;base64,${base64(new Uint8Array(await blob.arrayBuffer()))}`;
  } catch {
    return null; // not allowed on this page (the store, the browser's own pages)
  }
}

function base64(bytes) {
  let text = '';
  for (let at = 0; at < bytes.length; at += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
  }
  return btoa(text);
}

/** Toolbar button: badge every image of a useful size on the page. */
export async function checkAllImages(tab) {
  const options = await loadOptions();
  const t = await translator(options.language);
  const target = { tabId: tab.id, frameIds: [0] };
  await inject(target);
  if (!options.serverUrl) {
    await draw(target, 'show', null, toCardModel({ kind: 'setup' }, t, {}));
    await api.runtime.openOptionsPage();
    return 0;
  }
  const found = (await draw(target, 'listImages')) ?? [];
  const queue = [...found];
  let done = 0;
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const imageUrl = largestSrcsetCandidate(item.srcset, item.base) ?? item.src;
      const context = { imageUrl, serverUrl: options.serverUrl };
      const model = toCardModel(await checkPolitely({ imageUrl }, options), t, context);
      await draw(target, 'badge', item.index, toBadge(model), model);
      done += 1;
      await draw(target, 'progress', done, found.length, t('pageProgress', [done, found.length]));
    }
  };
  // Every image, however many (no silent cap), a few at a time.
  await Promise.all(Array.from({ length: PAGE_CHECK_CONCURRENCY }, worker));
  return found.length;
}

/** ``check``, waiting and trying again when the server says the page asked too fast. */
async function checkPolitely(request, options) {
  for (let attempt = 0; ; attempt++) {
    const outcome = await check(request, options);
    if (outcome.kind !== 'error' || outcome.status !== 429 || attempt >= 3) return outcome;
    await new Promise((resolve) => setTimeout(resolve, 5000 * (attempt + 1)));
  }
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
