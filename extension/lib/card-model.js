// What a card says, decided from a check's outcome. Pure: the content script only
// draws this model (never HTML), and node --test checks every state.
import { fallbackSearchLinks } from './urls.js';
import { MSG } from './messages.js';

/**
 * @param outcome {kind:'pending'} | {kind:'result', body} | {kind:'error', status, code, message}
 *                | {kind:'unreachable', slow}
 * @param t translation function (key, substitutions) => string
 * @param context {imageUrl, serverUrl}
 */
export function toCardModel(outcome, t, context = {}) {
  const base = {
    lang: t('localeCode'),
    title: t('extensionName'),
    close: t('cardClose'),
    thanks: t('cardThanks'),
    notRecorded: t('cardNotRecorded'),
    demoLabel: t('cardDemo'),
    lines: [],
    links: [],
    thumbs: [],
    actions: [],
  };
  switch (outcome.kind) {
    case 'setup':
      return {
        ...base,
        state: 'setup',
        tone: 'neutral',
        heading: t('cardSetup'),
        lines: [{ text: t('cardSetupHint') }],
      };
    case 'pending':
      return { ...base, state: 'pending', tone: 'neutral', heading: t('cardChecking') };
    case 'unreachable':
      return {
        ...base,
        state: 'unreachable',
        tone: 'neutral',
        heading: t(outcome.slow ? 'cardServerSlow' : 'cardServerUnreachable'),
        lines: [{ text: t('cardServerHint', [context.serverUrl ?? '']) }],
        links: searchLinks(fallbackSearchLinks(context.imageUrl), t),
      };
    case 'error':
      return errorModel(outcome, t, base, context);
    case 'private':
      return privateModel(outcome, t, base, context);
    case 'result':
      return resultModel(outcome.body, t, base, context);
    default:
      return { ...base, state: 'unreachable', tone: 'neutral', heading: t('cardServerUnreachable') };
  }
}

function errorModel(outcome, t, base, context) {
  const unreadable = ['image_unreadable', 'unsupported_image', 'empty_image', 'image_too_large',
    'request_entity_too_large', 'fetch_failed', 'fetch_timeout', 'url_forbidden', 'image_unfetchable'];
  if (outcome.status === 429) {
    return { ...base, state: 'busy', tone: 'neutral', heading: t('cardRateLimited') };
  }
  if (unreadable.includes(outcome.code) || outcome.status === 413 || outcome.status === 415) {
    return {
      ...base,
      state: 'unreadable',
      tone: 'neutral',
      heading: t('cardUnreadable'),
      lines: [{ text: t('cardUnreadableHint') }],
      links: searchLinks(fallbackSearchLinks(context.imageUrl), t),
    };
  }
  return { ...base, state: 'unreachable', tone: 'neutral', heading: t('cardServerError') };
}

function resultModel(body, t, base, context) {
  const verdict = withMode(verdictModel(body, t, base, context), t('cardModeServer', [hostOf(context.serverUrl)]));
  // context.screenshot: 'video' (a frame the page would not let us read) or 'picture'.
  const screenshot = { video: 'cardScreenshot', picture: 'cardScreenshotPicture' }[context.screenshot];
  const note = screenshot ?? (context.clip ? 'cardWholeClip' : null);
  const model = note ? { ...verdict, lines: [...verdict.lines, { text: t(note) }] } : verdict;
  const provenance = provenanceModel(body.provenance, t);
  return provenance ? { ...model, provenance } : model;
}

function verdictModel(body, t, base, context) {
  const links = searchLinks(body.search_links ?? [], t);
  switch (body.result) {
    case 'too_simple':
      return { ...base, state: 'too_simple', tone: 'neutral', heading: t('cardTooSimple'), lines: [{ text: t('cardTooSimpleHint') }] };
    case 'no_match':
      return {
        ...base,
        state: 'no_match',
        tone: 'neutral',
        heading: t('cardNoMatch'),
        lines: [{ text: t('cardNoMatchHint') }],
        links,
        actions: [reportAction(t, context)],
      };
    case 'match':
    case 'possible_match':
      return matchModel(body, t, base, context, links);
    default:
      return { ...base, state: 'unreachable', tone: 'neutral', heading: t('cardServerError') };
  }
}

/** What an entry says: verdict, what the picture really is, the claim, its spread, debunks. */
function entryLines(entry, t) {
  const origin = entry.origin ?? {};
  const lines = [
    { label: t('cardVerdict'), text: t(`category_${entry.category}`) || entry.category_label },
    { label: t('cardReallyIs'), text: [origin.description, origin.author, origin.date].filter(Boolean).join(' — '), href: origin.url ?? undefined },
    { label: t('cardFalseClaim'), text: entry.claim },
  ];
  const spread = (entry.appearances ?? []).slice(0, 2).map((a) => [a.publisher, a.date].filter(Boolean).join(', ') || a.url);
  if (spread.length) lines.push({ label: t('cardSpread'), text: spread.join('; ') });
  for (const source of (entry.sources ?? []).slice(0, 3)) {
    // The fact-checker first: readers trust an organisation, not a headline.
    const who = [source.publisher, source.title].filter(Boolean).join(' — ') || source.url;
    lines.push({ label: t('cardDebunkedBy'), text: who, href: source.url });
  }
  return lines;
}

