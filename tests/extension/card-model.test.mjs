import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { toBadge, toCardModel } from '../../extension/lib/card-model.js';
import { format } from '../../extension/lib/i18n.js';
import { MSG } from '../../extension/lib/messages.js';

const english = JSON.parse(readFileSync(new URL('../../extension/_locales/en/messages.json', import.meta.url)));
const greek = JSON.parse(readFileSync(new URL('../../extension/_locales/el/messages.json', import.meta.url)));
const t = (key, subs) => format(english[key]?.message, subs) || key;
const context = { imageUrl: 'https://news.example/p.jpg', serverUrl: 'http://localhost:5000' };

const entry = {
  id: 7,
  title: 'Game trailer frame shown as an airstrike',
  category: 'DecontextualizedContent',
  category_label: 'Real image, false context',
  claim: 'Proof of last night\'s strike.',
  origin: { description: 'Frame of a 2013 game trailer', author: 'Studio X', date: '2013-05-01', url: 'https://origin.example/trailer' },
  appearances: [{ url: 'https://ministry.example/post', publisher: 'Ministry', date: '2024-03-01' }],
  sources: [{ url: 'https://factcheck.example/a', publisher: 'Fact desk', title: 'No, this is a game' }],
  images: [{ id: 3, role: 'original', thumbnail_url: 'http://localhost:5000/images/3/thumbnail.jpg' }],
  url: 'http://localhost:5000/entries/7',
  demo: false,
};
const result = (kind, extra = {}) => ({ kind: 'result', body: { result: kind, matches: [], search_links: [{ engine: 'TinEye (oldest first)', url: 'https://tineye.com/search?url=x' }], ...extra } });

test('every locale has every key of English', () => {
  assert.deepEqual(Object.keys(greek).sort(), Object.keys(english).sort());
});

test('a match says what the image really is, the claim, and who debunked it', () => {
  const model = toCardModel(result('match', { matches: [{ entry, distance: 12, similarity: 0.953, image_id: 3, variant: 'trimmed+original/full' }] }), t, context);
  assert.equal(model.state, 'match');
  assert.equal(model.tone, 'danger');
  assert.equal(model.heading, 'Known fake or misused image');
  assert.equal(model.subheading, entry.title);
  const lines = Object.fromEntries(model.lines.map((l) => [l.label, l]));
  assert.equal(lines.Verdict.text, 'Real image, false context');
  assert.equal(lines['What it really is'].text, 'Frame of a 2013 game trailer — Studio X — 2013-05-01');
  assert.equal(lines['What it really is'].href, 'https://origin.example/trailer');
  assert.equal(lines['False claim'].text, entry.claim);
  assert.equal(lines['Spread by'].text, 'Ministry, 2024-03-01');
  assert.equal(lines['Debunked by'].href, 'https://factcheck.example/a');
  assert.equal(lines['How it matched'].text, "Its fingerprint is 12 of 256 bits from the known image's.");
  assert.doesNotMatch(JSON.stringify(model), /distance|similarity/i);
  assert.deepEqual(model.thumbs.map((x) => x.alt), ['Your image', 'Known original']);
  assert.equal(model.links[0].href, entry.url);
  assert.deepEqual(model.actions.map((a) => a.message.type), [MSG.CS_BG_FEEDBACK, MSG.CS_BG_FEEDBACK]);
  assert.equal(model.actions[1].message.verdict, 'not_a_match');
});

test('a local-features match says, in words, how many points line up and how much agrees', () => {
  const body = { matches: [{ entry, distance: null, inliers: 57, agreement: 0.91, similarity: 0.91, method: 'local-features' }] };
  const model = toCardModel(result('match', body), t, context);
  const how = model.lines.find((l) => l.label === 'How it matched');
  assert.equal(how.text, '57 distinctive points line up with the known image. 91% of the area they share agrees pixel by pixel.');
});

test('the part of the reader\'s image that matched is outlined, in percent of its size', () => {
  const match = { entry, distance: null, inliers: 40, agreement: 0.8, method: 'local-features', query_box: [100, 50, 300, 250] };
  const model = toCardModel(result('match', { matches: [match], image_size: [400, 500] }), t, context);
  assert.deepEqual(model.thumbs[0].region, { left: 25, top: 10, width: 50, height: 40, label: 'Outlined: the part that matched' });
  const whole = { ...match, query_box: [0, 0, 400, 480] };
  const again = toCardModel(result('match', { matches: [whole], image_size: [400, 500] }), t, context);
  assert.equal(again.thumbs[0].region, null, 'no outline around (nearly) everything');
});

