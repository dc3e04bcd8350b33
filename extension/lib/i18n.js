// Translations: the browser's language by default, or the one chosen in the options.
// browser.i18n cannot switch language at run time, so a chosen locale is read from
// its _locales file and browser.i18n is the fallback.
import { api } from './ext.js';

export function format(message, substitutions = []) {
  if (typeof message !== 'string') return '';
  const subs = Array.isArray(substitutions) ? substitutions : [substitutions];
  return message.replace(/\$(\d)/g, (_, n) => String(subs[Number(n) - 1] ?? ''));
}

export async function translator(language) {
  const native = (key, subs) => api.i18n.getMessage(key, subs) || key;
  if (!language || language === 'auto') return native;
  try {
    const response = await fetch(api.runtime.getURL(`_locales/${language}/messages.json`));
    const messages = await response.json();
    return (key, subs) => format(messages[key]?.message, subs) || native(key, subs);
  } catch {
    return native;
  }
}
