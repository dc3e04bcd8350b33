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

  const STYLE = `
    :host { all: initial; }
    .card { font: 14px/1.45 system-ui, sans-serif; width: 340px; max-width: calc(100vw - 24px);
      box-sizing: border-box; background: #fff; color: #1d232a; border-radius: 10px; padding: 12px 14px;
      box-shadow: 0 6px 24px rgba(0,0,0,.25); border-top: 5px solid #6b7680; outline: none; }
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
      header, dt, figcaption, .provenance h3 { color: #a3adb7; }
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
    for (const img of document.images) {
      if (img.currentSrc === url || img.src === url || (img.srcset && img.srcset.includes(url))) return img;
    }
    for (const video of document.querySelectorAll('video')) {
      if (video.currentSrc === url || video.src === url || video.poster === url) return video;
    }
    for (const node of document.querySelectorAll('*')) {
      if (getComputedStyle(node).backgroundImage.includes(url)) return node;
    }
    return null;
  }

  function makeHost(anchor, kind) {
    const host = document.createElement(HOST);
    host.dataset.kind = kind;
    host.setAttribute('style', 'all: initial; position: absolute; z-index: 2147483647;');
    const root = host.attachShadow({ mode: 'open' });
    root.append(el('style', { text: STYLE }));
    document.documentElement.append(host);
    place(host, anchor, kind);
    placed.push({ host, anchor, kind });
    return { host, root };
  }

  // Hosts follow their images when the layout changes (zoom, a narrower window).
  const placed = [];
  let reflowing = false;
  addEventListener('resize', () => {
    if (reflowing) return;
    reflowing = true;
    requestAnimationFrame(() => {
      reflowing = false;
      for (let i = placed.length - 1; i >= 0; i--) {
        const { host, anchor, kind } = placed[i];
        if (!host.isConnected) placed.splice(i, 1);
        else place(host, anchor, kind);
      }
    });
  });

  function place(host, anchor, kind) {
    const rect = anchor?.getBoundingClientRect?.();
    let top;
    let left;
    if (!rect) {
      top = scrollY + 12;
      left = scrollX + Math.max(12, innerWidth - 360);
    } else if (kind === 'badge') {
      top = scrollY + rect.top + 6;
      left = scrollX + rect.left + 6;
    } else if (rect.right + 360 <= innerWidth) {
      top = scrollY + Math.max(0, rect.top);
      left = scrollX + rect.right + 8;
    } else {
      top = scrollY + rect.bottom + 8;
      left = scrollX + Math.max(8, Math.min(rect.left, innerWidth - 360));
    }
    host.style.top = `${Math.round(top)}px`;
    host.style.left = `${Math.round(left)}px`;
  }

  let returnFocus = null; // where the reader was before the card took focus

  function closeCard(restore = true) {
    const open = document.querySelector(`${HOST}[data-kind="card"]`);
    open?.remove();
    document.removeEventListener('keydown', onKey, true);
    if (restore && open && returnFocus?.isConnected) returnFocus.focus({ preventScroll: true });
  }

  function onKey(event) {
    if (event.key === 'Escape') closeCard();
  }

  function renderCard(model) {
    const card = el('div', {
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
    for (const line of model.lines.filter((l) => !l.label)) card.append(el('p', { text: line.text }));
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

  function show(url, model, anchor = findTarget(url)) {
    const before = document.activeElement;
    closeCard(false); // a card replaced by the next one (pending, then the answer)
    if (before?.localName !== HOST) returnFocus = before && before !== document.body ? before : anchor;
    const { root } = makeHost(anchor, 'card');
    const card = renderCard(model);
    root.append(card);
    document.addEventListener('keydown', onKey, true);
    card.focus({ preventScroll: true });
    return model.state;
  }

  function listImages() {
    // Checking the page again replaces its badges: one set, however often it is asked.
    for (const old of document.querySelectorAll(`${HOST}[data-kind="badge"], ${HOST}[data-kind="progress"]`)) old.remove();
    targets = [];
    const found = [];
    const add = (node, item) => {
      const rect = node.getBoundingClientRect();
      if (rect.width < MIN_SIDE || rect.height < MIN_SIDE) return;
      targets.push(node);
      found.push({ index: targets.length - 1, base: document.baseURI, ...item });
    };
    for (const img of document.images) add(img, { src: img.currentSrc || img.src, srcset: img.srcset || '' });
    for (const node of document.querySelectorAll('body *')) {
      const match = /url\(["']?([^"')]+)["']?\)/.exec(getComputedStyle(node).backgroundImage);
      if (match && !(node instanceof HTMLImageElement)) add(node, { src: new URL(match[1], document.baseURI).href, srcset: '' });
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
    if (!host) host = makeHost(null, 'progress').host;
    const root = host.shadowRoot;
    root.querySelector('.progress')?.remove();
    root.append(el('p', { class: 'progress badge', role: 'status', text }));
    return true;
  }

  function badge(index, badgeModel, model) {
    const node = targets[index];
    if (!node) return false;
    const { root } = makeHost(node, 'badge');
    const button = el('button', { class: `badge tone-${badgeModel.tone}`, text: badgeModel.text, 'data-state': badgeModel.state, 'aria-label': `OriginCheck: ${badgeModel.text}` });
    button.addEventListener('click', () => show(null, model, node));
    root.append(button);
    return true;
  }

  function captureFrame(url) {
    const video = findTarget(url) ?? document.querySelector('video');
    if (!(video instanceof HTMLVideoElement) || !video.videoWidth) return null;
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    try {
      canvas.getContext('2d').drawImage(video, 0, 0);
      return canvas.toDataURL('image/jpeg', 0.92);
    } catch {
      return null; // a cross-origin video taints the canvas
    }
  }

  /** Where the element is on screen, in CSS pixels of the viewport (for a tab capture). */
  function elementRect(url) {
    const node = findTarget(url) ?? document.querySelector('video');
    if (!node) return null;
    const box = node.getBoundingClientRect();
    const x = Math.max(0, box.left);
    const y = Math.max(0, box.top);
    const width = Math.min(innerWidth, box.right) - x;
    const height = Math.min(innerHeight, box.bottom) - y;
    if (width <= 0 || height <= 0) return null;
    return { x, y, width, height, viewportWidth: innerWidth };
  }

  globalThis.__originCheck = { show, listImages, badge, progress, captureFrame, elementRect, close: closeCard };
})();
