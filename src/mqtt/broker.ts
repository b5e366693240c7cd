import { createHash, timingSafeEqual } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { Aedes, type Client } from 'aedes';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import { StartupError } from '../errors';
import type { Logger } from '../log';
import { INTERNAL_PRINCIPAL, canPublish, canSubscribe, canUseClientId, devicePrincipal, type MqttPrincipal } from './acl';
import { CredentialStoreBusyError, type DeviceCredentialStore } from './device-credentials';

/**
 * The in-process MQTT broker the couriers' scanners talk to (aedes 1.x, MQTT 3.1 / 3.1.1 only).
 *
 * - TCP on `tcpPort` (0 = ephemeral), and MQTT over WebSocket through `handleUpgrade`, which the
 *   owner of the HTTP server calls for upgrade requests on `/mqtt` (see `attachMqttWebSocket`).
 * - Every client authenticates: devices with their per-device credentials (device-credentials.ts),
 *   the middleware itself with the internal username/secret. Anonymous connects are refused.
 * - Topic access follows acl.ts: a device only inside `devices/{deviceId}`; the internal client
 *   anywhere. A refused SUBSCRIBE is answered with granted QoS 128 (the connection stays up). A
 *   refused PUBLISH closes the connection: MQTT 3.1.1 has no negative PUBACK, and aedes
 *   disconnects on a failed authorizePublish [MQTT-3.3.5-2]; nothing is delivered.
 * - A device's client id must be its device id (or `{deviceId}:{suffix}`, or empty for a
 *   broker-assigned one), otherwise one device could take over another's session.
 */

export interface InternalCredentials {
  readonly username: string;
  readonly password: string;
}

export interface BrokerOptions {
  /** TCP port for MQTT; 0 picks a free one (see `RunningBroker.tcpPort`). */
  readonly tcpPort: number;
  /** Interface to listen on; default all interfaces. */
  readonly host?: string;
  readonly credentials: DeviceCredentialStore;
  /** The middleware's own login; its username is reserved (a device with the same name cannot log in). */
  readonly internal: InternalCredentials;
  readonly log: Logger;
  /** Disconnect a client whose socket has not drained for this long. Default 10 000 ms. */
  readonly drainTimeoutMs?: number;
  /** Drop connections that do not send CONNECT within this time. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** `close()` waits at most this long for a graceful end before destroying sockets. Default 2 000 ms. */
  readonly closeTimeoutMs?: number;
  /** Path served by `attachMqttWebSocket` by default. Default `/mqtt`. */
  readonly wsPath?: string;
  /** Largest WebSocket message accepted. Default 16 MiB. */
  readonly wsMaxPayloadBytes?: number;
  /** Name of the setting shown in the "port in use" hint. Default `MQTT_PORT`. */
  readonly portSetting?: string;
}

export interface BrokerStats {
  /** Clients registered with aedes (authenticated, session set up). */
  readonly clients: number;
  /** Of those, devices. */
  readonly devices: number;
  /** Of those, internal clients. */
  readonly internal: number;
  /** Open transport connections, including ones that have not authenticated (yet). */
  readonly connections: { readonly tcp: number; readonly ws: number };
  readonly authFailures: number;
  readonly publishDenied: number;
  readonly subscribeDenied: number;
  /** PUBLISH packets accepted from clients. */
  readonly messagesIn: number;
}

export interface RunningBroker {
  /** The TCP port actually bound. */
  readonly tcpPort: number;
  /** `mqtt://host:port` for in-process clients (loopback when listening on all interfaces). */
  readonly url: string;
  /** Default WebSocket path, `/mqtt` unless configured. */
  readonly wsPath: string;
  /** The aedes instance, for in-process publish/subscribe without a socket. */
  readonly aedes: Aedes;
  /**
   * Takes over an HTTP upgrade request as an MQTT-over-WebSocket connection. Call it only for the
   * MQTT path; it does not look at the URL.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * Ends the MQTT-over-WebSocket connections now, TCP clients stay. Upgraded sockets are not
   * HTTP connections any more: they keep `http.Server#close()` pending and
   * `closeAllConnections()`/`closeIdleConnections()` do not touch them, so call this (or `close()`)
   * before or together with closing the HTTP server.
   */
  closeWebSocketClients(): Promise<void>;
  /**
   * Closes clients (publishing their wills), the TCP listener and the broker, and waits for the
   * pending `last_seen_at` writes; settles within about `closeTimeoutMs` + 1 s. Idempotent.
   */
  close(): Promise<void>;
  stats(): BrokerStats;
}

