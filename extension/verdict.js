// The verdict window: where a card goes when a page will not let it be drawn on it.
// The background stores the card's model under the key in this address's fragment and
// updates it when the answer follows "checking…".
import { api } from './lib/ext.js';

const key = location.hash.slice(1);

function render(model) {
  if (!model) return;
  document.title = `${model.title}: ${model.heading}`;
  document.documentElement.lang = model.lang ?? 'en';
  globalThis.__originCheck.show(null, model);
}

api.storage.onChanged.addListener((changes, area) => {
  if (area === 'session' && changes[key]?.newValue) render(changes[key].newValue);
});
render((await api.storage.session.get(key))[key]);
