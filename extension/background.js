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
import { bankState, lookupBank, syncBank } from './lib/bank.js';
import { pdqHashes } from './lib/pdq.js';
import { prepareForHashing } from './lib/pixels.js';
import { bandBox, crop } from './lib/trim.js';
import {
  checkEndpoint,
  feedbackEndpoint,
  isPublicUrl,
  largestSrcsetCandidate,
  submitPage,
} from './lib/urls.js';

const MENU_IMAGE = 'check-image';
const MENU_VIDEO = 'check-video-frame';
const MENU_PICK = 'check-picture-here';
const COMMAND_CHECK = 'check-picture';
const CHECK_TIMEOUT_MS = 8000;
const IMAGE_FETCH_TIMEOUT_MS = 5000;
const PAGE_CHECK_CONCURRENCY = 3;
// The server could not fetch the address and neither could we: the picture is on
// screen all the same, so a capture of the tab is checked instead.
const REFUSED = ['fetch_failed', 'fetch_timeout', 'url_forbidden', 'image_unfetchable'];
const SYNC_EVERY_MS = 30 * 60 * 1000; // private mode's copy is brought up to date this often
const MAX_DECODED_PIXELS = 50_000_000; // larger pictures are scaled down before hashing

api.runtime.onInstalled.addListener(onInstalled);
api.runtime.onStartup.addListener(createMenus);
// A language chosen in the options names the menu items at once, not after a restart.
api.storage.onChanged.addListener((changes) => {
  if (changes.language) createMenus();
});
api.contextMenus.onClicked.addListener(handleMenuClick);
api.action.onClicked.addListener(checkAllImages);
api.commands?.onCommand.addListener(handleCommand);
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
  // Backgrounds, pictures under overlays, canvases and SVG have no "image" menu of their own.
  api.contextMenus.create({ id: MENU_PICK, title: t('menuCheckPictureHere'), contexts: ['page', 'frame', 'link'] });
}

/** What a click on a context-menu item runs. */
export async function handleMenuClick(info, tab) {
  const options = await loadOptions();
  const t = await translator(options.language);
  const place = { frameId: info.frameId ?? 0, frameUrl: info.frameUrl };
  if (!(await ready(tab, place, options, t))) return;
  if (info.menuItemId === MENU_PICK) {
    await draw(frameOf(tab, place), 'pick', t('pickHint'), t('pickCancel'));
    return;
  }
  let picture = { src: info.srcUrl, kind: info.menuItemId === MENU_VIDEO ? 'video' : 'img' };
  if (picture.kind === 'video') {
    // Before playback the reader sees the poster: that is the picture to check.
    const poster = await draw(frameOf(tab, place), 'posterShown', info.srcUrl);
    if (poster) picture = { src: poster, kind: 'img' };
  }
  await checkPicture(tab, place, picture, options, t);
}

/** The keyboard shortcut: check the focused picture, or let the reader pick one. */
export async function handleCommand(command, tab) {
  if (command !== COMMAND_CHECK || !tab) return;
  const options = await loadOptions();
  const t = await translator(options.language);
  const place = { frameId: 0 };
  if (!(await ready(tab, place, options, t))) return;
  const picture = await draw(frameOf(tab, place), 'focusedPicture');
  if (picture) await checkPicture(tab, place, { ...picture, picked: true }, options, t);
  else await draw(frameOf(tab, place), 'pick', t('pickHint'), t('pickCancel'));
}

/** Inject the drawing script where it is needed; without a server, say so and open the options. */
async function ready(tab, place, options, t) {
  await inject(frameOf(tab, place));
  if (place.frameId !== 0) await inject(frameOf(tab, { frameId: 0 }));
  if (options.serverUrl) return true;
  await draw(frameOf(tab, { frameId: 0 }), 'show', null, toCardModel({ kind: 'setup' }, t, {}));
  await api.runtime.openOptionsPage();
  return false;
}

function frameOf(tab, place) {
  return { tabId: tab.id, frameIds: [place.frameId ?? 0] };
}

/**
 * Check one picture and draw its card in the top frame (where it can always be seen
 * whole, even for a picture inside an iframe). ``picture``: ``{src, srcset, dataUrl, kind,
 * picked, box}``, from a menu click, a pick or the keyboard.
 */