/** Which mode answered, as the card's last line. */
function withMode(model, text) {
  return { ...model, lines: [...model.lines, { text, mode: true }] };
}

function hostOf(serverUrl) {
  try {
    return new URL(serverUrl).host;
  } catch {
    return serverUrl ?? '';
  }
}

/**
 * A check made on the device (private mode). Its evidence is the PDQ distance alone,
 * without the server's pixel-by-pixel check, so a hit is always hedged and offers the
 * full check; a miss says the quick check can miss edited copies.
 */
function privateModel(outcome, t, base, context) {
  const mode = t('cardModePrivate');
  const confirm = { label: t(outcome.entry ? 'cardConfirmServer' : 'cardCheckServer'), message: context.fullCheck };
  const actions = context.fullCheck ? [confirm] : [];
  const own = context.imageUrl ? [{ src: context.imageUrl, alt: t('cardYourImage') }] : [];
  if (outcome.unreadable) {
    return withMode({ ...base, state: 'private_unreadable', tone: 'neutral', heading: t('cardPrivateUnreadable'), actions }, mode);
  }
  if (outcome.tooSimple) {
    return withMode({ ...base, state: 'too_simple', tone: 'neutral', heading: t('cardTooSimple'), lines: [{ text: t('cardTooSimpleHint') }] }, mode);
  }
  const links = searchLinks(fallbackSearchLinks(context.imageUrl), t);
  if (!outcome.entry) {
    return withMode({
      ...base,
      state: 'private_no_match',
      tone: 'neutral',
      heading: t('cardPrivateNoMatch'),
      lines: [{ text: t('cardPrivateNoMatchHint') }],
      thumbs: own,
      links,
      actions,
    }, mode);
  }
  const { entry } = outcome;
  const likely = outcome.distance <= (outcome.thresholds?.match ?? 40);
  const lines = entryLines(entry, t);
  if (outcome.frameTimeS != null) lines.push({ label: t('cardFrame'), text: t('cardFrameAt', [timecode(outcome.frameTimeS)]) });
  lines.push({ label: t('cardHow'), text: t('cardHowDevice', [outcome.distance]) });
  const known = entry.images?.find((image) => image.id === outcome.imageId) ?? entry.images?.[0];
  return withMode({
    ...base,
    state: 'private_match',
    tone: 'warning',
    heading: t(likely ? 'cardPrivateLikely' : 'cardPrivatePossible'),
    subheading: entry.title,
    demo: Boolean(entry.demo),
    lines,
    thumbs: [...own, ...(known?.thumbnail_url ? [{ src: known.thumbnail_url, alt: t('cardKnownImage') }] : [])],
    links: [{ text: t('cardOpenEntry'), href: entry.url }, ...links],
    actions,
  }, mode);
}

function matchModel(body, t, base, context, links) {
  const match = body.matches[0];
  const entry = match.entry;
  const confirmed = body.result === 'match';
  const lines = entryLines(entry, t);
  if (match.video_id != null && match.frame_time_s != null) {
    const at = [t('cardFrameAt', [timecode(match.frame_time_s)])];
    // A still shot or a slow zoom shows the same picture for a while: say when, rather
    // than pretend the pixels single out one moment.
    const [first, last] = match.frame_range_s ?? [];
    if (first != null && timecode(first) !== timecode(last)) {
      at.push(t('cardFrameRange', [timecode(first), timecode(last)]));
    }
    if (match.clip_time_s != null) at.push(t('cardClipAt', [timecode(match.clip_time_s)]));
    lines.push({ label: t('cardFrame'), text: at.join(' · '), href: match.origin_at_url ?? undefined });
  }
  lines.push({ label: t('cardHow'), text: howItMatched(match, t) });
  const original = entry.images.find((image) => image.role === 'original') ?? entry.images[0];
  return {
    ...base,
    state: confirmed ? 'match' : 'possible_match',
    tone: confirmed ? 'danger' : 'warning',
    heading: t(confirmed ? 'cardMatch' : 'cardPossibleMatch'),
    subheading: entry.title,
    demo: Boolean(entry.demo),
    lines,
    thumbs: [
      ...(context.imageUrl && !context.clip ? [{ src: context.imageUrl, alt: t('cardYourImage'), region: regionOf(match, body, t) }] : []),
      ...(match.frame_thumbnail_url
        ? [{ src: match.frame_thumbnail_url, alt: t('cardMatchingFrame') }]
        : original ? [{ src: original.thumbnail_url, alt: t('cardKnownOriginal') }] : []),
    ],
    links: [{ text: t('cardOpenEntry'), href: entry.url }, ...(confirmed ? [] : links)],
    actions: [
      feedback(t('cardHelpful'), 'helpful', entry, context),
      feedback(t('cardDoesNotMatch'), 'not_a_match', entry, context),
    ],
  };
}

