/**
 * TLS for both front ends, from the files named by --tls-cert, --tls-key and --tls-client-ca, and its reload:
 * `reload()` re-reads the files and gives the new certificate to both servers, so that new connections (HTTPS
 * and gRPC) use it while open ones carry on with the one they started with. Files that fail the checks of
 * tls-files.ts leave the current certificate in place.
 */
import {experimental, type ServerCredentials} from '@grpc/grpc-js'
import type {Server as HttpsServer, ServerOptions as HttpsOptions} from 'node:https'
import type {SecureContextOptions} from 'node:tls'

import {describeCertificate, readTlsFiles, type TlsFiles, type TlsMaterial} from './tls-files.js'

export class ServerTls {
  private material: TlsMaterial
  private readonly httpsServers: HttpsServer[] = []
  private readonly grpcCertificates: GrpcCertificates

  /** Reads and checks the files; throws a UserError naming the problem. */
  constructor(private readonly files: TlsFiles) {
    this.material = readTlsFiles(files)
    this.grpcCertificates = new GrpcCertificates(this.material)
  }

  /** Whether clients must present a certificate signed by the client CA. */
  get mutual(): boolean {
    return this.files.clientCaFile !== undefined
  }

  describe(): string {
    const clients = this.mutual ? `; client certificates required, signed by ${this.files.clientCaFile}` : ''
    return `${describeCertificate(this.material.certificate)}${clients}`
  }

  /** Options for https.createServer; pass the server to `watch` so that reloads reach it. */
  httpsOptions(): HttpsOptions {
    return {...contextOptions(this.material), requestCert: this.mutual, rejectUnauthorized: this.mutual}
  }

  watch(server: HttpsServer): void {
    this.httpsServers.push(server)
  }

  /** Credentials for a grpc-js server: they follow every reload. */
  grpcCredentials(): ServerCredentials {
    // The first argument is the provider of the server's own certificate (grpc-js misnames it).
    return experimental.createCertificateProviderServerCredentials(
      this.grpcCertificates,
      this.mutual ? this.grpcCertificates : null,
      this.mutual,
    )
  }

  /** Re-reads the files for new connections; throws, keeping the current ones, if they fail the checks. */
  reload(): void {
    const material = readTlsFiles(this.files)
    for (const server of this.httpsServers) server.setSecureContext(contextOptions(material))
    this.material = material
    this.grpcCertificates.update(material)
  }
}

function contextOptions(material: TlsMaterial): SecureContextOptions {
  return {cert: material.cert, key: material.key, ca: material.clientCa}
}

/** Hands the current certificate to grpc-js, which re-creates its secure context on each update. */
class GrpcCertificates implements experimental.CertificateProvider {
  private readonly identityListeners = new Set<experimental.IdentityCertificateUpdateListener>()
  private readonly caListeners = new Set<experimental.CaCertificateUpdateListener>()

  constructor(private material: TlsMaterial) {}

  update(material: TlsMaterial): void {
    this.material = material
    for (const listener of this.identityListeners) listener(this.identity())
    for (const listener of this.caListeners) listener(this.ca())
  }

  // grpc-js subscribes before it starts watching for the result, so the first update must come later.
  addIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener)
    process.nextTick(() => listener(this.identity()))
  }

  removeIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener)
  }

  addCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.add(listener)
    process.nextTick(() => listener(this.ca()))
  }

  removeCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.delete(listener)
  }

  private identity(): experimental.IdentityCertificateUpdate {
    return {certificate: this.material.cert, privateKey: this.material.key}
  }

  private ca(): experimental.CaCertificateUpdate | null {
    return this.material.clientCa ? {caCertificate: this.material.clientCa} : null
  }
}
