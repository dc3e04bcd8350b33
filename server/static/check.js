// The check page: drop an image (or a short clip) anywhere on the form, or paste one,
// and it is checked as if chosen with the file picker; a URL check shows that it is
// fetching. No inline script (the CSP allows only our own files).
const form = document.querySelector('form.check-form');
const input = form?.querySelector('input[type=file]');

function submitFile(file) {
  if (!file || !input) return;
  const transfer = new DataTransfer();
  transfer.items.add(file);
  input.files = transfer.files;
  busy();
  form.submit();
}

function busy() {
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  button.textContent = button.dataset.busy || 'Checking…';
  form.setAttribute('aria-busy', 'true');
}

if (form && input) {
  form.addEventListener('submit', busy);
  for (const type of ['dragenter', 'dragover']) {
    document.addEventListener(type, (event) => {
      if (![...event.dataTransfer.types].includes('Files')) return;
      event.preventDefault();
      form.classList.add('drop-target');
    });
  }
  document.addEventListener('dragleave', (event) => {
    if (event.relatedTarget === null) form.classList.remove('drop-target');
  });
  document.addEventListener('drop', (event) => {
    const file = [...(event.dataTransfer?.files ?? [])].find((f) => /^(image|video)\//.test(f.type));
    if (!file) return;
    event.preventDefault();
    form.classList.remove('drop-target');
    submitFile(file);
  });
  document.addEventListener('paste', (event) => {
    const item = [...(event.clipboardData?.items ?? [])].find((i) => i.kind === 'file' && /^image\//.test(i.type));
    if (item) submitFile(item.getAsFile());
  });
}
