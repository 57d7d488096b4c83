/** Exit code for a command that a later release fills in; distinct from a failed run (1) and bad usage (2). */
export const NOT_AVAILABLE_EXIT = 3

export function notAvailableMessage(command: string): string {
  return `mlctl ${command} is not available yet in this version; run \`mlctl --help\` for the commands that are.`
}
