/**
 * Reads and checks the server's TLS certificate, private key and (for mutual TLS) the client CA, so that a
 * wrong file is reported in one line when the server starts or reloads, instead of as a failed handshake later.
 */
import {createPrivateKey, X509Certificate, type KeyObject} from 'node:crypto'
import {readFileSync} from 'node:fs'

import {UserError} from '../errors.js'

export interface TlsFiles {
  certFile: string
  keyFile: string
  /** CA bundle that client certificates must be signed by; set, it makes client certificates required */
  clientCaFile?: string
}

/** The checked contents of the TLS files, as node:tls takes them. */
export interface TlsMaterial {
  cert: Buffer
  key: Buffer
  clientCa: Buffer | undefined
  /** the server's own certificate (the first of the chain in the certificate file) */
  certificate: X509Certificate
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

export function readTlsFiles(files: TlsFiles, now = new Date()): TlsMaterial {
  const cert = readFile(files.certFile, '--tls-cert', 'certificate')
  const key = readFile(files.keyFile, '--tls-key', 'private key')
  const certificate = parseCertificates(cert, files.certFile, '--tls-cert')[0]
  const privateKey = parsePrivateKey(key, files.keyFile)
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new UserError(
      `the private key ${files.keyFile} does not match the certificate ${files.certFile}; pass the key the certificate was issued for`,
    )
  }
  const validFrom = new Date(certificate.validFrom)
  const validTo = new Date(certificate.validTo)
  if (now < validFrom) {
    throw new UserError(
      `the certificate ${files.certFile} is not valid yet (valid from ${validFrom.toISOString()}); check the clock, or use a certificate valid now`,
    )
  }
  if (now > validTo) {
    throw new UserError(
      `the certificate ${files.certFile} expired on ${validTo.toISOString()}; renew it and pass the new one with --tls-cert`,
    )
  }
  let clientCa: Buffer | undefined
  if (files.clientCaFile !== undefined) {
    clientCa = readFile(files.clientCaFile, '--tls-client-ca', 'client CA certificate')
    parseCertificates(clientCa, files.clientCaFile, '--tls-client-ca')
  }
  return {cert, key, clientCa, certificate}
}

/** One line for the operator: whose certificate it is, which one, and until when it is valid. */
export function describeCertificate(certificate: X509Certificate): string {
  const subject = certificate.subject.replaceAll('\n', ', ')
  return `${subject}, serial ${certificate.serialNumber}, valid until ${new Date(certificate.validTo).toISOString()}`
}

function readFile(path: string, flag: string, what: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new UserError(`${flag} ${path}: no such file; pass the PEM ${what} file`)
    if (code === 'EACCES')
      throw new UserError(`${flag} ${path}: permission denied; make the file readable by this user`)
    if (code === 'EISDIR') throw new UserError(`${flag} ${path} is a directory; pass the PEM ${what} file`)
    throw new UserError(`${flag} ${path}: cannot read it (${(err as Error).message})`)
  }
}

function parseCertificates(pem: Buffer, path: string, flag: string): X509Certificate[] {
  const blocks = pem.toString('latin1').match(CERTIFICATE_BLOCK)
  if (!blocks) {
    throw new UserError(
      `${flag} ${path} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line); if it is DER, convert it with openssl x509 -inform der -in ${path} -out cert.pem`,
    )
  }
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block)
    } catch (err) {
      throw new UserError(`${flag} ${path}: certificate ${i + 1} is malformed (${(err as Error).message})`)
    }
  })
}

function parsePrivateKey(pem: Buffer, path: string): KeyObject {
  const text = pem.toString('latin1')
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    const hint = text.includes('-----BEGIN CERTIFICATE-----')
      ? 'it holds a certificate; are --tls-cert and --tls-key swapped?'
      : 'no "-----BEGIN PRIVATE KEY-----" line'
    throw new UserError(`--tls-key ${path} is not a PEM private key (${hint})`)
  }
  if (text.includes('ENCRYPTED')) {
    throw new UserError(
      `--tls-key ${path} is encrypted; the server cannot prompt for its passphrase, so decrypt it with openssl pkey -in ${path} -out key.pem`,
    )
  }
  try {
    return createPrivateKey(pem)
  } catch (err) {
    throw new UserError(`--tls-key ${path}: the private key is malformed (${(err as Error).message})`)
  }
}