test('an unconfirmed match is hedged in its explanation', () => {
  const match = { entry, distance: null, inliers: 14, agreement: 0.55, method: 'local-features', confirmed: false };
  const model = toCardModel(result('possible_match', { matches: [match] }), t, context);
  assert.match(model.lines.find((l) => l.label === 'How it matched').text, /Not certain/);
});

test('a possible match is visibly weaker and offers searches', () => {
  const model = toCardModel(result('possible_match', { matches: [{ entry, distance: 47, similarity: 0.816 }] }), t, context);
  assert.equal(model.state, 'possible_match');
  assert.equal(model.tone, 'warning');
  assert.match(model.heading, /unconfirmed/);
  assert.ok(model.links.some((l) => l.href.startsWith('https://tineye.com')));
});

test('no match is honest and offers searches and a report', () => {
  const model = toCardModel(result('no_match'), t, context);
  assert.equal(model.heading, 'Not in the known-fakes database');
  assert.match(model.lines[0].text, /does not mean it is authentic/);
  assert.equal(model.links[0].text, 'Search on TinEye (oldest first)');
  assert.equal(model.actions[0].message.type, MSG.CS_BG_REPORT);
});

test('too simple, unreadable, rate limited, unreachable and slow each say so', () => {
  assert.equal(toCardModel(result('too_simple'), t, context).heading, 'Too simple to check');
  assert.equal(toCardModel({ kind: 'error', status: 415, code: 'unsupported_image' }, t, context).state, 'unreadable');
  assert.equal(toCardModel({ kind: 'error', status: 422, code: 'image_unreadable' }, t, context).state, 'unreadable');
  assert.equal(toCardModel({ kind: 'error', status: 429, code: 'too_many_requests' }, t, context).state, 'busy');
  const down = toCardModel({ kind: 'unreachable', slow: false }, t, context);
  assert.equal(down.heading, 'The OriginCheck server cannot be reached.');
  assert.equal(down.links.length, 4); // searches still work without our server
  assert.match(toCardModel({ kind: 'unreachable', slow: true }, t, context).heading, /too slow/);
  assert.equal(toCardModel({ kind: 'pending' }, t, context).state, 'pending');
});

test('server text stays data: a hostile title is carried verbatim, never interpreted', () => {
  const hostile = { ...entry, title: '<img src=x onerror=alert(1)>' };
  const model = toCardModel(result('match', { matches: [{ entry: hostile, distance: 3, similarity: 0.99 }] }), t, context);
  assert.equal(model.subheading, '<img src=x onerror=alert(1)>');
});

test('badges carry the verdict', () => {
  const model = toCardModel(result('no_match'), t, context);
  assert.deepEqual(toBadge(model), { state: 'no_match', tone: 'neutral', text: 'Not in the known-fakes database' });
});

