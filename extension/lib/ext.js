// The one place that touches the browser namespace. Chrome 148+ and Firefox both
// offer `browser.*` with promises; `chrome.*` covers older Chromium (uBOL's approach).
export const api = globalThis.browser ?? globalThis.chrome;
