// Times on the pages are shown in the reader's own time zone: the server learns it from
// this cookie (until then it writes UTC, and says so). Nothing else is stored.
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
if (/^[A-Za-z0-9_+\-/]+$/.test(zone ?? '') && !document.cookie.split('; ').includes(`tz=${zone}`)) {
  document.cookie = `tz=${zone}; path=/; max-age=31536000; SameSite=Lax`;
}
