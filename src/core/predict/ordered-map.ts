/**
 * Maps items through an async function with at most `limit` calls running, yielding the results in the
 * items' order. Calls keep running while the consumer awaits something else (predict's inference), so
 * decoding the next images overlaps running the model on the current batch. `fn` must not reject (return
 * failures as values): a rejection while an earlier call is awaited would go unhandled.
 */
export async function* mapOrdered<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): AsyncGenerator<R> {
  const running: Array<Promise<R>> = []
  let next = 0
  const startMore = () => {
    while (next < items.length && running.length < limit) {
      const index = next++
      running.push(fn(items[index], index))
    }
  }
  startMore()
  while (running.length > 0) {
    const result = await running.shift()!
    startMore()
    yield result
  }
}
