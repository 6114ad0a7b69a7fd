/**
 * The `action_id`s of Armature's Slack buttons: the messages here render them, and the reference
 * server's Slack bot answers them. A button's `value` is the id it acts on.
 */
export const actionIds = {
  /**
   * A link button ("Open in Armature", "Open run"). Slack sends an interaction even for a link, so
   * an app with interactivity on acknowledges it, or Slack shows a warning beside the button.
   */
  openLink: "armature_open_link",
  /** Runs the workflow whose id is the value (editor and up): "Run again", "Run now". */
  runWorkflow: "armature_run_workflow",
  /** Mutes the monitor whose id is the value for an hour. */
  muteMonitor: "armature_mute_monitor",
  /** Mutes the alert rule whose id is the value for an hour. */
  muteRule: "armature_mute_rule",
  /** Applies the proposal whose id is the value (editor and up). */
  approveProposal: "armature_proposal_approve",
  /** Dismisses the proposal whose id is the value (editor and up). */
  dismissProposal: "armature_proposal_dismiss"
} as const

/** How long the "Mute 1 h" button mutes. */
export const muteMinutes = 60
