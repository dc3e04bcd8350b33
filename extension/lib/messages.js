// Message types, named by direction (Dark Reader's convention): cs = content
// script, ui = extension page, bg = background. The background checks the sender of each.
export const MSG = Object.freeze({
  CS_BG_FEEDBACK: 'cs-bg-feedback',
  CS_BG_REPORT: 'cs-bg-report',
  CS_BG_PICKED: 'cs-bg-picked',
  CS_BG_SHOW_IN_TOP: 'cs-bg-show-in-top',
  CS_BG_CARD_BLOCKED: 'cs-bg-card-blocked',
  UI_BG_TEST_SERVER: 'ui-bg-test-server',
  UI_BG_SYNC: 'ui-bg-sync',
  UI_BG_BANK_STATE: 'ui-bg-bank-state',
  CS_BG_FULL_CHECK: 'cs-bg-full-check',
});
