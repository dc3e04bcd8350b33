// Addresses the extension builds. Pure functions, unit-tested.

export function checkEndpoint(serverUrl) {
  return `${serverUrl}/api/v1/check`;
}

export function feedbackEndpoint(serverUrl) {
  return `${serverUrl}/api/v1/feedback`;
}

/** The volunteers' submission form, prefilled with the image (when it has a public URL). */
export function submitPage(serverUrl, imageUrl) {
  const url = new URL(`${serverUrl}/submit`);
  if (isPublicUrl(imageUrl)) url.searchParams.set('image_url', imageUrl);
  return url.href;
}

export function isPublicUrl(text) {
  return typeof text === 'string' && /^https?:\/\//i.test(text);
}

/**
 * Reverse-image searches computed locally, for when the server cannot be reached:
 * the reader still gets a way forward. (The server sends its own list otherwise.)
 */
export function fallbackSearchLinks(imageUrl) {
  if (!isPublicUrl(imageUrl)) return [];
  const u = encodeURIComponent(imageUrl);
  return [
    { engine: 'TinEye', url: `https://tineye.com/search?url=${u}&sort=crawl_date&order=asc` },
    { engine: 'Google Lens', url: `https://lens.google.com/uploadbyurl?url=${u}` },
    { engine: 'Bing', url: `https://www.bing.com/images/search?view=detailv2&iss=sbi&q=imgurl:${u}` },
    { engine: 'Yandex', url: `https://yandex.com/images/search?rpt=imageview&url=${u}` },
  ];
}

/** The largest candidate of a srcset ("a.jpg 480w, b.jpg 1080w" or "a.jpg 1x, b.jpg 2x"). */
export function largestSrcsetCandidate(srcset, base) {
  let best = null;
  for (const part of String(srcset ?? '').split(/,\s+/)) {
    const [url, descriptor = '1x'] = part.trim().split(/\s+/);
    if (!url) continue;
    const size = parseFloat(descriptor) * (descriptor.endsWith('w') ? 1 : 10000);
    if (!best || size > best.size) best = { url, size };
  }
  if (!best) return null;
  try {
    return new URL(best.url, base).href;
  } catch {
    return null;
  }
}
