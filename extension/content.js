// OriginCheck content script: draws cards and badges; never talks to the network.
//
// Injected on demand (activeTab + scripting) after the reader asks for a check; the
// background calls the functions on globalThis.__originCheck with a ready-made model.
// Everything the server said is untrusted: it is only ever set as textContent or as
// an http(s) link, never parsed as HTML. The card lives in a Shadow DOM so the page's
// styles cannot reach it and it cannot disturb the page's layout.
(() => {
  if (globalThis.__originCheck) return;
  const api = globalThis.browser ?? globalThis.chrome;
  const HOST = 'origincheck-card';
  const MIN_SIDE = 100;
  let targets = []; // elements found by listImages, addressed by index
  // Message types (see lib/messages.js; a content script cannot import it).
  const MSG_SHOW_IN_TOP = 'cs-bg-show-in-top';
  const MSG_PICKED = 'cs-bg-picked';
  const MSG_CARD_BLOCKED = 'cs-bg-card-blocked';
  // In the extension's own verdict window the card fills the window.
  const OWN_PAGE = /^(chrome|moz)-extension:$/.test(location.protocol);

  const STYLE = `
    :host { all: initial; }
    .card { font: 14px/1.45 system-ui, sans-serif; width: 340px; max-width: calc(100vw - 24px);
      box-sizing: border-box; background: #fff; color: #1d232a; border-radius: 10px; padding: 12px 14px;
      box-shadow: 0 6px 24px rgba(0,0,0,.25); border-top: 5px solid #6b7680; outline: none;
      max-height: calc(100vh - 16px); overflow: auto; }
    .card.docked { width: 100%; max-width: none; max-height: 60vh; }
    .card.own { max-height: calc(100vh - 16px); box-shadow: none; }
    .banner { font: 600 14px/1.4 system-ui, sans-serif; margin: 0; padding: 8px 12px; border-radius: 8px;
      background: #1d232a; color: #fff; box-shadow: 0 4px 16px rgba(0,0,0,.35); }
    .banner button { font: inherit; margin-left: 8px; border-radius: 6px; border: 1px solid #c3cbd2; background: #f4f6f8; color: #1d232a; cursor: pointer; }
    .highlight { position: absolute; inset: 0; box-sizing: border-box; border: 3px solid #ffcc00;
      outline: 2px solid #000; border-radius: 3px; }
    .card.tone-danger { border-top-color: #b3261e; }
    .card.tone-warning { border-top: 5px dashed #b7791f; }
    header { display: flex; align-items: center; gap: 6px; color: #5b6670; font-size: 12px; }
    header .brand { font-weight: 700; }
    header .demo { background: #ffcc66; color: #000; border-radius: 3px; padding: 0 4px; }
    header button { margin-left: auto; border: 0; background: transparent; font-size: 18px; cursor: pointer; color: inherit; }
    h2 { font-size: 15px; margin: 6px 0 2px; }
    .tone-danger h2 { color: #b3261e; }
    .tone-warning h2 { color: #8a5a00; }
    .sub { margin: 0 0 6px; font-weight: 600; }
    .thumbs { display: flex; gap: 8px; margin: 8px 0; }
    figure { margin: 0; flex: 1; min-width: 0; }
    figure .frame { position: relative; display: inline-block; max-width: 100%; vertical-align: top; }
    figure img { display: block; max-width: 100%; max-height: 110px; background: #eee; border-radius: 4px; }
    figure .region { position: absolute; box-sizing: border-box; border: 2px solid #ffcc00;
      outline: 1px solid #000; border-radius: 2px; pointer-events: none; }
    figcaption { font-size: 11px; color: #5b6670; }
    dl { margin: 6px 0; } dt { font-size: 11px; text-transform: uppercase; color: #5b6670; margin-top: 4px; }
    dd { margin: 0; overflow-wrap: anywhere; }
    p { margin: 4px 0; }
    p.mode { font-size: 12px; color: #4f5861; }
    .provenance { border-top: 1px solid #dfe3e6; margin-top: 8px; padding-top: 6px; }
    .provenance h3 { font-size: 12px; margin: 0 0 2px; color: #5b6670; text-transform: uppercase; }
    .provenance p.tone-danger { color: #b3261e; font-weight: 600; } .provenance p.tone-good { color: #1e6b34; }
    ul { padding-left: 18px; margin: 6px 0; }
    a { color: #0b5cad; }
    .actions { display: flex; gap: 6px; margin-top: 8px; flex-wrap: wrap; }
    .actions button { font: inherit; padding: 4px 10px; border-radius: 6px; border: 1px solid #c3cbd2; background: #f4f6f8; color: inherit; cursor: pointer; }
    button:focus-visible, a:focus-visible { outline: 2px solid #0b5cad; outline-offset: 2px; }
    .badge { font: 600 12px/1 system-ui, sans-serif; border: 0; border-radius: 999px; padding: 5px 9px; cursor: pointer;
      color: #fff; background: #6b7680; box-shadow: 0 2px 6px rgba(0,0,0,.3); }
    .badge.tone-danger { background: #b3261e; } .badge.tone-warning { background: #b7791f; }
    @media (prefers-color-scheme: dark) {
      .card { background: #1f2327; color: #e8eaed; }
      header, dt, figcaption, .provenance h3, p.mode { color: #a3adb7; }
      .provenance { border-top-color: #444c55; }
      .provenance p.tone-danger { color: #ff8a80; } .provenance p.tone-good { color: #8fd19e; }
      .tone-danger h2 { color: #ff8a80; } .tone-warning h2 { color: #ffcc66; }
      a { color: #7cb7ff; } .actions button { background: #2b3036; border-color: #444c55; }
    }`;

  function safeHref(href) {
    return typeof href === 'string' && /^https?:\/\//i.test(href) ? href : null;
  }

  function safeImage(src) {
    return typeof src === 'string' && /^(https?:|data:image\/)/i.test(src) ? src : null;
  }

  function el(tag, props = {}, children = []) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === 'text') node.textContent = value ?? '';
      else if (key === 'class') node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function link(text, href) {
    const safe = safeHref(href);
    if (!safe) return el('span', { text });
    return el('a', { text, href: safe, target: '_blank', rel: 'noopener noreferrer' });
  }

  function findTarget(url) {
    if (!url) return null;
    for (const img of document.images) {
      if (img.currentSrc === url || img.src === url || (img.srcset && img.srcset.includes(url))) return img;
    }
    for (const video of document.querySelectorAll('video')) {
      if (video.currentSrc === url || video.src === url || video.poster === url) return video;
    }
    for (const node of document.querySelectorAll('body *')) {
      if (getComputedStyle(node).backgroundImage.includes(url)) return node;
    }
    return null;
  }

  // Hosts are this script's own: their shadow roots are closed and kept only here, in
  // the content script's isolated world, so no page script can read or rewrite a verdict.
  const roots = new WeakMap();
  const HOST_STYLE = { all: 'initial', display: 'block', 'z-index': '2147483647', margin: '0' };

  function pin(host, style) {
    // Inline !important beats any page rule, even the page's own !important ones.
    for (const [name, value] of Object.entries(style)) host.style.setProperty(name, value, 'important');
  }

  function makeHost(kind) {
    const host = document.createElement(HOST);
    host.dataset.kind = kind;
    pin(host, HOST_STYLE);
    // Closed on web pages. In the extension's own verdict window no page script runs, so
    // the root is open there, for accessibility checkers (axe-core) to audit the card.
    const root = host.attachShadow({ mode: OWN_PAGE ? 'open' : 'closed' });
    roots.set(host, root);
    root.append(el('style', { text: STYLE }));
    return { host, root };
  }

  /** Show a host above everything on the page: the browser's top layer where it has one. */
  function raise(host) {
    if (!host.isConnected) document.documentElement.append(host);
    if (typeof host.showPopover !== 'function') return;
    host.popover = 'manual';
    try {
      if (!host.matches(':popover-open')) host.showPopover();
    } catch {
      // Not yet connected or already shown elsewhere: the z-index still applies.
    }
  }

  /**
   * What a card is anchored to: an element of this frame, an element inside an iframe
   * (its rectangle in that frame, offset by the iframe's place here), or nothing (docked).
   */
  function anchorRect(anchor) {
    if (!anchor) return null;
    if (anchor.element) return anchor.element.isConnected ? anchor.element.getBoundingClientRect() : null;
    const frame = anchor.frame?.isConnected ? anchor.frame : null;
    if (!frame || !anchor.rect) return null;
    const outer = frame.getBoundingClientRect();
    const style = getComputedStyle(frame);
    const left = outer.left + frame.clientLeft + parseFloat(style.paddingLeft) + anchor.rect.left;
    const top = outer.top + frame.clientTop + parseFloat(style.paddingTop) + anchor.rect.top;
    return new DOMRect(left, top, anchor.rect.width, anchor.rect.height);
  }

  function frameElement(frameUrl) {
    if (!frameUrl) return null;
    for (const frame of document.querySelectorAll('iframe, frame')) {
      let href = null;
      try {
        href = frame.contentWindow?.location.href; // same origin only
      } catch {
        href = null;
      }
      if (href === frameUrl || (frame.src && new URL(frame.src, document.baseURI).href === frameUrl)) return frame;
    }
    return null;
  }

  function toAnchor(url, where) {
    if (where?.picked && picked?.isConnected) return { element: picked };
    if (where?.frameUrl) {
      const frame = frameElement(where.frameUrl);
      return frame ? { frame, rect: where.rect } : null;
    }
    const element = findTarget(url);
    return element ? { element } : null;
  }

  const GAP = 8;
  const NARROW = 600; // below this the card is a panel docked at the bottom

  function clamp(value, low, high) {
    return Math.max(low, Math.min(value, high));
  }

  /**
   * Where the card goes, always wholly inside the viewport: beside the image (right, then
   * left), below or above it, over its visible corner, or docked when the image is off
   * screen or the window is narrow. Recomputed on every scroll and resize.
   */
  function placeCard() {
    if (!open?.host.isConnected) return;
    const { host, anchor } = open;
    const vw = document.documentElement.clientWidth || innerWidth;
    const vh = innerHeight;
    const docked = vw < NARROW || OWN_PAGE;
    host.dataset.docked = String(docked);
    const card = roots.get(host).querySelector('.card');
    card?.classList.toggle('docked', docked);
    card?.classList.toggle('own', OWN_PAGE);
    if (OWN_PAGE) {
      pin(host, { position: 'fixed', inset: `${GAP}px`, width: 'auto' });
      settled();
      return;
    }
    if (docked) {
      pin(host, { position: 'fixed', left: `${GAP}px`, top: 'auto', bottom: `${GAP}px`, width: `${vw - 2 * GAP}px` });
      settled();
      return;
    }
    pin(host, { position: 'fixed', width: 'auto', bottom: 'auto' });
    const w = host.offsetWidth;
    const h = host.offsetHeight;
    const r = anchorRect(anchor);
    const visible = r && r.bottom > 0 && r.right > 0 && r.top < vh && r.left < vw;
    let x = vw - w - 12;
    let y = 12;
    if (visible) {
      const besideY = clamp(r.top, GAP, vh - h - GAP);
      const alongX = clamp(r.left, GAP, vw - w - GAP);
      if (r.right + GAP + w <= vw - GAP) [x, y] = [r.right + GAP, besideY];
      else if (r.left - GAP - w >= GAP) [x, y] = [r.left - GAP - w, besideY];
      else if (r.bottom + GAP + h <= vh - GAP) [x, y] = [alongX, r.bottom + GAP];
      else if (r.top - GAP - h >= GAP) [x, y] = [alongX, r.top - GAP - h];
      else [x, y] = [clamp(Math.min(r.right, vw) - w - GAP, GAP, vw - w - GAP), clamp(Math.max(r.top, 0) + GAP, GAP, vh - h - GAP)];
    }
    pin(host, { left: `${Math.round(Math.max(GAP, x))}px`, top: `${Math.round(Math.max(GAP, y))}px` });
    settled();
  }

  /** Our own style changes are not tampering: remember them and drop their records. */
  function settled() {
    if (!open) return;
    open.style = open.host.getAttribute('style');
    guard.takeRecords();
  }

  // Badges are drawn on their images (absolute, in page coordinates); the card is fixed.
  const badges = [];
  let reflowing = false;
  function reflow() {
    if (reflowing) return;
    reflowing = true;
    requestAnimationFrame(() => {
      reflowing = false;
      placeCard();
      for (let i = badges.length - 1; i >= 0; i--) {
        const { host, node } = badges[i];
        if (!host.isConnected) badges.splice(i, 1);
        else placeBadge(host, node);
      }
    });
  }
  addEventListener('resize', reflow);
  addEventListener('scroll', reflow, { capture: true, passive: true });

  function placeBadge(host, node) {
    const rect = node.getBoundingClientRect();
    pin(host, { position: 'absolute', top: `${Math.round(scrollY + rect.top + 6)}px`, left: `${Math.round(scrollX + rect.left + 6)}px` });
  }

  let open = null; // the card on screen: {host, anchor, model}
  // A page that removes, hides or closes the card gets it back. A page that keeps doing
  // so (some remove every element they did not make) cannot win either: the verdict
  // moves to a window of the extension's own, which no page can touch.
  const RESTORES = 5;
  let restores = 0;
  let blocked = false; // this page would not keep a card: the next ones go to the window
  function restore() {
    if (!open) return;
    restores += 1;
    if (restores > RESTORES) {
      const { model } = open;
      closeCard(false);
      blocked = true;
      api.runtime.sendMessage({ type: MSG_CARD_BLOCKED, model }).catch(() => null);
      return;
    }
    raise(open.host);
    placeCard();
  }
  const guard = new MutationObserver(() => {
    if (!open) return;
    const { host } = open;
    const hidden = typeof host.showPopover === 'function' && !host.matches(':popover-open');
    if (host.isConnected && !hidden && host.getAttribute('style') === open.style) return;
    restore();
  });

  let returnFocus = null; // where the reader was before the card took focus

  function closeCard(restore = true) {
    const was = open;
    open = null;
    guard.disconnect();
    was?.sizes.disconnect();
    was?.host.remove();
    document.removeEventListener('keydown', onKey, true);
    if (restore && was && returnFocus?.isConnected) returnFocus.focus({ preventScroll: true });
    if (restore && was && OWN_PAGE) window.close(); // the verdict window holds only the card
  }

  function onKey(event) {
    if (event.key === 'Escape' && open) closeCard();
  }

  function renderCard(model) {
    const card = el('div', {
      lang: model.lang ?? 'en',
      class: `card tone-${model.tone}`,
      role: 'dialog',
      'aria-labelledby': 'oc-heading',
      'aria-busy': String(model.state === 'pending'),
      'data-state': model.state,
      tabindex: '-1',
    });
    const close = el('button', { text: '×', 'aria-label': model.close, title: model.close });
    close.addEventListener('click', closeCard);
    card.append(
      el('header', {}, [
        el('span', { class: 'brand', text: model.title }),
        model.demo ? el('span', { class: 'demo', text: model.demoLabel }) : null,
        close,
      ]),
      el('h2', { id: 'oc-heading', text: model.heading }),
    );
    if (model.subheading) card.append(el('p', { class: 'sub', text: model.subheading }));
    const thumbs = model.thumbs.filter((thumb) => safeImage(thumb.src));
    if (thumbs.length) {
      card.append(el('div', { class: 'thumbs' }, thumbs.map((thumb) => el('figure', {}, [
        el('span', { class: 'frame' }, [
          el('img', { src: safeImage(thumb.src), alt: thumb.alt, referrerpolicy: 'no-referrer' }),
          thumb.region ? regionOutline(thumb.region) : null,
        ]),
        el('figcaption', { text: thumb.region ? `${thumb.alt} · ${thumb.region.label}` : thumb.alt }),
      ]))));
    }
    const labelled = model.lines.filter((line) => line.label);
    for (const line of model.lines.filter((l) => !l.label && !l.mode)) card.append(el('p', { text: line.text }));
    if (labelled.length) {
      card.append(el('dl', {}, labelled.flatMap((line) => [
        el('dt', { text: line.label }),
        el('dd', {}, [line.href ? link(line.text, line.href) : document.createTextNode(line.text ?? '')]),
      ])));
    }
    if (model.provenance) {
      card.append(el('section', { class: 'provenance', 'aria-label': model.provenance.heading }, [
        el('h3', { text: model.provenance.heading }),
        ...model.provenance.lines.map((line) => el('p', { class: line.tone ? `tone-${line.tone}` : '', text: line.text })),
      ]));
    }
    if (model.links.length) card.append(el('ul', {}, model.links.map((item) => el('li', {}, [link(item.text, item.href)]))));
    for (const line of model.lines.filter((l) => l.mode)) card.append(el('p', { class: 'mode', text: line.text }));
    if (model.actions.length) card.append(actionButtons(model));
    return card;
  }

  /**
   * Feedback and report buttons. Thanks only once the server confirmed; otherwise say it
   * was not recorded and offer the buttons again (a ✓ for nothing recorded misled).
   */
  function actionButtons(model) {
    const actions = el('div', { class: 'actions' });
    const offer = () => {
      actions.replaceChildren();
      for (const action of model.actions) {
        const button = el('button', { text: action.label });
        button.addEventListener('click', async () => {
          actions.replaceChildren(el('span', { role: 'status', text: '…' }));
          const answer = await api.runtime.sendMessage(action.message).catch(() => null);
          if (answer?.ok) {
            actions.replaceChildren(el('span', { role: 'status', text: action.done ?? model.thanks }));
            return;
          }
          offer();
          actions.prepend(el('span', { class: 'failed', role: 'status', text: model.notRecorded }));
        });
        actions.append(button);
      }
    };
    offer();
    return actions;
  }

  /** The matched part of the reader's image, positioned in percent so any thumbnail size fits. */
  function regionOutline(region) {
    const box = el('span', { class: 'region', role: 'img', 'aria-label': region.label });
    for (const side of ['left', 'top', 'width', 'height']) {
      if (Number.isFinite(region[side])) box.style[side] = `${region[side]}%`;
    }
    return box;
  }

  /**
   * Draw the card for ``url``. ``where`` says what it belongs to when that is not an
   * image of this frame with that address: ``{picked: true}`` (the picture the reader
   * picked) or ``{frameUrl, rect}`` (an element inside an iframe).
   */
  function show(url, model, where = null, element = null) {
    if (blocked) {
      api.runtime.sendMessage({ type: MSG_CARD_BLOCKED, model }).catch(() => null);
      return model.state;
    }
    const before = document.activeElement;
    closeCard(false); // a card replaced by the next one (pending, then the answer)
    const anchor = element ? { element } : toAnchor(url, where);
    if (before?.localName !== HOST) returnFocus = before && before !== document.body ? before : anchor?.element ?? anchor?.frame;
    const { host, root } = makeHost('card');
    const card = renderCard(model);
    root.append(card);
    pin(host, { position: 'fixed', top: '0', left: '0' });
    raise(host);
    // The card grows as its thumbnails load: place it again, so it stays wholly on screen.
    const sizes = new ResizeObserver(reflow);
    sizes.observe(card);
    open = { host, anchor, style: null, sizes, model };
    placeCard();
    restores = 0;
    guard.observe(document.documentElement, { childList: true });
    guard.observe(host, { attributes: true });
    host.addEventListener('toggle', (event) => {
      if (event.newState === 'closed' && open?.host === host) restore();
    });
    document.addEventListener('keydown', onKey, true);
    card.focus({ preventScroll: true });
    return model.state;
  }

  /** Every picture of a useful size in this frame: images, posters, backgrounds, canvases. */
  function pictures() {
    const found = [];
    const seen = new Set();
    const add = (node) => {
      if (seen.has(node)) return;
      const rect = node.getBoundingClientRect();
      if (rect.width < MIN_SIDE || rect.height < MIN_SIDE) return;
      seen.add(node);
      found.push(node);
    };
    for (const img of document.images) add(img);
    for (const node of document.querySelectorAll('body *')) {
      if (node.localName === HOST || node instanceof HTMLImageElement) continue;
      if (node instanceof HTMLCanvasElement || node instanceof HTMLVideoElement || node instanceof SVGSVGElement || backgroundUrl(node)) add(node);
    }
    return found;
  }

  function backgroundUrl(node) {
    const match = /url\(["']?([^"')]+)["']?\)/.exec(getComputedStyle(node).backgroundImage);
    if (!match) return null;
    try {
      return new URL(match[1], document.baseURI).href;
    } catch {
      return null;
    }
  }

  function listImages() {
    // Checking the page again replaces its badges: one set, however often it is asked.
    for (const old of document.querySelectorAll(`${HOST}[data-kind="badge"], ${HOST}[data-kind="progress"]`)) old.remove();
    targets = [];
    const found = [];
    for (const node of pictures()) {
      let item = null;
      if (node instanceof HTMLImageElement) item = { src: node.currentSrc || node.src, srcset: node.srcset || '' };
      else if (node instanceof HTMLVideoElement && node.poster) item = { src: node.poster, srcset: '' };
      else if (backgroundUrl(node)) item = { src: backgroundUrl(node), srcset: '' };
      else if (node instanceof HTMLCanvasElement) {
        // A canvas has no address: its pixels, unless other sites' pictures taint it.
        item = { src: null, dataUrl: canvasData(node.width, node.height, (ctx) => ctx.drawImage(node, 0, 0)) };
      }
      if (!item?.src && !item?.dataUrl) continue;
      targets.push(node);
      found.push({ index: targets.length - 1, base: document.baseURI, ...item });
    }
    return found;
  }

  /** "Checking 12 of 300 images…" in a corner while check-all runs; gone when done. */
  function progress(done, total, text) {
    let host = document.querySelector(`${HOST}[data-kind="progress"]`);
    if (done >= total) {
      host?.remove();
      return true;
    }
    if (!host) {
      host = makeHost('progress').host;
      pin(host, { position: 'fixed', top: '12px', right: '12px' });
      raise(host);
    }
    const root = roots.get(host);
    if (!root) return false;
    root.querySelector('.progress')?.remove();
    root.append(el('p', { class: 'progress badge', role: 'status', text }));
    return true;
  }

  function badge(index, badgeModel, model) {
    const node = targets[index];
    if (!node) return false;
    const { host, root } = makeHost('badge');
    document.documentElement.append(host);
    placeBadge(host, node);
    badges.push({ host, node });
    const button = el('button', { class: `badge tone-${badgeModel.tone}`, text: badgeModel.text, 'data-state': badgeModel.state, 'aria-label': `OriginCheck: ${badgeModel.text}` });
    button.addEventListener('click', () => {
      // In a frame, the card is drawn by the top page (where it can be seen whole).
      if (window === top) show(null, model, null, node);
      else api.runtime.sendMessage({ type: MSG_SHOW_IN_TOP, model, rect: boxOf(node) });
    });
    root.append(button);
    return true;
  }

  function boxOf(node) {
    const box = node.getBoundingClientRect();
    return { left: box.left, top: box.top, width: box.width, height: box.height };
  }

  /** The poster's address while a video shows it (before playback): what the reader sees. */
  function posterShown(url) {
    const video = findTarget(url) ?? document.querySelector('video');
    if (!(video instanceof HTMLVideoElement) || !video.poster) return null;
    return video.paused && video.currentTime === 0 && video.played.length === 0 ? video.poster : null;
  }

  function captureFrame(url) {
    const video = (picked instanceof HTMLVideoElement ? picked : null) ?? findTarget(url) ?? document.querySelector('video');
    if (!(video instanceof HTMLVideoElement) || !video.videoWidth) return null;
    return canvasData(video.videoWidth, video.videoHeight, (ctx) => ctx.drawImage(video, 0, 0));
  }

  /** Pixels drawn onto a fresh canvas as a JPEG data URL; null when the source taints it. */
  function canvasData(width, height, paint) {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    try {
      paint(canvas.getContext('2d'));
      return canvas.toDataURL('image/jpeg', 0.92);
    } catch {
      return null; // cross-origin pixels taint the canvas
    }
  }

  /**
   * Where an element is on screen, in CSS pixels of this frame's viewport: its whole box
   * (to anchor a card from the top page) and its visible part (to crop a tab capture).
   */
  function elementRect(url, where = null) {
    const node = (where?.picked ? picked : null) ?? findTarget(url) ?? document.querySelector('video');
    if (!node) return null;
    const box = boxOf(node);
    const x = Math.max(0, box.left);
    const y = Math.max(0, box.top);
    const width = Math.min(innerWidth, box.left + box.width) - x;
    const height = Math.min(innerHeight, box.top + box.height) - y;
    const rendered = !(node instanceof HTMLImageElement) || (node.complete && node.naturalWidth > 0);
    return { box, x, y, width, height, viewportWidth: innerWidth, rendered };
  }

  /** The visible part of the card's anchor in this (top) viewport, for a tab capture. */
  function visibleRect(url, where = null) {
    const r = anchorRect(toAnchor(url, where));
    if (!r) return null;
    const x = Math.max(0, r.left);
    const y = Math.max(0, r.top);
    const width = Math.min(innerWidth, r.right) - x;
    const height = Math.min(innerHeight, r.bottom) - y;
    if (width <= 0 || height <= 0) return null;
    return { x, y, width, height, viewportWidth: innerWidth };
  }

  // ---- Picking a picture: CSS backgrounds, pictures under overlays, canvases, SVG ----

  let picked = null; // the element the reader picked last, kept for the card's anchor

  /** The picture at a point, looking beneath transparent overlays and our own hosts. */
  function pictureAt(x, y) {
    for (const node of document.elementsFromPoint(x, y)) {
      if (node.localName === HOST) continue;
      if (node instanceof HTMLImageElement || node instanceof HTMLCanvasElement || node instanceof HTMLVideoElement) return node;
      const svg = node instanceof SVGElement ? node.ownerSVGElement ?? node : null;
      if (svg instanceof SVGSVGElement) return svg;
      if (backgroundUrl(node)) return node;
    }
    return null;
  }

  /** What the background needs to check a picked element: an address, or its pixels. */
  async function describe(node) {
    const box = boxOf(node);
    const base = { kind: node.localName, box };
    if (node instanceof HTMLImageElement) return { ...base, src: node.currentSrc || node.src, srcset: node.srcset || '' };
    if (node instanceof HTMLVideoElement) {
      if (node.poster && node.paused && node.currentTime === 0 && node.played.length === 0) {
        return { ...base, src: node.poster, srcset: '' };
      }
      return { ...base, dataUrl: captureFrame(null), src: node.currentSrc || node.src };
    }
    if (node instanceof HTMLCanvasElement) {
      return { ...base, dataUrl: canvasData(node.width, node.height, (ctx) => ctx.drawImage(node, 0, 0)) };
    }
    if (node instanceof SVGSVGElement) return { ...base, dataUrl: await svgData(node, box) };
    return { ...base, src: backgroundUrl(node), srcset: '' };
  }

  async function svgData(svg, box) {
    const xml = new XMLSerializer().serializeToString(svg);
    const image = new Image();
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(xml)}`;
    try {
      await image.decode();
    } catch {
      return null;
    }
    const width = Math.max(1, Math.round(box.width));
    const height = Math.max(1, Math.round(box.height));
    return canvasData(width, height, (ctx) => {
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, width, height);
      ctx.drawImage(image, 0, 0, width, height);
    });
  }

  let picking = null;

  /**
   * Let the reader point at a picture: the next click (or Tab to step through the
   * pictures, Enter to choose) picks it. The choice goes to the background as a message,
   * so a long wait never depends on a sleeping service worker.
   */
  function pick(text, cancelText) {
    if (picking) return true;
    const { host: banner, root } = makeHost('picker');
    const hint = el('p', { class: 'banner', role: 'status', text });
    const cancel = el('button', { text: cancelText });
    hint.append(' ', cancel);
    root.append(hint);
    pin(banner, { position: 'fixed', top: '12px', left: '50%', transform: 'translateX(-50%)' });
    raise(banner);
    const { host: ring, root: ringRoot } = makeHost('highlight');
    ringRoot.append(el('div', { class: 'highlight' }));
    pin(ring, { position: 'fixed', 'pointer-events': 'none', display: 'none' });
    raise(ring);
    const all = pictures();
    let current = null;
    let step = -1;
    const mark = (node) => {
      current = node;
      if (!node) return pin(ring, { display: 'none' });
      const r = node.getBoundingClientRect();
      pin(ring, { display: 'block', left: `${r.left}px`, top: `${r.top}px`, width: `${r.width}px`, height: `${r.height}px` });
    };
    const stop = () => {
      for (const [type, fn] of listeners) removeEventListener(type, fn, true);
      banner.remove();
      ring.remove();
      picking = null;
    };
    const choose = async (node) => {
      stop();
      if (!node) return;
      picked = node;
      const picture = await describe(node);
      api.runtime.sendMessage({ type: MSG_PICKED, picture }).catch(() => null);
    };
    const swallow = (event) => {
      if (event.composedPath().includes(banner)) return false;
      event.preventDefault();
      event.stopImmediatePropagation();
      return true;
    };
    const listeners = [
      ['pointermove', (event) => mark(pictureAt(event.clientX, event.clientY))],
      ['pointerdown', swallow],
      ['mousedown', swallow],
      ['mouseup', swallow],
      ['click', (event) => {
        if (event.composedPath().includes(cancel)) return stop();
        if (swallow(event)) choose(pictureAt(event.clientX, event.clientY));
      }],
      ['keydown', (event) => {
        if (event.key === 'Escape') return swallow(event) && stop();
        if (event.key === 'Tab' && all.length) {
          swallow(event);
          step = (step + (event.shiftKey ? all.length - 1 : 1)) % all.length;
          all[step].scrollIntoView({ block: 'nearest', inline: 'nearest' });
          mark(all[step]);
        } else if (event.key === 'Enter' && current) {
          swallow(event);
          choose(current);
        }
      }],
    ];
    for (const [type, fn] of listeners) addEventListener(type, fn, true);
    picking = { stop };
    return true;
  }

  /** The keyboard path: the focused picture (or the one inside a focused link), else pick. */
  async function focusedPicture() {
    let node = document.activeElement;
    if (node && !(node instanceof HTMLImageElement) && node !== document.body) {
      node = node.querySelector?.('img, video, canvas, svg') ?? (backgroundUrl(node) ? node : null);
    }
    if (!node || node === document.body) return null;
    picked = node;
    return describe(node);
  }

  globalThis.__originCheck = {
    show, listImages, badge, progress, captureFrame, posterShown, elementRect, visibleRect, pick, focusedPicture,
    close: closeCard,
  };
})();
