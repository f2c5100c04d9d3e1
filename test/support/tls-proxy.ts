import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect as tcpConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/**
 * A TLS front for the test broker: it terminates TLS with a certificate from
 * its own throwaway CA and forwards the bytes to 127.0.0.1:5672, so `amqps://`
 * can be tested without reconfiguring RabbitMQ.
 */
export class TlsBrokerProxy {
  private constructor(
    private readonly server: Server,
    private readonly dir: string,
    readonly caFile: string,
  ) {}

  static async start(): Promise<TlsBrokerProxy> {
    const dir = await mkdtemp(join(tmpdir(), 'tls-proxy-'));
    const file = (name: string) => join(dir, name);
    const openssl = (...args: string[]) => exec('openssl', args, { cwd: dir });
    await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test CA', '-keyout', file('ca.key'), '-out', file('ca.pem'));
    await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', file('server.key'), '-out', file('server.csr'));
    await exec('bash', ['-c', `printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > ${file('ext.cnf')}`]);
    await openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', file('ext.cnf'), '-out', file('server.pem'));
    const server = createServer({ key: await readFile(file('server.key')), cert: await readFile(file('server.pem')) }, (client) => {
      const upstream = tcpConnect(5672, '127.0.0.1');
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new TlsBrokerProxy(server, dir, file('ca.pem'));
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
    await rm(this.dir, { recursive: true, force: true });
  }
}
