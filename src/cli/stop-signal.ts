/** Exit codes of a command stopped by a signal, as shells report them (128 + signal number). */
export const SIGNAL_EXIT = {SIGINT: 130, SIGTERM: 143} as const

export type StopSignal = keyof typeof SIGNAL_EXIT

/** A SIGINT or SIGTERM turned into a request to stop, which the command answers at a point of its choosing. */
export interface StopRequest {
  /** The first signal received, or undefined while none has been. */
  readonly signal: StopSignal | undefined
  /** Aborted at the first signal, with the signal's name as its reason: for core code that takes an AbortSignal. */
  readonly abortSignal: AbortSignal
  /** Resolves with the first signal. */
  readonly received: Promise<StopSignal>
  /** Stops listening, so that signals terminate the process again. */
  dispose(): void
}

/**
 * Listens for SIGINT and SIGTERM instead of letting them terminate the process. `onStop` hears the first
 * signal; `onRepeat` each later one (the user pressing Ctrl-C again), which is otherwise ignored.
 */
export function listenForStop(
  handlers: {onStop?(signal: StopSignal): void; onRepeat?(signal: StopSignal): void} = {},
): StopRequest {
  const controller = new AbortController()
  let resolveReceived!: (signal: StopSignal) => void
  const received = new Promise<StopSignal>((resolve) => (resolveReceived = resolve))
  const onSignal = (signal: StopSignal) => {
    if (controller.signal.aborted) return handlers.onRepeat?.(signal)
    controller.abort(signal)
    resolveReceived(signal)
    handlers.onStop?.(signal)
  }
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal)
  return {
    get signal() {
      return controller.signal.aborted ? (controller.signal.reason as StopSignal) : undefined
    },
    abortSignal: controller.signal,
    received,
    dispose: () => process.off('SIGINT', onSignal).off('SIGTERM', onSignal),
  }
}