test('what the file says of its origin is shown beside any verdict, signed apart from unsigned', () => {
  const provenance = {
    credentials: { state: 'valid', signer: 'Example News Agency', generator: 'Image Generator 1.0' },
    source_type: { iri: 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia', label: 'Created by generative AI', ai: true, said_by: 'credentials' },
    ai_markers: [],
    file_claims: { camera: 'Canon EOS R5', captured_at: '2023-10-07T06:31:12', software: null },
  };
  const model = toCardModel(result('no_match', { provenance }), t, context);
  assert.equal(model.state, 'no_match');
  assert.equal(model.provenance.heading, 'What the file says about itself');
  const texts = model.provenance.lines.map((l) => l.text);
  assert.match(texts[0], /signed by Example News Agency, who is not on the trust list/);
  assert.equal(texts[1], 'Signed with Image Generator 1.0.');
  assert.equal(texts[2], 'Created by generative AI — stated in its signed Content Credentials.');
  assert.equal(model.provenance.lines[2].tone, 'danger');
  assert.equal(texts[3], 'Claims in the file (not signed, easy to change): camera Canon EOS R5 · taken 2023-10-07 06:31:12');
  const greekT = (key, subs) => format(greek[key]?.message, subs) || key;
  const inGreek = toCardModel(result('no_match', { provenance }), greekT, context);
  assert.match(inGreek.provenance.lines[2].text, /^Δημιουργήθηκε με παραγωγική ΤΝ/);
});

test('broken credentials are flagged and their claims not repeated; a file that says nothing shows nothing', () => {
  const broken = { credentials: { state: 'invalid', signer: 'Example News Agency', generator: 'X 1' }, ai_markers: [] };
  const model = toCardModel(result('match', { matches: [{ entry, distance: 3 }], provenance: broken }), t, context);
  assert.equal(model.provenance.lines.length, 1);
  assert.match(model.provenance.lines[0].text, /no longer hold/);
  assert.equal(model.provenance.lines[0].tone, 'danger');
  assert.equal(toCardModel(result('no_match', { provenance: null }), t, context).provenance, undefined);
});

test('a match on a frame of a video says where in the video, links to that moment and shows the frame', () => {
  const match = {
    entry, distance: null, inliers: 80, agreement: 0.95, method: 'local-features',
    video_id: 4, frame_time_s: 83.4, clip_time_s: 3.2,
    frame_thumbnail_url: 'http://localhost:5000/images/99/thumbnail.jpg',
    origin_at_url: 'https://www.youtube.com/watch?v=x&t=83s',
  };
  const model = toCardModel(result('match', { matches: [match] }), t, context);
  const frame = model.lines.find((l) => l.label === 'From a video');
  assert.equal(frame.text, 'Frame at 1:23 of the video · Seen at 0:03 of your clip');
  assert.equal(frame.href, 'https://www.youtube.com/watch?v=x&t=83s');
  assert.deepEqual(model.thumbs.map((x) => x.alt), ['Your image', 'Matching frame']);
  assert.equal(model.thumbs[1].src, match.frame_thumbnail_url);
  // A still shot shows the same picture for a while: the card says from when to when.
  const still = toCardModel(result('match', { matches: [{ ...match, clip_time_s: null, frame_range_s: [80.0, 86.1] }] }), t, context);
  assert.equal(still.lines.find((l) => l.label === 'From a video').text,
    'Frame at 1:23 of the video · the same picture shows from 1:20 to 1:26');
});

test('with no server chosen the card asks for one instead of failing', () => {
  const model = toCardModel({ kind: 'setup' }, t, {});
  assert.equal(model.state, 'setup');
  assert.equal(model.heading, 'Choose a server first');
  assert.match(model.lines[0].text, /options page has opened/);
});

test('a check of what the screen shows says so, for a video frame and for a picture no one may fetch', () => {
  const match = result('match', { matches: [{ entry, distance: 12, similarity: 0.953, image_id: 3 }] });
  const said = (extra) => toCardModel(match, t, { ...context, ...extra }).lines.map((l) => l.text).join(' ');
  assert.match(said({ screenshot: 'video' }), /screenshot of the video/);
  assert.match(said({ screenshot: 'picture' }), /screenshot of the picture/);
  assert.match(said({ clip: true }), /video file itself was checked/);
  assert.doesNotMatch(said({}), /screenshot/);
  const refused = toCardModel({ kind: 'error', status: 422, code: 'image_unfetchable' }, t, context);
  assert.equal(refused.state, 'unreadable'); // when even the screen could not be captured
});

test('messages use $1-style substitutions only (the chosen-language translator reads no named placeholders)', () => {
  for (const messages of [english, greek]) {
    for (const [key, { message }] of Object.entries(messages)) assert.doesNotMatch(message, /\$[A-Z_]+\$/, key);
  }
});

test('private mode hedges a hit, says nothing was sent, and offers the full check', () => {
  const fullCheck = { type: MSG.CS_BG_FULL_CHECK, picture: { src: context.imageUrl, full: true } };
  const ctx = { ...context, fullCheck };
  const hit = toCardModel({ kind: 'private', entry, distance: 12, imageId: 3, thresholds: { match: 40, possible: 48 } }, t, ctx);
  assert.equal(hit.state, 'private_match');
  assert.equal(hit.tone, 'warning'); // never the confirmed "Known fake" without the server's pixel check
  assert.equal(hit.heading, 'Likely a known fake or misused image');
  assert.equal(hit.subheading, entry.title);
  const text = hit.lines.map((l) => l.text).join(' ');
  assert.match(text, /12 of 256 bits .* compared on this device/);
  assert.match(text, /Private mode: checked on this device; nothing about the image was sent/);
  assert.deepEqual(hit.actions.map((a) => a.message), [fullCheck]);
  assert.equal(hit.thumbs[1].src, entry.images[0].thumbnail_url);
  const weaker = toCardModel({ kind: 'private', entry, distance: 45, imageId: 3, thresholds: { match: 40, possible: 48 } }, t, ctx);
  assert.equal(weaker.heading, 'May be a known fake or misused image');
  const miss = toCardModel({ kind: 'private', entry: null }, t, ctx);
  assert.equal(miss.state, 'private_no_match');
  assert.match(miss.lines[0].text, /does not mean it is authentic/);
  assert.equal(miss.actions[0].label, 'Check with the server (sends the image)');
  assert.ok(miss.links.some((l) => l.text.includes('TinEye')));
});

test('a server check says which server answered', () => {
  const model = toCardModel(result('no_match'), t, context);
  assert.ok(model.lines.some((l) => l.mode && l.text === 'Checked by the server at localhost:5000.'));
});
