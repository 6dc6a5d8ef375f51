/** OpenBee answers with the bare resource (object, array or `{status}`): no envelope. */
export function openBeeEnvelope(data: unknown): unknown {
  return data;
}
