import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {availableParallelism} from 'node:os'

/** Whether Debian's Python (the peers' interpreter) imports `module`: the benches run a peer only then. */
export function pythonHas(module: string): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', `import ${module}`], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

/** This process's peak resident memory (VmHWM), in MB. */
export function peakRssMb(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))
  return match ? Number(match[1]) / 1024 : process.memoryUsage().rss / 2 ** 20
}

export interface CpuTicks {
  busy: number
  total: number
}

/** Busy and total CPU time of the whole machine so far, in clock ticks (/proc/stat). */
export function cpuTicks(): CpuTicks {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number)
  const busy = user + nice + system + irq + softirq + steal
  return {busy, total: busy + idle + iowait}
}

/** Cores busy between two cpuTicks() samples. */
export function busyCores(from: CpuTicks, to: CpuTicks): number {
  return ((to.busy - from.busy) / (to.total - from.total)) * availableParallelism()
}
