// The device's copy of the bank's fingerprints (private mode), kept in IndexedDB.
//
// syncBank downloads what changed since the version held (GET /api/v1/fingerprints);
// lookupBank finds the stored hash nearest to a picture's. Nothing about the reader's
// pictures leaves the device here: the server only ever sees "give me the changes".
import { codesToWords, nearest, toWords } from './bank-match.js';

const DB_NAME = 'origincheck-bank';
const ENTRIES = 'entries'; // {id, images: [{id, codes: Uint8Array, frame_time_s?}]}
const META = 'meta'; // 'state': {server, version, thresholds, syncedAt, entries, hashes}
const SYNC_TIMEOUT_MS = 30_000;

let memo = null; // {key, words, owners}: the hashes as one array, rebuilt on a new version

function request(idbRequest) {
  return new Promise((resolve, reject) => {
    idbRequest.onsuccess = () => resolve(idbRequest.result);
    idbRequest.onerror = () => reject(idbRequest.error);
  });
}

function openDb() {
  const opening = indexedDB.open(DB_NAME, 1);
  opening.onupgradeneeded = () => {
    opening.result.createObjectStore(ENTRIES, { keyPath: 'id' });
    opening.result.createObjectStore(META);
  };
  return request(opening);
}

async function write(stores, work) {
  const db = await openDb();
  try {
    const tx = db.transaction(stores, 'readwrite');
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    work(tx);
    await done;
  } finally {
    db.close();
  }
}

/** What the device holds: null before the first sync. */
export async function bankState() {
  const db = await openDb();
  try {
    return (await request(db.transaction(META).objectStore(META).get('state'))) ?? null;
  } finally {
    db.close();
  }
}

function decode(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Hashes per stored image with every crop window ("all"), and without ("core"). */
const PER_IMAGE = { all: 17, core: 4 };

/**
 * Bring the copy up to date with ``serverUrl``'s bank: everything the first time (or
 * after a reset), then only what changed. Every hash the server keeps per image when
 * they fit in ``limitBytes`` (the device then finds what the server's stage 1 finds,
 * crops included), else the four core ones; nothing, and full mode, when even those
 * would not fit.
 * @returns the new state
 */
export async function syncBank(serverUrl, { limitBytes = Infinity } = {}) {
  const health = await fetch(`${serverUrl}/api/v1/health`, { signal: AbortSignal.timeout(SYNC_TIMEOUT_MS) })
    .then((response) => response.json())
    .catch(() => null);
  const images = health?.images ?? Infinity;
  const fits = (variants) => images * PER_IMAGE[variants] * 32 <= limitBytes;
  if (fits('all')) {
    const state = await syncWith(serverUrl, 'all', limitBytes);
    if (!state.tooBig) return state;
  }
  return syncWith(serverUrl, 'core', limitBytes);
}

async function syncWith(serverUrl, variants, limitBytes) {
  const held = await bankState();
  const same = held?.server === serverUrl && held.variants === variants && !held.tooBig;
  const since = same ? held.version : 0;
  let url = `${serverUrl}/api/v1/fingerprints?since=${since}&variants=${variants}`;
  let first = true;
  let page = null;
  let bytes = since ? held.bytes ?? 0 : 0;
  while (url) {
    const response = await fetch(url, { signal: AbortSignal.timeout(SYNC_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`fingerprints: HTTP ${response.status}`);
    page = await response.json();
    if (first && (page.reset || !same)) {
      // Marked incomplete before the copy is emptied: a sync cut short starts again.
      await write([ENTRIES, META], (tx) => {
        tx.objectStore(META).put({ server: serverUrl, variants, version: 0 }, 'state');
        tx.objectStore(ENTRIES).clear();
      });
      bytes = 0;
    }
    first = false;
    const entries = page.entries.map((entry) => ({
      id: entry.id,
      images: entry.images.map((image) => ({ ...image, codes: decode(image.codes) })),
    }));
    bytes += entries.reduce((sum, e) => sum + e.images.reduce((s, i) => s + i.codes.length, 0), 0);
    if (bytes > limitBytes) {
      await write([ENTRIES, META], (tx) => {
        tx.objectStore(ENTRIES).clear();
        const state = { server: serverUrl, variants, version: 0, tooBig: true, syncedAt: Date.now() };
        tx.objectStore(META).put(state, 'state');
      });
      memo = null;
      return bankState();
    }
    await write([ENTRIES], (tx) => {
      const store = tx.objectStore(ENTRIES);
      for (const entry of entries) store.put(entry);
      for (const id of page.deleted) store.delete(id);
    });
    url = page.next;
  }
  const counts = await countHeld();
  const state = {
    server: serverUrl,
    variants,
    version: page.version,
    thresholds: page.thresholds,
    syncedAt: Date.now(),
    bytes,
    ...counts,
  };
  await write([META], (tx) => tx.objectStore(META).put(state, 'state'));
  memo = null;
  return state;
}

async function countHeld() {
  const db = await openDb();
  try {
    const all = await request(db.transaction(ENTRIES).objectStore(ENTRIES).getAll());
    const hashes = all.reduce((sum, e) => sum + e.images.reduce((s, i) => s + i.codes.length / 32, 0), 0);
    return { entries: all.length, hashes };
  } finally {
    db.close();
  }
}

/** Every held hash as one word array, with the entry and image each belongs to. */
async function loaded(state) {
  const key = `${state.server}@${state.version}`;
  if (memo?.key === key) return memo;
  const db = await openDb();
  let all;
  try {
    all = await request(db.transaction(ENTRIES).objectStore(ENTRIES).getAll());
  } finally {
    db.close();
  }
  const total = all.reduce((sum, e) => sum + e.images.reduce((s, i) => s + i.codes.length, 0), 0);
  const words = new Uint32Array(total / 4);
  const owners = [];
  let at = 0;
  for (const entry of all) {
    for (const image of entry.images) {
      words.set(codesToWords(image.codes), at);
      at += image.codes.length / 4;
      for (let k = 0; k < image.codes.length / 32; k++) {
        owners.push({ entryId: entry.id, imageId: image.id, frameTimeS: image.frame_time_s ?? null });
      }
    }
  }
  memo = { key, words, owners };
  return memo;
}

/**
 * The held hash nearest to the picture's (``hashes``: its orientations, in hex), if
 * within the possible-match threshold: ``{entryId, imageId, frameTimeS, distance}``.
 */
export async function lookupBank(hashes) {
  const state = await bankState();
  if (!state?.version) return null;
  const { words, owners } = await loaded(state);
  const limit = state.thresholds?.possible ?? 48;
  const best = nearest(hashes.map(toWords), words, limit);
  return best.index < 0 ? null : { ...owners[best.index], distance: best.distance };
}
