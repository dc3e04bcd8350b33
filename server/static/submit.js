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
    notice.append('This image is already in the database: ', link,
      '. You can still send it if you saw it used for a new false claim.');
    notice.hidden = false;
  } catch {
    // The check is a courtesy: the report works without it.
  }
}

input?.addEventListener('change', () => lookUp(input.files[0]));
