// The report form: as soon as a file is chosen, ask the reader's own check whether the
// image is already in the database, and say so before anything is sent. A report of a
// known image is still welcome (a new misuse), so nothing is blocked.
const input = document.querySelector('form input[type=file][name=image]');
const notice = document.getElementById('known');

async function lookUp(file) {
  notice.hidden = true;
  notice.replaceChildren();
  if (!file || !/^image\//.test(file.type)) return;
  const body = new FormData();
  body.append('image', file, file.name);
  try {
    const response = await fetch('/api/v1/check', { method: 'POST', body });
    if (!response.ok) return;
    const answer = await response.json();
    const match = answer.result === 'match' ? answer.matches[0] : null;
    if (!match) return;
    const link = document.createElement('a');
    link.href = match.entry.url;
    link.textContent = match.entry.title;
    // The sentence comes from the page, in its language; the link goes where it says.
    const [before, after] = notice.dataset.known.split('{link}');
    notice.append(before, link, after ?? '');
    notice.hidden = false;
  } catch {
    // The check is a courtesy: the report works without it.
  }
}

input?.addEventListener('change', () => lookUp(input.files[0]));

// Sending: a refused report comes back with its problems marked field by field. Sent by
// fetch, the page keeps the chosen file (a browser never refills a file input), so the
// reporter corrects a date without choosing the picture again. Without JavaScript the
// form posts as usual and the server marks the same fields.
document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.id !== 'report') return;
  event.preventDefault();
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const response = await fetch(location.pathname, { method: 'POST', body: new FormData(form) });
    if (response.redirected || response.ok) {
      location.assign(response.url);
      return;
    }
    const page = new DOMParser().parseFromString(await response.text(), 'text/html');
    const fresh = page.getElementById('report');
    const summary = page.getElementById('problems-slot');
    if (!fresh || !summary) throw new Error(`HTTP ${response.status}`);
    // The chosen file lives in this very element: move it into the refreshed form.
    const file = form.querySelector('input[type=file][name=image]');
    const placeholder = fresh.querySelector('input[type=file][name=image]');
    for (const name of ['aria-invalid', 'aria-describedby']) {
      if (placeholder.hasAttribute(name)) file.setAttribute(name, placeholder.getAttribute(name));
      else file.removeAttribute(name);
    }
    placeholder.replaceWith(file);
    form.replaceWith(document.adoptNode(fresh));
    document.getElementById('problems-slot').replaceWith(document.adoptNode(summary));
    document.getElementById('problems')?.focus();
  } catch {
    button.disabled = false;
    const slot = document.getElementById('problems-slot');
    const message = document.createElement('p');
    message.className = 'error';
    message.setAttribute('role', 'alert');
    message.textContent = form.dataset.offline;
    slot.replaceChildren(message);
  }
});
