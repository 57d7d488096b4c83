/**
 * A local HTTP server on 127.0.0.1 for download tests. The first path segment picks a behaviour,
 * the rest names the file: /ok/NAME, /error500/NAME, /corrupt/NAME (same size, one byte flipped),
 * /short/NAME (clean end after half the bytes), /cut/NAME (connection dropped after half),
 * /redirect/NAME (302 to /ok/NAME), /silent/NAME (accepts, never answers).
 */
import {createServer, type Server} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'

export interface FileServer {
  url: string
  /** Paths requested so far, in order. */
  requests: string[]
  close(): Promise<void>
}

export async function startFileServer(files: Record<string, Uint8Array>): Promise<FileServer> {
  const requests: string[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/'
    requests.push(path)
    const [, behaviour, name] = path.split('/')
    const body = files[name]
    if (!body) return void res.writeHead(404).end()

    switch (behaviour) {
      case 'ok': {
        res.writeHead(200, {'content-length': body.length}).end(Buffer.from(body))
        break
      }

      case 'error500': {
        res.writeHead(500).end('boom')
        break
      }

      case 'corrupt': {
        const copy = Buffer.from(body)
        copy[copy.length >> 1] ^= 0xff
        res.writeHead(200, {'content-length': copy.length}).end(copy)
        break
      }

      case 'short': {
        res.writeHead(200).end(Buffer.from(body.subarray(0, body.length >> 1)))
        break
      }

      case 'cut': {
        res.writeHead(200, {'content-length': body.length})
        res.write(Buffer.from(body.subarray(0, body.length >> 1)), () => res.socket?.destroy())
        break
      }

      case 'redirect': {
        res.writeHead(302, {location: `/ok/${name}`}).end()
        break
      }

      case 'silent': {
        break
      }

      default: {
        res.writeHead(404).end()
      }
    }
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** A port on 127.0.0.1 that refuses connections: bound once to learn a free number, then closed. */
export async function refusedPortUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}`
}