// CONNACK return codes (MQTT 3.1.1 §3.2.2.3). aedes types them as a `const enum`, which a
// transpile-only loader (tsx/esbuild) cannot inline, so they are spelled out here.
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

type ConnackError = Error & { returnCode: number };

function connackError(returnCode: number, message: string): ConnackError {
  return Object.assign(new Error(message), { returnCode });
}

function digest(value: string | Buffer): Buffer {
  return createHash('sha256').update(value).digest();
}

/** What is safe to put in a log line from a client-chosen string. */
function forLog(value: string | undefined, max = 64): string | undefined {
  if (value === undefined) return undefined;
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

function urlHost(host: string | undefined): string {
  if (!host || host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return net.isIPv6(host) ? `[${host}]` : host;
}

function listen(server: net.Server, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen({ port, host }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function listenError(error: unknown, port: number, host: string | undefined, setting: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return new StartupError(
      `MQTT port ${port} is already in use`,
      `set ${setting} to a free port (0 picks one) or stop the other MQTT broker`,
      { cause: error },
    );
  }
  if (code === 'EACCES') {
    return new StartupError(`no permission to listen on MQTT port ${port}`, `set ${setting} to a port above 1023`, { cause: error });
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new StartupError(`cannot listen for MQTT on ${host}:${port} (${code})`, 'check HOST', { cause: error });
  }
  return error;
}

function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const { credentials, log } = options;
  const internalUser = options.internal?.username;
  const internalPassword = options.internal?.password;
  if (!internalUser || !internalPassword) {
    throw new StartupError('the internal MQTT credentials are empty', 'the middleware needs a username and a secret for its own MQTT client');
  }
  const internalDigest = digest(internalPassword);
  const closeTimeoutMs = options.closeTimeoutMs ?? 2_000;
  const wsPath = options.wsPath ?? '/mqtt';

  const principals = new WeakMap<Client, MqttPrincipal>();
  const emptyClientIds = new WeakSet<Client>();
  const registered = new Set<Client>();
  const tcpSockets = new Set<net.Socket>();
  const counters = { authFailures: 0, publishDenied: 0, subscribeDenied: 0, messagesIn: 0 };
  let closing: Promise<void> | undefined;

  const transportOf = (client: Client): 'ws' | 'tcp' => (client.req ? 'ws' : 'tcp');
  const remoteOf = (client: Client): string | undefined =>
    client.req?.socket?.remoteAddress ?? (client.conn as Partial<net.Socket>).remoteAddress;
  const who = (client: Client): Record<string, string | undefined> => {
    const principal = principals.get(client);
    if (principal?.kind === 'device') return { deviceId: principal.deviceId };
    if (principal?.kind === 'internal') return { internalClient: forLog(client.id) };
    return { clientId: forLog(client.id) };
  };

  const aedes = await Aedes.createBroker({
    drainTimeout: options.drainTimeoutMs ?? 10_000,
    connectTimeout: options.connectTimeoutMs ?? 10_000,

    preConnect(client, packet, callback) {
      if (closing) return callback(null, false);
      if (!packet.clientId) emptyClientIds.add(client);
      callback(null, true);
    },

    authenticate(client, username, password, done) {
      const refuse = (returnCode: number, reason: string): void => {
        counters.authFailures++;
        log.warn(
          { username: forLog(username), reason, transport: transportOf(client), remote: remoteOf(client) },
          'mqtt authentication failed',
        );
        done(connackError(returnCode, reason), false);
      };

      if (username === undefined || username === '' || password === undefined || password.length === 0) {
        return refuse(username ? BAD_USERNAME_OR_PASSWORD : NOT_AUTHORIZED, 'no credentials');
      }
      if (username === internalUser) {
        if (!timingSafeEqual(digest(password), internalDigest)) return refuse(BAD_USERNAME_OR_PASSWORD, 'wrong internal secret');
        principals.set(client, INTERNAL_PRINCIPAL);
        return done(null, true);
      }

      credentials.verify(username, password).then(
        (deviceId) => {
          if (!deviceId) return refuse(BAD_USERNAME_OR_PASSWORD, 'unknown user, wrong password or disabled device');
          const principal = devicePrincipal(deviceId);
          if (!emptyClientIds.has(client) && !canUseClientId(principal, client.id)) {
            return refuse(IDENTIFIER_REJECTED, `client id must be the device id "${deviceId}" or "${deviceId}:…"`);
          }
          principals.set(client, principal);
          done(null, true);
        },
        (error: unknown) => {
          if (!(error instanceof CredentialStoreBusyError)) log.error({ err: error }, 'mqtt credential check failed');
          refuse(SERVER_UNAVAILABLE, error instanceof CredentialStoreBusyError ? 'too many logins at once' : 'credential store unavailable');
        },
      );
    },

    authorizePublish(client, packet, callback) {
      // client is null only for wills left behind by another broker instance; no principal to judge.
      const principal = client ? principals.get(client) : undefined;
      if (principal && canPublish(principal, packet.topic)) return callback(null);
      counters.publishDenied++;
      log.warn({ ...(client ? who(client) : {}), topic: forLog(packet.topic, 200) }, 'mqtt publish refused');
      callback(new Error(`not authorized to publish to ${packet.topic}`));
    },

    authorizeSubscribe(client, subscription, callback) {
      const principal = principals.get(client);
      if (principal && canSubscribe(principal, subscription.topic)) return callback(null, subscription);
      counters.subscribeDenied++;
      log.warn({ ...who(client), topic: forLog(subscription.topic, 200) }, 'mqtt subscription refused');
      callback(null, null); // SUBACK with 0x80 for this filter; the connection stays up
    },
  });

  // last_seen_at writes in flight; close() waits for them so they do not hit a destroyed pool.
  const pendingTouches = new Set<Promise<void>>();
  const touch = (client: Client): void => {
    const principal = principals.get(client);
    if (principal?.kind !== 'device') return;
    const write = credentials
      .touchLastSeen(principal.deviceId)
      .catch((error: unknown) => {
        log.warn({ deviceId: principal.deviceId, err: error }, 'mqtt: could not record last_seen_at');
      })
      .finally(() => pendingTouches.delete(write));
    pendingTouches.add(write);
  };

  aedes.on('client', (client) => registered.add(client));
  aedes.on('clientReady', (client) => {
    log.debug({ ...who(client), transport: transportOf(client) }, 'mqtt client connected');
    touch(client);
  });
  aedes.on('clientDisconnect', (client) => {
    registered.delete(client);
    log.debug({ ...who(client), transport: transportOf(client) }, 'mqtt client disconnected');
    touch(client);
  });
  aedes.on('publish', (_packet, client) => {
    if (client) counters.messagesIn++;
  });
  const onClientError = (client: Client, error: Error): void => {
    const errorCode = (error as { errorCode?: number }).errorCode;
    if (errorCode === 1) {
      // aedes 1.x implements MQTT 3.1/3.1.1 only; an MQTT 5 client gets CONNACK "unacceptable protocol version".
      log.warn({ transport: transportOf(client), remote: remoteOf(client) }, 'mqtt connect refused: unsupported protocol version (use MQTT 3.1.1)');
      return;
    }
    // Other refused CONNECTs carry errorCode and were logged in authenticate; refused publishes too.
    if (errorCode !== undefined || /^not authorized to publish/.test(error.message)) return;
    log.debug({ ...who(client), err: error.message }, 'mqtt client error');
  };
  aedes.on('clientError', onClientError);
  aedes.on('connectionError', onClientError);
  aedes.on('keepaliveTimeout', (client) => log.debug(who(client), 'mqtt keepalive timeout'));
  // Without a listener an 'error' (e.g. from persistence) would throw and take the process down.
  // (aedes' typings omit the 'error' event, hence the EventEmitter view.)
  (aedes as EventEmitter).on('error', (error: Error) => log.error({ err: error }, 'mqtt broker error'));

  const tcpServer = net.createServer((socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    tcpSockets.add(socket);
    socket.once('close', () => tcpSockets.delete(socket));
    socket.setNoDelay(true);
    aedes.handle(socket);
  });

  const portSetting = options.portSetting ?? 'MQTT_PORT';
  try {
    await listen(tcpServer, options.tcpPort, options.host);
  } catch (error) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw listenError(error, options.tcpPort, options.host, portSetting);
  }
  tcpServer.on('error', (error) => log.error({ err: error }, 'mqtt tcp server error'));
  const tcpPort = (tcpServer.address() as net.AddressInfo).port;

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: true,
    perMessageDeflate: false,
    maxPayload: options.wsMaxPayloadBytes ?? 16 * 1024 * 1024,
  });
  wss.on('error', (error) => log.warn({ err: error }, 'mqtt websocket server error'));
  wss.on('wsClientError', (error) => log.debug({ err: error.message }, 'mqtt websocket handshake refused'));

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (closing) {
      socket.destroy();
      return;
    }
    try {
      wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        const stream = createWebSocketStream(ws);
        stream.on('error', () => undefined); // aedes attaches its own; this covers the gap before it
        aedes.handle(stream, req);
      });
    } catch (error) {
      // ws throws when a socket is upgraded twice, i.e. another 'upgrade' listener already took
      // this path (a Node-RED "websocket in" node on the same path, say). Do not crash the server.
      log.error({ err: error, path: forLog(req.url, 200) }, 'mqtt websocket upgrade failed (is another handler serving this path?)');
    }
  }

  async function closeWebSocketClients(): Promise<void> {
    if (wss.clients.size === 0) return;
    const gone = Promise.all([...wss.clients].map((ws) => new Promise((resolve) => ws.once('close', resolve))));
    for (const ws of wss.clients) ws.terminate();
    await settleWithin(gone, 500);
  }

  async function shutdown(): Promise<void> {
    const serverClosed = new Promise<void>((resolve) => tcpServer.close(() => resolve()));
    // Graceful part: aedes closes every registered client (their wills are published).
    await settleWithin(new Promise<void>((resolve) => aedes.close(() => resolve())), closeTimeoutMs);
    // Whatever is left: sockets that never sent CONNECT or never authenticated, slow closers.
    for (const socket of tcpSockets) socket.destroy();
    await closeWebSocketClients();
    await settleWithin(new Promise<void>((resolve) => wss.close(() => resolve())), 500);
    await settleWithin(Promise.all([serverClosed, ...pendingTouches]), 1_000);
    registered.clear();
  }

  const url = `mqtt://${urlHost(options.host)}:${tcpPort}`;
  log.info({ port: tcpPort, ws: wsPath }, 'mqtt broker listening');

  return {
    tcpPort,
    url,
    wsPath,
    aedes,
    handleUpgrade,
    closeWebSocketClients,
    close() {
      closing ??= shutdown();
      return closing;
    },
    stats() {
      let devices = 0;
      let internal = 0;
      for (const client of registered) {
        const kind = principals.get(client)?.kind;
        if (kind === 'device') devices++;
        else if (kind === 'internal') internal++;
      }
      return {
        clients: aedes.connectedClients,
        devices,
        internal,
        connections: { tcp: tcpSockets.size, ws: wss.clients.size },
        ...counters,
      };
    },
  };
}

function pathnameOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/**
 * Serves MQTT over WebSocket on `path` of an existing HTTP server. Adds one 'upgrade' listener that
 * takes only requests for exactly that path and leaves every other upgrade untouched, so other
 * WebSocket users of the same server (Node-RED's editor `/comms`, "websocket in" nodes) keep
 * working regardless of the order the listeners were added. Returns a function removing it.
 *
 * Do not combine with `new WebSocketServer({ server })` on the same HTTP server: ws then answers
 * every other path with 400 and would break `/mqtt` or `/comms` depending on listener order.
 */
export function attachMqttWebSocket(
  httpServer: HttpServer,
  broker: Pick<RunningBroker, 'handleUpgrade'> & { readonly wsPath?: string },
  path: string = broker.wsPath ?? '/mqtt',
): () => void {
  const listener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (pathnameOf(req.url) !== path) return; // someone else's upgrade
    broker.handleUpgrade(req, socket, head);
  };
  httpServer.on('upgrade', listener);
  return () => {
    httpServer.off('upgrade', listener);
  };
}
