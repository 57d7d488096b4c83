/** Exit codes of a command stopped by a signal, as shells report them (128 + signal number). */
export const SIGNAL_EXIT = {SIGINT: 130, SIGTERM: 143} as const

export type StopSignal = keyof typeof SIGNAL_EXIT