async function checkPicture(tab, place, picture, options, t) {
  const top = frameOf(tab, { frameId: 0 });
  const where = await cardPlace(tab, place, picture);
  if (!picture.full && picture.kind !== 'video') {
    // At once: bringing private mode's copy up to date can take a few seconds.
    const pending = toCardModel({ kind: 'pending' }, t, { imageUrl: picture.src, serverUrl: options.serverUrl });
    await draw(top, 'show', picture.src ?? null, pending, where);
    if (await privateReady(options)) {
      await checkOnDevice(tab, place, picture, where, options, t);
      return;
    }
  }
  let image = picture.dataUrl ?? null;
  let screenshot = null;
  let clip = false;
  if (picture.kind === 'video' && !image) {
    // Before the card is drawn, so that it is not in the picture.
    image = await draw(frameOf(tab, place), 'captureFrame', picture.src);
    if (!image) {
      image = await captureElement(tab, picture.src, where);
      screenshot = image ? 'video' : null;
      clip = !image; // the server checks the video file itself, frame by frame
    }
  } else if (!image && !picture.src) {
    image = await captureElement(tab, null, where); // a tainted canvas, an SVG with outside images
    screenshot = image ? 'picture' : null;
  }
  const imageUrl = picture.src ?? null;
  const context = { imageUrl, serverUrl: options.serverUrl };
  await draw(top, 'show', imageUrl, toCardModel({ kind: 'pending' }, t, context), where);
  let outcome = await check({ imageUrl, dataUrl: image }, options);
  if (!image && outcome.kind === 'error' && REFUSED.includes(outcome.code)) {
    image = await captureElement(tab, imageUrl, where);
    if (image) {
      screenshot = 'picture';
      await draw(top, 'show', imageUrl, toCardModel({ kind: 'pending' }, t, context), where);
      outcome = await check({ imageUrl, dataUrl: image }, options);
    }
  }
  const shown = { ...withOwnThumb(context, image), screenshot, clip };
  await draw(top, 'show', imageUrl, toCardModel(outcome, t, shown), where);
}

/**
 * Private mode is on, and this device holds an up-to-date copy of this server's bank
 * (brought up to date first when it is older than SYNC_EVERY_MS, if the server answers).
 */
async function privateReady(options) {
  if (!options.private) return false;
  let state = await bankState().catch(() => null);
  const current = state?.server === options.serverUrl;
  if (!current || Date.now() - (state.syncedAt ?? 0) > SYNC_EVERY_MS) {
    state = await syncBank(options.serverUrl, { limitBytes: options.privateLimitMb * 2 ** 20 }).catch(() => state);
  }
  return Boolean(state?.server === options.serverUrl && state.version && !state.tooBig);
}

/**
 * Private mode: hash the picture here and look it up in the device's copy; the server
 * is asked only for the entry that matched, by its number. The pixels come from the
 * page (a canvas, a video frame), the file (when the extension may read it) or, failing
 * those, the visible tab.
 */
async function checkOnDevice(tab, place, picture, where, options, t) {
  const top = frameOf(tab, { frameId: 0 });
  const imageUrl = picture.src ?? null;
  let dataUrl = picture.dataUrl ?? null;
  let blob = dataUrl ? null : await readImage(imageUrl, { ...options, send: 'bytes' });
  let screenshot = null;
  if (!dataUrl && !blob) {
    dataUrl = await captureElement(tab, imageUrl, where);
    screenshot = dataUrl ? 'picture' : null;
  }
  const fullCheck = { type: MSG.CS_BG_FULL_CHECK, picture: { ...picture, full: true }, place };
  const context = { ...withOwnThumb({ imageUrl, serverUrl: options.serverUrl }, dataUrl), screenshot, fullCheck };
  await draw(top, 'show', imageUrl, toCardModel({ kind: 'pending' }, t, context), where);
  if (!blob && dataUrl) blob = await (await fetch(dataUrl)).blob();
  const outcome = await lookUpOnDevice(blob, options);
  await draw(top, 'show', imageUrl, toCardModel(outcome, t, context), where);
}

