import {execFileSync} from 'node:child_process'

/**
 * CLI tests run bin/run.js, which runs the compiled dist/: compile once before any test file, so the
 * tests always see the current sources (and a type error fails the run instead of testing stale code).
 */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], {stdio: 'inherit'})
}
