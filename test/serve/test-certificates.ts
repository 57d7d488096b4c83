/**
 * Test helper: a throwaway certificate authority made with the openssl CLI in a temporary directory, issuing
 * certificates for localhost / 127.0.0.1 (servers) or any name (clients), valid now or over given dates.
 */
import {execFileSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

// Written out in full so that the machine's own openssl.cnf cannot change the certificates.
const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
default_ca = test_ca
[test_ca]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any_name
copy_extensions = copy
unique_subject = no
[any_name]
commonName = supplied
[ca_extensions]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
`

export interface CertificateFiles {
  cert: string
  key: string
}

export interface IssueOptions {
  /** a server certificate for localhost and 127.0.0.1 (the default), or a client certificate */
  client?: boolean
  /** validity as openssl's YYYYMMDDHHMMSSZ; valid for two days from now without */
  startDate?: string
  endDate?: string
}

export class TestCertificateAuthority {
  readonly dir = mkdtempSync(join(tmpdir(), 'mlctl-tls-'))
  readonly cert = join(this.dir, 'ca.pem')
  private readonly key = join(this.dir, 'ca.key')
  private readonly config = join(this.dir, 'openssl.cnf')
  private issued = 0

  constructor(name = 'mlctl test CA') {
    writeFileSync(this.config, OPENSSL_CONFIG)
    writeFileSync(join(this.dir, 'index.txt'), '')
    writeFileSync(join(this.dir, 'serial'), '1000\n')
    const subject = ['-subj', `/CN=${name}`, '-extensions', 'ca_extensions']
    this.openssl('req', '-x509', ...newKey(this.key), '-out', this.cert, '-days', '2', ...subject)
  }

  /** A new key and a certificate for it, signed by this CA. */
  issue(name: string, options: IssueOptions = {}): CertificateFiles {
    const base = join(this.dir, `${name}-${++this.issued}`)
    const files = {cert: `${base}.pem`, key: `${base}.key`}
    const san = options.client ? [] : ['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']
    this.openssl('req', '-new', ...newKey(files.key), '-out', `${base}.csr`, '-subj', `/CN=${name}`, ...san)
    const validity =
      options.startDate && options.endDate
        ? ['-startdate', options.startDate, '-enddate', options.endDate]
        : ['-days', '2']
    const signer = ['-cert', this.cert, '-keyfile', this.key]
    this.openssl('ca', '-batch', '-notext', ...signer, '-in', `${base}.csr`, '-out', files.cert, ...validity)
    return files
  }

  private openssl(command: string, ...args: string[]): void {
    execFileSync('openssl', [command, '-config', this.config, ...args], {
      cwd: this.dir,
      env: {...process.env, OPENSSL_CONF: this.config},
      stdio: ['ignore', 'ignore', 'pipe'],
    })
  }
}

function newKey(path: string): string[] {
  return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path]
}