async function lookUpOnDevice(blob, options) {
  const pixels = blob ? await decodePixels(blob) : null;
  if (!pixels) return { kind: 'private', unreadable: true };
  const jpeg = (await blob.slice(0, 3).arrayBuffer().then((b) => new Uint8Array(b).join())) === '255,216,255';
  const small = prepareForHashing(pixels, { jpeg });
  const { hashes: whole, quality } = pdqHashes(small);
  // Without a caption band or border too, as the server hashes a query.
  const box = bandBox(small);
  const cut = box[0] > 0 || box[1] > 0 || box[2] < small.width || box[3] < small.height;
  const hashes = cut ? [...whole, ...pdqHashes(crop(small, box)).hashes] : whole;
  const state = await bankState();
  const thresholds = state?.thresholds ?? { match: 40, possible: 48, min_quality: 50 };
  if (quality < thresholds.min_quality) return { kind: 'private', tooSimple: true };
  const hit = await lookupBank(hashes);
  if (!hit) return { kind: 'private', entry: null };
  try {
    const response = await fetch(`${options.serverUrl}/api/v1/entries/${hit.entryId}`, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    if (!response.ok) return { kind: 'private', entry: null }; // withdrawn since the last update
    return { kind: 'private', entry: await response.json(), thresholds, ...hit };
  } catch {
    return { kind: 'unreachable' };
  }
}

/** RGBA pixels of an image file, decoded by the browser (null if it cannot). */
async function decodePixels(blob) {
  try {
    const bitmap = await createImageBitmap(blob);
    const scale = Math.min(1, Math.sqrt(MAX_DECODED_PIXELS / (bitmap.width * bitmap.height)));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    context.fillStyle = '#fff'; // transparency on white, as the server flattens it
    context.fillRect(0, 0, width, height);
    context.drawImage(bitmap, 0, 0, width, height);
    bitmap.close();
    return context.getImageData(0, 0, width, height);
  } catch {
    return null;
  }
}

/** What the top frame anchors the card to: the picked element, or an element in an iframe. */
async function cardPlace(tab, place, picture) {
  if (place.frameId === 0) return picture.picked ? { picked: true } : null;
  const box = picture.box ?? (await draw(frameOf(tab, place), 'elementRect', picture.src))?.box;
  return { frameUrl: place.frameUrl, rect: box ?? null };
}

/**
 * The pixels of an element as the tab shows them: a cross-origin video taints any
 * canvas it is drawn on and a host may refuse every fetch but the page's own, yet the
 * reader sees the picture. The visible tab is captured (``activeTab``, granted by the
 * menu click or the shortcut) and cropped to the element.
 */
async function captureElement(tab, url, where) {
  const top = frameOf(tab, { frameId: 0 });
  await draw(top, 'close', false); // a card on screen must not be in the picture
  const rect = await draw(top, 'visibleRect', url, where);
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

/** Toolbar button: badge every picture of a useful size on the page, in every frame we may read. */
export async function checkAllImages(tab) {
  const options = await loadOptions();
  const t = await translator(options.language);
  const top = frameOf(tab, { frameId: 0 });
  if (!(await ready(tab, { frameId: 0 }, options, t))) return 0;
  const found = [];
  for (const frame of await drawEverywhere(tab, 'listImages')) {
    for (const item of frame.result ?? []) found.push({ ...item, frameId: frame.frameId });
  }
  const queue = [...found];
  let done = 0;
  const onDevice = await privateReady(options);
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const imageUrl = largestSrcsetCandidate(item.srcset, item.base) ?? item.src;
      const context = withOwnThumb({ imageUrl, serverUrl: options.serverUrl }, item.dataUrl);
      // Private mode: every picture is looked up here; none is sent.
      const outcome = onDevice
        ? await lookUpOnDevice(item.dataUrl ? await (await fetch(item.dataUrl)).blob() : await readImage(imageUrl, { ...options, send: 'bytes' }), options)
        : await checkPolitely({ imageUrl, dataUrl: item.dataUrl }, options);
      const model = toCardModel(outcome, t, context);
      await draw(frameOf(tab, item), 'badge', item.index, toBadge(model), model);
      done += 1;
      await draw(top, 'progress', done, found.length, t('pageProgress', [done, found.length]));
    }
  };
  // Every image, however many (no silent cap), a few at a time.
  await Promise.all(Array.from({ length: PAGE_CHECK_CONCURRENCY }, worker));
  return found.length;
}

