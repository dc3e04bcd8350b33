// Message types, named by direction (Dark Reader's convention): cs = content
// script, ui = extension page, bg = background. The background checks the sender of each.
export const MSG = Object.freeze({
  CS_BG_FEEDBACK: 'cs-bg-feedback',
  CS_BG_REPORT: 'cs-bg-report',
  UI_BG_TEST_SERVER: 'ui-bg-test-server',
});
