/**
 * Views merged where one ends where the next begins in the same buffer (a decode worker's batch, a cache
 * pack), so that thousands of small images are copied or written in a few hundred calls.
 */
export function adjacentRuns(views: Uint8Array[]): Uint8Array[] {
  const runs: Uint8Array[] = []
  let run: Uint8Array | undefined
  for (const view of views) {
    if (run && view.buffer === run.buffer && view.byteOffset === run.byteOffset + run.byteLength)
      run = new Uint8Array(run.buffer, run.byteOffset, run.byteLength + view.byteLength)
    else {
      if (run) runs.push(run)
      run = view
    }
  }
  if (run) runs.push(run)
  return runs
}