/**
 * Run a drawing function in every frame of the tab the extension may script: the top
 * page, and frames on hosts it has permission for (the browser skips the others).
 */
async function drawEverywhere(tab, name, ...args) {
  const target = { tabId: tab.id, allFrames: true };
  try {
    await api.scripting.executeScript({ target, files: ['content.js'] });
    return await api.scripting.executeScript({
      target,
      func: (fn, fnArgs) => globalThis.__originCheck?.[fn]?.(...fnArgs),
      args: [name, args],
    });
  } catch {
    const top = frameOf(tab, { frameId: 0 });
    return [{ frameId: 0, result: await draw(top, name, ...args) }];
  }
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
    return { kind: 'error', status: 422, code: 'image_unfetchable' };
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
  else if (message?.type === MSG.CS_BG_PICKED && fromPage) work = checkPicked(sender, message.picture);
  else if (message?.type === MSG.CS_BG_SHOW_IN_TOP && fromPage) work = showInTop(sender, message);
  else if (message?.type === MSG.CS_BG_CARD_BLOCKED && fromPage) work = openVerdictWindow(sender.tab, message.model);
  else if (message?.type === MSG.UI_BG_TEST_SERVER && fromOptions) work = testServer(message.serverUrl);
  else if (message?.type === MSG.UI_BG_SYNC && fromOptions) work = syncNow();
  else if (message?.type === MSG.UI_BG_BANK_STATE && fromOptions) work = bankState();
  else if (message?.type === MSG.CS_BG_FULL_CHECK && fromPage) work = fullCheck(sender, message);
  if (!work) return false;
  work.then(sendResponse, () => sendResponse({ ok: false }));
  return true; // answer asynchronously
}

/** The reader picked a picture (pick mode): check it like a menu click on it. */
async function checkPicked(sender, picture) {
  const options = await loadOptions();
  const t = await translator(options.language);
  const place = { frameId: sender.frameId ?? 0, frameUrl: sender.url };
  await checkPicture(sender.tab, place, { ...picture, picked: true }, options, t);
  return { ok: true };
}

/** "Check with the server" on a private-mode card: the full check of the same picture. */
async function fullCheck(sender, { picture, place }) {
  const options = await loadOptions();
  const t = await translator(options.language);
  await checkPicture(sender.tab, place ?? { frameId: 0 }, { ...picture, full: true }, options, t);
  return { ok: true };
}

/** The options page's "Update now" (and its first sync when private mode is chosen). */
async function syncNow() {
  const options = await loadOptions();
  if (!options.serverUrl) return { ok: false };
  try {
    const state = await syncBank(options.serverUrl, { limitBytes: options.privateLimitMb * 2 ** 20 });
    return { ok: true, ...state };
  } catch {
    return { ok: false };
  }
}

/** A badge inside an iframe was clicked: its card is drawn by the top page. */
async function showInTop(sender, { model, rect }) {
  const top = frameOf(sender.tab, { frameId: 0 });
  await inject(top);
  await draw(top, 'show', null, model, { frameUrl: sender.url, rect });
  return { ok: true };
}

/**
 * The page kept removing the card: show the verdict in a small window of the
 * extension's own (verdict.html), out of the page's reach. One window per tab; the
 * next card of that tab (the answer after "checking…") updates it.
 */
async function openVerdictWindow(tab, model) {
  const key = `verdict-${tab.id}`;
  const windowKey = `${key}-window`;
  const { [windowKey]: windowId } = await api.storage.session.get(windowKey);
  await api.storage.session.set({ [key]: model });
  const open = windowId != null && (await api.windows.get(windowId).catch(() => null));
  if (open) return { ok: true };
  const url = api.runtime.getURL(`verdict.html#${key}`);
  const created = await api.windows.create({ url, type: 'popup', width: 400, height: 680 });
  await api.storage.session.set({ [windowKey]: created.id });
  return { ok: true };
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
globalThis.originCheck = { handleMenuClick, handleCommand, checkAllImages, createMenus };
