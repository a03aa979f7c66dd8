import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectionOptions } from '../clients/temporal';
import { ConfigError, ENV_VARIABLES, loadConfig } from '../config';

describe('configuration', () => {
  it('has working defaults for a laptop', () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(3000);
    expect(config.mysql.url).toBe('mysql://root@127.0.0.1:3306/troupe');
    expect(config.temporal.address).toBeUndefined();
    expect(config.temporal.namespace).toBe('default');
    expect(config.mail.leadReportTo).toBe('Troupe <troupe@localhost>');
    expect(config.tavily.apiKey).toBeUndefined();
  });

  it('treats empty variables (as .env files leave them) as unset', () => {
    const config = loadConfig({ PORT: '', TAVILY_API_KEY: '', TEMPORAL_ADDRESS: '' });
    expect(config.http.port).toBe(3000);
    expect(config.tavily.apiKey).toBeUndefined();
    expect(config.temporal.address).toBeUndefined();
  });

  it.each([
    ['PORT', 'eighty', 'PORT'],
    ['PORT', '70000', 'PORT'],
    ['MYSQL_URL', 'postgres://localhost/troupe', 'MYSQL_URL'],
    ['TEMPORAL_ADDRESS', 'http://temporal:7233', 'TEMPORAL_ADDRESS'],
    ['TEMPORAL_UI_URL', 'temporal-ui:8080', 'TEMPORAL_UI_URL'],
    ['SMTP_URL', 'mail.example.com', 'SMTP_URL'],
    ['MAIL_FROM', 'nobody', 'MAIL_FROM'],
    ['TEMPORAL_TLS_CERT_PATH', '/etc/certs/client.pem', 'TEMPORAL_TLS_KEY_PATH'],
    ['WORKERS', '0', 'WORKERS'],
    ['WORKERS', '-2', 'WORKERS'],
    ['WORKERS', '1.5', 'WORKERS'],
    ['WORKERS', 'three', 'WORKERS'],
  ])('refuses %s=%s and names %s', (name, value, named) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration:\\n  ${named}: `));
  });

  it("links a cluster's Web UI (TEMPORAL_UI_URL) without a trailing slash", () => {
    expect(loadConfig({ TEMPORAL_UI_URL: 'https://ui.example.com/' }).temporal.uiUrl).toBe(
      'https://ui.example.com',
    );
    expect(loadConfig({}).temporal.uiUrl).toBeUndefined();
  });

  it('lists every bad variable at once', () => {
    const attempt = () => loadConfig({ PORT: 'x', LOG_LEVEL: 'loud' });
    expect(attempt).toThrow(/\n {2}PORT: /);
    expect(attempt).toThrow(/\n {2}LOG_LEVEL: /);
  });

  it('.env.example lists every variable the service reads, and nothing else', () => {
    const example = readFileSync(path.join(__dirname, '../.env.example'), 'utf8');
    const listed = [...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]);
    expect([...listed].sort()).toEqual(ENV_VARIABLES.filter((name) => name !== 'NODE_ENV').sort());
  });

  it('turns on TLS for Temporal Cloud API keys', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'key' });
    expect(config.temporal.tls).toBeDefined();
    expect(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' }).temporal.tls).toBeUndefined();
  });
});

describe('the Temporal connection settings', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-tls-'));
  const file = (name: string, content: string) => {
    writeFileSync(path.join(dir, name), content);
    return path.join(dir, name);
  };

  it('reads the mTLS pair, the CA and the server name from the paths given', () => {
    const options = connectionOptions(
      loadConfig({
        TEMPORAL_ADDRESS: 'temporal.internal:7233',
        TEMPORAL_TLS_CERT_PATH: file('client.pem', 'CERT'),
        TEMPORAL_TLS_KEY_PATH: file('client.key', 'KEY'),
        TEMPORAL_TLS_CA_PATH: file('ca.pem', 'CA'),
        TEMPORAL_TLS_SERVER_NAME: 'temporal',
      }),
    );
    expect(options.address).toBe('temporal.internal:7233');
    expect(options.tls).toMatchObject({ serverNameOverride: 'temporal' });
    const tls = options.tls as {
      clientCertPair: { crt: Buffer; key: Buffer };
      serverRootCACertificate: Buffer;
    };
    expect(tls.clientCertPair.crt.toString()).toBe('CERT');
    expect(tls.clientCertPair.key.toString()).toBe('KEY');
    expect(tls.serverRootCACertificate.toString()).toBe('CA');
  });

  it('uses the API key with TLS for Temporal Cloud, and plain gRPC to the local dev server', () => {
    const cloud = connectionOptions(
      loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'secret' }),
    );
    expect(cloud).toMatchObject({ apiKey: 'secret', tls: {} });
    const local = connectionOptions(loadConfig({}));
    expect(local).toEqual({ address: '127.0.0.1:7233' });
  });
});