/**
 * What the file says about its own origin, beside the verdict: signed statements in
 * words that say how far to trust them, unsigned claims labelled as claims. Null when
 * the file says nothing (no empty box).
 */
export function provenanceModel(provenance, t) {
  if (!provenance) return null;
  const lines = [];
  const creds = provenance.credentials;
  if (creds) {
    const who = creds.signer || creds.signer_name || t('cardCredUnnamed');
    const key = { trusted: 'cardCredTrusted', valid: 'cardCredValid', invalid: 'cardCredInvalid' }[creds.state] ?? 'cardCredUnreadable';
    lines.push({ text: t(key, [who]), tone: { trusted: 'good', valid: 'neutral' }[creds.state] ?? 'danger' });
    if (['trusted', 'valid'].includes(creds.state) && creds.generator) lines.push({ text: t('cardCredTool', [creds.generator]) });
  }
  const source = provenance.source_type;
  if (source) {
    const term = String(source.iri ?? '').split('/').pop();
    const key = `source_${term}`;
    const translated = t(key);
    const label = translated && translated !== key ? translated : source.label; // t gives the key when it has no text
    lines.push({
      text: t(source.said_by === 'credentials' ? 'cardSourceSigned' : 'cardSourceUnsigned', [label]),
      tone: source.ai ? 'danger' : undefined,
    });
  }
  for (const marker of (provenance.ai_markers ?? []).slice(0, 3)) lines.push({ text: t('cardAiMarker', [marker]), tone: 'danger' });
  const claims = provenance.file_claims;
  if (claims) {
    const parts = [
      claims.camera && t('cardCamera', [claims.camera]),
      claims.captured_at && t('cardTaken', [claims.captured_at.replace('T', ' ')]),
      claims.software && t('cardSoftware', [claims.software]),
    ].filter(Boolean);
    if (parts.length) lines.push({ text: t('cardFileClaims', [parts.join(' · ')]) });
  }
  return lines.length ? { heading: t('cardProvenance'), lines } : null;
}

/** 83 → "1:23", 3723 → "1:02:03", as video players write times. */
export function timecode(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Plain words, never a bare score: how the evidence was found, hedged when unsure. */
function howItMatched(match, t) {
  const parts = [];
  if (match.distance != null) {
    parts.push(t('cardHowHash', [match.distance]));
  } else if (match.inliers != null) {
    parts.push(t('cardHowPoints', [match.inliers]));
  }
  if (match.agreement != null) parts.push(t('cardHowAgrees', [Math.round(match.agreement * 100)]));
  if (match.words != null) parts.push(t('cardHowWords'));
  if (match.confirmed === false) parts.push(t('cardUnsure'));
  return parts.join(' ');
}

/**
 * Where on the reader's image the match lies, in percent of its size, so the card can
 * outline it whatever size the thumbnail is drawn. None when the match covers (nearly)
 * the whole image: an outline around everything says nothing.
 */
export function regionOf(match, body, t) {
  const box = match.query_box;
  const size = body.image_size;
  if (!box || !size || !(size[0] > 0 && size[1] > 0)) return null;
  const [x0, y0, x1, y1] = box;
  const share = ((x1 - x0) * (y1 - y0)) / (size[0] * size[1]);
  if (share >= 0.8) return null;
  const pct = (v, total) => Math.max(0, Math.min(100, (v / total) * 100));
  return {
    left: pct(x0, size[0]),
    top: pct(y0, size[1]),
    width: pct(x1 - x0, size[0]),
    height: pct(y1 - y0, size[1]),
    label: t('cardRegion'),
  };
}

function feedback(label, verdict, entry, context) {
  return { label, message: { type: MSG.CS_BG_FEEDBACK, verdict, entryId: entry.id, imageUrl: context.imageUrl ?? null } };
}

function reportAction(t, context) {
  return { label: t('cardReport'), done: t('cardReportOpened'), message: { type: MSG.CS_BG_REPORT, imageUrl: context.imageUrl ?? null } };
}

function searchLinks(list, t) {
  return list.map((link) => ({ text: t('cardSearchOn', [link.engine]), href: link.url }));
}

/** The short label of a page badge for "check all images". */
export function toBadge(model) {
  return { state: model.state, tone: model.tone, text: model.heading };
}
