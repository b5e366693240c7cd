/**
 * Topic access rules of the in-process MQTT broker. Pure functions, no I/O.
 *
 * - A device (scanner) may publish and subscribe only inside its own tree: the topic
 *   `devices/{deviceId}` itself and everything below it (`devices/{deviceId}/…`). Wildcards are fine
 *   as long as the filter starts with that tree (`devices/scanner-001/#`,
 *   `devices/scanner-001/+/ack`); filters that could reach outside (`#`, `+/…`, `devices/+/…`,
 *   `devices/#`, `$share/…`, `$SYS/…`) are refused.
 * - The internal client (the middleware's own flows, authenticated with the internal secret) may do
 *   anything, except publishing under `$SYS/`, which the broker itself uses for its heartbeat.
 *
 * Device ids are restricted to `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`, so a device id can never carry a
 * topic separator or a wildcard into the rule above.
 */

export const DEVICE_TOPIC_PREFIX = 'devices';

/** Who is talking to the broker, as established at CONNECT. */
export type MqttPrincipal = { readonly kind: 'internal' } | { readonly kind: 'device'; readonly deviceId: string };

export const INTERNAL_PRINCIPAL: MqttPrincipal = Object.freeze({ kind: 'internal' });

export function devicePrincipal(deviceId: string): MqttPrincipal {
  return { kind: 'device', deviceId };
}

const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Device ids double as topic levels and MQTT client ids, hence the narrow alphabet. */
export function isValidDeviceId(deviceId: string): boolean {
  return DEVICE_ID.test(deviceId);
}

/** `devices/{deviceId}`: the root of a device's own topic tree. */
export function deviceTopicRoot(deviceId: string): string {
  if (!isValidDeviceId(deviceId)) throw new RangeError(`invalid device id ${JSON.stringify(deviceId)}`);
  return `${DEVICE_TOPIC_PREFIX}/${deviceId}`;
}

// MQTT 3.1.1 §1.5.3: UTF-8 without U+0000; length fits in two bytes.
function isWellFormedUtf8Topic(topic: string): boolean {
  return topic.length > 0 && !topic.includes('\u0000') && Buffer.byteLength(topic, 'utf8') <= 65535;
}

/** A topic name for PUBLISH: non-empty, no wildcards (§4.7.1). */
export function isValidTopicName(topic: string): boolean {
  return isWellFormedUtf8Topic(topic) && !topic.includes('+') && !topic.includes('#');
}

/** A topic filter for SUBSCRIBE: `+` only as a whole level, `#` only as the whole last level (§4.7.1). */
export function isValidTopicFilter(filter: string): boolean {
  if (!isWellFormedUtf8Topic(filter)) return false;
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return false;
    if (level.includes('+') && level !== '+') return false;
  }
  return true;
}

function isInsideTree(topic: string, root: string): boolean {
  return topic === root || topic.startsWith(`${root}/`);
}

/** Whether `principal` may PUBLISH to `topic`. */
export function canPublish(principal: MqttPrincipal, topic: string): boolean {
  if (!isValidTopicName(topic)) return false;
  if (principal.kind === 'internal') return !topic.startsWith('$SYS/') && topic !== '$SYS';
  if (!isValidDeviceId(principal.deviceId)) return false;
  return isInsideTree(topic, deviceTopicRoot(principal.deviceId));
}

/**
 * Whether `principal` may SUBSCRIBE to `filter`. For a device the filter must begin with its own
 * literal root; since the root has no wildcards, whatever follows can only match topics inside it.
 */
export function canSubscribe(principal: MqttPrincipal, filter: string): boolean {
  if (!isValidTopicFilter(filter)) return false;
  if (principal.kind === 'internal') return true;
  if (!isValidDeviceId(principal.deviceId)) return false;
  return isInsideTree(filter, deviceTopicRoot(principal.deviceId));
}

/**
 * Whether a device may use `clientId`. MQTT lets a new connection with an existing client id take
 * over (disconnect) the old session [MQTT-3.1.4-2], so a device must not pick another device's id.
 * Allowed: exactly its device id, or `{deviceId}:{suffix}` for a second connection of the same
 * device (device ids cannot contain `:`, so no other device's ids start that way). An empty client
 * id (the broker assigns a random one) is checked by the broker, not here.
 */
export function canUseClientId(principal: MqttPrincipal, clientId: string): boolean {
  if (principal.kind === 'internal') return true;
  if (!isValidDeviceId(principal.deviceId)) return false;
  const { deviceId } = principal;
  return clientId === deviceId || (clientId.startsWith(`${deviceId}:`) && clientId.length > deviceId.length + 1 && clientId.length <= 128);
}
