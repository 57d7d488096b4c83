/**
 * SIGHUP as a request to reload (as nginx and most servers take it) instead of a signal that ends the process.
 * Listening starts before the server is up, so that an early SIGHUP cannot kill it; one received before a
 * handler is set is passed on as soon as it is.
 */
export interface ReloadRequests {
  onReload(reload: () => void): void
}

export function listenForReload(): ReloadRequests {
  let handler: (() => void) | undefined
  let pending = false
  process.on('SIGHUP', () => (handler ? handler() : (pending = true)))
  return {
    onReload(reload) {
      handler = reload
      if (pending) reload()
      pending = false
    },
  }
}
